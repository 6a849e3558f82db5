"""Cut a raw Chinese newspaper issue into articles.

Two backends behind one interface (`segment(issue) -> issue`), chosen by
`segmenter.backend` (see `pipeline/stages/segment.py`):

- ``crf`` (default): layout normalisation, then a cascade of two linear-chain CRFs (line
  layout, then unit roles) and a deterministic assembler — trained from labelled issues
  and retrainable on one's own paper (`crf.py`, `newspipe train segmenter`);
- ``rules``: the hand-written segmenter (`segmenter.py`) on the same re-flowed layout.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.resources import filesystem_path

SHIPPED_MODEL = "pipeline:models/segmenter"
SHIPPED_CORPUS = "pipeline:corpus/segmentation"


def shipped_path(name: str) -> Path:
    """The file-system path of a shipped resource named `pipeline:relative/path`."""
    return filesystem_path(name)
