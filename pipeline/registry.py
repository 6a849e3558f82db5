"""Stage registry: stages register by name and declare what they require and provide.

As in Stanza, the pipeline is checked when it is built: a stage whose requirement no
earlier stage provides is an error that names both, before any input is read.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from pipeline.stages.base import Stage

# name -> "module:Class"; imported lazily so that `segment` never pays for torch.
BUILTIN_STAGES: dict[str, str] = {
    "segment": "pipeline.stages.segment:SegmentStage",
    "classify": "pipeline.stages.classify:ClassifyStage",
    "summarize": "pipeline.stages.summarize:SummarizeStage",
}


class StageRegistry:
    """Maps stage names to stage classes; one instance per pipeline build, no global mutation."""

    def __init__(self, entries: dict[str, str] | None = None) -> None:
        self._paths = dict(BUILTIN_STAGES if entries is None else entries)
        self._classes: dict[str, type[Stage]] = {}

    def register(self, name: str) -> Callable[[type[Stage]], type[Stage]]:
        def deco(cls: type[Stage]) -> type[Stage]:
            self._classes[name] = cls
            return cls

        return deco

    def names(self) -> list[str]:
        return sorted(set(self._paths) | set(self._classes))

    def get(self, name: str) -> type[Stage]:
        if name in self._classes:
            return self._classes[name]
        if name not in self._paths:
            raise KeyError(name)
        module, _, attr = self._paths[name].partition(":")
        cls = getattr(importlib.import_module(module), attr)
        self._classes[name] = cls
        return cls
