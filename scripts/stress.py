"""Stress the batch runner the way issue 10 attacked it, and compare every final output with an
uninterrupted run (not part of `make test`: it takes minutes).

    python scripts/stress.py --rounds 30            # all three kinds, 30 rounds each
    python scripts/stress.py --kinds kill-worker --rounds 5 --issues 120 --no-memory

Kinds, each repeated `--rounds` times on one generated `.tar.gz` of `--issues` issues (the
fixture issues with a distinct line each), stages segment+classify, `--workers 2`:

- `kill-run`: `kill -9` of the whole run (its process group: driver and workers) at a random
  moment, then the same command again to resume;
- `kill-worker`: `kill -9` of one worker process (a child of the run) at a random moment; the run
  must finish by itself (a hang past `--timeout` counts as a failure, `deadlock`) with exit 0 and
  the full output, without a resume;
- `concurrent`: two runs on one `-o`, the second started at a random moment; one may be refused
  (exit 2, naming the other's PID); whatever they leave must be the full output.
- `memory` (once, not per round): peak resident memory of a run (`--stages segment`,
  `input.max_issue_mb=50`, 1 and 2 workers) on a filler `.tar.gz` (two pages with 20 x 45 MB
  filler members between them) and a zip bomb (one paged issue of 10 x 45 MB pages), against
  4 x max_issue_mb plus what the same run takes on one small issue (interpreter, libraries, models).

A round is `identical` when the final output equals the uninterrupted run byte for byte;
otherwise the summary says how it differs (lines missing, duplicated, extra, out of order, a
torn line). One summary line per kind, e.g. `kill-run: 30/30 identical (27 kills landed)`.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]  # the checkout whose `python -m pipeline` runs (--repo)
FIXTURES = REPO / "tests" / "fixtures"


def make_archive(path: Path, n: int) -> None:
    texts = []
    for p in sorted(FIXTURES.glob("*.txt")):
        data = p.read_bytes()
        try:
            texts.append(data.decode("utf-8-sig"))
        except UnicodeDecodeError:
            texts.append(data.decode("gb18030"))
    with tarfile.open(path, "w:gz") as tf:
        for i in range(n):
            data = (texts[i % len(texts)] + f"\n\n本报讯 第{i}号压力测试稿件。\n").encode("utf-8")
            info = tarfile.TarInfo(f"issues/issue_{i:04d}.txt")
            info.size = len(data)
            info.mtime = 0
            tf.addfile(info, io.BytesIO(data))


MEASURE = (
    "import resource, runpy, sys\n"
    "sys.argv = ['pipeline'] + sys.argv[1:]\n"
    "try:\n    runpy.run_module('pipeline', run_name='__main__')\n"
    "finally:\n"
    "    me, kids = (resource.getrusage(w).ru_maxrss / 1024 for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))\n"
    "    print(f'MAXRSS_MB {me:.0f} {kids:.0f}', file=sys.stderr)\n"
)


def _tar_add(tf: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = 0
    tf.addfile(info, io.BytesIO(data))


def memory_check(work: Path) -> tuple[str, bool]:
    """Peak RSS (driver, largest worker) on the filler and bomb archives against the issue's bound."""
    import zipfile

    pages = sorted(FIXTURES.glob("*.txt"))[:2]
    small = work / "small.txt"
    small.write_bytes(pages[0].read_bytes())
    filler = work / "filler.tar.gz"
    with tarfile.open(filler, "w:gz") as tf:
        _tar_add(tf, "2024-09-01/01.txt", pages[0].read_bytes())
        blob = b" " * 45_000_000
        for k in range(20):
            _tar_add(tf, f"filler_{k:02d}.txt", blob)
        _tar_add(tf, "2024-09-01/02.txt", pages[1].read_bytes())
    bomb = work / "bomb.zip"
    page = ("本报讯 " + "数据" * 7_500_000).encode("utf-8")  # 45 MB a page
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for k in range(1, 11):
            zf.writestr(f"2024-09-01/{k:02d}.txt", page)

    def peak(src: Path, workers: int) -> tuple[float, float]:
        out = work / f"mem_{src.name}_{workers}.jsonl"
        cmd = [sys.executable, "-c", MEASURE, "run", str(src), "-o", str(out), "--stages", "segment",
               "--workers", str(workers), "--no-progress", "--set", "input.max_issue_mb=50"]  # fmt: skip
        env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
        r = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
        line = [x for x in r.stderr.splitlines() if x.startswith("MAXRSS_MB")][-1].split()
        return float(line[1]), float(line[2])

    base = max(peak(small, 1))
    bound = base + 4 * 50
    parts, ok = [], True
    for src in (filler, bomb):
        for workers in (1, 2):
            me, kids = peak(src, workers)
            ok &= me <= bound and kids <= bound
            parts.append(f"{src.name} x{workers}: driver {me:.0f} MB, largest worker {kids:.0f} MB")
    verdict = f"memory: {'within' if ok else 'OVER'} {bound:.0f} MB (4 x 50 MB + {base:.0f} MB for a run on one small issue); " + "; ".join(parts)
    return verdict, ok


