"""scripts/topics_on_segmented.py: topic accuracy counted on exactly segmented articles only."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import FIXTURES, REPO

SCRIPT = REPO / "scripts" / "topics_on_segmented.py"


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=300)


def test_a_wrong_gold_topic_is_a_miss_and_other_counts_apart(tmp_path: Path) -> None:
    name = "fx01_xiangjiang_evening"
    shutil.copy(FIXTURES / f"{name}.txt", tmp_path / f"{name}.txt")
    shutil.copy(FIXTURES / f"{name}.gold.json", tmp_path / f"{name}.gold.json")
    gold = json.loads((FIXTURES / f"{name}.gold.json").read_text(encoding="utf-8"))
    res = _run(str(tmp_path))  # the gold as labelled: every exactly segmented article right
    assert res.returncode == 0, res.stderr
    first = res.stdout.splitlines()[0]
    right, total = first.split(": ")[1].split(" = ")[0].split("/")
    assert right == total and int(total) >= 3
    # one article's gold topic changed: one miss; another marked out of scope: counted apart
    arts = gold["articles"]
    arts[0]["topic"] = "history" if arts[0]["topic"] != "history" else "trade"
    arts[1]["topic"] = "other"
    (tmp_path / f"{name}.gold.json").write_text(json.dumps(gold, ensure_ascii=False), encoding="utf-8")
    res = _run(str(tmp_path))
    assert res.returncode == 0, res.stderr
    assert f"{int(right) - 2}/{int(total) - 1}" in res.stdout.splitlines()[0]
    assert "out of scope to 'other': 0/1" in res.stdout
    assert res.stdout.count("  miss: ") == 1


def test_a_bad_override_is_one_line_and_exit_2(tmp_path: Path) -> None:
    res = _run(str(tmp_path), "--set", "nosuch.key=1")
    assert res.returncode == 2 and "nosuch" in res.stderr and "Traceback" not in res.stderr
