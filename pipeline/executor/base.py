"""What every executor shares: tasks, the per-issue work, in-order collection, and the interface.

A run has three parts, as in datatrove (`executor/`, `pipeline/writers/`):

1. The **driver** lists the inputs (`pipeline.io.inputs`: files, directories, globs, archives
   read in place, page files grouped) and turns each issue into an `IssueTask`: its identity,
   its bytes and their sha256 (`tasks_from_inputs`). Issues the writer already holds are marked
   `skip`; inputs that could not be read carry their `failure`. An executor whose workers read
   the inputs themselves (`Executor.reads_inputs`: the Ray engine) gets tasks that carry only
   where the issue lies (`tasks_from_plans`: its `IssuePlan`, no bytes) and the content hash the
   output holds for its id; the worker reads, hashes and settles them (`read_tasks`) with the
   same reading code, limits, skip and error rules.
2. An **executor** runs `IssueProcessor` over the tasks, where it likes: the local process pool
   (`pipeline.executor.local`), a cluster engine later. `IssueProcessor` is the whole per-issue
   work as a pure function of (config, stages, task): assemble and decode the issue
   (`pipeline.io.assemble`), run the stages (`run_stages`: batched through `stage.pipe`, a bad
   issue isolated), and render its JSONL lines. Stages that declare `main_process_only` (the
   summarizer: it pools articles across issues on one device) are cut off (`split_stages`) and
   run once, on the driver, by the `ResultCollector`, over `pipeline.batch_size` issues at a time.
3. The `ResultCollector` takes results **in input order**, whatever order the work finished in,
   and hands each finished issue, whole, to the **writer** (`pipeline.io.writer.RecordWriter`),
   and each failure to its error list. So the output is the same byte for byte for any executor
   and any number of workers.

`newspipe evaluate` runs the same `IssueProcessor` (decode -> all stages) on its fixtures.
An input that cannot be turned into records (unreadable, binary, empty, no articles found, a
stage raising on it, a worker dying on it) becomes a failure `{"source", "issue_id", "stage",
"reason"}` and the run goes on; a page-per-file issue fails as a whole when one page fails.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from pipeline.config import Config, ConfigError
from pipeline.document import Issue
from pipeline.io.assemble import Part, assemble_issue, content_sha256
from pipeline.io.decode import InputError
from pipeline.io.inputs import IssuePlan, OpenZips, RawInput, read_issues
from pipeline.io.records import build_provenance, jsonl, render_records
from pipeline.registry import register_stage
from pipeline.runner import Pipeline, resolve_stages
from pipeline.stages.base import Stage

NO_ARTICLES = "no articles found: the text has no headline, byline or body the segmenter recognises"


class ExecutorError(ConfigError):
    """The run cannot go on (a stage cannot be built where the work runs); the message says why."""


@dataclass
class IssueTask:
    """One issue as the driver lists it: identity, bytes (one part per page), content hash."""

    index: int  # position in input order
    issue_id: str
    source: str
    group: str = ""
    parts: list[Part] = field(default_factory=list)
    sha256: str = ""
    skip: bool = False  # the output already holds it
    failure: tuple[str, str] | None = None  # (stage, reason) when it could not even be read
    plan: IssuePlan | None = None  # not read yet: where its files lie (the worker reads them)
    held: tuple[str, ...] = ()  # with `plan`: the sha256 the output holds for this issue id

    @property
    def runnable(self) -> bool:
        return not self.skip and self.failure is None

    def failure_record(self, stage: str, reason: str) -> dict[str, str]:
        return {"source": self.source, "issue_id": self.issue_id, "stage": stage, "reason": reason}


@dataclass
class IssueResult:
    """What the per-issue work gives back for one task."""

    index: int
    lines: bytes = b""  # its JSONL lines (when no driver-only stage follows)
    records: int = 0
    issue: Issue | None = None  # the processed issue (when a driver-only stage follows)
    details: dict[str, dict[str, Any]] | None = None  # what the stages that ran describe of themselves
    failure: tuple[str, str] | None = None  # (stage, reason)
    fatal: str | None = None  # the stages cannot be built: the run stops
    sha256: str = ""  # a task read by the worker: its content hash (the manifest's)
    skip: bool = False  # ... which the output already holds


@dataclass
class RunSummary:
    done: int = 0
    skipped: int = 0
    failed: int = 0
    articles: int = 0
    elapsed: float = 0.0
    workers: int = 1
    interrupted: bool = False
    signal: str = "SIGINT"  # what interrupted it (SIGINT or SIGTERM)
    failures: list[dict[str, str]] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.done / self.elapsed if self.elapsed > 0 else 0.0

    def line(self) -> str:
        return (
            f"issues done {self.done}, skipped {self.skipped}, failed {self.failed}; "
            f"articles written {self.articles}; {self.elapsed:.1f}s ({self.rate:.1f} issues/s)"
            + (f"; interrupted ({self.signal}): run the same command again to resume" if self.interrupted else "")
        )


class Writer(Protocol):
    """Where finished issues go (`pipeline.io.writer.RecordWriter`, or one that keeps them)."""

    def is_done(self, issue_id: str, sha256: str) -> bool: ...

    def held_sha256(self, issue_id: str) -> tuple[str, ...]: ...

    def add(self, *, issue_id: str, source: str, group: str, sha256: str, lines: bytes, records: int) -> None: ...

    def error(self, failure: dict[str, str]) -> None: ...

    def maybe_commit(self) -> None: ...

    def commit(self) -> None: ...


# ---- the driver lists the inputs --------------------------------------------------------------
CHANGED = (
    "changed since this output took its records (the output keeps the earlier version's); "
    "to redo it, start over with --overwrite, or give the new version another name"
)


def _settle(
    task: IssueTask, raw: RawInput, done: Callable[[str], bool], changed: Callable[[str], bool]
) -> None:
    """Give `task` the bytes read into `raw`, their hash, and `skip` when the output holds them
    (bytes dropped) or a `failure`: unreadable, or held with other content (an input edited
    between runs), which fails rather than being appended a second time."""
    task.parts = raw.parts
    if raw.error is not None:
        task.failure = (raw.error.stage, raw.error.reason)
        return
    task.sha256 = content_sha256(raw.parts)
    if done(task.sha256):
        task.skip = True
        task.parts = []
    elif changed(task.sha256):
        task.failure = ("resume", CHANGED)
        task.parts = []


def tasks_from_inputs(raws: Iterable[RawInput], writer: Writer | None = None) -> Iterator[IssueTask]:
    """One task per issue read by `pipeline.io.inputs.read_issues`, hashed and settled (`_settle`)
    against what `writer` already holds."""
    is_changed = getattr(writer, "is_changed", None)
    for index, raw in enumerate(raws):
        task = IssueTask(index, raw.issue_id, raw.source, raw.group)
        _settle(
            task,
            raw,
            lambda sha, t=task: writer is not None and writer.is_done(t.issue_id, sha),
            lambda sha, t=task: is_changed is not None and is_changed(t.issue_id, sha),
        )
        yield task


def tasks_from_plans(
    plans: Iterable[IssuePlan],
    writer: Writer,
    max_bytes: int | None = None,
    max_issue_bytes: int | None = None,
) -> Iterator[IssueTask]:
    """One task per listed issue, unread: its `plan` (paths, archive members, sizes) and the hashes
    the output holds for its id (`held`), for a worker to read and settle (`read_tasks`). A plan
    that failed while listing fails here, as `read_issues` would fail it; stdin, which only this
    process can read, is read here (`tasks_from_inputs`)."""
    for index, plan in enumerate(plans):
        if plan.kind == "stdin":
            task = next(tasks_from_inputs(read_issues([plan], max_bytes, max_issue_bytes), writer))
            task.index = index
        else:
            task = IssueTask(index, plan.issue_id, plan.source, plan.group)
            if plan.error is not None:
                task.failure = (plan.error.stage, plan.error.reason)
            else:
                task.plan = plan
                task.held = tuple(writer.held_sha256(plan.issue_id))
        yield task


def read_tasks(
    tasks: Sequence[IssueTask],
    settings: Any,
    root: str | None = None,
    *,
    limit: int = 0,
    budget: int = 0,
    zips: OpenZips | None = None,
) -> Iterator[list[IssueTask]]:
    """Where the work runs: read the tasks that carry a `plan` (`pipeline.io.inputs.read_issues`,
    with `settings`: the `input` config section's size limits; `root`: the directory the driver
    listed relative paths from), hash them and settle them against their `held` hashes exactly as
    `tasks_from_inputs` does on the driver. Yields the tasks in order, in lists of at most `limit`
    runnable tasks and about `budget` bytes (0: no bound), so that a long stretch of one archive
    is never held whole. `zips`: zip archives kept open from one call to the next."""
    max_bytes = int(settings.max_file_mb * 1_000_000)
    max_issue = int(settings.max_issue_mb * 1_000_000)
    planned = [t for t in tasks if t.plan is not None]
    plans = [t.plan for t in planned if t.plan is not None]
    raws = read_issues(plans, max_bytes, max_issue, root=root, zips=zips)
    out: list[IssueTask] = []
    work = size = 0
    for task in tasks:
        if task.plan is not None:
            _settle(task, next(raws), lambda sha, t=task: sha in t.held, lambda sha, t=task: bool(t.held))
            task.plan = None
        out.append(task)
        if task.runnable:
            work += 1
            size += sum(len(data) for _, _, data in task.parts)
        if (limit and work >= limit) or (budget and size >= budget):
            yield out
            out, work, size = [], 0, 0
    if out:
        yield out


# ---- stages ----------------------------------------------------------------------------------
def split_stages(config: Config) -> tuple[list[type[Stage]], list[type[Stage]]]:
    """Check the stage list (without building anything) and split it into the stages the work runs
    wherever the executor puts it, and the ones that follow on the driver (from the first stage
    that declares `main_process_only`)."""
    classes = resolve_stages(config)
    cut = next((i for i, cls in enumerate(classes) if cls.main_process_only), len(classes))
    return classes[:cut], classes[cut:]


def one_line(exc: BaseException) -> str:
    """A failure reason: one line, at most 300 characters."""
    if isinstance(exc, InputError):
        return exc.reason
    msg = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    text = f"{type(exc).__name__}: {msg}" if msg else type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def run_stages(stages: Sequence[Any], issues: list[Issue]) -> tuple[list[Issue | None], dict[int, tuple[str, str]]]:
    """Run `stages` over `issues` batched through `stage.pipe`; when a batch raises, redo its issues
    one by one so that only the bad one fails. A stage that provides `articles` and finds none fails
    the issue. Returns the issues (None where failed) and {position: (stage, reason)}."""
    current: list[Issue | None] = list(issues)
    failures: dict[int, tuple[str, str]] = {}
    for stage in stages:
        name = getattr(stage, "name", type(stage).__name__)
        idx = [k for k, iss in enumerate(current) if iss is not None]
        if not idx:
            break
        batch = [current[k] for k in idx]
        try:
            out = list(stage.pipe(batch))
            if len(out) != len(batch):
                raise RuntimeError(f"stage {name} returned {len(out)} issues for {len(batch)}")
        except Exception:
            out = []
            for k, iss in zip(idx, batch, strict=True):
                try:
                    res = list(stage.pipe([iss]))
                    if len(res) != 1:
                        raise RuntimeError(f"stage {name} returned {len(res)} issues for 1")
                    out.append(res[0])
                except Exception as exc:
                    failures[k] = (name, one_line(exc))
                    out.append(None)
        for k, iss in zip(idx, out, strict=True):
            if iss is not None and "articles" in getattr(stage, "provides", ()) and not iss.articles:
                failures[k] = (name, NO_ARTICLES)
                iss = None
            current[k] = iss
    return current, failures


# ---- the per-issue work ------------------------------------------------------------------------
class IssueProcessor:
    """decode -> stages -> records for a batch of tasks; built once per process (or actor).

    `stages` are (name, class) pairs: a class travels by reference and is registered again under
    its name where it lands, so a stage registered only on the driver runs there too. With
    `render=False` the processed issues come back instead of their lines (for the driver-only
    stages that follow, or for `newspipe evaluate`).
    """

    def __init__(
        self, config: Config, stages: Sequence[tuple[str, type[Stage]]], *, render: bool, override: Any = None
    ) -> None:
        for name, cls in stages:
            register_stage(name)(cls)
        self.config = config
        self.render = render
        self.classes = [cls for _, cls in stages]
        self.override = override  # tests: one object with .pipe() standing in for all the stages
        self._pipeline: Pipeline | None = None
        self._error: str | None = None

    @property
    def pipeline(self) -> Pipeline:
        """The stages, built on first use; a stage that cannot be built raises `ExecutorError`."""
        if self._pipeline is None:
            if self._error is None:
                try:
                    self._pipeline = Pipeline(self.config, self.classes)
                except Exception as exc:
                    names = ", ".join(cls.name for cls in self.classes)
                    self._error = f"cannot build the pipeline ({names}): {one_line(exc)}"
            if self._pipeline is None:
                raise ExecutorError(self._error or "cannot build the pipeline")
        return self._pipeline

    def issues(self, tasks: Sequence[IssueTask]) -> list[tuple[Issue | None, tuple[str, str] | None]]:
        """The one road from bytes to processed issues: assemble and decode each task, then run
        every stage batched; per task (issue, None) or (None, (stage, reason))."""
        stages = [self.override] if self.override is not None else self.pipeline.stages
        out: list[tuple[Issue | None, tuple[str, str] | None]] = [(None, None)] * len(tasks)
        decoded: list[Issue] = []
        where: list[int] = []
        for k, task in enumerate(tasks):
            try:
                decoded.append(assemble_issue(task.parts, task.source, task.issue_id, self.config.input))
                where.append(k)
            except InputError as err:
                out[k] = (None, (err.stage, err.reason))
            except Exception as exc:  # a decoder bug must not take the run down
                out[k] = (None, ("decode", one_line(exc)))
        done, failures = run_stages(stages, decoded)
        for j, (k, issue) in enumerate(zip(where, done, strict=True)):
            out[k] = (issue, None) if issue is not None else (None, failures[j])
        return out

    def __call__(self, tasks: Sequence[IssueTask]) -> list[IssueResult]:
        """Never raises for a bad input; a pipeline that cannot be built gives one `fatal` result."""
        try:
            pipeline = self.pipeline
        except ExecutorError as exc:
            return [IssueResult(tasks[0].index if tasks else -1, fatal=str(exc))]
        results: list[IssueResult] = []
        for task, (issue, failure) in zip(tasks, self.issues(tasks), strict=True):
            res = IssueResult(task.index, failure=failure)
            if issue is not None:
                res.records = len(issue.articles)
                if self.render:
                    try:
                        res.lines = jsonl(pipeline.records(issue))
                    except Exception as exc:
                        res.failure = ("output", one_line(exc))
                else:
                    res.issue, res.details = issue, pipeline.details()
            results.append(res)
        return results


# ---- the driver collects ------------------------------------------------------------------------
class ResultCollector:
    """Takes tasks and their results in input order; runs the driver-only stages over
    `pipeline.batch_size` issues at a time; gives the writer every finished issue, whole."""

    def __init__(
        self,
        config: Config,
        stages: Sequence[type[Stage]],
        driver_stages: Sequence[type[Stage]],
        writer: Writer,
        summary: RunSummary,
    ) -> None:
        self.config = config
        self.all_stages = list(stages) + list(driver_stages)
        self.driver_classes = list(driver_stages)
        self.driver_stages: list[Stage] | None = None
        self.writer = writer
        self.summary = summary
        self.held: list[tuple[IssueTask, IssueResult]] = []

    def add(self, task: IssueTask, result: IssueResult | None) -> None:
        if result is not None and result.fatal is not None:
            raise ExecutorError(result.fatal)
        if task.skip:
            self.summary.skipped += 1
        elif task.failure is not None:
            self.fail(task, *task.failure)
        elif result is None:
            self.fail(task, "worker", "no result came back for this issue")
        elif result.failure is not None:
            self.fail(task, *result.failure)
        elif self.driver_classes:
            self.held.append((task, result))
            if len(self.held) >= self.config.pipeline.batch_size:
                self.flush()
        else:
            self.write(task, result.lines, result.records)

    def fail(self, task: IssueTask, stage: str, reason: str) -> None:
        f = task.failure_record(stage, reason)
        self.summary.failed += 1
        self.summary.failures.append(f)
        self.writer.error(f)

    def write(self, task: IssueTask, lines: bytes, records: int) -> None:
        self.writer.add(
            issue_id=task.issue_id, source=task.source, group=task.group, sha256=task.sha256, lines=lines, records=records
        )
        self.summary.done += 1
        self.summary.articles += records

    def flush(self) -> None:
        """Run the driver-only stages over the held issues, render and write them."""
        if not self.held:
            return
        if self.driver_stages is None:
            self.driver_stages = [cls(self.config) for cls in self.driver_classes]
        held, self.held = self.held, []
        issues = [r.issue for _, r in held if r.issue is not None]
        done, failures = run_stages(self.driver_stages, issues)
        driver_details = {st.name: st.describe() for st in self.driver_stages}
        for k, ((task, r), issue) in enumerate(zip(held, done, strict=True)):
            if issue is None:
                self.fail(task, *failures[k])
                continue
            prov = build_provenance(self.config, {**(r.details or {}), **driver_details}, issue.encoding)
            self.write(task, jsonl(render_records(issue, self.all_stages, prov)), len(issue.articles))


# ---- the interface --------------------------------------------------------------------------------
Progress = Callable[[int, int], None]  # (tasks just finished, articles written so far)


class Executor(abc.ABC):
    """Runs the pipeline over tasks listed by the driver and hands the writer each finished issue
    in input order (through a `ResultCollector`). An implementation decides only where
    `IssueProcessor` runs; it must call `collector.add(task, result)` for every task, in order."""

    name: str = ""
    reads_inputs: bool = False  # its workers read the inputs (`tasks_from_plans`), not the driver

    def __init__(self, config: Config) -> None:
        self.config = config
        self.stages, self.driver_stages = split_stages(config)

    def processor_args(self) -> tuple[Config, list[tuple[str, type[Stage]]], bool]:
        """What builds an `IssueProcessor` wherever the work runs (all of it picklable)."""
        return self.config, [(cls.name, cls) for cls in self.stages], not self.driver_stages

    @abc.abstractmethod
    def run(self, tasks: Iterable[IssueTask], writer: Writer, summary: RunSummary, progress: Progress | None = None) -> None:
        """Process every task; results reach `writer` in input order; counts go into `summary`."""

    def close(self) -> None:  # noqa: B027 - optional hook, nothing to release by default
        """Release workers (also after an interrupt)."""