def command(archive: Path, out: Path, workers: int) -> list[str]:
    return [
        sys.executable, "-m", "pipeline", "run", str(archive), "-o", str(out),
        "--stages", "segment,classify", "--workers", str(workers), "--no-progress",
    ]  # fmt: skip


def start(cmd: list[str]) -> subprocess.Popen:
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    return subprocess.Popen(
        cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )


def finish(proc: subprocess.Popen, timeout: float) -> tuple[int | None, str]:
    """(exit status, stderr); None when it hung past `timeout` (then its whole group is killed)."""
    try:
        err = proc.communicate(timeout=timeout)[1]
        return proc.returncode, err.decode("utf-8", "replace")
    except subprocess.TimeoutExpired:
        kill_group(proc)
        err = proc.communicate()[1]
        return None, err.decode("utf-8", "replace")


def kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def children(pid: int) -> list[int]:
    out = []
    for p in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{p}/stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            out.append(int(p))
    return out


def wait_group_gone(pgid: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.02)


def compare(got: bytes, want: bytes) -> str:
    """'identical', or how `got` differs from `want` (as sets of lines and as an order)."""
    if got == want:
        return "identical"
    g, w = got.split(b"\n"), want.split(b"\n")
    torn = bool(g and g[-1])  # the last line has no newline
    gc, wc = Counter(x for x in g if x), Counter(x for x in w if x)
    missing = sum((wc - gc).values())
    extra = sum((gc - wc).values())
    dup = sum(c - 1 for c in gc.values() if c > 1)
    parts = []
    if missing:
        parts.append(f"{missing} missing")
    if dup:
        parts.append(f"{dup} duplicated")
    if extra - dup > 0:
        parts.append(f"{extra - dup} extra")
    if torn:
        parts.append("torn last line")
    if not parts:
        parts.append("same lines, other order")
    return ", ".join(parts)


def round_kill_run(rng: random.Random, archive: Path, out: Path, ref_wall: float, timeout: float) -> tuple[str, bool]:
    proc = start(command(archive, out, 2))
    time.sleep(rng.uniform(0.0, ref_wall))
    landed = proc.poll() is None
    kill_group(proc)
    proc.communicate()
    wait_group_gone(proc.pid)
    rc, err = finish(start(command(archive, out, 2)), timeout)
    if rc is None:
        return "deadlock on resume", landed
    if rc != 0:
        return f"resume exit {rc}: {err.strip().splitlines()[-1:]}", landed
    return compare(out.read_bytes(), REF), landed


