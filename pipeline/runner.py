"""Build a pipeline from config and run it over issues."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from pipeline import __version__
from pipeline.config import Config, ConfigError
from pipeline.document import Issue
from pipeline.registry import StageRegistry
from pipeline.stages.base import Stage


class PipelineBuildError(ConfigError):
    """The configured stage list cannot form a pipeline."""


def check_order(stage_classes: list[type[Stage]], names: list[str]) -> None:
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


def resolve_stages(config: Config, registry: StageRegistry | None = None) -> tuple[list[str], list[type[Stage]]]:
    """The configured stage names and classes, checked for duplicates, unknown names and order,
    without building anything."""
    registry = registry or StageRegistry()
    names = list(config.pipeline.stages)
    if len(set(names)) != len(names):
        raise PipelineBuildError(f"pipeline.stages lists a stage twice: {names}")
    classes: list[type[Stage]] = []
    for name in names:
        try:
            classes.append(registry.get(name))
        except KeyError:
            raise PipelineBuildError(
                f"unknown stage '{name}' in pipeline.stages; known stages: {', '.join(registry.names())}"
            ) from None
    check_order(classes, names)
    return names, classes


class Pipeline:
    """An ordered list of built stages plus the provenance every record carries."""

    def __init__(self, config: Config, registry: StageRegistry | None = None) -> None:
        self.config = config
        names, classes = resolve_stages(config, registry)
        self.stage_names = names
        self.stages: list[Stage] = [cls(config) for cls in classes]

    def provenance(self, issue: Issue | None = None) -> dict[str, Any]:
        prov: dict[str, Any] = {
            "package": "newspipe",
            "version": __version__,
            "config_hash": self.config.hash(),
            "stages": self.stage_names,
        }
        details = {s.name: s.describe() for s in self.stages}
        prov["stage_details"] = details
        if issue is not None:
            prov["encoding"] = issue.encoding
        return prov

    def pipe(self, issues: Iterable[Issue]) -> Iterator[Issue]:
        stream: Iterable[Issue] = issues
        for stage in self.stages:
            stream = stage.pipe(stream)
        yield from stream

    def __call__(self, issue: Issue) -> Issue:
        return next(iter(self.pipe([issue])))
