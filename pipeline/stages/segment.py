"""The `segment` stage: decoded issue text in, articles and noise out."""

from __future__ import annotations

from pipeline.config import Config, ConfigError
from pipeline.continuations import link_continuations
from pipeline.document import Issue
from pipeline.segmentation import build_segmenter
from pipeline.stages.base import Stage


class SegmentStage(Stage):
    name = "segment"
    requires = ()
    provides = ("articles",)

    def __init__(self, config: Config) -> None:
        super().__init__(config)
        from pipeline.segmentation.crf import SegmenterModelError

        try:
            self.segmenter, self._details = build_segmenter(config.segmenter)
        except SegmenterModelError as err:
            raise ConfigError(f"segmenter.model: {err}") from None

    def process(self, issue: Issue) -> Issue:
        issue = self.segmenter.segment(issue)
        return link_continuations(issue)  # a jumped article: join `下转`/`上接` parts

    def describe(self) -> dict[str, object]:
        return {"name": self.name, **self._details}