def round_kill_worker(rng: random.Random, archive: Path, out: Path, ref_wall: float, timeout: float) -> tuple[str, bool]:
    proc = start(command(archive, out, 2))
    t0 = time.monotonic()
    at = rng.uniform(0.0, ref_wall)
    landed = False
    while proc.poll() is None and time.monotonic() - t0 < timeout:
        if time.monotonic() - t0 >= at:
            kids = children(proc.pid)
            if kids:
                try:
                    os.kill(rng.choice(kids), signal.SIGKILL)
                    landed = True
                except ProcessLookupError:
                    continue
                break
        time.sleep(0.005)
    rc, err = finish(proc, max(1.0, timeout - (time.monotonic() - t0)))
    if rc is None:
        return "deadlock", landed
    if rc != 0:
        return f"exit {rc}: {err.strip().splitlines()[-2:]}", landed
    return compare(out.read_bytes(), REF), landed


def round_concurrent(rng: random.Random, archive: Path, out: Path, ref_wall: float, timeout: float) -> tuple[str, bool]:
    first = start(command(archive, out, 2))
    time.sleep(rng.uniform(0.0, ref_wall))
    second = start(command(archive, out, 2))
    r1, e1 = finish(first, timeout)
    r2, e2 = finish(second, timeout)
    refused = r2 == 2 and "another newspipe run" in e2 or r1 == 2 and "another newspipe run" in e1
    if r1 is None or r2 is None:
        return "deadlock", refused
    for rc, err in ((r1, e1), (r2, e2)):
        if rc not in (0, 2) or (rc == 2 and "another newspipe run" not in err):
            return f"exit {rc}: {err.strip().splitlines()[-1:]}", refused
    return compare(out.read_bytes(), REF), refused


KINDS = {"kill-run": round_kill_run, "kill-worker": round_kill_worker, "concurrent": round_concurrent}
LANDED = {"kill-run": "kills landed", "kill-worker": "workers killed", "concurrent": "second runs refused"}
REF = b""


def main() -> int:
    global REF, REPO
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=30, help="rounds per kind")
    ap.add_argument("--issues", type=int, default=16, help="issues in the generated archive")
    ap.add_argument("--kinds", default=",".join(KINDS), help="comma-separated: " + ", ".join(KINDS))
    ap.add_argument("--timeout", type=float, default=0.0, help="seconds before a round counts as hung (default: 4x a run, at least 20)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--memory", action=argparse.BooleanOptionalAction, default=True,
                    help="also measure peak memory on a filler tar.gz and a zip bomb (default: on)")
    ap.add_argument("--repo", type=Path, default=REPO, help="run another checkout's pipeline (e.g. an older commit)")
    args = ap.parse_args()
    REPO = args.repo.resolve()
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="newspipe-stress-"))
    try:
        archive = work / "archive.tar.gz"
        make_archive(archive, args.issues)
        t0 = time.monotonic()
        rc, err = finish(start(command(archive, work / "ref.jsonl", 2)), 600)
        ref_wall = time.monotonic() - t0
        if rc != 0:
            print(f"the uninterrupted run failed (exit {rc}): {err}", file=sys.stderr)
            return 2
        REF = (work / "ref.jsonl").read_bytes()
        timeout = args.timeout or max(20.0, 4 * ref_wall)
        records = REF.count(b"\n")
        print(f"archive: {args.issues} issues, {records} records; an uninterrupted run takes {ref_wall:.1f}s", file=sys.stderr)
        failed = 0
        for kind in [k.strip() for k in args.kinds.split(",") if k.strip()]:
            results: Counter[str] = Counter()
            landed = 0
            for i in range(args.rounds):
                out_dir = work / f"{kind}_{i}"
                out_dir.mkdir()
                verdict, hit = KINDS[kind](rng, archive, out_dir / "out.jsonl", ref_wall, timeout)
                results[verdict] += 1
                landed += hit
                if verdict != "identical":
                    print(f"  {kind} round {i}: {verdict}", file=sys.stderr)
                shutil.rmtree(out_dir, ignore_errors=True)
            same = results.pop("identical", 0)
            failed += args.rounds - same
            others = "".join(f"; {n} {v}" for v, n in results.most_common())
            print(f"{kind}: {same}/{args.rounds} identical ({landed} {LANDED[kind]}){others}", flush=True)
        if args.memory:
            verdict, ok = memory_check(work)
            print(verdict, flush=True)
            failed += not ok
        return 1 if failed else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
