"""The local executor: `IssueProcessor` in a process pool on this machine (`--workers N`).

The driver hands the pool small chunks of tasks as it reads them, keeps a bounded window of
chunks in flight, and collects them strictly in input order. Each worker builds its
`IssueProcessor` once (the stages it runs are built while the driver still lists and reads).
`--workers 1` runs everything in the driver process (no pool).

A worker that dies (killed, out of memory, a crash in native code) breaks the pool: the chunk's
issues are retried one at a time on a fresh pool, twice, so that only the issue that kills a
worker fails. Workers never outlive the driver (Linux: PR_SET_PDEATHSIG, and a watcher thread),
ignore Ctrl-C (the driver's to handle) and run one thread each: the pool is the parallelism.
A process that holds (or will load) torch is never forked: workers then start from a fork server.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from pipeline.config import Config
from pipeline.executor.base import (
    Executor,
    IssueProcessor,
    IssueResult,
    IssueTask,
    Progress,
    ResultCollector,
    RunSummary,
    Writer,
)

_PROCESSOR: dict[str, IssueProcessor] = {}  # the worker process's own processor


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS / Windows
        return max(1, os.cpu_count() or 1)


def _die_with_parent() -> None:
    """A worker must not outlive the main process (killed with -9 it cannot clean up): ask Linux to
    kill us when the parent goes, and watch the parent pid as a fallback elsewhere."""
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except Exception:  # pragma: no cover - best effort
            pass

    def watch() -> None:
        while True:
            if os.getppid() != parent:
                os._exit(1)
            time.sleep(0.5)

    if os.getppid() != parent:  # pragma: no cover - the parent died before prctl took effect
        os._exit(1)
    threading.Thread(target=watch, name="newspipe-parent-watch", daemon=True).start()


def _init_worker(config: Config, stages: list[tuple[str, Any]], render: bool) -> None:
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    processor = IssueProcessor(config, stages, render=render)
    _PROCESSOR["p"] = processor
    try:  # build now, while the driver lists and reads; a failure is reported per task
        processor.pipeline  # noqa: B018
    except Exception:
        return
    if "torch" in sys.modules:
        try:
            sys.modules["torch"].set_num_threads(1)
        except Exception:  # pragma: no cover - best effort
            pass


def _work(tasks: list[IssueTask]) -> list[IssueResult]:
    return _PROCESSOR["p"](tasks)


@dataclass
class _Chunk:
    tasks: list[IssueTask]
    future: Future | None = None
    results: list[IssueResult] | None = None
    generation: int = 0


class LocalExecutor(Executor):
    name = "local"

    def __init__(self, config: Config, *, workers: int | None = None, expected_tasks: int = 0) -> None:
        super().__init__(config)
        self.workers = max(1, workers if workers is not None else default_workers())
        self.expected_tasks = expected_tasks
        self.pool: ProcessPoolExecutor | None = None
        self.local: IssueProcessor | None = None
        self.generation = 0

    # -- pool ------------------------------------------------------------------------------
    def start(self) -> None:
        if self.workers <= 1:
            config, stages, render = self.processor_args()
            self.local = IssueProcessor(config, stages, render=render)
            return
        method = "fork"
        if sys.platform != "linux" or self.driver_stages or "torch" in sys.modules:
            # never fork a process that holds (or is about to load) torch's thread pools
            method = "forkserver" if sys.platform != "win32" else "spawn"
        self.pool = ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context(method),
            initializer=_init_worker,
            initargs=self.processor_args(),
        )
        self.generation += 1

    def restart(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)
        self.start()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None

    def submit(self, chunk: _Chunk) -> None:
        work = [t for t in chunk.tasks if t.runnable]
        if not work:
            chunk.results = []
            return
        if self.pool is None:
            assert self.local is not None
            chunk.results = self.local(work)
            return
        chunk.generation = self.generation
        try:
            chunk.future = self.pool.submit(_work, work)
        except BrokenProcessPool as exc:  # a worker died since the last collect: retried there
            chunk.future = Future()
            chunk.future.set_exception(exc)

    def collect(self, chunk: _Chunk) -> list[IssueResult]:
        if chunk.results is not None:
            return chunk.results
        assert chunk.future is not None
        try:
            return chunk.future.result()
        except (BrokenProcessPool, CancelledError):
            pass
        # a worker died: retry this chunk's issues one at a time on a fresh pool, so that only the
        # issue that kills it fails
        if chunk.generation == self.generation:
            self.restart()
        results: list[IssueResult] = []
        for task in chunk.tasks:
            if not task.runnable:
                continue
            for attempt in (1, 2):  # twice: a pool broken by another issue must not condemn this one
                try:
                    assert self.pool is not None
                    results.extend(self.pool.submit(_work, [task]).result())
                    break
                except BrokenProcessPool:
                    self.restart()
                    if attempt == 2:
                        reason = "the worker process died while processing this issue (killed, out of memory?)"
                        results.append(IssueResult(task.index, failure=("worker", reason)))
        return results

    # -- driver ----------------------------------------------------------------------------
    def run(self, tasks: Iterable[IssueTask], writer: Writer, summary: RunSummary, progress: Progress | None = None) -> None:
        summary.workers = self.workers
        collector = ResultCollector(self.config, self.stages, self.driver_stages, writer, summary)
        self.start()
        total = self.expected_tasks
        chunk_size = 1 if self.workers <= 1 else max(1, min(16, total // (self.workers * 8) or 1))
        max_chunks = max(2, self.workers * 3)
        window: deque[_Chunk] = deque()

        def drain_one() -> None:
            chunk = window.popleft()
            results = {r.index: r for r in self.collect(chunk)}
            for r in results.values():
                if r.fatal is not None:
                    collector.add(chunk.tasks[0], r)  # raises ExecutorError
            for task in chunk.tasks:
                collector.add(task, results.get(task.index) if task.runnable else None)
            writer.maybe_commit()
            if progress is not None:
                progress(len(chunk.tasks), summary.articles)

        current: list[IssueTask] = []
        work = 0
        for task in tasks:
            current.append(task)
            if task.runnable:
                work += 1
            if work >= chunk_size or len(current) >= 64:
                chunk = _Chunk(current)
                self.submit(chunk)
                window.append(chunk)
                current, work = [], 0
                while len(window) >= max_chunks or (window and window[0].results is not None):
                    drain_one()
        if current:
            chunk = _Chunk(current)
            self.submit(chunk)
            window.append(chunk)
        while window:
            drain_one()
        collector.flush()
        writer.commit()
