"""The records that flow through the stages: an `Issue` and its `Article`s.

Like spaCy's `Doc`, one object carries the decoded text and everything the stages add to
it, so a stage never re-reads the source and every field keeps its provenance (offsets
into `Issue.text`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class SourceLine:
    """One non-blank line of the decoded text, with its [start, end) offsets."""

    number: int  # 0-based line number in the decoded text
    start: int
    end: int
    text: str  # the line as printed, stripped of surrounding whitespace
    page: str | None = None


@dataclass
class NoiseLine:
    """A line that belongs to no article (page header, editor credit, stray marker)."""

    text: str
    span: tuple[int, int]
    kind: str  # "page_header", "editor", "orphan_marker", "other", ...
    page: str | None = None


@dataclass
class Article:
    """One article; the field names match the output record (see schema)."""

    kicker: str | None = None
    headline: str | None = None
    subheadline: str | None = None
    column: str | None = None
    byline: str | None = None
    authors: list[str] = field(default_factory=list)
    captions: list[str] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)
    markers: list[str] = field(default_factory=list)  # continuation markers as printed
    span: tuple[int, int] = (0, 0)
    continued_to: str | None = None
    continued_from: str | None = None
    page: str | None = None
    # (start offset of each source line this article consumed, the field it went to): lossless accounting
    line_roles: list[tuple[int, str]] = field(default_factory=list)
    # filled by later stages
    topic: str | None = None
    topic_scores: dict[str, float] | None = None
    topic_evidence: list[dict[str, Any]] | None = None
    topic_confident: bool | None = None
    summary: str | None = None
    summary_method: str | None = None
    summary_model: str | None = None
    summary_input: str | None = None
    # values a stage adds to the record without a field of its own here (key -> value)
    ext: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """The repaired body: paragraphs joined by newlines."""
        return "\n".join(self.paragraphs)


@dataclass
class Issue:
    """One newspaper issue: where it came from, its decoded text, and what stages found."""

    issue_id: str
    source: str
    text: str
    encoding: str = "utf-8"
    pages: list[tuple[str | None, int, int]] = field(default_factory=list)  # (page, start, end)
    articles: list[Article] = field(default_factory=list)
    noise: list[NoiseLine] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)

    def article_id(self, index: int) -> str:
        return f"{self.issue_id}#{index}"
