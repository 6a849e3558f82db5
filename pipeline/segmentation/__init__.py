"""Cut a raw Chinese newspaper issue into articles.

Two backends behind one interface (`segment(issue) -> issue`), chosen by
`segmenter.backend` (see `pipeline/stages/segment.py`):

- ``crf`` (default): layout normalisation, then a cascade of two linear-chain CRFs (line
  layout, then unit roles) and a deterministic assembler — trained from labelled issues
  and retrainable on one's own paper (`crf.py`, `newspipe train segmenter`);
- ``rules``: the hand-written segmenter (`segmenter.py`) on the same re-flowed layout.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from pipeline.resources import filesystem_path

T = TypeVar("T")

SHIPPED_MODEL = "pipeline:models/segmenter"
SHIPPED_CORPUS = "pipeline:corpus/segmentation"


def shipped_path(name: str) -> Path:
    """The file-system path of a shipped resource named `pipeline:relative/path`."""
    return filesystem_path(name)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Cyclic garbage collection paused while one issue is segmented.

    Segmenting an issue keeps a few thousand short-lived lists alive at once (feature
    lists, units, drafts), so the collector would run several times per issue and find
    nothing: the segmenters make no reference cycles, and everything is freed by reference
    counting. Pausing it cuts 5-20% of the CPU time per issue. The previous state is
    restored on exit, exceptions included; a caller that disabled collection keeps it off.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def segment_one(run: Callable[[T], T], forget: Callable[[], None], issue: T) -> T:
    """`run(issue)` with collection paused and the per-issue memos emptied before and after
    (freed while paused, an issue's texts never reach the collector): both backends' road."""
    with gc_paused():
        forget()
        try:
            return run(issue)
        finally:
            forget()
