"""The `segment` stage: decoded issue text in, articles and noise out (kicker, headline,
body, span, continuation markers)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from pipeline.config import Config, ConfigError, Section
from pipeline.continuations import link_continuations
from pipeline.document import Article, Issue
from pipeline.registry import register_stage
from pipeline.segmentation.assemble import drop_bodiless
from pipeline.stages.base import DEVELOPMENT_ISSUES, Stage

_NULLABLE = {"type": ["string", "null"]}


class SegmenterSection(Section):
    backend: Literal["crf", "rules"] = Field(
        "crf",
        description="crf: trained line tagger (pipeline:models/segmenter; retrain with `newspipe train segmenter`); "
        "rules: the hand-written segmenter",
    )
    model: str | None = Field(
        None, description="crf model directory (null = the shipped model); build one with `newspipe train segmenter`"
    )
    max_headline_chars: int = Field(40, ge=4, description="longest line that can be a headline")
    max_byline_chars: int = Field(60, ge=4)
    column_label_patterns: list[str] = Field(
        default_factory=list, description="extra regexes for column-label lines"
    )
    noise_patterns: list[str] = Field(
        default_factory=list, description="extra regexes for page-header or other noise lines"
    )

    def named_files(self) -> list[str]:
        from pipeline.segmentation import SHIPPED_MODEL

        return [self.model or SHIPPED_MODEL] if self.backend == "crf" else []


def _options(settings: SegmenterSection) -> Any:
    from pipeline.segmentation.segmenter import SegmenterOptions

    return SegmenterOptions(
        max_headline_chars=settings.max_headline_chars,
        max_byline_chars=settings.max_byline_chars,
        column_label_patterns=list(settings.column_label_patterns),
        noise_patterns=list(settings.noise_patterns),
    )


def rules_segmenter(settings: SegmenterSection) -> Any:
    """The `rules` backend: `pipeline.segmentation.segmenter.Segmenter` with the section's options."""
    from pipeline.segmentation.segmenter import Segmenter

    return Segmenter(_options(settings))


def crf_segmenter(settings: SegmenterSection) -> Any:
    """The `crf` backend: the shipped model, or the directory `segmenter.model` names."""
    from pipeline.segmentation import SHIPPED_MODEL, shipped_path
    from pipeline.segmentation.crf import CrfSegmenter, SegmenterModelError

    name = settings.model or SHIPPED_MODEL
    path = shipped_path(name) if settings.model is None else settings.model
    try:
        return CrfSegmenter(path, _options(settings), name=name)
    except SegmenterModelError as err:
        raise ConfigError(f"segmenter.model: {err}") from None


@register_stage("segment")
class SegmentStage(Stage):
    requires = ()
    provides = ("articles",)
    config_section = "segmenter"
    config_model = SegmenterSection
    backends = {
        "crf": "pipeline.stages.segment:crf_segmenter",
        "rules": "pipeline.stages.segment:rules_segmenter",
    }
    record_fields = {
        "page": {**_NULLABLE, "description": "page of the issue where the article starts, when known"},
        "kicker": _NULLABLE,
        "headline": _NULLABLE,
        "subheadline": _NULLABLE,
        "column": {**_NULLABLE, "description": "column label printed with the article"},
        "byline": _NULLABLE,
        "authors": {"type": "array", "items": {"type": "string"}},
        "captions": {"type": "array", "items": {"type": "string"}},
        "text": {"type": "string", "description": "repaired body, paragraphs joined by newlines"},
        "span": {
            "type": "array",
            "items": {"type": "integer", "minimum": 0},
            "minItems": 2,
            "maxItems": 2,
            "description": "[start, end) character offsets of the article in the decoded issue text",
        },
        "continued_to": _NULLABLE,
        "continued_from": _NULLABLE,
    }

    def __init__(self, config: Config) -> None:
        super().__init__(config)
        self.segmenter = self.build_backend()

    def process(self, issue: Issue) -> Issue:
        if issue.meta.get("input_format") == "articles":  # already one article per record
            return issue
        issue = self.segmenter.segment(issue)
        issue = link_continuations(issue)  # a jumped article: join `下转`/`上接` parts
        return drop_bodiless(issue)

    def describe(self) -> dict[str, object]:
        out: dict[str, object] = {"name": self.name, "backend": self.settings.backend}
        if self.settings.backend == "crf":
            out["model"] = self.segmenter.name  # as the user gave it, or pipeline:… when shipped
            out["model_version"] = self.segmenter.card.get("version")
        return out

    def built_on(self) -> dict[str, Any] | None:
        if self.settings.backend == "crf":
            trained = self.segmenter.card.get("trained_on")
            return {
                "what": f"the crf model {self.segmenter.name} was trained on these labelled issues "
                "(scores on them are training-set figures; see its card for leave-one-family-out figures)",
                "issues": self.segmenter.card.get("training_issues") or [],
                "trained_on": trained,
            }
        return {
            "what": "the segmentation rules were written against tests/fixtures and three further sets of "
            "issues kept out of the repository",
            "issues": list(DEVELOPMENT_ISSUES),
        }

    @classmethod
    def record(cls, article: Article) -> dict[str, Any]:
        rec = super().record(article)
        rec["authors"] = list(article.authors)
        rec["captions"] = list(article.captions)
        rec["span"] = [article.span[0], article.span[1]]
        return rec
