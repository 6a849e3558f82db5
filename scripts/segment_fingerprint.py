#!/usr/bin/env python
"""Fingerprint the segmenters' output, to prove a speed-up changed nothing.

`python scripts/segment_fingerprint.py OUT.json` runs both backends (`crf`, the default,
and `rules`) over every labelled issue we have (the shipped corpus, tests/fixtures,
tests/data/f13_digest, the shared seed when present), their 22-character hard-wrapped
copies, seeded layout variants and a two-page split of each, and writes every article's
fields and every noise line per issue. For the crf backend it also records a digest of
the exact feature sequences handed to both taggers (as multisets per item), so a change
that alters a feature the output happens not to depend on still shows. Compare two runs
with `diff` or `--compare A.json B.json`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

import fingerprint_cli  # noqa: E402

_LATER_FIELDS = {
    "topic",
    "topic_scores",
    "topic_evidence",
    "topic_confident",
    "summary",
    "summary_method",
    "summary_model",
}


class _Recorder:
    """Stands in for a pycrfsuite Tagger: tags as it does and digests what it was given."""

    def __init__(self, tagger: Any) -> None:
        self.tagger = tagger
        self.digest = hashlib.sha256()

    def tag(self, xseq: list[list[str]]) -> list[str]:
        for item in xseq:
            self.digest.update("\x1f".join(sorted(item)).encode("utf-8"))
            self.digest.update(b"\x1e")
        self.digest.update(b"\x1d")
        return self.tagger.tag(xseq)


def _fixtures() -> list[Any]:
    from pipeline.segmentation import SHIPPED_CORPUS, shipped_path
    from pipeline.segmentation.augment import augment, hard_wrapped
    from pipeline.segmentation.gold import load_fixtures

    dirs = [shipped_path(SHIPPED_CORPUS), REPO / "tests" / "fixtures", REPO / "tests" / "data" / "f13_digest"]
    shared = REPO.parent / "shared" / "fixtures"
    if shared.is_dir():
        dirs.append(shared)
    base = load_fixtures(*[d for d in dirs if Path(d).is_dir()])
    out = list(base)
    out += [hard_wrapped(fx, 22) for fx in base]
    out += augment(base, per_issue=2, seed=7)
    return out


def _issue_record(issue: Any) -> dict[str, Any]:
    arts = []
    for a in issue.articles:
        d = {k: v for k, v in dataclasses.asdict(a).items() if k not in _LATER_FIELDS}
        arts.append(d)
    noise = [dataclasses.asdict(n) for n in issue.noise]
    return json.loads(json.dumps({"articles": arts, "noise": noise}, ensure_ascii=False))


def fingerprint() -> dict[str, Any]:
    from pipeline.config import load_config
    from pipeline.document import Issue
    from pipeline.stages.segment import SegmentStage

    out: dict[str, Any] = {}
    stages = {
        b: SegmentStage(load_config(None, [f"segmenter.backend={b}"], ["segment"])) for b in ("crf", "rules")
    }
    seg = stages["crf"].segmenter
    layout_rec, struct_rec = _Recorder(seg.layout), _Recorder(seg.structure)
    seg.layout, seg.structure = layout_rec, struct_rec
    for fx in _fixtures():
        text = fx.text.replace("\r\n", "\n")
        cut = text.find("\n\n", len(text) // 2)
        layouts: dict[str, list[tuple[str | None, int, int]]] = {"one": []}
        if cut > 0:
            layouts["paged"] = [("1", 0, cut), ("A2", cut, len(text))]
        for lname, pages in layouts.items():
            for backend, stage in stages.items():
                layout_rec.digest, struct_rec.digest = hashlib.sha256(), hashlib.sha256()
                issue = stage.process(Issue(fx.name, fx.name, text, pages=list(pages)))
                rec = _issue_record(issue)
                if backend == "crf":
                    rec["layout_features"] = layout_rec.digest.hexdigest()
                    rec["structure_features"] = struct_rec.digest.hexdigest()
                out[f"{fx.name}|{lname}|{backend}"] = rec
    return out


def _summary(fp: dict[str, Any]) -> str:
    return f"{len(fp)} runs, {sum(len(v['articles']) for v in fp.values())} articles"


def main() -> int:
    return fingerprint_cli.main(__doc__.split("\n")[0], fingerprint, _summary)


if __name__ == "__main__":
    sys.exit(main())
