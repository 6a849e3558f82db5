"""Gold files: reading and checking them (`newspipe evaluate`, see docs/fixture-format.md), and
their articles as labelled records for training and checking classifiers."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from pipeline.document import Article
from pipeline.evaluate.metrics import classification_figures, format_confusion

GOLD_SUFFIX = ".gold.json"


class EvaluationError(ValueError):
    """A fixture directory or gold file that cannot be evaluated; the message says why."""


def load_gold(path: Path) -> dict[str, Any]:
    """Read and minimally check a gold file (see docs/fixture-format.md)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as exc:
        raise EvaluationError(f"cannot read gold file {path}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise EvaluationError(f"gold file {path} is not valid JSON: line {exc.lineno}: {exc.msg}") from None
    if not isinstance(data, dict) or not isinstance(data.get("articles"), list):
        raise EvaluationError(f"gold file {path} must be an object with an 'articles' list")
    for i, art in enumerate(data["articles"]):
        if not isinstance(art, dict) or not isinstance(art.get("text"), str):
            raise EvaluationError(f"gold file {path}: article {i} needs a 'text' string")
    return data


RECORD_FIELDS = ("kicker", "headline", "subheadline", "column", "captions", "text", "topic")


def gold_records(paths: Iterable[str | Path]) -> list[dict[str, Any]]:
    """One record per gold article of `*.gold.json` files (or directories holding them).

    A record has `issue_id`, `index`, `headline`, `text`, `topic` and the other fields a
    classifier reads (kicker, subheadline, column, captions).
    """
    files: list[Path] = []
    for p in paths:
        p = Path(p)
        files.extend(sorted(p.glob(f"*{GOLD_SUFFIX}")) if p.is_dir() else [p])
    out: list[dict[str, Any]] = []
    for f in files:
        gold = json.loads(f.read_text(encoding="utf-8"))
        issue_id = gold.get("issue_id") or f.name.removesuffix(GOLD_SUFFIX)
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


def classification_report(records: Sequence[dict[str, Any]], preds: Sequence[Any], labels: Sequence[str]) -> str:
    """Accuracy, macro-F1, confusion matrix and every miss with its top-2 scores."""
    fig = classification_figures([(r["topic"], p.topic) for r, p in zip(records, preds, strict=True)], labels)
    out = [
        f"articles {fig['n']}  accuracy {fig['accuracy'] or 0:.3f}  macro-F1 {fig['macro_f1'] or 0:.3f}",
        format_confusion(fig["confusion"], labels),
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
