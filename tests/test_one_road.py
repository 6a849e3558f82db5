"""`newspipe evaluate` takes the road of `newspipe run` (issue 11, item 4): the same listing, the
same decoding with the `input` config, the same stages, the same failures, the same records."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import opencc
import pytest
from conftest import FIXTURES, REPO

from pipeline.batch import run_batch
from pipeline.config import load_config
from pipeline.evaluate import EvaluationError, evaluate_dir
from pipeline.io.records import dumps

PAGED = REPO / "tests" / "data" / "paged"


def test_evaluate_and_run_agree_record_for_record(tmp_path: Path) -> None:
    cfg = load_config(None, ["summarizer.backend=extractive"])
    for src in (FIXTURES, PAGED):
        result = evaluate_dir(src, cfg)
        out = tmp_path / f"{src.name}.jsonl"
        summary = run_batch([str(src)], out, cfg, workers=1, progress=False)
        assert summary.failed == 0
        assert [dumps(r) for r in result.records] == out.read_text(encoding="utf-8").splitlines()
    assert result.metrics["overall"]["segmentation"]["n_exact"] >= 1  # the paged issue was scored


def _traditional_fixture(tmp_path: Path) -> Path:
    d = tmp_path / "trad"
    d.mkdir()
    src = FIXTURES / "fx01_xiangjiang_evening.txt"
    trad = opencc.OpenCC("s2t").convert(src.read_text(encoding="utf-8"))
    (d / src.name).write_bytes(trad.encode("big5", errors="replace"))
    shutil.copy(src.with_name("fx01_xiangjiang_evening.gold.json"), d)
    return d


def test_evaluate_honours_the_input_config(tmp_path: Path) -> None:
    d = _traditional_fixture(tmp_path)
    base = ["summarizer.backend=extractive"]
    plain = evaluate_dir(FIXTURES / "fx01_xiangjiang_evening.txt", load_config(None, base, ["segment"]))
    converted = evaluate_dir(d, load_config(None, [*base, "input.traditional_to_simplified=true"], ["segment"]))
    assert converted.records[0]["provenance"]["encoding"] == "big5"
    want = plain.metrics["overall"]["segmentation"]
    got = converted.metrics["overall"]["segmentation"]
    assert got["n_gold"] == want["n_gold"] and got["n_pred"] == want["n_pred"]
    # the size cap applies as in `run`
    with pytest.raises(EvaluationError, match="limit"):
        evaluate_dir(FIXTURES, load_config(None, ["input.max_file_mb=0.001"], ["segment"]))


def test_evaluate_applies_the_no_articles_rule(tmp_path: Path) -> None:
    (tmp_path / "noise.txt").write_text("沅州日报 2024年9月2日 星期一 01 要闻\n\n本版编辑/田雨 校对/吴静\n", encoding="utf-8")
    (tmp_path / "noise.gold.json").write_text(json.dumps({"articles": []}), encoding="utf-8")
    with pytest.raises(EvaluationError, match="no articles found"):
        evaluate_dir(tmp_path, load_config(stages=["segment"]))


def test_evaluate_takes_one_file(tmp_path: Path) -> None:
    one = evaluate_dir(FIXTURES / "fx02_hengyang_daily.txt", load_config(stages=["segment"]))
    assert one.metrics["n_issues"] == 1 and list(one.metrics["issues"]) == ["fx02_hengyang_daily"]
