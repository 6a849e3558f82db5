"""Labelled examples from fixture gold files, and the metrics the tests and scripts report."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from pipeline.document import Article

RECORD_FIELDS = ("kicker", "headline", "subheadline", "column", "captions", "text", "topic")


def gold_records(paths: Iterable[str | Path]) -> list[dict[str, Any]]:
    """One record per gold article of `*.gold.json` files (or directories holding them).

    A record has `issue_id`, `index`, `headline`, `text`, `topic` and the other fields a
    classifier reads (kicker, subheadline, column, captions).
    """
    files: list[Path] = []
    for p in paths:
        p = Path(p)
        files.extend(sorted(p.glob("*.gold.json")) if p.is_dir() else [p])
    out: list[dict[str, Any]] = []
    for f in files:
        gold = json.loads(f.read_text(encoding="utf-8"))
        issue_id = gold.get("issue_id") or f.name.removesuffix(".gold.json")
        for i, a in enumerate(gold.get("articles", [])):
            if not a.get("topic"):
                continue
            rec = {"issue_id": issue_id, "index": a.get("index", i)}
            rec.update({k: a.get(k) for k in RECORD_FIELDS})
            rec["text"] = rec["text"] or ""
            rec["captions"] = list(rec["captions"] or [])
            out.append(rec)
    return out


def record_article(rec: dict[str, Any]) -> Article:
    return Article(
        kicker=rec.get("kicker"),
        headline=rec.get("headline"),
        subheadline=rec.get("subheadline"),
        column=rec.get("column"),
        paragraphs=(rec.get("text") or "").split("\n") if rec.get("text") else [],
        captions=list(rec.get("captions") or []),
    )


def confusion(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str]) -> list[list[int]]:
    idx = {lab: i for i, lab in enumerate(labels)}
    m = [[0] * len(labels) for _ in labels]
    for g, p in zip(gold, pred, strict=True):
        if g in idx and p in idx:
            m[idx[g]][idx[p]] += 1
    return m


def metrics(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str]) -> dict[str, Any]:
    n = len(gold)
    acc = sum(g == p for g, p in zip(gold, pred, strict=True)) / n if n else 0.0
    f1s = []
    for lab in labels:
        tp = sum(g == lab and p == lab for g, p in zip(gold, pred, strict=True))
        fp = sum(g != lab and p == lab for g, p in zip(gold, pred, strict=True))
        fn = sum(g == lab and p != lab for g, p in zip(gold, pred, strict=True))
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f1s.append(2 * prec * rec / (prec + rec) if prec + rec else 0.0)
    return {
        "n": n,
        "accuracy": acc,
        "macro_f1": sum(f1s) / len(f1s) if f1s else 0.0,
        "per_label_f1": dict(zip(labels, f1s, strict=True)),
        "confusion": confusion(gold, pred, labels),
    }


def format_confusion(matrix: list[list[int]], labels: Sequence[str]) -> str:
    w = max(9, *(len(lab) + 1 for lab in labels))
    lines = ["gold \\ pred".ljust(w + 2) + "".join(lab[:w].rjust(w) for lab in labels)]
    for lab, row in zip(labels, matrix, strict=True):
        lines.append(lab.ljust(w + 2) + "".join(str(v).rjust(w) for v in row))
    return "\n".join(lines)


def report(records: Sequence[dict[str, Any]], preds: Sequence[Any], labels: Sequence[str]) -> str:
    """Accuracy, macro-F1, confusion matrix and every miss with its top-2 scores."""
    gold = [r["topic"] for r in records]
    pred = [p.topic for p in preds]
    m = metrics(gold, pred, labels)
    out = [
        f"articles {m['n']}  accuracy {m['accuracy']:.3f}  macro-F1 {m['macro_f1']:.3f}",
        format_confusion(m["confusion"], labels),
    ]
    for r, p in zip(records, preds, strict=True):
        if r["topic"] != p.topic:
            top2 = sorted(p.scores.items(), key=lambda kv: -kv[1])[:2]
            ev = ", ".join(f"{e['term']}({e['label']})" for e in p.evidence[:6])
            out.append(
                f"MISS {r['issue_id']}#{r['index']} gold={r['topic']} pred={p.topic} "
                f"top2={[(k, round(v, 3)) for k, v in top2]} headline={r.get('headline')!r} evidence: {ev}"
            )
    return "\n".join(out)
