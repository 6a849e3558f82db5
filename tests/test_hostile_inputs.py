"""Hostile inputs that once broke a run (issue 10): corrupt zip members, tar.gz streams corrupt or
cut mid-way, unreadable directories and FIFOs, memory amplification by paged issues and filler
members, nested archives, UTF-16 without BOM, late NUL bytes, size messages, an empty stage list.
Every one must end as a reason for the input it concerns, the rest of the batch completing."""

from __future__ import annotations

import codecs
import gzip
import io
import os
import subprocess
import sys
import tarfile
import threading
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from conftest import FIXTURES, REPO

from pipeline.batch import run_batch
from pipeline.config import load_config
from pipeline.io.decode import InputError, decode_bytes
from pipeline.io.inputs import plan_inputs, read_issues, too_big


def _texts() -> list[bytes]:
    return [p.read_bytes() for p in sorted(FIXTURES.glob("fx0[1-5]*.txt"))]


def _tar_bytes(members: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tf:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), 0
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _run(inputs: list[str], tmp_path: Path, *sets: str):
    out = tmp_path / "out.jsonl"
    return run_batch(inputs, out, load_config(None, list(sets), ["segment"]), workers=1, progress=False), out


# ---- 4: a corrupt deflate stream in a zip member ---------------------------------------------------
def test_corrupt_deflate_stream_is_one_error_record_and_the_rest_completes(tmp_path: Path) -> None:
    path = tmp_path / "pack.zip"
    texts = _texts()
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for i, t in enumerate(texts):
            zf.writestr(f"p/issue_{i}.txt", t)
    raw = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.infolist()[2]
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    raw[start] = 0xFF  # deflate block type 3: `zlib.error: invalid block type`
    path.write_bytes(bytes(raw))
    s, _ = _run([str(path)], tmp_path)
    assert (s.done, s.failed) == (len(texts) - 1, 1)
    assert s.failures[0]["source"].endswith("!p/issue_2.txt") and s.failures[0]["stage"] == "read"
    assert "corrupt" in s.failures[0]["reason"] or "cannot read" in s.failures[0]["reason"]


