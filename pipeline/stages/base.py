"""The stage protocol.

A stage works on whole issues. `process` handles one issue; `pipe` handles a stream and is
where a stage batches (the summarizer pools articles across issues there), in the spirit of
spaCy's `nlp.pipe` and the preprocess/_forward/postprocess split of Hugging Face pipelines.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import ClassVar

from pipeline.config import Config
from pipeline.document import Issue


class Stage:
    name: ClassVar[str] = ""
    requires: ClassVar[tuple[str, ...]] = ()
    provides: ClassVar[tuple[str, ...]] = ()
    # a stage that holds a device or pools work across issues runs once, in the main process,
    # after the stages that the batch runner spreads over worker processes
    main_process_only: ClassVar[bool] = False

    def __init__(self, config: Config) -> None:
        self.config = config

    def process(self, issue: Issue) -> Issue:
        raise NotImplementedError

    def pipe(self, issues: Iterable[Issue]) -> Iterator[Issue]:
        for issue in issues:
            yield self.process(issue)

    def describe(self) -> dict[str, object]:
        """What provenance records about this stage (backend, model, ...)."""
        return {"name": self.name}


class StageError(RuntimeError):
    """A stage could not process an issue; the message is shown to the user."""

    def __init__(self, stage: str, message: str) -> None:
        super().__init__(message)
        self.stage = stage
