"""Cut a raw Chinese newspaper issue into articles.

Two backends behind one interface (`segment(issue) -> issue`):

- ``crf`` (default): layout normalisation, then a cascade of two linear-chain CRFs (line
  layout, then unit roles) and a deterministic assembler — trained from labelled issues
  and retrainable on one's own paper (`crf.py`, `newspipe train segmenter`);
- ``rules``: the hand-written segmenter (`segmenter.py`) on the same re-flowed layout.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any, Protocol

from pipeline.document import Issue

SHIPPED_MODEL = "pipeline:resources/models/segmenter"
SHIPPED_CORPUS = "pipeline:resources/corpus/segmentation"


class SegmenterBackend(Protocol):
    def segment(self, issue: Issue) -> Issue: ...


def shipped_path(name: str) -> Path:
    """The file-system path of a resource named `pipeline:relative/path`."""
    package, _, rel = name.partition(":")
    return Path(str(resources.files(package).joinpath(rel)))


def build_segmenter(section: Any) -> tuple[SegmenterBackend, dict[str, Any]]:
    """The configured backend and what provenance says about it (model named as the user
    gave it, or by package name when shipped)."""
    from pipeline.segmentation.segmenter import Segmenter, SegmenterOptions

    options = SegmenterOptions(
        max_headline_chars=section.max_headline_chars,
        max_byline_chars=section.max_byline_chars,
        column_label_patterns=list(section.column_label_patterns),
        noise_patterns=list(section.noise_patterns),
    )
    if section.backend == "rules":
        return Segmenter(options), {"backend": "rules"}
    from pipeline.segmentation.crf import CrfSegmenter

    name = section.model or SHIPPED_MODEL
    path = shipped_path(name) if section.model is None else Path(section.model).expanduser()
    seg = CrfSegmenter(path, options, name=name)
    return seg, {"backend": "crf", "model": name, "model_version": seg.card.get("version")}
