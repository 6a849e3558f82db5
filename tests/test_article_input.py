"""`newspipe run --input-format articles`: one article per JSONL line, segmentation skipped, bad
lines isolated with their line number, the same record schema as segmented issues."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import REPO

from pipeline.io.records import validate_record

GOOD = [
    {
        "id": "port-1",
        "headline": "城北港口物流园二期仓库启用",
        "kicker": "物流",
        "date": "2024-09-02",
        "source": "e-paper page",
        "text": "9月2日,城北港口物流园二期仓库正式启用,新建保税仓储、冷链分拨和集装箱堆场。\n"
        "园区与港区码头之间的铁路专用线同步贯通,货物从仓库装箱后直接上船。",
    },
    {"text": "秋季学期开学,全市中小学新生报到,教师在校门口迎接学生。学校今年新增学位两千个。"},
]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", *args], capture_output=True, cwd=REPO, timeout=120)


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_valid_articles_skip_segmentation_and_keep_the_schema(tmp_path: Path) -> None:
    src = write_lines(tmp_path / "arts.jsonl", [json.dumps(r, ensure_ascii=False) for r in GOOD])
    out = tmp_path / "o.jsonl"
    proc = run_cli("run", "--input-format", "articles", str(src), "-o", str(out), "--stages", "segment,classify")
    assert proc.returncode == 0, proc.stderr.decode()
    recs = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert len(recs) == 2  # one record per line: never re-segmented into more
    for r in recs:
        validate_record(r)
    a, b = recs
    assert a["issue_id"] == "port-1" and a["source"] == "e-paper page" and a["article_id"] == "port-1#0"
    assert a["headline"] == GOOD[0]["headline"] and a["kicker"] == "物流"
    assert a["text"] == GOOD[0]["text"] and a["topic"] == "logistics"
    assert b["issue_id"] == "arts:2" and b["source"].endswith("arts.jsonl:2") and b["headline"] is None
    assert b["topic"] == "education"
    assert not (tmp_path / "o.errors.jsonl").exists()


def test_broken_lines_are_isolated_with_their_line_number(tmp_path: Path) -> None:
    lines = [
        json.dumps(GOOD[0], ensure_ascii=False),  # 1 ok
        '{"headline": "没有正文"}',  # 2 no text
        "{not json",  # 3 invalid JSON
        "",  # 4 blank: skipped
        json.dumps({"text": "正文", "headline": 7}),  # 5 wrong type
        "[1, 2]",  # 6 not an object
        json.dumps({"text": ""}),  # 7 empty text
        json.dumps(GOOD[1], ensure_ascii=False),  # 8 ok
    ]
    src = write_lines(tmp_path / "mixed.jsonl", lines)
    out = tmp_path / "o.jsonl"
    proc = run_cli("run", "--input-format", "articles", str(src), "-o", str(out), "--stages", "segment,classify")
    err = proc.stderr.decode()
    assert proc.returncode == 1 and "Traceback" not in err
    recs = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [r["issue_id"] for r in recs] == ["port-1", "mixed:8"]
    errors = [json.loads(x) for x in (tmp_path / "o.errors.jsonl").read_text(encoding="utf-8").splitlines()]
    by_line = {e["source"].rsplit(":", 1)[1]: e["reason"] for e in errors}
    assert set(by_line) == {"2", "3", "5", "6", "7"}
    assert "line 2" in by_line["2"] and "'text' is missing" in by_line["2"]
    assert "line 3" in by_line["3"] and "invalid JSON" in by_line["3"]
    assert "'headline' must be a string" in by_line["5"]
    assert "JSON object" in by_line["6"] and "'text' is empty" in by_line["7"]
    for line_no in by_line:
        assert f"mixed.jsonl:{line_no}" in err


def test_bad_input_format_is_one_line() -> None:
    proc = run_cli("run", "--input-format", "pages", "x.jsonl", "-o", "/nonexistent/o.jsonl")
    assert proc.returncode == 2
    assert "--input-format" in proc.stderr.decode() and "Traceback" not in proc.stderr.decode()


def test_eval_topics_scores_labelled_articles(tmp_path: Path) -> None:
    recs = [
        {**GOOD[0], "label": "logistics", "register": "brief"},
        {**GOOD[1], "label": "education", "register": "brief"},
        {"label": "other", "headline": "市全民健身运动会篮球比赛开赛", "text": "32支球队的400余名运动员参赛,决赛9月8日举行。"},
    ]
    src = write_lines(tmp_path / "gold.jsonl", [json.dumps(r, ensure_ascii=False) for r in recs])
    out = tmp_path / "fig.json"
    cmd = [sys.executable, "scripts/eval_topics.py", str(src), "--json", str(out), "--set", "classifier.other_label=other"]
    proc = subprocess.run(cmd, capture_output=True, cwd=REPO, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode()
    text = proc.stdout.decode()
    assert "accuracy" in text and "macro-F1" in text and "confident" in text and "predicted as other" in text
    fig = json.loads(out.read_text(encoding="utf-8"))
    assert fig["in_scope"] == 2 and fig["out_of_scope"] == 1 and fig["accuracy"] == 1.0
    assert 0 <= fig["other_recall"] <= 1 and fig["labels"][-1] == "other"
