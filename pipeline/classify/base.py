"""What every classifier backend returns, the label spec they share, and probability helpers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import ConfigDict, Field

from pipeline.config import ConfigError, Section
from pipeline.document import Article

if TYPE_CHECKING:  # the section is the classify stage's; backends only read it
    from pipeline.stages.classify import ClassifierSection


class ContextRule(Section):
    """When a lexicon term counts: only with, or never with, certain words in its neighbourhood."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, populate_by_name=True)

    with_: list[str] = Field(
        default_factory=list, alias="with", description="the term counts only if one of these occurs near it"
    )
    never_with: list[str] = Field(default_factory=list, description="the term does not count if one of these occurs near it")
    window: int | None = Field(
        None, ge=1, description="characters each side that count as near; null: the term's sentence"
    )


class LabelSpec(Section):
    """One topic label: merged over the lexicon's label of the same name (or the one it `replaces`)."""

    description: str = Field("", description="what the label covers; its words also count as weak keywords")
    keywords: dict[str, float] = Field(
        default_factory=dict, description="word or phrase -> weight (merged over the lexicon's; 0 removes one)"
    )
    patterns: dict[str, float] = Field(
        default_factory=dict, description="regex -> weight; each match counts as a term (e.g. old years)"
    )
    context: dict[str, ContextRule] = Field(
        default_factory=dict,
        description="term -> {with: [...], never_with: [...], window: N}: when the term counts (see the lexicon README)",
    )
    replaces: str | None = Field(
        None, description="rename: take over this shipped label's lexicon and drop the old name"
    )
    enabled: bool = Field(True, description="false drops the label from the label set")



@dataclass
class Prediction:
    topic: str
    scores: dict[str, float]  # label -> probability, sums to 1
    evidence: list[dict[str, Any]] = field(default_factory=list)  # {"term", "weight", "label"}
    confident: bool = True
    path: str = "lexicon"  # what decided: lexicon, backoff, or tie (no signal at all)

    def apply(self, article: Article) -> None:
        article.topic = self.topic
        article.topic_scores = self.scores
        article.topic_evidence = self.evidence
        article.topic_confident = self.confident


class Classifier(Protocol):
    labels: list[str]

    def classify(self, article: Article) -> Prediction: ...

    def classify_many(self, articles: list[Article]) -> list[Prediction]: ...

    def describe(self) -> dict[str, Any]: ...


def trained_labels(model_labels: list[str], cfg: ClassifierSection, where: object) -> tuple[list[int], list[str]]:
    """Apply `classifier.labels` to a trained model's fixed label set.

    Renames (`NEW: {replaces: OLD}`) and `enabled: false` work; keywords, patterns and new
    labels need the lexicon backend or retraining. Returns (kept label indices, their names).
    """
    names = list(model_labels)
    keep = list(range(len(names)))
    for name, spec in (cfg.labels or {}).items():
        src = spec.replaces or name
        if src not in names:
            raise ConfigError(
                f"classifier.labels.{name}: the model at {where} has no label '{src}' "
                f"(labels: {', '.join(model_labels)}); retrain it to add labels"
            )
        if spec.keywords or spec.patterns:
            raise ConfigError(f"classifier.labels.{name}: keywords/patterns apply to the lexicon backend only")
        i = names.index(src)
        names[i] = name
        if not spec.enabled and i in keep:
            keep.remove(i)
    if len(keep) < 2:
        raise ConfigError("classifier.labels: at least two labels are needed")
    return keep, [names[i] for i in keep]


_SCALES = {n: 10.0**n for n in range(10)}


def round_to(x: float, ndigits: int) -> float:
    """`round(x, ndigits)`, bit for bit, about 2x faster for the positive values we print.

    `round` finds the decimal with `ndigits` places nearest to x (by exact decimal arithmetic)
    and returns the double nearest to it. Here: y = x * 10**n is within y * 2**-53 of the exact
    product, so when y is below 1e9 and not within 1e-6 of halfway between two integers, the
    exact product rounds to the same integer r as y does, and r / 10**n (both exact doubles,
    one correctly rounded division) is the double nearest to r * 10**-n: `round`'s answer. Any
    other value (zero, negative, huge, near a tie, not a float, n outside 0..9) goes to `round`."""
    s = _SCALES.get(ndigits)
    if s is not None and x.__class__ is float and 0.0 < x:
        y = x * s
        if y < 1e9:
            r = round(y)
            if -0.499999 < y - r < 0.499999:
                return r / s
    return round(x, ndigits)


def rounded_distribution(probs: dict[str, float], ndigits: int = 6) -> dict[str, float]:
    """Round probabilities for output while keeping their sum exactly representable as 1.

    The rounding remainder goes to the largest entry, so `sum(...) == 1` within float error.
    """
    out = {k: round_to(v, ndigits) for k, v in probs.items()}
    if out:
        top = max(out, key=out.__getitem__)
        out[top] = round_to(out[top] + (1.0 - sum(out.values())), ndigits)
    return out
