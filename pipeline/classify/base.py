"""What every classifier backend returns, and the probability helpers they share."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from pipeline.document import Article


@dataclass
class Prediction:
    topic: str
    scores: dict[str, float]  # label -> probability, sums to 1
    evidence: list[dict[str, Any]] = field(default_factory=list)  # {"term", "weight", "label"}
    confident: bool = True

    def apply(self, article: Article) -> None:
        article.topic = self.topic
        article.topic_scores = self.scores
        article.topic_evidence = self.evidence
        article.topic_confident = self.confident


class Classifier(Protocol):
    labels: list[str]

    def classify(self, article: Article) -> Prediction: ...

    def describe(self) -> dict[str, Any]: ...


def rounded_distribution(probs: dict[str, float], ndigits: int = 6) -> dict[str, float]:
    """Round probabilities for output while keeping their sum exactly representable as 1.

    The rounding remainder goes to the largest entry, so `sum(...) == 1` within float error.
    """
    out = {k: round(v, ndigits) for k, v in probs.items()}
    if out:
        top = max(out, key=out.__getitem__)
        out[top] = round(out[top] + (1.0 - sum(out.values())), ndigits)
    return out
