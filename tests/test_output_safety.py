"""Issue 10 (reliability), the output side: what a run may touch, one run per output, honest
manifests, errors that belong to their output, and one line instead of a traceback."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from conftest import FIXTURES, REPO

from pipeline.batch import run_batch
from pipeline.config import load_config
from pipeline.io.manifest import OutputError
from pipeline.io.writer import RecordWriter

ISSUES = sorted(FIXTURES.glob("*.txt"))[:4]
ROOT = os.geteuid() == 0 if hasattr(os, "geteuid") else False


def seg(*sets: str):
    return load_config(None, list(sets), ["segment"])


def cli(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipeline", *args], capture_output=True, text=True, cwd=REPO, timeout=120, **kw
    )


def one_error_line(stderr: str) -> None:
    assert "Traceback" not in stderr, stderr
    lines = [x for x in stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith("newspipe: error: "), stderr


def copy_issues(d: Path, n: int = 3) -> list[str]:
    d.mkdir(parents=True, exist_ok=True)
    out = []
    for p in ISSUES[:n]:
        shutil.copy(p, d / p.name)
        out.append(str(d / p.name))
    return out


# ---- item 1: an output that is an input ------------------------------------------------------------
def test_output_that_is_or_lies_inside_an_input_is_refused_before_anything_is_touched(tmp_path: Path) -> None:
    x = tmp_path / "x.txt"
    shutil.copy(ISSUES[0], x)
    before = x.read_bytes()
    for overwrite in (False, True):
        with pytest.raises(OutputError, match="input"):
            run_batch([str(x)], x, seg(), overwrite=overwrite, progress=False)
        assert x.read_bytes() == before
    # a link to the input is the input
    link = tmp_path / "link.jsonl"
    link.symlink_to(x)
    with pytest.raises(OutputError, match="input"):
        run_batch([str(x)], link, seg(), overwrite=True, progress=False)
    assert x.read_bytes() == before
    # inside an input directory (also through a glob), and an archive being read
    d = tmp_path / "d"
    copy_issues(d)
    for inputs in ([str(d)], [str(tmp_path / "d*")]):
        with pytest.raises(OutputError, match="inside the input"):
            run_batch(inputs, d / "sub" / "out.jsonl", seg(), overwrite=True, progress=False)
    assert sorted(p.name for p in d.iterdir()) == sorted(p.name for p in ISSUES[:3])
    z = tmp_path / "a.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.write(ISSUES[0], "a.txt")
    zb = z.read_bytes()
    with pytest.raises(OutputError, match="input"):
        run_batch([str(z)], z, seg(), overwrite=True, progress=False)
    assert z.read_bytes() == zb and sorted(p.name for p in tmp_path.iterdir()) == ["a.zip", "d", "link.jsonl", "x.txt"]
    proc = cli("run", str(x), "-o", str(x), "--overwrite", "--stages", "segment")
    assert proc.returncode == 2 and x.read_bytes() == before
    one_error_line(proc.stderr)


# ---- item 2: one run per output --------------------------------------------------------------------
HOLD = """
import sys, time
from pathlib import Path
from pipeline.config import load_config
from pipeline.io.writer import RecordWriter
cfg = load_config(None, [], ["segment"])
w = RecordWriter(Path(sys.argv[1]), cfg.hash(), cfg.output)
print("locked", flush=True)
time.sleep(60)
"""


def test_a_second_run_on_one_output_is_refused_naming_the_first(tmp_path: Path) -> None:
    out = tmp_path / "o.jsonl"
    inputs = copy_issues(tmp_path / "in")
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(out)], cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(OutputError, match=rf"another newspipe run \(pid {holder.pid}\)"):
            run_batch(inputs, out, seg(), progress=False)
        with pytest.raises(OutputError, match=rf"pid {holder.pid}"):
            run_batch(inputs, out, seg(), overwrite=True, progress=False)
        assert not out.exists()
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    # the killed run left its lock file: stale, taken over
    lock = tmp_path / "o.jsonl.lock"
    assert lock.exists() and str(holder.pid) in lock.read_text()
    s = run_batch(inputs, out, seg(), progress=False)
    assert s.done == 3 and not lock.exists()
    # within one process too
    w = RecordWriter(out, seg().hash(), seg().output)
    try:
        with pytest.raises(OutputError, match=f"pid {os.getpid()}"):
            RecordWriter(out, seg().hash(), seg().output)
    finally:
        w.close()
    RecordWriter(out, seg().hash(), seg().output).close()


# ---- item 7: manifest ends ---------------------------------------------------------------------------
def test_a_manifest_end_off_a_line_boundary_or_off_its_records_is_refused(tmp_path: Path) -> None:
    inputs = copy_issues(tmp_path / "in")
    out = tmp_path / "o.jsonl"
    run_batch(inputs, out, seg(), progress=False)
    data = out.read_bytes()
    manifest = tmp_path / "o.manifest.jsonl"
    good = manifest.read_bytes()
    lines = good.splitlines(keepends=True)
    e1 = json.loads(lines[1])
    for bad_end in (e1["end"] - 5, e1["end"] - len(data[: e1["end"]].splitlines(keepends=True)[-1])):
        entry = dict(e1, end=bad_end)  # mid-line, then one record short (on a line boundary)
        manifest.write_bytes(lines[0] + (json.dumps(entry) + "\n").encode() + b"".join(lines[2:]))
        with pytest.raises(OutputError, match=r"does not end.*--overwrite"):
            run_batch(inputs, out, seg(), progress=False)
        assert out.read_bytes() == data
    manifest.write_bytes(good)
    s = run_batch(inputs, out, seg(), progress=False)
    assert (s.skipped, s.done) == (3, 0) and out.read_bytes() == data


# ---- item 8: an input changed between runs ----------------------------------------------------------
def test_an_input_changed_after_it_was_written_is_reported_not_duplicated(tmp_path: Path) -> None:
    inputs = copy_issues(tmp_path / "in")
    out = tmp_path / "o.jsonl"
    run_batch(inputs, out, seg(), progress=False)
    data = out.read_bytes()
    p = Path(inputs[1])
    p.write_bytes(p.read_bytes() + "\n\n补充新闻标题\n\n本报讯 这是一条后来加上的新闻。\n".encode())
    s = run_batch(inputs, out, seg(), progress=False)
    assert (s.done, s.skipped, s.failed) == (0, 2, 1)
    assert "changed" in s.failures[0]["reason"] and "--overwrite" in s.failures[0]["reason"]
    assert out.read_bytes() == data
    ids = [(r["issue_id"], r["article_index"]) for r in map(json.loads, data.decode().splitlines())]
    assert len(ids) == len(set(ids))


# ---- item 9: the config hash covers the files the config names ----------------------------------------
def test_config_hash_follows_the_content_of_named_files(tmp_path: Path) -> None:
    from pipeline.resources import filesystem_path

    lex = tmp_path / "lex.yaml"
    shutil.copy(filesystem_path("pipeline:models/lexicon/default.yaml"), lex)
    model = tmp_path / "seg"
    shutil.copytree(filesystem_path("pipeline:models/segmenter"), model)
    preset = tmp_path / "p.yaml"
    shutil.copy(filesystem_path("pipeline:presets/mt5_xlsum.yaml"), preset)
    sets = [f"classifier.lexicon={lex}", f"segmenter.model={model}", f"summarizer.preset={preset}"]
    h0 = load_config(None, sets).hash()
    assert load_config(None, sets).hash() == h0
    for path in (lex, next(p for p in sorted(model.rglob("*")) if p.is_file()), preset):
        old = path.read_bytes()
        path.write_bytes(old + b"\n# changed\n")
        assert load_config(None, sets).hash() != h0, path
        path.write_bytes(old)
        assert load_config(None, sets).hash() == h0


# ---- item 12: one line, not a traceback ---------------------------------------------------------------
def test_unwritable_output_places_give_one_line_before_any_work(tmp_path: Path) -> None:
    afile = tmp_path / "afile"
    afile.write_text("x", encoding="utf-8")
    proc = cli("run", str(ISSUES[0]), "-o", str(afile / "o.jsonl"), "--stages", "segment")
    assert proc.returncode == 2 and "afile" in proc.stderr
    one_error_line(proc.stderr)
    proc = cli("run", str(ISSUES[0]), "-o", str(afile / "d"), "--stages", "segment", "--set", "output.layout=per_group")
    assert proc.returncode == 2
    one_error_line(proc.stderr)


def test_an_existing_unwritable_output_is_found_before_the_work(tmp_path: Path, monkeypatch) -> None:
    from pipeline.executor import local

    inputs = copy_issues(tmp_path / "in")
    out = tmp_path / "o.jsonl"
    run_batch(inputs[:1], out, seg(), progress=False)
    data = out.read_bytes()
    real_open = os.open
    ran = []

    def deny(path, flags, *a, **k):
        if Path(path) == out and flags & (os.O_WRONLY | os.O_RDWR):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *a, **k)

    monkeypatch.setattr(os, "open", deny)
    real_run = local.LocalExecutor.run
    monkeypatch.setattr(local.LocalExecutor, "run", lambda self, *a, **k: (ran.append(1), real_run(self, *a, **k)))
    with pytest.raises(OutputError, match=r"o\.jsonl.*Permission denied"):
        run_batch(inputs, out, seg(), progress=False)
    assert not ran and out.read_bytes() == data


def test_an_output_on_a_read_only_filesystem_is_refused_in_one_line(tmp_path: Path, monkeypatch) -> None:
    inputs = copy_issues(tmp_path / "in")
    out = tmp_path / "out" / "o.jsonl"
    out.parent.mkdir()
    real_open = os.open

    def erofs(path, flags, *a, **k):
        if Path(path).parent == out.parent and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            raise OSError(30, "Read-only file system", str(path))
        return real_open(path, flags, *a, **k)

    monkeypatch.setattr(os, "open", erofs)
    with pytest.raises(OutputError, match=r"o\.jsonl.*Read-only file system"):
        run_batch(inputs, out, seg(), progress=False)
    assert list(out.parent.iterdir()) == []


@pytest.mark.skipif(ROOT, reason="root writes anywhere; the monkeypatched test above covers it")
def test_read_only_output_as_a_user(tmp_path: Path) -> None:  # pragma: no cover - root in CI
    inputs = copy_issues(tmp_path / "in")
    out = tmp_path / "o.jsonl"
    run_batch(inputs[:1], out, seg(), progress=False)
    out.chmod(0o444)
    proc = cli("run", *inputs, "-o", str(out), "--stages", "segment")
    assert proc.returncode == 2
    one_error_line(proc.stderr)
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    proc = cli("run", *inputs, "-o", str(ro / "o.jsonl"), "--stages", "segment")
    assert proc.returncode == 2
    one_error_line(proc.stderr)


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="needs /proc")
def test_a_full_disk_stops_with_one_line_and_resumes(tmp_path: Path, monkeypatch) -> None:
    inputs = copy_issues(tmp_path / "in")
    ref = tmp_path / "ref.jsonl"
    run_batch(inputs, ref, seg(), progress=False)
    out = tmp_path / "o.jsonl"
    real_write = os.write
    calls = {"n": 0}

    def full(fd, data):
        if os.readlink(f"/proc/self/fd/{fd}") == str(out):  # the first data write fails half-way
            calls["n"] += 1
            real_write(fd, bytes(data)[:100])
            raise OSError(28, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(OutputError, match=r"o\.jsonl.*No space left on device.*again"):
        run_batch(inputs, out, seg(), progress=False)
    monkeypatch.setattr(os, "write", real_write)
    assert calls["n"] == 1
    assert not out.exists() or out.stat().st_size == 0  # nothing partial visible
    s = run_batch(inputs, out, seg(), progress=False)
    assert s.done == 3 and out.read_bytes() == ref.read_bytes()


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="needs /proc")
def test_a_commit_cut_short_by_ctrl_c_is_rolled_back_and_resumes(tmp_path: Path, monkeypatch) -> None:
    """Ctrl-C between the data and the manifest's fsync: the half-made commit goes, nothing
    unvouched stays, and the next run neither refuses the output nor loses anything."""
    inputs = copy_issues(tmp_path / "in")
    ref = tmp_path / "ref.jsonl"
    run_batch(inputs, ref, seg(), progress=False)
    out = tmp_path / "o.jsonl"
    real_fsync = os.fsync

    def fsync(fd):
        real_fsync(fd)
        if os.readlink(f"/proc/self/fd/{fd}").endswith("/o.manifest.jsonl"):
            raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", fsync)
    s = run_batch(inputs, out, seg(), workers=1, progress=False)
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert s.interrupted
    assert not out.exists() and not (tmp_path / "o.manifest.jsonl").exists()
    s = run_batch(inputs, out, seg(), progress=False)
    assert s.done == 3 and out.read_bytes() == ref.read_bytes()


def test_show_on_a_binary_or_foreign_file_says_so_in_one_line(tmp_path: Path) -> None:
    for name, data in (("bin.jsonl", b"\x89PNG\r\n\x1a\n\xff\xfe\x00\x00"), ("gbk.jsonl", "新闻".encode("gbk")),
                       ("list.jsonl", b"[1, 2]\n"), ("noid.jsonl", b'{"a": 1}\n')):  # fmt: skip
        (tmp_path / name).write_bytes(data)
        proc = cli("show", str(tmp_path / name))
        assert proc.returncode == 2, name
        one_error_line(proc.stderr)


def test_evaluate_report_at_a_file_is_refused_before_the_work(tmp_path: Path) -> None:
    afile = tmp_path / "afile"
    afile.write_text("x", encoding="utf-8")
    for args in (["--report", str(afile / "sub")], ["--cross-validate", "--report", str(afile)]):
        start = time.monotonic()
        proc = cli("evaluate", str(FIXTURES), *args, "--stages", "segment")
        assert proc.returncode == 2, proc.stderr
        one_error_line(proc.stderr)
        assert time.monotonic() - start < 20 and afile.read_text() == "x"


# ---- item 13: errors belong to their output -------------------------------------------------------------
def test_each_output_keeps_its_own_errors_and_no_empty_files(tmp_path: Path) -> None:
    inputs = copy_issues(tmp_path / "in")
    bad_a, bad_b = tmp_path / "in2" / "bad_a.txt", tmp_path / "in2" / "bad_b.txt"
    bad_a.parent.mkdir()
    bad_a.write_bytes(b"\x00\x01\x02" * 100)
    bad_b.write_bytes(b"")
    outd = tmp_path / "out"
    run_batch([*inputs, str(bad_a)], outd / "a.jsonl", seg(), progress=False)
    run_batch([*inputs, str(bad_b)], outd / "b.jsonl", seg(), progress=False)
    run_batch(inputs, outd / "c.jsonl", seg(), progress=False)
    run_batch([str(bad_b)], outd / "d.jsonl", seg(), progress=False)  # wrote nothing
    run_batch([*inputs, str(bad_b)], outd / "b.jsonl", seg(), overwrite=True, progress=False)
    names = sorted(p.name for p in outd.iterdir())
    assert names == ["a.errors.jsonl", "a.jsonl", "a.manifest.jsonl", "b.errors.jsonl", "b.jsonl",
                     "b.manifest.jsonl", "c.jsonl", "c.manifest.jsonl", "d.errors.jsonl"]  # fmt: skip
    assert [json.loads(x)["source"] for x in (outd / "a.errors.jsonl").read_text().splitlines()] == [str(bad_a)]
    assert [json.loads(x)["source"] for x in (outd / "b.errors.jsonl").read_text().splitlines()] == [str(bad_b)]
    # a resumed run that no longer fails removes its old error list
    run_batch(inputs, outd / "a.jsonl", seg(), progress=False)
    assert not (outd / "a.errors.jsonl").exists()


# ---- item 14: one failure, one line ------------------------------------------------------------------------
def test_failure_lines_escape_names_and_reasons(tmp_path: Path) -> None:
    d = tmp_path / "in"
    d.mkdir()
    evil = d / "x\nnewspipe: failed: forged.txt: all fine (stage read)\x1b[31m.txt"
    evil.write_bytes(b"\x00\x01\x02" * 100)
    proc = cli("run", str(d), "-o", str(tmp_path / "o.jsonl"), "--stages", "segment")
    assert proc.returncode == 1
    assert "\x1b" not in proc.stderr
    failed = [x for x in proc.stderr.splitlines() if x.startswith("newspipe: failed:")]
    assert len(failed) == 1 and "\\n" in failed[0] and "\\x1b" in failed[0]


# ---- item 15: SIGTERM ends like Ctrl-C ------------------------------------------------------------------------
@pytest.mark.parametrize("sig,workers", [(signal.SIGINT, "1"), (signal.SIGTERM, "2")])
def test_sigterm_ends_with_the_resumable_message_of_sigint(tmp_path: Path, sig: int, workers: str) -> None:
    """SIGTERM goes to the whole process group (as `timeout` or a service manager sends it):
    the workers die quietly, the run ends as Ctrl-C ends it."""
    d = tmp_path / "in"
    d.mkdir()
    for i in range(600):  # long enough that the run cannot end between the second commit and the signal
        shutil.copy(ISSUES[i % len(ISSUES)], d / f"i{i:03d}.txt")
    out = tmp_path / "o.jsonl"
    cmd = [sys.executable, "-m", "pipeline", "run", str(d), "-o", str(out), "--stages", "segment", "--workers", workers]
    proc = subprocess.Popen(cmd, cwd=REPO, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 60
    manifest = tmp_path / "o.manifest.jsonl"

    def entries() -> int:
        return manifest.read_bytes().count(b"\n") - 1 if manifest.exists() else 0

    while time.monotonic() < deadline and entries() < 1:
        time.sleep(0.005)
    first = entries()
    while time.monotonic() < deadline and entries() == first:
        time.sleep(0.005)  # a second commit has begun: the first one is whole
    os.killpg(proc.pid, sig)
    err = proc.communicate(timeout=60)[1]
    assert proc.returncode == 128 + sig, err
    assert "Traceback" not in err
    assert "interrupted" in err and "run the same command again to resume" in err
    assert entries() >= first  # what was committed before the signal is kept
    again = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and "skipped 0" not in again.stderr, err


def test_an_interrupt_between_data_and_manifest_leaves_a_resumable_output(tmp_path: Path, monkeypatch) -> None:
    """Ctrl-C or SIGTERM after the data was written but before the manifest vouched for it: the
    file this run created is cut back, so the same command resumes instead of being refused."""
    from pipeline.io.manifest import Manifest

    out = tmp_path / "o.jsonl"
    w = RecordWriter(out, seg().hash(), seg().output)
    w.add(issue_id="a", source="a.txt", group="", sha256="0" * 64, lines=b'{"x": 1}\n', records=1)

    def interrupted(self, entries, fsync=True):
        raise KeyboardInterrupt

    monkeypatch.setattr(Manifest, "append", interrupted)
    with pytest.raises(KeyboardInterrupt):
        w.commit()
    w.close()
    monkeypatch.undo()
    assert not out.exists() or out.stat().st_size == 0
    again = RecordWriter(out, seg().hash(), seg().output)  # not refused
    again.close()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork")
def test_a_forked_worker_dies_of_sigterm_as_it_would_without_the_handler() -> None:
    """Workers forked while the run's SIGTERM handler is installed must not raise it (a traceback
    per worker); they die of the signal."""
    from pipeline.batch import _sigterm_as_interrupt

    with _sigterm_as_interrupt():
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            try:
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(5)
            except BaseException:
                os._exit(3)
            os._exit(0)
        _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGTERM
