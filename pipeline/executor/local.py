"""The local executor: `IssueProcessor` in a pool of worker processes on this machine (`--workers N`).

The driver hands the workers small chunks of tasks as it reads them, keeps a bounded window of
chunks in flight, and collects them strictly in input order. Each worker builds its
`IssueProcessor` once (the stages it runs are built while the driver still lists and reads).
`--workers 1` runs everything in the driver process (no pool).

Why not `concurrent.futures.ProcessPoolExecutor`: its workers share one result queue behind one
lock, so a worker killed half-way through sending its result leaves a half-written message that
the pool's reader thread waits on forever (and the lock held): the whole run hangs. Here each
worker has a pipe of its own, read only by the driver, with at most one job in flight: a dead
worker shows as its pipe's end-of-file or its process sentinel, nothing else is blocked, and the
job it held is known exactly. Its issues are re-run on a fresh worker one at a time; an issue
that has killed a worker twice is recorded as failed, so only the issue that kills workers fails.

Workers never outlive the driver (Linux: PR_SET_PDEATHSIG, and a watcher thread), ignore Ctrl-C
(the driver's to handle) and run one thread each: the pool is the parallelism. A process that
holds (or will load) torch is never forked: workers then start from a fork server.
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
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any

from pipeline.config import Config
from pipeline.executor.base import (
    Executor,
    ExecutorError,
    IssueProcessor,
    IssueResult,
    IssueTask,
    Progress,
    ResultCollector,
    RunSummary,
    Writer,
    one_line,
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


def _worker_main(conn: Connection, config: Config, stages: list[tuple[str, Any]], render: bool) -> None:
    """A worker: jobs in, results out, on its own pipe, until the driver closes it."""
    _init_worker(config, stages, render)
    processor = _PROCESSOR["p"]
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            break
        if job is None:
            break
        job_id, tasks = job
        try:
            reply: Any = processor(tasks)
        except Exception as exc:  # IssueProcessor does not raise; this is a last resort
            reply = one_line(exc)
        try:
            conn.send((job_id, reply))
        except (OSError, ValueError):
            break
    conn.close()


DIED = "the worker process died while processing this issue (killed, out of memory?); it did so twice"
MAX_DEATHS = 2  # an issue that has killed this many workers is recorded as failed


@dataclass
class _Chunk:
    tasks: list[IssueTask]
    results: dict[int, IssueResult] = field(default_factory=dict)
    waiting: int = 0  # jobs of this chunk not yet answered

    @property
    def nbytes(self) -> int:
        return sum(len(data) for t in self.tasks for _, _, data in t.parts)

    @property
    def complete(self) -> bool:
        return self.waiting == 0


@dataclass
class _Job:
    chunk: _Chunk
    tasks: list[IssueTask]
    deaths: int = 0  # workers lost while running it


@dataclass
class _Worker:
    process: Any
    conn: Connection
    job: _Job | None = None


class LocalExecutor(Executor):
    name = "local"

    def __init__(self, config: Config, *, workers: int | None = None, expected_tasks: int = 0) -> None:
        super().__init__(config)
        self.workers = max(1, workers if workers is not None else default_workers())
        self.expected_tasks = expected_tasks
        self.local: IssueProcessor | None = None
        self.pool: list[_Worker] = []
        self.queue: deque[_Job] = deque()
        self.context: Any = None
        self.next_id = 0
        self.idle_deaths = 0  # workers lost with no job since the last answer (cannot even start?)
        self.jobs: dict[int, _Job] = {}

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
        self.context = multiprocessing.get_context(method)
        self.pool = [self._spawn() for _ in range(self.workers)]

    def _spawn(self) -> _Worker:
        ours, theirs = self.context.Pipe(duplex=True)
        proc = self.context.Process(
            target=_worker_main, args=(theirs, *self.processor_args()), name="newspipe-worker", daemon=True
        )
        proc.start()
        theirs.close()  # only the worker holds its end: its death is our end-of-file
        return _Worker(proc, ours)

    def close(self) -> None:
        """Stop the workers: idle ones see their pipe close and exit; busy ones (an interrupt) are
        terminated at once."""
        pool, self.pool = self.pool, []
        for w in pool:
            if w.job is None:
                try:
                    w.conn.send(None)  # forked siblings hold copies of our ends: say it, not EOF
                except (OSError, ValueError):
                    pass
            else:
                w.process.terminate()
            w.conn.close()
        deadline = time.monotonic() + 5
        for w in pool:
            w.process.join(max(0.1, deadline - time.monotonic()))
            if w.process.is_alive():
                w.process.kill()
                w.process.join(1)

    def submit(self, chunk: _Chunk) -> None:
        work = [t for t in chunk.tasks if t.runnable]
        if not work:
            return
        if not self.pool:
            assert self.local is not None
            chunk.results = {r.index: r for r in self.local(work)}
            return
        chunk.waiting = 1
        self.queue.append(_Job(chunk, work))
        self._dispatch()

    def _dispatch(self) -> None:
        for w in self.pool:
            if not self.queue:
                return
            if w.job is not None:
                continue
            job = self.queue.popleft()
            self.next_id += 1
            self.jobs[self.next_id] = job
            w.job = job
            try:
                w.conn.send((self.next_id, job.tasks))
            except (OSError, ValueError):
                pass  # it died: its sentinel says so in the next `_pump`

    def _pump(self, block: bool) -> None:
        """Take what the workers have sent; replace any that died and deal with their jobs."""
        busy = [w for w in self.pool if w.job is not None]
        if not busy and not block:
            return
        handles: list[Any] = [w.conn for w in busy] + [w.process.sentinel for w in self.pool]
        ready = set(wait(handles, timeout=None if block else 0))
        for k, w in enumerate(list(self.pool)):
            dead = False
            if w.job is not None and w.conn in ready:
                try:
                    job_id, reply = w.conn.recv()
                except (EOFError, OSError):  # died mid-send: a half message, never waited on
                    dead = True
                else:
                    self._answer(self.jobs.pop(job_id), reply)
                    w.job = None
            if dead or w.process.sentinel in ready:
                if w.job is None and not dead:
                    try:  # exited right after answering: nothing lost
                        if w.conn.poll():
                            continue
                    except (EOFError, OSError):
                        pass
                self._lost(w)
                self.pool[k] = self._spawn()
        self._dispatch()

    def _answer(self, job: _Job, reply: Any) -> None:
        self.idle_deaths = 0
        if isinstance(reply, str):  # the processor raised: every issue of the job fails
            reply = [IssueResult(t.index, failure=("worker", reply)) for t in job.tasks]
        for r in reply:
            job.chunk.results[r.index] = r
        job.chunk.waiting -= 1

    def _lost(self, w: _Worker) -> None:
        """A worker died: retry each issue of its job on its own; fail one that killed twice."""
        w.conn.close()
        w.process.join(1)
        job, w.job = w.job, None
        if job is None:
            self.idle_deaths += 1
            if self.idle_deaths > 3 * self.workers:
                raise ExecutorError("worker processes keep dying before doing any work; run with --workers 1 to see why")
            return
        for jid, j in list(self.jobs.items()):
            if j is job:
                del self.jobs[jid]
        job.chunk.waiting -= 1
        deaths = job.deaths + 1
        for task in job.tasks:
            if deaths >= MAX_DEATHS and len(job.tasks) == 1:
                job.chunk.results[task.index] = IssueResult(task.index, failure=("worker", DIED))
                continue
            job.chunk.waiting += 1
            # alone now, so that only the issue that kills its worker fails
            self.queue.append(_Job(job.chunk, [task], deaths if len(job.tasks) == 1 else 1))

    # -- driver ----------------------------------------------------------------------------
    def run(self, tasks: Iterable[IssueTask], writer: Writer, summary: RunSummary, progress: Progress | None = None) -> None:
        summary.workers = self.workers
        collector = ResultCollector(self.config, self.stages, self.driver_stages, writer, summary)
        self.start()
        total = self.expected_tasks
        chunk_size = 1 if self.workers <= 1 else max(1, min(16, total // (self.workers * 8) or 1))
        max_chunks = max(2, self.workers * 3)
        # the bytes of issues read but not yet written: a few issues' worth, however large they are
        budget = 2 * int(self.config.input.max_issue_mb * 1_000_000)
        window: deque[_Chunk] = deque()

        def drain_one() -> None:
            chunk = window.popleft()
            while not chunk.complete:
                self._pump(block=True)
            for r in chunk.results.values():
                if r.fatal is not None:
                    collector.add(chunk.tasks[0], r)  # raises ExecutorError
            for task in chunk.tasks:
                collector.add(task, chunk.results.get(task.index) if task.runnable else None)
                task.parts = []  # its bytes are done with: the writer needs only its identity
            writer.maybe_commit()
            if progress is not None:
                progress(len(chunk.tasks), summary.articles)

        def push(chunk: _Chunk) -> None:
            self.submit(chunk)
            window.append(chunk)
            self._pump(block=False)
            while (
                len(window) >= max_chunks
                or (window and window[0].complete)
                or (len(window) > 1 and sum(c.nbytes for c in window) > budget)
            ):
                drain_one()

        current: list[IssueTask] = []
        work = 0
        for task in tasks:
            current.append(task)
            if task.runnable:
                work += 1
            if work >= chunk_size or len(current) >= 64:
                push(_Chunk(current))
                current, work = [], 0
        if current:
            push(_Chunk(current))
        while window:
            drain_one()
        collector.flush()
        writer.commit()
