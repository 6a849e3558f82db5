"""scripts/train_topics.py: the grouping that keeps its cross-validation honest, and the rules that
pick the shipped threshold (no model fitting here: those are minutes of CPU)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def load_script():
    spec = importlib.util.spec_from_file_location("train_topics", REPO / "scripts" / "train_topics.py")
    mod = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(mod)
    return mod


T = load_script()


def write_issue(d: Path, name: str, topics: list[str | None]) -> None:
    d.mkdir(parents=True, exist_ok=True)
    arts = [
        {"headline": f"h{i}", "text": f"正文{i}", **({"topic": t} if t else {})} for i, t in enumerate(topics)
    ]
    (d / f"{name}.gold.json").write_text(json.dumps({"articles": arts}, ensure_ascii=False), encoding="utf-8")


def test_corpus_articles_are_grouped_by_family(tmp_path):
    write_issue(tmp_path / "f01_city", "f01_city_01_a", ["trade", "other", None])
    write_issue(tmp_path / "f01_city", "f01_city_02_b", ["civic"])
    write_issue(tmp_path / "f14_metro", "f14_metro_01_c", ["history"])
    write_issue(tmp_path / "f24_pdf", "f24_pdf_01_d", ["logistics"])
    (tmp_path / "notes").mkdir()  # a directory without golds is not a family
    recs = T.load_corpus([str(tmp_path)])
    assert [r["topic"] for r in recs] == ["trade", "other", "civic", "history", "logistics"]  # untopiced skipped
    assert {r["group"] for r in recs} == {"family:f01_city", "family:f14_metro", "family:f24_pdf"}
    assert [T.subset_of(r) for r in recs] == ["corpus_f01_f12"] * 3 + ["corpus_f14_f23", "corpus_f24_f27"]


def test_a_fold_never_splits_a_family_an_issue_or_a_register():
    recs = [{"group": f"register:r{i % 4}"} for i in range(40)]
    recs += [{"group": f"family:f{i % 11:02d}"} for i in range(110)]
    recs += [{"group": f"issue:x{i % 3}"} for i in range(9)]
    folds = T.fold_ids(recs)
    assert len(set(folds)) == 4  # one per register
    by_group: dict[str, set[int]] = {}
    for r, f in zip(recs, folds, strict=True):
        by_group.setdefault(r["group"], set()).add(int(f))
    assert all(len(v) == 1 for v in by_group.values())
    # families spread over the folds rather than piled into one
    fam_folds = [next(iter(v)) for g, v in by_group.items() if g.startswith("family:")]
    assert max(np.bincount(fam_folds)) - min(np.bincount(fam_folds)) <= 1


def test_threshold_must_hold_on_every_data_set():
    # set A: 200 articles at p 0.97, all right; set B: 100 at p 0.87, one in ten wrong
    n_a, n_b = 200, 100
    p = np.zeros((n_a + n_b, 2))
    p[:n_a, 0], p[n_a:, 0] = 0.97, 0.87
    p[:, 1] = 1 - p[:, 0]
    y = np.zeros(n_a + n_b, dtype=int)
    y[n_a : n_a + 10] = 1
    groups = ["A"] * n_a + ["B"] * n_b
    # pooled 290/300 = 0.967 right at any threshold up to 0.85: a 0.96 target alone takes 0.5 ...
    assert T.pick_threshold(p, y, 0.96) == 0.5
    # ... but set B's confident predictions are right only 0.90 of the time: B must stay below it
    assert T.pick_threshold(p, y, 0.96, groups, 0.95) == 0.9
