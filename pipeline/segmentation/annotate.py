"""`newspipe annotate`: the current prediction written as a fixture, for a person to correct.

The annotate → correct → train loop of GROBID: run the segmenter on an issue of your own
paper, fix the gold JSON by hand (move a line to the right field, split or join
articles), then `newspipe train segmenter` on the corrected fixtures.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pipeline.document import Issue

GOLD_FIELDS = ("kicker", "headline", "subheadline", "column", "byline")


def issue_to_gold(issue: Issue, family: str | None = None, newspaper: str | None = None) -> dict[str, Any]:
    """A gold dict (docs/fixture-format.md) holding the predicted articles and noise."""
    articles = []
    for i, a in enumerate(issue.articles):
        rec: dict[str, Any] = {"index": i}
        for f in GOLD_FIELDS:
            rec[f] = getattr(a, f)
        rec["captions"] = list(a.captions)
        rec["topic"] = a.topic
        rec["text"] = a.text
        rec["continued_to"] = a.continued_to
        rec["continued_from"] = a.continued_from
        articles.append(rec)
    return {
        "issue_id": issue.issue_id,
        "newspaper": newspaper,
        "date": None,
        "family": family,
        "annotation": "predicted by newspipe; correct every field before training on it",
        "noise_lines": [n.text for n in issue.noise],
        "articles": articles,
    }


def write_fixture(issue: Issue, out_dir: Path, family: str | None = None) -> tuple[Path, Path]:
    """Write NAME.txt (the decoded text, UTF-8) and NAME.gold.json under `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    name = Path(issue.issue_id).name or "issue"
    txt = out_dir / f"{name}.txt"
    gold = out_dir / f"{name}.gold.json"
    txt.write_text(issue.text, encoding="utf-8")
    gold.write_text(json.dumps(issue_to_gold(issue, family), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return txt, gold
