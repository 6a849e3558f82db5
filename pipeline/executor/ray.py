"""The Ray engine: `IssueProcessor` as Ray Data operations on a Ray cluster (`--engine ray`).

A second implementation of `pipeline.executor.base.Executor`, for archives one machine cannot
finish. What it shares with the local engine is everything but where the work runs:

- the **driver** only lists the inputs (`tasks_from_plans`: per issue its paths as given, archive
  members and sizes, and the content hash the output holds for its id; no bytes, so it neither
  holds the archive nor becomes the cluster's bottleneck), and the same `ResultCollector` hands
  every finished issue to the same `RecordWriter` in input order, so the manifest (content hash +
  config hash), resume, the error file and the bytes of the output are the local engine's;
- the **cluster** runs the work as one Ray Data dataset per window of tasks (`WINDOW_TASKS`
  issues): rows are pickled units of tasks (`units`: a few issues each; a stretch of one tar
  archive, readable only from the start of its stream, in at most two units per CPU). A CPU task
  (`map_batches(_process_chunks)`, one `IssueProcessor` built per worker process) reads its unit
  with the local engine's reader (`read_tasks` -> `pipeline.io.inputs.read_issues`: the same size
  limits, zip-bomb and path guards, relative paths taken from the driver's directory), hashes
  each issue and skips the ones the output holds or fails the ones edited since (as
  `tasks_from_inputs` does on the local engine's driver), then runs decode -> segment -> classify
  over them, a chunk of issues at a time; an input that fails to read is a failed result, in the
  error file as on the local engine. Every node must see the inputs at the paths the driver
  lists (a shared file system); stdin and `--input-format articles` lines are read by the driver.
  The stages that want one loaded model (`main_process_only`: the summarizer) run in an actor
  pool (`map_batches(_Finisher)`, one model per actor, `num_gpus=1` actors when the cluster has
  GPUs, CPU actors otherwise), over `pipeline.batch_size` issues per call as on the driver (the
  same token-budget batching inside the stage). Results come back in any order, with each
  issue's content hash, and are put back in input order by `task.index`.

Faults: a task whose worker dies (killed, out of memory, a node lost) is retried by Ray
(`max_retries`, actor tasks `max_task_retries`); a unit that still fails is dropped by the
dataset (`max_errored_blocks`) and its issues are run again one per task, so that only the issue
that kills its worker fails (stage `worker`, in the error file). The driver takes one result per
issue, so each issue is written exactly once whatever Ray retried; only the driver writes (the
writer's commits: data, then the manifest vouching for it), so a killed task leaves nothing partial.

Ray is an optional extra (`pip install 'newspipe[ray]'`); without it `--engine ray` says so.
"""

from __future__ import annotations

import logging
import math
import os
import pickle
import sys
import time
import uuid
import warnings
from collections.abc import Iterable, Iterator, Sequence
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
    read_tasks,
    run_stages,
)
from pipeline.io.inputs import OpenZips
from pipeline.io.records import build_provenance, jsonl, render_records
from pipeline.registry import register_stage
from pipeline.stages.base import Stage

INSTALL_HINT = "--engine ray needs Ray: pip install 'newspipe[ray]'"
WINDOW_TASKS = 8192  # issues per dataset: bounds what the driver holds in memory at once
WINDOW_BYTES = 512 << 20  # ... and the bytes of the inputs it read itself (stdin, article lines)
READ_BUDGET = 32 << 20  # a task processes what it has read once this many bytes are waiting
WORKER_DIED = "the Ray worker died while processing this issue ({tries}: killed, out of memory, node lost?)"


def import_ray() -> Any:
    """`ray` with Ray Data, or an `ExecutorError` that says what to install."""
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError as exc:
        raise ExecutorError(f"{INSTALL_HINT} ({one_line(exc)})") from None
    return ray


# ---- on the cluster ----------------------------------------------------------------------------
_PROCESSOR: dict[str, IssueProcessor] = {}  # this worker process's processor, by run
_ZIPS = OpenZips()  # the zip archives this worker process reads, kept open from task to task


def _results(processor: IssueProcessor, tasks: list[IssueTask]) -> list[IssueResult]:
    """Process the runnable tasks of one read chunk; the others (skipped: the output holds them;
    failed: unreadable, or edited since) come back as what they are, with their content hash."""
    runnable = [t for t in tasks if t.runnable]
    done = processor(runnable) if runnable else []
    if any(r.fatal is not None for r in done):
        return done  # the stages cannot be built: the driver stops the run
    by_index = {r.index: r for r in done}
    out: list[IssueResult] = []
    for t in tasks:
        r = by_index.get(t.index) or IssueResult(t.index, failure=t.failure, skip=t.skip)
        r.sha256 = t.sha256
        out.append(r)
    return out


def _process_chunks(
    batch: dict[str, Any], *, key: str, args: tuple[Any, ...], root: str, limit: int, budget: int
) -> Iterator[dict[str, Any]]:
    """CPU task: read (`read_tasks`: the local engine's reading code, limits and skip rules), then
    decode -> stages (-> records), for each row's unit of tasks, `limit` issues at a time (a unit
    that is a long stretch of one tar archive is read in one pass, never held whole). The
    processor is built once per worker process (Ray reuses its worker processes across tasks)."""
    import numpy as np

    processor = _PROCESSOR.get(key)
    if processor is None:
        _PROCESSOR.clear()
        config, stages, render = args
        processor = _PROCESSOR[key] = IssueProcessor(config, stages, render=render)
    for unit, payload in zip(batch["chunk"], batch["tasks"], strict=True):
        tasks = pickle.loads(payload)
        for part in read_tasks(tasks, processor.config.input, root, limit=limit, budget=budget, zips=_ZIPS):
            out = pickle.dumps(_results(processor, part), protocol=5)
            yield {"chunk": np.array([unit]), "results": np.array([out], dtype=object)}


class _Finisher:
    """Actor: the driver-only stages (one loaded model per actor) over the issues of the chunks it
    is handed, then their records, as `ResultCollector.flush` does on the local engine's driver."""

    def __init__(self, config: Config, stages: Sequence[tuple[str, type[Stage]]], finish: Sequence[tuple[str, type[Stage]]]) -> None:
        for name, cls in [*stages, *finish]:
            register_stage(name)(cls)
        self.config = config
        self.all_stages = [cls for _, cls in [*stages, *finish]]
        self.error: str | None = None
        self.stages: list[Stage] = []
        try:
            self.stages = [cls(config) for _, cls in finish]
        except Exception as exc:  # reported with the first results, as IssueProcessor does
            self.error = f"cannot build the pipeline ({', '.join(n for n, _ in finish)}): {one_line(exc)}"

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        import numpy as np

        chunks: list[list[IssueResult]] = [pickle.loads(p) for p in batch["results"]]
        held = [r for rs in chunks for r in rs if r.issue is not None and r.failure is None and r.fatal is None]
        if self.error is not None and held:
            held[0].fatal = self.error
        elif held:
            done, failures = run_stages(self.stages, [r.issue for r in held])
            details = {st.name: st.describe() for st in self.stages}
            for k, (r, issue) in enumerate(zip(held, done, strict=True)):
                if issue is None:
                    r.failure = failures[k]
                else:
                    try:
                        prov = build_provenance(self.config, {**(r.details or {}), **details}, issue.encoding)
                        r.lines = jsonl(render_records(issue, self.all_stages, prov))
                        r.records = len(issue.articles)
                    except Exception as exc:
                        r.failure = ("output", one_line(exc))
        for r in held:
            r.issue, r.details = None, None  # only the lines travel back
        out = [pickle.dumps(rs, protocol=5) for rs in chunks]
        return {"chunk": batch["chunk"], "results": np.array(out, dtype=object)}


def _tar_of(task: IssueTask) -> str | None:
    """The tar archive a task not yet read lies in (None: a file, a zip member, or read already)."""
    plan = task.plan
    return plan.archive if plan is not None and plan.kind == "tar" else None


