"""Run the pipeline over many issues: resumable, parallel, in input order, failures isolated.

Flow
----
The main process plans the inputs (`pipeline.io.inputs.plan_inputs`: files, directories,
globs, archives read in place, page-per-file issues grouped), then reads them one issue at a
time, hashes each, skips the ones the manifest already holds, and hands the rest in small
chunks to a process pool (`--workers N`). Each worker builds its own `Pipeline` from the
config with the stages that can run there (segment, classify, ...) and returns, per issue,
either its JSONL lines ready to write or a one-line failure. A stage that must stay in the
main process (one that declares `main_process_only`, the summarizer: it pools articles across issues into model
batches on one device) runs there on the issues coming back, `pipeline.batch_size` issues at a
time. Results are consumed strictly in input order, whatever order the workers finish in, so
the output is the same byte for byte for any `--workers`. `--workers 1` runs everything in
the main process (no pool).

Output, manifest, atomicity
---------------------------
`-o FILE.jsonl` (output.layout `single`) writes one file, with `FILE.manifest.jsonl` and
`errors.jsonl` beside it; `-o DIR` with output.layout `per_group` writes `DIR/<group>.jsonl`
per input group (output.group_by `input`: the archive, top-level directory or parent
directory an issue came from; `year`: the year of the issue's date), with `DIR/manifest.jsonl`
and `DIR/errors.jsonl`.

The manifest is JSON lines: a header (`config_hash`, layout), created atomically (temp file +
rename) before any record is written, then one entry per finished issue: issue id, sha256 of
its content (the bytes of its file, or of its pages in page order), the data file it went to,
its record count, and `end`: the size of that data file once the issue's lines were in.

A commit (every `COMMIT_INTERVAL` seconds, and at the end) writes the finished issues' lines
with one `write` per data file, fsyncs the data, then appends their manifest entries in one
`write` and fsyncs the manifest. So at any instant, and after a `kill -9` at any instant,
every data file is "the prefix its last manifest entry vouches for" plus possibly a tail of
lines (or a torn last line) that no entry vouches for. On start, a resumed run drops a torn
last manifest line, truncates each data file to its last manifest `end` (removing both the
unvouched records and any partial line), and skips the issues the manifest holds. Nothing is
ever half-written and nothing is written twice; a killed run loses at most the work of the
last commit interval, which the next run redoes.

A changed config is refused, not mixed: records carry the config hash, and one output file
holding records of two configs cannot be told apart later. When the manifest's config hash
differs from this run's, the run stops before reading any input and says to pass
`--overwrite` (start fresh: delete the output, its manifest and errors) or another `-o`.
An output that exists without a manifest (not written by a resumable run) is refused the
same way.

Failures
--------
An input that cannot be turned into records (missing, unreadable, oversized, unsafe archive
member, binary, undecodable, empty, no articles found, a stage raising on it, a worker dying
on it) is written to `errors.jsonl` as `{"source", "issue_id", "stage", "reason"}` and the
batch goes on. Failed issues are not in the manifest, so the next run retries them (and
reports them again if they still fail); `errors.jsonl` always lists the failures of the
latest run. A page-per-file issue fails as a whole when one of its pages fails.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from pipeline.config import Config, ConfigError
from pipeline.document import Issue
from pipeline.io.decode import InputError, decode_bytes, to_simplified
from pipeline.io.inputs import RawInput, plan_inputs, read_issues, year_of
from pipeline.io.records import build_provenance, jsonl, render_records
from pipeline.registry import register_stage
from pipeline.runner import Pipeline, resolve_stages
from pipeline.stages.base import Stage

COMMIT_INTERVAL = 0.05  # seconds between commits (a killed run redoes at most this much work)
COMMIT_BYTES = 8 << 20  # ... or this many pending bytes
PAGE_SEPARATOR = "\n\n"
MANIFEST_FORMAT = 1


class BatchError(ConfigError):
    """The run cannot start or go on (output written with another config, a stage that cannot be
    built in a worker, ...); the message says what to do."""


@dataclass
class BatchSummary:
    done: int = 0
    skipped: int = 0
    failed: int = 0
    articles: int = 0
    elapsed: float = 0.0
    workers: int = 1
    interrupted: bool = False
    failures: list[dict[str, str]] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.done / self.elapsed if self.elapsed > 0 else 0.0

    def line(self) -> str:
        return (
            f"issues done {self.done}, skipped {self.skipped}, failed {self.failed}; "
            f"articles written {self.articles}; {self.elapsed:.1f}s ({self.rate:.1f} issues/s)"
            + ("; interrupted" if self.interrupted else "")
        )


# ---- decoding (runs in the workers) ----------------------------------------------------------
def decode_input(data: bytes, source: str, issue_id: str, config: Config) -> Issue:
    """One single-file issue: bytes -> Issue (kept for callers of the foundation API)."""
    return decode_parts([(None, source, data)], source, issue_id, config)


def decode_parts(
    parts: list[tuple[str | None, str, bytes]], source: str, issue_id: str, config: Config
) -> Issue:
    """Bytes of one issue (one part per page for a paged issue) -> an `Issue`.

    Each part's encoding is detected on its own. Pages are joined with a blank line and
    recorded in `issue.pages`, so the segmenter cuts them one by one.
    """
    max_bytes = int(config.input.max_file_mb * 1_000_000)
    encodings = tuple(config.input.encodings)
    if len(parts) == 1 and parts[0][0] is None:
        text, encoding = decode_bytes(parts[0][2], parts[0][1], encodings, max_bytes=max_bytes)
        if config.input.traditional_to_simplified:
            text = to_simplified(text)
        return Issue(issue_id=issue_id, source=source, text=text, encoding=encoding)
    if not parts:
        raise InputError(source, "no files for this issue", "read")
    texts: list[str] = []
    pages: list[tuple[str | None, int, int]] = []
    encs: list[str] = []
    pos = 0
    for page, part_source, data in parts:
        try:
            text, enc = decode_bytes(data, part_source, encodings, max_bytes=max_bytes)
        except InputError as err:
            raise InputError(source, f"page {page} ({part_source}): {err.reason}", err.stage) from None
        if config.input.traditional_to_simplified:
            text = to_simplified(text)
        if texts:
            pos += len(PAGE_SEPARATOR)
        texts.append(text)
        pages.append((page, pos, pos + len(text)))
        pos += len(text)
        if enc not in encs:
            encs.append(enc)
    issue = Issue(issue_id=issue_id, source=source, text=PAGE_SEPARATOR.join(texts), encoding="+".join(encs))
    issue.pages = pages
    return issue


def content_sha256(raw: RawInput) -> str:
    h = hashlib.sha256()
    if raw.data is not None:
        h.update(raw.data)
    else:
        for page, _source, data in raw.parts:
            h.update(f"\0page {page}\0{len(data)}\0".encode())
            h.update(data)
    return h.hexdigest()


# ---- stages ------------------------------------------------------------------------------
def split_stages(config: Config) -> tuple[list[type[Stage]], list[type[Stage]]]:
    """Check the stage list like `Pipeline` does (without building anything) and split it into
    the stages the workers run and the ones that follow in the main process (from the first
    stage that declares `main_process_only`, e.g. the summarizer that owns the device)."""
    classes = resolve_stages(config)
    cut = next((i for i, cls in enumerate(classes) if cls.main_process_only), len(classes))
    return classes[:cut], classes[cut:]


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, InputError):
        return exc.reason
    msg = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    text = f"{type(exc).__name__}: {msg}" if msg else type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def run_stages(
    stages: list[Stage], issues: list[Issue]
) -> tuple[list[Issue | None], dict[int, tuple[str, str]]]:
    """Run `stages` over `issues` batched through `stage.pipe`; when a batch raises, redo its issues
    one by one so that only the bad one fails. Returns the issues (None where failed) and
    {position: (stage, reason)}."""
    current: list[Issue | None] = list(issues)
    failures: dict[int, tuple[str, str]] = {}
    for stage in stages:
        idx = [k for k, iss in enumerate(current) if iss is not None]
        if not idx:
            break
        batch = [current[k] for k in idx]
        try:
            out = list(stage.pipe(batch))
            if len(out) != len(batch):
                raise RuntimeError(f"stage {stage.name} returned {len(out)} issues for {len(batch)}")
        except Exception:
            out = []
            for k, iss in zip(idx, batch, strict=True):
                try:
                    res = list(stage.pipe([iss]))
                    if len(res) != 1:
                        raise RuntimeError(f"stage {stage.name} returned {len(res)} issues for 1")
                    out.append(res[0])
                except Exception as exc:
                    failures[k] = (stage.name, _one_line(exc))
                    out.append(None)
        for k, iss in zip(idx, out, strict=True):
            if iss is not None and "articles" in stage.provides and not iss.articles:
                failures[k] = (stage.name, "no articles found: the text has no headline, byline or body the segmenter recognises")
                iss = None
            current[k] = iss
    return current, failures


# ---- worker side ---------------------------------------------------------------------------
@dataclass
class WorkItem:
    index: int
    issue_id: str
    source: str
    parts: list[tuple[str | None, str, bytes]]


@dataclass
class Result:
    index: int
    lines: bytes = b""  # the issue's JSONL lines (worker-only pipelines)
    articles: int = 0
    issue: Issue | None = None  # for main-process stages
    details: dict[str, dict[str, Any]] | None = None  # what the worker stages describe of themselves
    failure: tuple[str, str] | None = None  # (stage, reason)
    fatal: str | None = None  # the pipeline cannot be built: stop the run


_WORKER: dict[str, Any] = {}


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


def _init_worker(
    config: Config, worker_stages: list[tuple[str, type[Stage]]], records_here: bool, pool: bool = True
) -> None:
    for name, cls in worker_stages:
        register_stage(name)(cls)
    if pool:
        _die_with_parent()
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
    if pool:  # one thread per worker process: the pool is the parallelism
        for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
            os.environ.setdefault(var, "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    _WORKER.clear()
    _WORKER.update(
        config=config, stages=[cls for _, cls in worker_stages], records_here=records_here, pipeline=None, error=None, pool=pool
    )
    if pool:  # build now, while the main process plans and reads; a failure is reported per task
        try:
            _worker_pipeline()
        except BatchError:
            pass


def _worker_pipeline() -> Pipeline:
    if _WORKER.get("pipeline") is None:
        if _WORKER.get("error") is not None:
            raise BatchError(_WORKER["error"])
        config: Config = _WORKER["config"]
        stages: list[type[Stage]] = _WORKER["stages"]
        try:
            _WORKER["pipeline"] = Pipeline(config, stages)
        except Exception as exc:
            names = ", ".join(cls.name for cls in stages)
            _WORKER["error"] = f"cannot build the pipeline ({names}): {_one_line(exc)}"
            raise BatchError(_WORKER["error"]) from None
        if _WORKER.get("pool") and "torch" in sys.modules:
            try:
                sys.modules["torch"].set_num_threads(1)
            except Exception:  # pragma: no cover - best effort
                pass
    return _WORKER["pipeline"]


def process_chunk(items: list[WorkItem]) -> list[Result]:
    """Decode, run the worker stages, and (when no stage follows in the main process) render
    records, for a chunk of issues. Never raises for a bad input."""
    try:
        pipeline = _worker_pipeline()
    except BatchError as exc:
        return [Result(items[0].index if items else -1, fatal=str(exc))]
    config: Config = _WORKER["config"]
    results = {it.index: Result(it.index) for it in items}
    issues: list[Issue] = []
    order: list[int] = []
    for it in items:
        try:
            issues.append(decode_parts(it.parts, it.source, it.issue_id, config))
            order.append(it.index)
        except InputError as err:
            results[it.index].failure = (err.stage, err.reason)
        except Exception as exc:  # a decoder bug must not take the batch down
            results[it.index].failure = ("decode", _one_line(exc))
    done, failures = run_stages(pipeline.stages, issues)
    for k, (index, issue) in enumerate(zip(order, done, strict=True)):
        res = results[index]
        if issue is None:
            res.failure = failures[k]
            continue
        res.articles = len(issue.articles)
        if _WORKER["records_here"]:
            try:
                res.lines = jsonl(pipeline.records(issue))
            except Exception as exc:
                res.failure = ("output", _one_line(exc))
        else:
            res.issue, res.details = issue, pipeline.details()
    return [results[it.index] for it in items]


# ---- output, manifest ---------------------------------------------------------------------
def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


class OutputTarget:
    """The data file(s), the manifest and errors.jsonl of one output; see the module docstring."""

    def __init__(self, output: Path, config: Config, *, overwrite: bool = False, fsync: bool = True) -> None:
        self.config = config
        self.config_hash = config.hash()
        self.layout = config.output.layout
        self.group_by = config.output.group_by
        self.fsync = fsync
        output = Path(output)
        if self.layout == "single":
            if output.is_dir() or str(output).endswith(os.sep):
                raise BatchError(
                    f"-o {output} is a directory; give a file (-o {output / 'records.jsonl'}) "
                    "or set output.layout=per_group to write one file per input group there"
                )
            self.dir = output.parent
            stem = output.name[: -len(".jsonl")] if output.name.endswith(".jsonl") else output.name
            self.single_name = output.name
            self.manifest_path = self.dir / f"{stem}.manifest.jsonl"
            self.errors_path = self.dir / "errors.jsonl"
            if output.name in (self.manifest_path.name, self.errors_path.name):
                raise BatchError(f"-o {output}: that name is reserved for the manifest or the error list")
        else:
            if output.exists() and not output.is_dir():
                raise BatchError(f"-o {output} is a file, but output.layout=per_group writes a directory")
            self.dir = output
            self.single_name = None
            self.manifest_path = self.dir / "manifest.jsonl"
            self.errors_path = self.dir / "errors.jsonl"
        self.done: set[tuple[str, str]] = set()
        self.ends: dict[str, int] = {}  # data file name -> size vouched for by the manifest
        self.fds: dict[str, int] = {}
        self.pending: list[tuple[str, bytes, dict[str, Any]]] = []  # (file, lines, manifest entry)
        self.pending_bytes = 0
        self.last_commit = time.monotonic()
        self.torn = False  # a commit was interrupted half-way (the next run recovers)
        self.manifest_fd = -1
        self.errors_fh: Any = None
        self.dir.mkdir(parents=True, exist_ok=True)
        if overwrite:
            self._remove_previous()
        self._open(overwrite)

    # -- start: overwrite / recover --------------------------------------------------------
    # Only files this output owns are ever truncated or deleted: the single output file, or in a
    # per_group directory the group files the manifest names or that this run is about to write.
    def _unexpected_jsonl(self) -> list[Path]:
        if self.single_name is not None:
            p = self.dir / self.single_name
            return [p] if p.exists() and p.stat().st_size > 0 else []
        return sorted(
            p
            for p in self.dir.glob("*.jsonl")
            if p.name not in (self.manifest_path.name, self.errors_path.name) and p.stat().st_size > 0
        )

    def _remove_previous(self) -> None:
        names = {self.single_name} if self.single_name is not None else set()
        if self.manifest_path.exists():
            for line in self.manifest_path.read_bytes().splitlines()[1:]:
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                if isinstance(entry, dict) and self._own_file_name(entry.get("file")):
                    names.add(entry["file"])
        for name in names:
            (self.dir / name).unlink(missing_ok=True)
        self.manifest_path.unlink(missing_ok=True)
        self.errors_path.unlink(missing_ok=True)

    def _own_file_name(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        if self.single_name is not None:
            return name == self.single_name
        return (
            name == Path(name).name
            and name.endswith(".jsonl")
            and not name.startswith(".")
            and name not in (self.manifest_path.name, self.errors_path.name)
        )

    def _open(self, overwrite: bool) -> None:
        header = None
        if self.manifest_path.exists():
            header, entries = self._read_manifest()
            if header is not None:
                self._check_header(header)
                for e in entries:
                    self.done.add((e["issue_id"], e["sha256"]))
                    self.ends[e["file"]] = int(e["end"])
        if header is None:
            leftovers = [] if overwrite else self._unexpected_jsonl()
            if leftovers:
                raise BatchError(
                    f"{leftovers[0]} exists but there is no manifest ({self.manifest_path.name}), so this run "
                    "cannot tell what it holds; pass --overwrite to replace it, or choose another -o"
                )
            self._create_manifest()
        # bring every data file back to what the manifest vouches for; a group file the manifest
        # does not name is emptied when this run first writes to it (see commit)
        for name in sorted(set(self.ends) | ({self.single_name} if self.single_name else set())):
            self._truncate_to_manifest(name)
        self.manifest_fd = os.open(self.manifest_path, os.O_WRONLY | os.O_APPEND)
        self.errors_fh = self.errors_path.open("w", encoding="utf-8")

    def _read_manifest(self) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        raw = self.manifest_path.read_bytes()
        cut = raw.rfind(b"\n") + 1
        if cut < len(raw):  # a torn last line from a killed run: drop it
            with open(self.manifest_path, "r+b") as fh:
                fh.truncate(cut)
                fh.flush()
                os.fsync(fh.fileno())
            raw = raw[:cut]
        lines = raw.splitlines()
        if not lines:
            return None, []
        try:
            header = json.loads(lines[0])
            entries = [json.loads(line) for line in lines[1:]]
        except ValueError as exc:
            raise BatchError(
                f"manifest {self.manifest_path} is damaged ({exc}); pass --overwrite to start over"
            ) from None
        if not isinstance(header, dict) or header.get("newspipe_manifest") != MANIFEST_FORMAT:
            raise BatchError(f"{self.manifest_path} is not a newspipe manifest; pass --overwrite or choose another -o")
        for e in entries:
            if (
                not isinstance(e, dict)
                or not {"issue_id", "sha256", "file", "end"} <= set(e)
                or not self._own_file_name(e["file"])
                or not isinstance(e["end"], int)
            ):
                raise BatchError(f"manifest {self.manifest_path} is damaged; pass --overwrite to start over")
        return header, entries

    def _check_header(self, header: dict[str, Any]) -> None:
        where = self.dir / self.single_name if self.single_name else self.dir
        if header.get("config_hash") != self.config_hash:
            raise BatchError(
                f"{where} was written with config {header.get('config_hash')}, this run's config is "
                f"{self.config_hash}; one output never mixes configs: pass --overwrite to start over "
                "with this config, or choose another -o"
            )
        if header.get("layout") != self.layout:
            raise BatchError(
                f"{where} was written with output.layout={header.get('layout')}; pass --overwrite or choose another -o"
            )

    def _create_manifest(self) -> None:
        header = {
            "newspipe_manifest": MANIFEST_FORMAT,
            "config_hash": self.config_hash,
            "layout": self.layout,
            "group_by": self.group_by,
        }
        tmp = self.manifest_path.with_name(self.manifest_path.name + ".tmp")
        with open(tmp, "wb") as fh:
            fh.write((json.dumps(header, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8"))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.manifest_path)
        _fsync_dir(self.dir)

    def _truncate_to_manifest(self, name: str) -> None:
        path = self.dir / name
        end = self.ends.get(name, 0)
        size = path.stat().st_size if path.exists() else 0
        if size < end:
            raise BatchError(
                f"{path} is shorter ({size} bytes) than its manifest records ({end}); it was changed "
                "outside newspipe: pass --overwrite to start over"
            )
        if size > end:  # records of unfinished issues and/or a torn last line
            with open(path, "r+b") as fh:
                fh.truncate(end)
                fh.flush()
                os.fsync(fh.fileno())

    # -- writing ---------------------------------------------------------------------------
    def file_for(self, group: str, issue_id: str, source: str) -> str:
        if self.single_name is not None:
            return self.single_name
        key = year_of(issue_id, source) if self.group_by == "year" else (group or "default")
        safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in key).strip("._") or "default"
        if f"{safe}.jsonl" in (self.manifest_path.name, self.errors_path.name):
            safe += "_"
        return f"{safe}.jsonl"

    def add(self, file: str, lines: bytes, entry: dict[str, Any]) -> None:
        self.pending.append((file, lines, entry))
        self.pending_bytes += len(lines)

    def maybe_commit(self) -> None:
        if self.pending and (
            time.monotonic() - self.last_commit >= COMMIT_INTERVAL or self.pending_bytes >= COMMIT_BYTES
        ):
            self.commit()

    def commit(self) -> None:
        """Data first (one write per file, fsync), then the manifest entries vouching for it."""
        if not self.pending or self.torn:
            return
        self.torn = True  # until this commit completes: an interrupted commit is never retried here
        by_file: dict[str, list[bytes]] = {}
        entries: list[bytes] = []
        ends = dict(self.ends)
        for file, lines, entry in self.pending:
            by_file.setdefault(file, []).append(lines)
            ends[file] = ends.get(file, 0) + len(lines)
            entry = dict(entry, file=file, end=ends[file])
            entries.append((json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8"))
        for file, chunks in by_file.items():
            fd = self.fds.get(file)
            if fd is None:
                if file not in self.ends:  # not vouched for: whatever a killed run left there goes
                    self._truncate_to_manifest(file)
                fd = os.open(self.dir / file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
                self.fds[file] = fd
            _write_all(fd, b"".join(chunks))
            if self.fsync:
                os.fsync(fd)
        _write_all(self.manifest_fd, b"".join(entries))
        if self.fsync:
            os.fsync(self.manifest_fd)
        self.ends = ends
        self.pending.clear()
        self.pending_bytes = 0
        self.last_commit = time.monotonic()
        self.torn = False

    def error(self, failure: dict[str, str]) -> None:
        self.errors_fh.write(json.dumps(failure, ensure_ascii=False) + "\n")
        self.errors_fh.flush()

    def close(self) -> None:
        for fd in self.fds.values():
            os.close(fd)
        self.fds.clear()
        if self.manifest_fd >= 0:
            os.close(self.manifest_fd)
            self.manifest_fd = -1
        if self.errors_fh is not None:
            self.errors_fh.close()
            self.errors_fh = None


# ---- main loop -----------------------------------------------------------------------------
@dataclass
class _Slot:
    index: int
    raw: RawInput
    sha: str = ""
    skip: bool = False
    failure: tuple[str, str] | None = None


@dataclass
class _Chunk:
    slots: list[_Slot]
    future: Future | None = None
    results: list[Result] | None = None
    generation: int = 0


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS / Windows
        return max(1, os.cpu_count() or 1)


class _Runner:
    def __init__(
        self,
        config: Config,
        target: OutputTarget,
        workers: int,
        worker_stages: list[type[Stage]],
        main_stages: list[type[Stage]],
    ) -> None:
        self.config = config
        self.target = target
        self.workers = workers
        self.worker_stages = worker_stages
        self.main_stage_names = main_stages
        self.main_stages: list[Stage] | None = None
        self.executor: ProcessPoolExecutor | None = None
        self.generation = 0
        self.summary = BatchSummary(workers=workers)
        self.held: list[tuple[_Slot, Result]] = []  # waiting for the main-process stages

    # -- pool ------------------------------------------------------------------------------
    def start_pool(self) -> None:
        if self.workers <= 1:
            _init_worker(self.config, [(c.name, c) for c in self.worker_stages], not self.main_stage_names, pool=False)
            return
        method = "fork"
        if sys.platform != "linux" or self.main_stage_names or "torch" in sys.modules:
            # never fork a process that holds (or is about to load) torch's thread pools
            method = "forkserver" if sys.platform != "win32" else "spawn"
        ctx = multiprocessing.get_context(method)
        self.executor = ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=ctx,
            initializer=_init_worker,
            # classes travel with their registered names: a stage registered only in this process
            # (a plugin, a test) registers again in the worker when its module is imported there
            initargs=(self.config, [(c.name, c) for c in self.worker_stages], not self.main_stage_names),
        )
        self.generation += 1

    def restart_pool(self) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=False, cancel_futures=True)
        self.start_pool()

    def stop_pool(self) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)
            self.executor = None

    def submit(self, chunk: _Chunk) -> None:
        items = [
            WorkItem(s.index, s.raw.issue_id, s.raw.source, s.raw.parts)
            for s in chunk.slots
            if not s.skip and s.failure is None
        ]
        if not items:
            chunk.results = []
            return
        if self.executor is None:
            chunk.results = process_chunk(items)
            return
        chunk.generation = self.generation
        try:
            chunk.future = self.executor.submit(process_chunk, items)
        except BrokenProcessPool as exc:  # a worker died since the last collect: retried there
            chunk.future = Future()
            chunk.future.set_exception(exc)

    def collect(self, chunk: _Chunk) -> list[Result]:
        if chunk.results is not None:
            return chunk.results
        assert chunk.future is not None
        try:
            return chunk.future.result()
        except (BrokenProcessPool, CancelledError):
            pass
        # a worker died (killed, out of memory, a crash in native code): retry this chunk's
        # issues one at a time on a fresh pool, so that only the issue that kills it fails
        if chunk.generation == self.generation:
            self.restart_pool()
        results: list[Result] = []
        for s in chunk.slots:
            if s.skip or s.failure is not None:
                continue
            item = WorkItem(s.index, s.raw.issue_id, s.raw.source, s.raw.parts)
            for attempt in (1, 2):  # twice: a pool broken by another issue must not condemn this one
                try:
                    assert self.executor is not None
                    results.extend(self.executor.submit(process_chunk, [item]).result())
                    break
                except BrokenProcessPool:
                    self.restart_pool()
                    if attempt == 2:
                        reason = "the worker process died while processing this issue (killed, out of memory?)"
                        results.append(Result(s.index, failure=("worker", reason)))
        return results

    # -- results ---------------------------------------------------------------------------
    def fail(self, slot: _Slot, stage: str, reason: str) -> None:
        f = {"source": slot.raw.source, "issue_id": slot.raw.issue_id, "stage": stage, "reason": reason}
        self.summary.failed += 1
        self.summary.failures.append(f)
        self.target.error(f)

    def write(self, slot: _Slot, lines: bytes, articles: int) -> None:
        file = self.target.file_for(slot.raw.group, slot.raw.issue_id, slot.raw.source)
        entry = {"issue_id": slot.raw.issue_id, "sha256": slot.sha, "source": slot.raw.source, "records": articles}
        self.target.add(file, lines, entry)
        self.summary.done += 1
        self.summary.articles += articles

    def handle(self, chunk: _Chunk) -> int:
        results = {r.index: r for r in self.collect(chunk)}
        for r in results.values():
            if r.fatal is not None:
                raise BatchError(r.fatal)
        for s in chunk.slots:
            if s.skip:
                self.summary.skipped += 1
                continue
            if s.failure is not None:
                self.fail(s, *s.failure)
                continue
            r = results[s.index]
            if r.failure is not None:
                self.fail(s, *r.failure)
            elif self.main_stage_names:
                self.held.append((s, r))
            else:
                self.write(s, r.lines, r.articles)
        if len(self.held) >= self.config.pipeline.batch_size:
            self.flush_held()
        self.target.maybe_commit()
        return len(chunk.slots)

    def flush_held(self) -> None:
        if not self.held:
            return
        if self.main_stages is None:
            self.main_stages = [cls(self.config) for cls in self.main_stage_names]
        held, self.held = self.held, []
        issues = [r.issue for _, r in held]
        done, failures = run_stages(self.main_stages, [i for i in issues if i is not None])
        details_main = {st.name: st.describe() for st in self.main_stages}
        all_stages = self.worker_stages + self.main_stage_names
        for k, ((slot, r), issue) in enumerate(zip(held, done, strict=True)):
            if issue is None:
                self.fail(slot, *failures[k])
                continue
            prov = build_provenance(self.config, {**(r.details or {}), **details_main}, issue.encoding)
            self.write(slot, jsonl(render_records(issue, all_stages, prov)), len(issue.articles))

    # -- driver ----------------------------------------------------------------------------
    def slots(self, raws: Iterator[RawInput]) -> Iterator[_Slot]:
        for index, raw in enumerate(raws):
            slot = _Slot(index, raw)
            if raw.error is not None:
                slot.failure = (raw.error.stage, raw.error.reason)
            else:
                slot.sha = content_sha256(raw)
                if (raw.issue_id, slot.sha) in self.target.done:
                    slot.skip = True
                    slot.raw = RawInput(raw.source, raw.issue_id, raw.group)  # drop the bytes
            yield slot

    def run(self, raws: Iterator[RawInput], total: int, bar: tqdm) -> None:
        chunk_size = 1 if self.workers <= 1 else max(1, min(16, total // (self.workers * 8) or 1))
        max_chunks = max(2, self.workers * 3)
        window: deque[_Chunk] = deque()
        start = time.perf_counter()
        last_post = 0.0

        def drain_one() -> None:
            nonlocal last_post
            n = self.handle(window.popleft())
            bar.update(n)
            now = time.perf_counter()
            if now - last_post > 0.5:
                last_post = now
                bar.set_postfix_str(f"{self.summary.articles / max(now - start, 1e-9):.0f} articles/s", refresh=False)

        current: list[_Slot] = []
        work = 0
        for slot in self.slots(raws):
            current.append(slot)
            if not slot.skip and slot.failure is None:
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
        self.flush_held()
        self.target.commit()


def run_batch(
    inputs: list[str],
    output: Path,
    config: Config,
    *,
    workers: int | None = None,
    overwrite: bool = False,
    progress: bool | None = None,
) -> BatchSummary:
    """Process `inputs` into `output` (see the module docstring); returns the run's summary.

    Raises `BatchError` / `PipelineBuildError` (both `ConfigError`s) when the run cannot start.
    """
    start = time.perf_counter()
    worker_stages, main_stages = split_stages(config)
    target = OutputTarget(Path(output), config, overwrite=overwrite)
    max_bytes = int(config.input.max_file_mb * 1_000_000)
    try:
        plans = plan_inputs(list(inputs), max_bytes)
        n_workers = workers if workers is not None else default_workers()
        if len(plans) <= 1:
            n_workers = 1
        runner = _Runner(config, target, max(1, n_workers), worker_stages, main_stages)
        show = progress if progress is not None else len(plans) > 1
        runner.start_pool()
        try:
            with tqdm(
                total=len(plans), disable=not show, unit="issue", file=sys.stderr, dynamic_ncols=True
            ) as bar:
                runner.run(read_issues(plans, max_bytes), len(plans), bar)
        except KeyboardInterrupt:
            runner.summary.interrupted = True
        finally:
            try:
                runner.target.commit()
            finally:
                runner.stop_pool()
        summary = runner.summary
    finally:
        target.close()
    summary.elapsed = time.perf_counter() - start
    return summary
