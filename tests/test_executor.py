"""The executor interface: a second engine, written here in a few lines, gives the local pool's
output byte for byte (the work is `IssueProcessor`, the order and commits are the collector's)."""

from __future__ import annotations

import json
import pickle
from collections.abc import Iterable
from pathlib import Path

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