# ---- the driver -----------------------------------------------------------------------------------
class RayExecutor(Executor):
    """Runs the pipeline on a Ray cluster: `address` None starts a local instance (all cores),
    `auto` joins the one `ray start` runs here, `ray://HOST:PORT` a remote one. `actors`: the
    summarizer's actor pool (default: one per GPU, else half the cluster's CPUs)."""

    name = "ray"
    reads_inputs = True  # the driver lists; the tasks read (`tasks_from_plans`, `read_tasks`)

    def __init__(
        self,
        config: Config,
        *,
        address: str | None = None,
        actors: int | None = None,
        chunk_size: int | None = None,
        max_retries: int = 3,
        window: int = WINDOW_TASKS,
        init_kwargs: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(config)
        self.ray = import_ray()
        self.address = address
        self.actors = actors
        self.chunk_size = chunk_size
        self.max_retries = max_retries
        self.window = max(1, window)
        self.init_kwargs = init_kwargs or {}
        self.key = uuid.uuid4().hex  # the workers' processor for this run
        self.started = False  # we started Ray (and stop it in close)
        self.ready = False
        self.startup_s = 0.0  # seconds to start or join the cluster
        self.cpus = 1
        self.gpus = 0
        self.redone = 0  # issues redone one per task after their chunk failed beyond Ray's retries

    # -- cluster -------------------------------------------------------------------------------
    def start(self) -> None:
        """Start or join the cluster (once); `make_executor` calls it before any output is opened."""
        if self.ready:
            return
        ray = self.ray
        t0 = time.perf_counter()
        if not ray.is_initialized():
            kwargs: dict[str, Any] = {
                "address": self.address or "local",
                "log_to_driver": False,
                "logging_level": logging.WARNING,
                **self.init_kwargs,
            }
            if kwargs["address"] == "local":
                kwargs.setdefault("include_dashboard", False)
            try:
                ray.init(**kwargs)
            except Exception as exc:
                where = self.address or "a local instance"
                raise ExecutorError(f"--engine ray: cannot start or join the Ray cluster ({where}): {one_line(exc)}") from None
            self.started = True
        logging.getLogger("ray.data").setLevel(logging.ERROR)  # lost chunks are ours to report
        resources = ray.cluster_resources()
        self.cpus = max(1, int(resources.get("CPU", 1)))
        self.gpus = int(resources.get("GPU", 0))
        self.startup_s = time.perf_counter() - t0
        self.ready = True
        if self.started:  # say where the work runs, and what starting it cost (bench.py reads it)
            how = "started a local Ray instance" if (self.address or "local") == "local" else f"joined {self.address}"
            print(
                f"newspipe: ray engine: {how} in {self.startup_s:.1f}s ({self.cpus} CPUs, {self.gpus} GPUs)",
                file=sys.stderr,
            )

    def close(self) -> None:
        if self.started and self.ray.is_initialized():
            self.ray.shutdown()
        self.started = self.ready = False

    # -- one dataset ----------------------------------------------------------------------------
    def finisher_options(self) -> tuple[int, dict[str, Any]]:
        """The summarizer's actor pool: its size, and one GPU per actor when the cluster has GPUs (and
        the stage may use one), else one CPU."""
        device = getattr(getattr(self.config, "summarizer", None), "device", "auto")
        if self.gpus and device in ("auto", "cuda"):
            n = self.actors or self.gpus
            return n, {"num_gpus": 1, "num_cpus": 1 if self.cpus > n else 0}
        # CPU actors leave at least one CPU to the tasks that feed them (else nothing would run)
        n = min(self.actors or max(1, self.cpus // 2), max(1, self.cpus - 1))
        return n, {"num_cpus": 1 if self.cpus > n else 0}

    def execute(self, chunks: list[list[IssueTask]], limit: int | None = None) -> Iterator[IssueResult]:
        """Run the units of tasks (`units`) as one dataset, each read and processed `limit` issues at
        a time; yields results as they come back (any order). A unit whose task failed beyond its
        retries gives nothing (or part of its results)."""
        limit = limit or max(len(c) for c in chunks)
        ray = self.ray
        ctx = ray.data.DataContext.get_current()
        saved = (ctx.max_errored_blocks, ctx.enable_progress_bars)
        ctx.max_errored_blocks = -1  # a chunk that kills its workers is redone issue by issue
        ctx.enable_progress_bars = False
        try:
            items = [{"chunk": i, "tasks": pickle.dumps(c, protocol=5)} for i, c in enumerate(chunks)]
            ds = ray.data.from_items(items, override_num_blocks=len(items))
            with warnings.catch_warnings():  # retry limits have no named parameter (yet)
                warnings.simplefilter("ignore", DeprecationWarning)
                ds = ds.map_batches(
                    _process_chunks,
                    batch_size=1,
                    fn_kwargs={
                        "key": self.key,
                        "args": self.processor_args(),
                        "root": os.getcwd(),  # relative inputs are the driver's: read them from there
                        "limit": limit,
                        "budget": READ_BUDGET,
                    },
                    num_cpus=1,
                    max_retries=self.max_retries,
                )
                if self.driver_stages:
                    per_chunk = max(1, min(limit, sum(len(c) for c in chunks) // max(1, len(chunks))))
                    actors, resources = self.finisher_options()
                    ds = ds.map_batches(
                        _Finisher,
                        fn_constructor_args=(
                            self.config,
                            [(cls.name, cls) for cls in self.stages],
                            [(cls.name, cls) for cls in self.driver_stages],
                        ),
                        batch_size=max(1, self.config.pipeline.batch_size // per_chunk),
                        compute=ray.data.ActorPoolStrategy(size=actors),
                        max_restarts=-1,
                        max_task_retries=self.max_retries,
                        **resources,
                    )
        finally:
            ctx.max_errored_blocks, ctx.enable_progress_bars = saved
        for batch in ds.iter_batches(batch_size=None, batch_format="numpy"):
            for payload in batch["results"]:
                yield from pickle.loads(payload)

    def chunking(self, n: int) -> int:
        """Issues per task: about eight tasks per CPU for load balance, at most 64 issues each."""
        if self.chunk_size:
            return self.chunk_size
        return max(1, min(64, n // (self.cpus * 8) or 1))

    def units(self, tasks: list[IssueTask], size: int) -> list[list[IssueTask]]:
        """The tasks (in input order) cut into the units one Ray task reads and processes: `size`
        issues, except for a stretch of one tar archive, which a task can only read from the start
        of its stream: such a stretch becomes at most two units per CPU (each read in one pass,
        processed `size` issues at a time), not one per `size` issues each re-reading the stream."""
        units: list[list[IssueTask]] = []
        i = 0
        while i < len(tasks):
            tar = _tar_of(tasks[i])
            j = i + 1
            while j < len(tasks) and _tar_of(tasks[j]) == tar and (tar is not None or j - i < size):
                j += 1
            if tar is None:
                units.append(tasks[i:j])
            else:
                per = math.ceil((j - i) / max(1, min(math.ceil((j - i) / size), 2 * self.cpus)))
                units.extend(tasks[k : min(k + per, j)] for k in range(i, j, per))
            i = j
        return units

    # -- driver -----------------------------------------------------------------------------------
    def run(self, tasks: Iterable[IssueTask], writer: Writer, summary: RunSummary, progress: Progress | None = None) -> None:
        self.start()
        summary.workers = self.cpus
        # the driver-only stages run on the cluster: the collector gets rendered lines only
        collector = ResultCollector(self.config, [*self.stages, *self.driver_stages], [], writer, summary)
        window: list[IssueTask] = []
        work = size = 0
        for task in tasks:
            window.append(task)
            if task.runnable:
                work += 1
                size += sum(len(part[-1]) for part in task.parts)
            if work >= self.window or size >= WINDOW_BYTES:
                self.run_window(window, collector, writer, progress)
                window, work, size = [], 0, 0
        if window:
            self.run_window(window, collector, writer, progress)
        writer.commit()

    def run_window(self, window: list[IssueTask], collector: ResultCollector, writer: Writer, progress: Progress | None) -> None:
        """One dataset over the window's runnable tasks; results handed on in input order as soon as
        they are contiguous; chunks lost beyond Ray's retries redone one issue per task."""
        results: dict[int, IssueResult | None] = {}
        pos = 0

        def hand_on() -> None:
            nonlocal pos
            start = pos
            while pos < len(window):
                task = window[pos]
                if task.runnable and task.index not in results:
                    break
                collector.add(task, settle(task, results.pop(task.index, None)) if task.runnable else None)
                pos += 1
            if pos > start:
                writer.maybe_commit()
                if progress is not None:
                    progress(pos - start, collector.summary.articles)

        def settle(task: IssueTask, result: IssueResult | None) -> IssueResult | None:
            """What the worker found reading a task: its hash, and whether the output holds it."""
            if result is not None and result.sha256:
                task.sha256, task.skip = result.sha256, result.skip
            return result

        def take(result: IssueResult) -> None:
            if result.fatal is not None:
                raise ExecutorError(result.fatal)
            if result.index in wanted and result.index not in got:  # once, whatever Ray retried
                got.add(result.index)
                results[result.index] = result

        runnable = [t for t in window if t.runnable]
        wanted = {t.index for t in runnable}
        got: set[int] = set()
        hand_on()
        size = self.chunking(len(runnable))
        units = self.units(runnable, size)
        if runnable:
            for result in self.execute(units, size):
                take(result)
                hand_on()
        lost = [t for t in runnable if t.index not in got]
        if lost and any(len(u) > 1 for u in units):
            self.redone += len(lost)
            for result in self.execute([[t] for t in lost]):
                take(result)
                hand_on()
        for t in runnable:
            if t.index not in got:
                got.add(t.index)
                tries = f"{self.max_retries + 1} {'try' if self.max_retries == 0 else 'tries'}"
                results[t.index] = IssueResult(t.index, failure=("worker", WORKER_DIED.format(tries=tries)))
        hand_on()

