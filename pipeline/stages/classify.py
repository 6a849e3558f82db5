"""The `classify` stage: one topic per article, a probability for every label, and evidence."""

from __future__ import annotations

from pipeline.classify import build_classifier
from pipeline.config import Config
from pipeline.document import Issue
from pipeline.stages.base import Stage


class ClassifyStage(Stage):
    name = "classify"
    requires = ("articles",)
    provides = ("topic",)

    def __init__(self, config: Config) -> None:
        super().__init__(config)
        self.classifier = build_classifier(config.classifier)

    @property
    def labels(self) -> list[str]:
        return list(self.classifier.labels)

    def process(self, issue: Issue) -> Issue:
        for article, pred in zip(issue.articles, self.classifier.classify_many(issue.articles), strict=True):
            pred.apply(article)
        return issue

    def describe(self) -> dict[str, object]:
        out: dict[str, object] = {"name": self.name}
        out.update(self.classifier.describe())
        out["threshold"] = self.config.classifier.threshold
        return out
