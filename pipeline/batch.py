"""`newspipe run`: the driver. Resumable, parallel, in input order, failures isolated.

    run_batch(inputs, output, config, workers=N)

1. checks the stage list and builds the executor (`pipeline.executor.local.LocalExecutor`), so a
   bad pipeline fails before any output is touched;
2. opens the output (`pipeline.io.writer.RecordWriter`: data file(s), manifest, error list, lock;
   an output that is an input or is locked by another run is refused, a resumed output is
   repaired to what its manifest vouches for, a changed config refused);
3. lists the inputs (`pipeline.io.inputs.plan_inputs` / `read_issues`) into tasks, skipping the
   issues the output already holds (`pipeline.executor.base.tasks_from_inputs`); for an executor
   whose workers read the inputs (`reads_inputs`: Ray), only lists them (`tasks_from_plans`: no
   bytes on the driver) and the workers read, hash and skip;
4. lets the executor run decode -> stages -> records over them, results committed whole issues at
   a time in input order, and commits what is done on the way out (also on Ctrl-C and SIGTERM,
   which end the same way: `summary.interrupted`, resumable).

See `pipeline.executor.base` for how the work is split and `pipeline.io.writer` for the
atomicity guarantees (a `kill -9` at any moment never leaves a partial or duplicate record).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Iterable
from contextlib import contextmanager
from pathlib import Path

from tqdm import tqdm

from pipeline.config import Config
from pipeline.executor.base import Executor, IssueTask, RunSummary, tasks_from_inputs, tasks_from_plans
from pipeline.executor.local import LocalExecutor
from pipeline.io.inputs import plan_inputs, read_issues
from pipeline.io.writer import RecordWriter


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled exactly as Ctrl-C: commit what is done, say how to resume."""


@contextmanager
def _sigterm_as_interrupt():
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGTERM"):
        yield
        return

    owner = os.getpid()

    def handler(signum: int, frame: object) -> None:
        if os.getpid() != owner:  # a worker forked from the run inherited this: die as SIGTERM would
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)
            return
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_batch(
    inputs: list[str],
    output: Path,
    config: Config,
    *,
    workers: int | None = None,
    overwrite: bool = False,
    progress: bool | None = None,
    executor: Executor | None = None,
) -> RunSummary:
    """Process `inputs` into `output`; returns the run's summary.

    `executor` replaces the local process pool (`workers` then does not apply). Raises a
    `ConfigError` (`PipelineBuildError`, `OutputError`, `ExecutorError`) when the run cannot start
    or go on.
    """
    start = time.perf_counter()
    max_bytes = int(config.input.max_file_mb * 1_000_000)
    max_issue = int(config.input.max_issue_mb * 1_000_000)
    articles = config.input.format == "articles"
    if articles:  # one task per JSONL line (pipeline.io.articles)
        from pipeline.io.articles import count_lines, plan_article_files, read_article_lines

        plans = plan_article_files(list(inputs), max_bytes)
        n_tasks = count_lines(plans)
        raws = read_article_lines(plans, max_bytes)
    else:
        plans = plan_inputs(list(inputs), max_bytes, max_issue)
        n_tasks = len(plans)
        raws = read_issues(plans, max_bytes, max_issue)
    if executor is None:  # building it checks the stage list, before any output is touched
        local = LocalExecutor(config, workers=workers)
        local.expected_tasks = n_tasks
        if n_tasks <= 1:
            local.workers = 1
        executor = local
    writer = RecordWriter(Path(output), config.hash(), config.output, overwrite=overwrite, inputs=list(inputs))
    summary = RunSummary()
    if executor.reads_inputs and not articles:  # the workers read: the driver only lists
        tasks = tasks_from_plans(plans, writer, max_bytes, max_issue)
    else:
        tasks = tasks_from_inputs(raws, writer)
    with _sigterm_as_interrupt():
        try:
            _run(executor, tasks, n_tasks, writer, summary, progress, start)
        except KeyboardInterrupt as exc:  # raised while closing up: still an interrupt
            summary.interrupted = True
            summary.signal = "SIGTERM" if isinstance(exc, Terminated) else "SIGINT"
    summary.elapsed = time.perf_counter() - start
    return summary


def _run(executor: Executor, tasks: Iterable[IssueTask], n_tasks: int, writer: RecordWriter, summary: RunSummary,
         progress: bool | None, start: float) -> None:  # fmt: skip
    try:
        # a bar is for a person watching a terminal, never for a log file
        show = progress if progress is not None else (n_tasks > 1 and sys.stderr.isatty())
        with tqdm(total=n_tasks, disable=not show, unit="issue", file=sys.stderr, dynamic_ncols=True) as bar:
            last_post = 0.0

            def advance(n: int, articles: int) -> None:
                nonlocal last_post
                bar.update(n)
                now = time.perf_counter()
                if now - last_post > 0.5:
                    last_post = now
                    bar.set_postfix_str(f"{articles / max(now - start, 1e-9):.0f} articles/s", refresh=False)

            try:
                executor.run(tasks, writer, summary, advance)
            except KeyboardInterrupt as exc:
                summary.interrupted = True
                summary.signal = "SIGTERM" if isinstance(exc, Terminated) else "SIGINT"
            finally:
                try:
                    writer.commit()
                finally:
                    executor.close()
    finally:
        writer.close()