# ---- 5: a tar.gz corrupted or cut mid-stream ---------------------------------------------------------
@pytest.mark.parametrize("damage", ["bad_header", "cut_at_header", "cut_mid_gzip"])
def test_tar_gz_corrupt_mid_stream_names_what_was_not_reached(tmp_path: Path, damage: str) -> None:
    texts = _texts()
    members = [(f"p/issue_{i}.txt", t) for i, t in enumerate(texts)]
    tar = bytearray(_tar_bytes(members))
    # the offset of member 3's header: 512-byte header + data padded to 512 for each earlier one
    off = sum(512 + -(-len(t) // 512) * 512 for _, t in members[:3])
    if damage == "bad_header":
        tar[off : off + 512] = b"\x5a" * 512  # not a header: tarfile takes it for the end
        data = gzip.compress(bytes(tar), mtime=0)
    elif damage == "cut_at_header":
        data = gzip.compress(bytes(tar[:off]), mtime=0)  # a valid gzip of a tar that stops short
    else:
        whole = gzip.compress(bytes(tar), mtime=0)
        data = whole[: len(whole) * 2 // 3]
    path = tmp_path / "pack.tar.gz"
    path.write_bytes(data)
    s, out = _run([str(path)], tmp_path)
    assert s.failed >= 1, "a damaged archive went unnoticed"
    assert any(f["source"].startswith(str(path)) for f in s.failures)
    reasons = " ".join(f["reason"] for f in s.failures)
    assert "truncated" in reasons or "corrupt" in reasons or "cannot read" in reasons
    if damage != "cut_mid_gzip":  # what lies before the damage is still processed
        assert s.done == 3
    # every member is accounted for: written, or failed by name or through the archive
    assert s.done + s.failed >= 4


# ---- 6: unreadable directories, FIFOs ----------------------------------------------------------------
def _dir_with_sub(tmp_path: Path) -> Path:
    root = tmp_path / "in"
    (root / "ok").mkdir(parents=True)
    (root / "locked").mkdir()
    (root / "ok" / "a.txt").write_bytes(_texts()[0])
    (root / "locked" / "b.txt").write_bytes(_texts()[1])
    return root


def test_unreadable_subdirectory_is_an_error_with_a_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _dir_with_sub(tmp_path)
    real = os.scandir

    def scandir(path=".", *a, **k):  # type: ignore[no-untyped-def]
        if os.fspath(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real(path, *a, **k)

    monkeypatch.setattr(os, "scandir", scandir)
    plans = plan_inputs([str(root)])
    bad = [p for p in plans if p.error is not None]
    assert len(bad) == 1 and bad[0].source.endswith("locked")
    assert "Permission denied" in bad[0].error.reason and "directory" in bad[0].error.reason
    s, _ = _run([str(root)], tmp_path)
    assert (s.done, s.failed) == (1, 1)


def test_unreadable_file_is_an_error_with_a_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _dir_with_sub(tmp_path)
    real = os.open

    def fake_open(path, flags, *a, **k):  # type: ignore[no-untyped-def]
        if os.fspath(path).endswith("b.txt"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real(path, flags, *a, **k)

    monkeypatch.setattr(os, "open", fake_open)
    s, _ = _run([str(root)], tmp_path)
    assert (s.done, s.failed) == (1, 1) and "Permission denied" in s.failures[0]["reason"]


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads every directory")
def test_chmod_000_subdirectory_is_an_error(tmp_path: Path) -> None:
    root = _dir_with_sub(tmp_path)
    (root / "locked").chmod(0)
    try:
        s, _ = _run([str(root)], tmp_path)
    finally:
        (root / "locked").chmod(0o755)
    assert (s.done, s.failed) == (1, 1) and "Permission denied" in s.failures[0]["reason"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
@pytest.mark.timeout(60)
def test_fifo_named_txt_is_refused_never_opened(tmp_path: Path) -> None:
    root = _dir_with_sub(tmp_path)
    os.mkfifo(root / "ok" / "pipe.txt")
    os.mkfifo(root / "ok" / "pipe.tar.gz")
    result: list = []
    t = threading.Thread(target=lambda: result.append(_run([str(root)], tmp_path)), daemon=True)
    t.start()
    t.join(30)
    if t.is_alive():  # unblock the reader so that the test process can end, then fail
        for name in ("pipe.txt", "pipe.tar.gz"):
            try:
                os.close(os.open(root / "ok" / name, os.O_WRONLY | os.O_NONBLOCK))
            except OSError:
                pass
        pytest.fail("the run opened the FIFO and hung")
    s, _ = result[0]
    assert (s.done, s.failed) == (2, 2)
    assert {Path(f["source"]).name for f in s.failures} == {"pipe.txt", "pipe.tar.gz"}
    assert all("not a regular file" in f["reason"] for f in s.failures)


# ---- 10: one issue's total size, filler members between pages --------------------------------------------
def test_paged_issue_over_max_issue_mb_is_refused(tmp_path: Path) -> None:
    page = _texts()[0] * 20  # ~0.3 MB a page
    path = tmp_path / "paged.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for k in range(1, 6):
            zf.writestr(f"2024-09-01/{k:02d}.txt", page)
    s, _ = _run([str(path)], tmp_path, "input.max_issue_mb=1")
    assert (s.done, s.failed) == (0, 1)
    assert "input.max_issue_mb" in s.failures[0]["reason"]
    s, _ = _run([str(path)], tmp_path / "x", "input.max_issue_mb=5")
    assert (s.done, s.failed) == (1, 0)


def test_paged_issue_growing_after_listing_is_capped_while_reading(tmp_path: Path) -> None:
    """Sizes checked when listing can be stale (or lie): reading stops at the issue's budget."""
    day = tmp_path / "2024-09-01"
    day.mkdir()
    for k in range(1, 6):
        (day / f"{k:02d}.txt").write_bytes(b"x" * 1000)
    plans = plan_inputs([str(day)], max_bytes=1_000_000, max_issue_bytes=2_000_000)
    assert len(plans) == 1 and plans[0].error is None  # 5 kB listed ...
    for k in range(1, 6):
        (day / f"{k:02d}.txt").write_bytes(b"x" * 600_000)  # ... 3 MB read
    raws = list(read_issues(plans, max_bytes=1_000_000, max_issue_bytes=2_000_000))
    assert raws[0].error is not None and "max_issue_mb" in raws[0].error.reason
    assert not raws[0].parts


def test_filler_members_between_pages_are_never_held(tmp_path: Path) -> None:
    """Pages 01 and 02 of one issue with 12 filler issues of 1 MB between them: the reader holds
    at most one filler at a time (before: all of them, waiting for page 02)."""
    filler = "填充" * 170_000  # ~1 MB
    members = [("2024-09-01/01.txt", _texts()[0])]
    members += [(f"filler_{k:02d}.txt", (filler + str(k)).encode()) for k in range(12)]
    members += [("2024-09-01/02.txt", _texts()[1])]
    path = tmp_path / "filler.tar.gz"
    path.write_bytes(gzip.compress(_tar_bytes(members), mtime=0))
    plans = plan_inputs([str(path)], max_bytes=5_000_000)
    tracemalloc.start()
    try:
        ids = []
        for raw in read_issues(plans, max_bytes=5_000_000):
            assert raw.error is None, raw.error
            ids.append(raw.issue_id)
            del raw
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sorted(ids) == sorted(["2024-09-01"] + [f"filler_{k:02d}" for k in range(12)])
    assert peak < 4_000_000, f"peak {peak / 1e6:.1f} MB while reading"


# ---- 15: nested archives, UTF-16 without BOM, NUL bytes, size messages, empty stage list ----------------
def test_nested_archive_member_is_recorded_with_a_reason(tmp_path: Path) -> None:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as zf:
        zf.writestr("x.txt", _texts()[0])
    path = tmp_path / "outer.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("a.txt", _texts()[1])
        zf.writestr("more/inner.zip", inner.getvalue())
        zf.writestr("more/inner.tar.gz", b"x")
    s, _ = _run([str(path)], tmp_path)
    assert s.done == 1 and s.failed == 2
    assert all("archive inside an archive" in f["reason"] for f in s.failures)
    assert {f["source"].rsplit("!", 1)[1] for f in s.failures} == {"more/inner.zip", "more/inner.tar.gz"}


@pytest.mark.parametrize("enc", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_decodes_when_configured(enc: str) -> None:
    text = _texts()[0].decode("utf-8-sig")
    data = text.encode(enc)
    got, encoding = decode_bytes(data, "x.txt", ["utf-8", "gb18030", "utf-16"])
    assert got == text.replace("\r\n", "\n") and encoding == enc
    with pytest.raises(InputError, match="binary"):
        decode_bytes(data, "x.txt", ["utf-8", "gb18030"])  # not listed: still refused


@pytest.mark.parametrize("where", [10, 30_000, -3])
def test_nul_bytes_are_refused_wherever_they_are(where: int) -> None:
    """In the first 64 kB (the binary sniff), far past it, or at the end: one rule, refused."""
    text = _texts()[0].decode("utf-8-sig") * 12
    text = text[:where] + "\x00" + text[where:]
    assert len(text[:30_000].encode("utf-8")) > 65536
    with pytest.raises(InputError, match="NUL"):
        decode_bytes(text.encode("utf-8"), "x.txt")
    with pytest.raises(InputError, match="NUL"):  # as a character of a UTF-16 file, too
        decode_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"), "x.txt")


def test_sizes_in_messages_are_plain_numbers() -> None:
    msg = too_big("x.txt", 2_000_000_000, 50_000_000).reason
    assert "2000.0 MB" in msg and "50.0 MB" in msg and "e+" not in msg
    assert "2.0 MB" in too_big("x", 2_000_000, 50_000).reason and "0.05 MB" in too_big("x", 2_000_000, 50_000).reason
    with pytest.raises(InputError) as err:
        decode_bytes(b"x" * 3_000_000, "x.txt", max_bytes=1_500_000)
    assert "3.0 MB" in err.value.reason and "1.5 MB" in err.value.reason


def test_empty_stage_list_is_a_config_error(tmp_path: Path) -> None:
    src = tmp_path / "a.txt"
    src.write_bytes(_texts()[0])
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline", "run", str(src), "-o", str(tmp_path / "o.jsonl"), "--stages", "", "--no-progress"],
        capture_output=True, text=True, timeout=120, cwd=REPO,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert "pipeline.stages is empty" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "o.jsonl").exists()
