"""`newspipe evaluate` on our own labelled fixtures: floors that make a regression fail CI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES, REPO, SHARED_FIXTURES


def evaluate(fixture_dir: Path, out: Path, *extra: str) -> dict:
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline", "evaluate", str(fixture_dir), "--report", str(out),
         "--set", "summarizer.backend=extractive", *extra],
        capture_output=True, text=True, cwd=REPO, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Segmentation" in proc.stdout
    assert (out / "report.html").exists()
    return json.loads((out / "metrics.json").read_text(encoding="utf-8"))


def test_fixture_floors(tmp_path: Path) -> None:
    m = evaluate(Path("tests/fixtures"), tmp_path / "eval")  # relative to the repository, as a user types it
    for name in ("metrics.json", "report.html"):  # no machine paths (issue 11, item 2)
        text = (tmp_path / "eval" / name).read_text(encoding="utf-8")
        assert str(REPO) not in text and "site-packages" not in text and "=None" not in text
    assert m["stage_details"]["classify"]["lexicon"] == "pipeline:models/lexicon/default.yaml"
    overall = m["overall"]
    seg = overall["segmentation"]
    assert seg["exact_f1"] >= 0.95
    assert seg["headline_accuracy"] >= 0.95
    assert seg["byline_accuracy"] >= 0.95
    assert seg["pk"] <= 0.05
    cls = overall["classification"]
    assert cls["accuracy"] >= 0.90
    assert cls["macro_f1"] >= 0.90
    summ = overall["summarization"]
    assert summ["n_references"] >= 40
    system, lead = summ["system"], summ["lead1"]
    # the extractive summarizer must beat the LEAD-1 baseline on character ROUGE-L ...
    assert system["char"]["rougeL"] > lead["char"]["rougeL"]
    # ... and never invent a number
    assert system["number_faithfulness"] == 1.0
    assert m["config_hash"]


def test_compare_prints_changes(tmp_path: Path) -> None:
    old = evaluate(FIXTURES, tmp_path / "a")
    (tmp_path / "old.json").write_text(json.dumps(old), encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline", "evaluate", str(FIXTURES), "--stages", "segment,classify",
         "--compare", str(tmp_path / "old.json")],
        capture_output=True, text=True, cwd=REPO, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "exact" in proc.stdout


def test_shared_sample_scores_nine_of_nine(tmp_path: Path) -> None:
    if not (SHARED_FIXTURES / "zhuzhou_daily_sample.gold.json").exists():
        pytest.skip("../shared fixtures absent")
    m = evaluate(SHARED_FIXTURES, tmp_path / "shared")
    seg = m["overall"]["segmentation"]
    assert seg["n_exact"] == 9 and seg["exact_f1"] == 1.0
    # 8/9 topics: the congress-anniversary retrospective goes to civic (test_classify, docs/topics.md)
    assert m["overall"]["classification"]["accuracy"] >= 8 / 9 - 1e-9
