"""The executor interface: a second engine, written here in a few lines, gives the local pool's
output byte for byte (the work is `IssueProcessor`, the order and commits are the collector's)."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import pytest
from conftest import FIXTURES, REPO

from pipeline.batch import run_batch
from pipeline.config import load_config
from pipeline.executor.base import (
    Executor,
    IssueProcessor,
    IssueTask,
    Progress,
    ResultCollector,
    RunSummary,
    Writer,
)
from pipeline.io.assemble import content_sha256


class BackwardsExecutor(Executor):
    """Processes the tasks last-first in an `IssueProcessor` built from pickled arguments (as a
    remote actor would be), then hands the results to the collector in input order."""

    name = "backwards"

    def run(self, tasks: Iterable[IssueTask], writer: Writer, summary: RunSummary, progress: Progress | None = None) -> None:
        tasks = list(tasks)
        args = pickle.loads(pickle.dumps(self.processor_args()))  # everything a remote worker needs travels
        config, stages, render = args
        actor = IssueProcessor(config, stages, render=render)
        results = {}
        for task in reversed([t for t in tasks if t.runnable]):
            results[task.index] = actor([task])[0]
        collector = ResultCollector(self.config, self.stages, self.driver_stages, writer, summary)
        for task in tasks:
            collector.add(task, results.get(task.index))
        collector.flush()
        writer.commit()


def test_a_second_engine_gives_the_same_output(tmp_path: Path) -> None:
    cfg = load_config(None, ["summarizer.backend=extractive"], ["segment", "classify", "summarize"])
    bad = tmp_path / "empty.txt"
    bad.write_bytes(b"")
    inputs = [*(str(p) for p in sorted(FIXTURES.glob("fx0[1-3]*.txt"))), str(bad), str(REPO / "tests" / "data" / "paged")]
    local, other = tmp_path / "local.jsonl", tmp_path / "other.jsonl"
    a = run_batch(inputs, local, cfg, workers=1, progress=False)  # workers=2 gives the same (test_batch)
    b = run_batch(inputs, other, cfg, executor=BackwardsExecutor(cfg), progress=False)
    assert local.read_bytes() == other.read_bytes()
    assert (a.done, a.failed, a.articles) == (b.done, b.failed, b.articles) and b.failed == 1
    # the manifest it committed resumes like the local one's
    again = run_batch(inputs, other, cfg, executor=BackwardsExecutor(cfg), progress=False)
    assert (again.done, again.skipped) == (0, a.done)
    manifest = [json.loads(x) for x in (tmp_path / "other.manifest.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [e["issue_id"] for e in manifest[1:]] == list(dict.fromkeys(
        json.loads(x)["issue_id"] for x in local.read_text(encoding="utf-8").splitlines()
    ))


def test_content_hash_is_per_page() -> None:
    one = content_sha256([(None, "a.txt", b"x")])
    assert one == content_sha256([(None, "b.txt", b"x")])  # the bytes, not the name
    assert content_sha256([("01", "d/01.txt", b"x"), ("02", "d/02.txt", b"y")]) != content_sha256(
        [("01", "d/01.txt", b"xy"), ("02", "d/02.txt", b"")]
    )


# ---- workers that die ----------------------------------------------------------------------------
_KILL_SCRIPT = """
import json, sys
sys.path.insert(0, sys.argv[1])
from hostile_stages import KillerStage
from pipeline.batch import run_batch
from pipeline.config import load_config
from pipeline.registry import register_stage
register_stage("killer")(KillerStage)
files = json.loads(sys.argv[2])
s = run_batch(files, sys.argv[3], load_config(stages=["segment", "killer"]), workers=2, progress=False)
print(json.dumps({"done": s.done, "failed": s.failed, "failures": s.failures}))
"""


@pytest.mark.parametrize("mark", ["KILL9", "MIDWRITE"])
def test_a_worker_killed_anywhere_fails_only_its_issue_and_never_hangs(tmp_path: Path, mark: str) -> None:
    """SIGKILL inside a stage, and SIGKILL half-way through sending the result back (a half-written
    message in the result pipe, its lock never released): the run ends, the issue that kills its
    worker every time fails with a reason after two tries, every other issue is written once."""
    import hostile_stages

    text = sorted(FIXTURES.glob("fx0[1-3]*.txt"))[0].read_bytes()
    files = []
    for i in range(10):
        p = tmp_path / "in" / f"n{i:02d}.txt"
        p.parent.mkdir(exist_ok=True)
        p.write_bytes(text + (f"\n{getattr(hostile_stages, mark)}\n".encode() if i == 4 else b""))
        files.append(str(p))
    out = tmp_path / "o.jsonl"
    try:
        proc = subprocess.run(
            [sys.executable, "-c", _KILL_SCRIPT, str(Path(__file__).parent), json.dumps(files), str(out)],
            capture_output=True, text=True, timeout=90, cwd=REPO,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        pytest.fail("the run hung after a worker was killed")
    assert proc.returncode == 0, proc.stderr
    s = json.loads(proc.stdout.strip().splitlines()[-1])
    assert (s["done"], s["failed"]) == (9, 1)
    assert s["failures"][0]["source"].endswith("n04.txt") and s["failures"][0]["stage"] == "worker"
    recs = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert list(dict.fromkeys(r["issue_id"] for r in recs)) == [f"n{i:02d}" for i in range(10) if i != 4]
    assert len({(r["issue_id"], r["article_index"]) for r in recs}) == len(recs)  # nothing twice
