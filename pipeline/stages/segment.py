"""The `segment` stage: decoded issue text in, articles and noise out."""

from __future__ import annotations

from pipeline.config import Config
from pipeline.continuations import link_continuations
from pipeline.document import Issue
from pipeline.segmentation.segmenter import Segmenter, SegmenterOptions
from pipeline.stages.base import Stage


class SegmentStage(Stage):
    name = "segment"
    requires = ()
    provides = ("articles",)

    def __init__(self, config: Config) -> None:
        super().__init__(config)
        sec = config.segmenter
        self.segmenter = Segmenter(
            SegmenterOptions(
                max_headline_chars=sec.max_headline_chars,
                max_byline_chars=sec.max_byline_chars,
                column_label_patterns=list(sec.column_label_patterns),
                noise_patterns=list(sec.noise_patterns),
            )
        )

    def process(self, issue: Issue) -> Issue:
        issue = self.segmenter.segment(issue)
        return link_continuations(issue)  # a paged issue: join `下转`/`上接` parts

    def describe(self) -> dict[str, object]:
        return {"name": self.name, "backend": "rules"}
