#!/usr/bin/env python
"""Fingerprint the lexicon classifier's output, to prove a speed-up changed nothing.

`python scripts/classify_fingerprint.py OUT.json` runs the lexicon backend under four settings
(the default; `classifier.other_label=other`; `classifier.backoff: null`; the jieba tokenizer)
over every labelled article we have (data/topics/*.jsonl, data/heldout/topics/*.jsonl, the gold
articles of tests/fixtures and the shared seed when present, and the articles the segmenter
cuts from the sample issues that `scripts/bench.py classify` reads), and writes per article:
the topic, scores, evidence, confidence and deciding path, plus the lexicon's per-label scores
and every (contribution, term, label) behind them rounded to 1e-9, and the backoff's feature
indices and values when it ran. Compare two runs with `--compare A.json B.json`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

import fingerprint_cli  # noqa: E402

SETTINGS: dict[str, dict[str, Any]] = {
    "default": {},
    "open": {"other_label": "other"},
    "no_backoff": {"backoff": None},
    "jieba": {"tokenizer": "jieba"},
}


def _r(x: float) -> float:
    return round(float(x), 9)


def articles() -> list[tuple[str, Any]]:
    """(id, Zones) of every article we fingerprint, in a fixed order."""
    from pipeline.classify.text import article_zones, zones_from_record
    from pipeline.document import Issue
    from pipeline.evaluate.gold import gold_records, record_article
    from pipeline.io.decode import decode_bytes
    from pipeline.segmentation.segmenter import Segmenter

    out: list[tuple[str, Any]] = []
    files = sorted((REPO / "data" / "topics").glob("*.jsonl")) + sorted(
        (REPO / "data" / "heldout" / "topics").glob("*.jsonl")
    )
    for f in files:
        with open(f, encoding="utf-8") as fh:
            for n, line in enumerate(fh, start=1):
                if line.strip():
                    out.append((f"{f.relative_to(REPO)}:{n}", zones_from_record(json.loads(line))))
    golds = [REPO / "tests" / "fixtures", REPO.parent / "shared" / "fixtures"]
    for i, rec in enumerate(gold_records([g for g in golds if g.is_dir()])):
        out.append((f"gold:{rec.get('issue_id')}:{rec.get('index', i)}", article_zones(record_article(rec))))
    paths = sorted((REPO / "tests" / "fixtures").glob("*.txt")) + sorted((REPO / "examples").glob("*.txt"))
    shared = REPO.parent / "shared" / "fixtures" / "zhuzhou_daily_sample.txt"
    if shared.exists():
        paths.insert(0, shared)
    seg = Segmenter()
    for p in paths:
        text, enc = decode_bytes(p.read_bytes(), p.name)
        for i, a in enumerate(seg.segment(Issue(p.name, p.name, text, enc)).articles):
            out.append((f"issue:{p.name}:{i}", article_zones(a)))
    return out


def record(clf: Any, zones: Any) -> dict[str, Any]:
    pred = clf.classify_zones(zones)
    pos, contribs = clf.evidence_scores(zones)
    rec: dict[str, Any] = {
        "topic": pred.topic,
        "scores": {k: _r(v) for k, v in pred.scores.items()},
        "evidence": pred.evidence,
        "confident": pred.confident,
        "path": pred.path,
        "lexicon_scores": [_r(x) for x in pos],
        "contributions": sorted([_r(c), t, li] for c, t, li in contribs),
    }
    if pred.path != "lexicon" and clf.backoff is not None:
        lb, ind, val = clf.backoff.log_proba(zones)
        rec["backoff"] = {"log_p": [_r(x) for x in lb], "ind": ind.tolist(), "val": [_r(x) for x in val]}
    return json.loads(json.dumps(rec, ensure_ascii=False))


def fingerprint() -> dict[str, Any]:
    from pipeline.classify.lexicon import LexiconClassifier
    from pipeline.stages.classify import ClassifierSection

    arts = articles()
    out: dict[str, Any] = {}
    for name, update in SETTINGS.items():
        clf = LexiconClassifier(ClassifierSection().model_copy(update=update))
        for aid, zones in arts:
            out[f"{name}|{aid}"] = record(clf, zones)
    return out


def _summary(fp: dict[str, Any]) -> str:
    paths: dict[str, int] = {}
    for v in fp.values():
        paths[v["path"]] = paths.get(v["path"], 0) + 1
    return f"{len(fp)} records ({len(SETTINGS)} settings); decided by {paths}"


def main() -> int:
    return fingerprint_cli.main(__doc__.split("\n")[0], fingerprint, _summary)


if __name__ == "__main__":
    sys.exit(main())
