"""The command line: errors are one readable line, exit status tells failure, stdin works."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import REPO

from pipeline.io.records import validate_record


def run_cli(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipeline", *args], capture_output=True, input=stdin, cwd=REPO, timeout=120
    )


SAMPLE = REPO / "examples" / "sample_issue.txt"


def test_stdin_input(tmp_path: Path) -> None:
    out = tmp_path / "o.jsonl"
    proc = run_cli("run", "-", "-o", str(out), "--stages", "segment", stdin=SAMPLE.read_bytes())
    assert proc.returncode == 0, proc.stderr.decode()
    recs = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert len(recs) >= 3
    for r in recs:
        validate_record(r)


def test_bad_inputs_each_get_one_line_and_rest_completes(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    binary = tmp_path / "photo.txt"
    binary.write_bytes(bytes(range(256)) * 8)
    out = tmp_path / "o.jsonl"
    proc = run_cli("run", str(empty), str(SAMPLE), str(binary), "-o", str(out), "--stages", "segment")
    err = proc.stderr.decode()
    assert proc.returncode == 1
    assert "empty.txt" in err and "empty" in err
    assert "photo.txt" in err and "binary" in err
    assert "Traceback" not in err
    assert len(out.read_text(encoding="utf-8").splitlines()) >= 3


def test_gbk_file_is_decoded(tmp_path: Path) -> None:
    gbk = tmp_path / "gbk.txt"
    gbk.write_bytes(SAMPLE.read_text(encoding="utf-8").encode("gbk", errors="replace"))
    out = tmp_path / "o.jsonl"
    proc = run_cli("run", str(gbk), "-o", str(out), "--stages", "segment")
    assert proc.returncode == 0, proc.stderr.decode()
    rec = json.loads(out.read_text(encoding="utf-8").splitlines()[0])
    assert rec["provenance"]["encoding"] == "gb18030"


def test_oversized_file_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_bytes(SAMPLE.read_bytes() * 4)
    out = tmp_path / "o.jsonl"
    proc = run_cli("run", str(big), "-o", str(out), "--stages", "segment", "--set", "input.max_file_mb=0.001")
    assert proc.returncode == 1
    assert "big.txt" in proc.stderr.decode() and "limit" in proc.stderr.decode()


def test_config_error_is_one_line(tmp_path: Path) -> None:
    proc = run_cli("run", str(SAMPLE), "-o", str(tmp_path / "o.jsonl"), "--set", "segmenter.nope=1")
    err = proc.stderr.decode().strip()
    assert proc.returncode == 2
    assert err.startswith("newspipe: error: unknown key 'segmenter.nope'")
    assert "Traceback" not in err


def test_wrong_stage_order_is_reported(tmp_path: Path) -> None:
    proc = run_cli("run", str(SAMPLE), "-o", str(tmp_path / "o.jsonl"), "--stages", "classify,segment")
    assert proc.returncode == 2
    assert "requires 'articles'" in proc.stderr.decode()
