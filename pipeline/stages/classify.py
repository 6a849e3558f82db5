"""The `classify` stage: one topic per article, a probability for every label, and evidence.

Owns the `classifier` config section and the `topic*` record fields.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from pipeline.classify.backoff import DEFAULT_BACKOFF
from pipeline.classify.base import LabelSpec
from pipeline.config import Config, Section
from pipeline.document import Issue
from pipeline.registry import register_stage
from pipeline.stages.base import DEVELOPMENT_ISSUES, Stage


class ClassifierSection(Section):
    backend: Literal["lexicon", "linear", "transformers"] = Field(
        "lexicon",
        description="lexicon: shipped weighted lexicon, offline; linear / transformers: a trained model directory",
    )
    labels: dict[str, LabelSpec] | None = Field(
        None,
        description="label -> description/keywords/patterns, merged over the lexicon's labels; a new name adds a label",
    )
    lexicon: str | None = Field(None, description="lexicon YAML path; null = the shipped pipeline:models/lexicon/default.yaml")
    model_path: str | None = Field(
        None,
        description="trained model directory (backend: linear or transformers); pipeline:models/linear is the shipped one",
    )
    backoff: str | None = Field(
        DEFAULT_BACKOFF,
        description="lexicon backend: character n-gram model that decides when lexicon evidence is thin "
        "(and holds the calibration); null: lexicon alone, ties marked path 'tie' and never confident",
    )
    other_label: str | None = Field(
        None,
        description="out-of-scope label (e.g. other): articles with no evidence for any label go to it "
        "instead of a forced guess; off by default (turn on for whole papers with sport, crime, weather pages)",
    )
    names: list[str] = Field(
        default_factory=list, description="person names kept whole: no evidence word is cut out of them"
    )
    tokenizer: Literal["rjieba", "jieba"] = Field(
        "rjieba", description="word segmenter: rjieba (Rust, same words as jieba) or jieba (pure Python)"
    )
    idf: Literal["background", "none"] = Field(
        "background", description="background: scale term weights by jieba's shipped general-corpus IDF"
    )
    threshold: float | None = Field(
        None,
        ge=0.0,
        le=1.0,
        description="below this top probability: topic_confident false; null = the backoff model's "
        "cross-validated value, where confident predictions were right >= 0.95 (docs/topics.md); 0.5 "
        "for the linear/transformers backends",
    )
    headline_weight: float = Field(3.0, ge=0.0, description="weight of one headline/kicker/column occurrence")
    lead_weight: float = Field(1.5, ge=0.0, description="weight of one occurrence in the lead paragraph")
    lead_min_chars: int = Field(60, ge=0, description="the lead takes paragraphs until it has this many chars")
    description_weight: float = Field(1.0, ge=0.0, description="keyword weight of words from a label description")
    prior: float = Field(
        2.0, gt=0.0, description="pseudo-score spread evenly over labels: no label is 0, thin evidence stays flat"
    )
    min_chars: int = Field(10, ge=0, description="articles with fewer text characters are never confident")
    evidence_top_k: int = Field(5, ge=1)
    max_input_tokens: int | None = Field(None, ge=8, description="transformers: input limit (null: the model's)")
    batch_size: int = Field(16, ge=1, description="transformers: articles per forward pass")
    device: Literal["auto", "cpu", "cuda", "mps"] = Field("cpu", description="transformers: where to run")

    def named_files(self) -> list[str]:
        from pipeline.classify.lexicon import DEFAULT_LEXICON

        return [self.lexicon or DEFAULT_LEXICON] + ([self.model_path] if self.model_path else [])


@register_stage("classify")
class ClassifyStage(Stage):
    requires = ("articles",)
    provides = ("topic",)
    config_section = "classifier"
    config_model = ClassifierSection
    backends = {
        "lexicon": "pipeline.classify.lexicon:LexiconClassifier",
        "linear": "pipeline.classify.linear:LinearClassifier.from_settings",
        "transformers": "pipeline.classify.transformer:TransformersClassifier.from_settings",
    }
    record_fields = {
        "topic": {"type": "string"},
        "topic_scores": {"type": "object", "additionalProperties": {"type": "number", "minimum": 0, "maximum": 1}},
        "topic_evidence": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["term", "weight"],
                "properties": {
                    "term": {"type": "string"},
                    "weight": {"type": "number"},
                    "label": {"type": "string"},
                    "path": {"type": "string", "enum": ["lexicon", "backoff", "linear", "transformers"]},
                },
            },
        },
        "topic_confident": {"type": "boolean"},
    }

    def __init__(self, config: Config) -> None:
        super().__init__(config)
        self.classifier = self.build_backend()

    @property
    def labels(self) -> list[str]:
        return list(self.classifier.labels)

    def process(self, issue: Issue) -> Issue:
        for article, pred in zip(issue.articles, self.classifier.classify_many(issue.articles), strict=True):
            pred.apply(article)
        return issue

    def built_on(self) -> dict[str, Any] | None:
        cfg = self.settings
        if cfg.backend == "lexicon" and cfg.lexicon in (None, "pipeline:models/lexicon/default.yaml"):
            what = (
                "the shipped lexicon was tuned on the articles of tests/fixtures; its backoff model and "
                "calibration were fitted on data/topics and the fixtures' gold"
            )
        elif cfg.backend == "linear" and cfg.model_path == "pipeline:models/linear":
            what = "the shipped linear model was trained on the gold of tests/fixtures"
        else:
            return None
        return {"what": what, "issues": list(DEVELOPMENT_ISSUES)}

    def describe(self) -> dict[str, object]:
        out: dict[str, object] = {"name": self.name}
        out.update(self.classifier.describe())
        out["threshold"] = getattr(self.classifier, "threshold", self.settings.threshold)
        return out
