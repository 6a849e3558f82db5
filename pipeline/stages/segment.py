"""The `segment` stage: decoded issue text in, articles and noise out.

Owns the `segmenter` config section and the article fields of every record (head block, byline,
body, span, continuation markers).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from pipeline.config import Config, Section
from pipeline.continuations import link_continuations
from pipeline.document import Article, Issue
from pipeline.registry import register_stage
from pipeline.stages.base import DEVELOPMENT_ISSUES, Stage

_NULLABLE = {"type": ["string", "null"]}


class SegmenterSection(Section):
    backend: Literal["rules"] = Field("rules", description="rules: the hand-written line-shape segmenter")
    max_headline_chars: int = Field(40, ge=4, description="longest line that can be a headline")
    max_byline_chars: int = Field(60, ge=4)
    column_label_patterns: list[str] = Field(
        default_factory=list, description="extra regexes for column-label lines"
    )
    noise_patterns: list[str] = Field(
        default_factory=list, description="extra regexes for page-header or other noise lines"
    )


def rules_segmenter(settings: SegmenterSection) -> Any:
    """The `rules` backend: `pipeline.segmentation.segmenter.Segmenter` with the section's options."""
    from pipeline.segmentation.segmenter import Segmenter, SegmenterOptions

    return Segmenter(
        SegmenterOptions(
            max_headline_chars=settings.max_headline_chars,
            max_byline_chars=settings.max_byline_chars,
            column_label_patterns=list(settings.column_label_patterns),
            noise_patterns=list(settings.noise_patterns),
        )
    )


@register_stage("segment")
class SegmentStage(Stage):
    requires = ()
    provides = ("articles",)
    config_section = "segmenter"
    config_model = SegmenterSection
    backends = {"rules": "pipeline.stages.segment:rules_segmenter"}
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
        issue = self.segmenter.segment(issue)
        return link_continuations(issue)  # a paged issue: join `下转`/`上接` parts

    def describe(self) -> dict[str, object]:
        return {"name": self.name, "backend": self.settings.backend}

    def built_on(self) -> dict[str, Any] | None:
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
