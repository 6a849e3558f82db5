"""Build a pipeline from config and run it over issues."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from pipeline import registry
from pipeline.config import Config, ConfigError
from pipeline.document import Issue
from pipeline.io.records import build_provenance, render_records
from pipeline.stages.base import Stage


class PipelineBuildError(ConfigError):
    """The configured stage list cannot form a pipeline."""


def check_order(stage_classes: Sequence[type[Stage]], names: Sequence[str]) -> None:
    """Fail with a clear message when a stage needs something no earlier stage provides."""
    provided: dict[str, str] = {}
    for name, cls in zip(names, stage_classes, strict=True):
        for need in cls.requires:
            if need not in provided:
                raise PipelineBuildError(
                    f"stage '{name}' requires '{need}', which no earlier stage provides; "
                    f"put a stage that provides it (e.g. 'segment') before '{name}' in pipeline.stages"
                )
        for out in cls.provides:
            provided[out] = name


def resolve_stages(config: Config) -> list[type[Stage]]:
    """The configured stage classes, checked for duplicates, unknown names and order, without
    building anything."""
    names = list(config.pipeline.stages)
    if len(set(names)) != len(names):
        raise PipelineBuildError(f"pipeline.stages lists a stage twice: {names}")
    classes: list[type[Stage]] = []
    for name in names:
        try:
            classes.append(registry.get_stage(name))
        except KeyError:
            raise PipelineBuildError(
                f"unknown stage '{name}' in pipeline.stages; known stages: {', '.join(registry.stage_names())}"
            ) from None
    check_order(classes, names)
    return classes


class Pipeline:
    """An ordered list of built stages plus the provenance every record carries.

    `stage_classes` (default: resolved from `config.pipeline.stages`) lets an executor hand a worker
    the classes themselves, so a stage registered only in the driver still runs there.
    """

    def __init__(self, config: Config, stage_classes: Sequence[type[Stage]] | None = None) -> None:
        self.config = config
        classes = list(stage_classes) if stage_classes is not None else resolve_stages(config)
        self.stage_names = [cls.name for cls in classes]
        self.stages: list[Stage] = [cls(config) for cls in classes]

    def details(self) -> dict[str, dict[str, Any]]:
        return {s.name: s.describe() for s in self.stages}

    def provenance(self, issue: Issue | None = None) -> dict[str, Any]:
        return build_provenance(self.config, self.details(), issue.encoding if issue is not None else None)

    def records(self, issue: Issue) -> list[dict[str, Any]]:
        """The output records of a processed issue."""
        return render_records(issue, self.stages, self.provenance(issue))

    def pipe(self, issues: Iterable[Issue]) -> Iterator[Issue]:
        stream: Iterable[Issue] = issues
        for stage in self.stages:
            stream = stage.pipe(stream)
        yield from stream

    def __call__(self, issue: Issue) -> Issue:
        return next(iter(self.pipe([issue])))
