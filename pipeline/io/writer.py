"""Write records: the data file(s), the manifest and the error list of one output, whole issues at a time.

Layouts: `-o FILE.jsonl` (output.layout `single`) writes one file, with `FILE.manifest.jsonl`,
`FILE.errors.jsonl` and, while it runs, `FILE.jsonl.lock` beside it; `-o DIR` with output.layout
`per_group` writes `DIR/<group>.jsonl` per input group (output.group_by `input`: the archive,
top-level directory or parent directory an issue came from; `year`: the year of the issue's
date), with `DIR/manifest.jsonl`, `DIR/errors.jsonl` and `DIR/newspipe.lock`.

Before anything is touched: an output that is one of the inputs, lies inside an input directory
or is an archive being read is refused (`check_not_an_input`); the lock (`pipeline.io.lock`)
refuses a second run on the same output; the data files and the manifest are opened for writing,
so an output that cannot be written fails before the work, not after it. The error list is
rewritten by every run and only exists when something failed; a run that wrote nothing leaves no
manifest behind. A write that fails (a full disk) cuts the data back to what the manifest vouches
for and stops with one line; the next run resumes.

Atomicity: `add` queues an issue's lines; a commit (every `COMMIT_INTERVAL` seconds, every
`COMMIT_BYTES` pending bytes, and at the end) writes them with one `write` per data file, fsyncs
the data, then appends the issues' manifest entries in one `write` and fsyncs the manifest (see
`pipeline.io.manifest`). On start, a resumed output drops a torn last manifest line and truncates
each data file to what the manifest vouches for, so nothing is half-written and nothing twice; a
killed run loses at most the last commit interval, which the next run redoes.

Only files this output owns are ever truncated or deleted: the single output file, or in a
per_group directory the group files the manifest names or that this run is about to write. An
output that exists without a manifest is refused unless `overwrite`. On resume, every manifest
entry's `end` must fall on a line boundary and close exactly its issue's records; a hand-edited
manifest is refused rather than trusted. An issue the manifest holds under the same id but with
other content (an input edited between runs) is reported, never appended a second time.
"""

from __future__ import annotations

import glob
import json
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pipeline.io.inputs import year_of
from pipeline.io.lock import OutputLock
from pipeline.io.manifest import Manifest, OutputError, write_all

COMMIT_INTERVAL = 0.05  # seconds between commits (a killed run redoes at most this much work)
COMMIT_BYTES = 8 << 20  # ... or this many pending bytes
RESERVED_SUFFIXES = (".manifest.jsonl", ".errors.jsonl", ".lock")


def _input_paths(inputs: Sequence[str]) -> list[str]:
    """The real paths the inputs name (globs expanded as `plan_inputs` does; stdin left out)."""
    out: list[str] = []
    for item in inputs:
        if item == "-":
            continue
        if os.path.lexists(item):
            out.append(os.path.realpath(item))
        elif glob.has_magic(item):
            out += [os.path.realpath(m) for m in glob.glob(item, recursive=True)]
    return out


def check_not_an_input(owned: Sequence[Path], inputs: Sequence[str]) -> None:
    """Refuse an output (any file it may write or delete, or its directory) that is an input,
    lies inside an input directory, or is an archive being read: `--overwrite` would delete it."""
    for real_in in _input_paths(inputs):
        for path in owned:
            real_out = os.path.realpath(path)
            same = real_out == real_in
            if not same and os.path.exists(real_out) and os.path.exists(real_in):
                try:
                    same = os.path.samefile(real_out, real_in)  # a hard link
                except OSError:  # pragma: no cover
                    same = False
            if same:
                raise OutputError(
                    f"-o {path} is one of the inputs ({real_in}); writing there would destroy it: choose another -o"
                )
            if os.path.isdir(real_in) and os.path.commonpath([real_in, real_out]) == real_in:
                raise OutputError(
                    f"-o {path} lies inside the input directory {real_in}; a later run would read its own "
                    "output: choose an -o outside the inputs"
                )


class RecordWriter:
    """Commits whole issues to one output; see the module docstring.

    `config_hash` goes into the manifest header (a resumed output must have the same);
    `settings` is the `output` config section (layout, group_by).
    """

    def __init__(
        self,
        output: Path,
        config_hash: str,
        settings: Any,
        *,
        overwrite: bool = False,
        fsync: bool = True,
        inputs: Sequence[str] = (),
    ) -> None:
        self.config_hash = config_hash
        self.layout = settings.layout
        self.group_by = settings.group_by
        self.fsync = fsync
        output = Path(output)
        if self.layout == "single":
            if output.is_dir() or str(output).endswith(os.sep):
                raise OutputError(
                    f"-o {output} is a directory; give a file (-o {output / 'records.jsonl'}) "
                    "or set output.layout=per_group to write one file per input group there"
                )
            self.dir = output.parent
            stem = output.name[: -len(".jsonl")] if output.name.endswith(".jsonl") else output.name
            self.single_name: str | None = output.name
            manifest_path = self.dir / f"{stem}.manifest.jsonl"
            self.errors_path = self.dir / f"{stem}.errors.jsonl"
            lock_path = self.dir / f"{output.name}.lock"
            if output.name.endswith(RESERVED_SUFFIXES):
                raise OutputError(
                    f"-o {output}: names ending in {', '.join(RESERVED_SUFFIXES)} are kept for the manifest, "
                    "error list and lock of an output; choose another name"
                )
            owned = [output, manifest_path, self.errors_path, lock_path]
        else:
            if output.exists() and not output.is_dir():
                raise OutputError(f"-o {output} is a file, but output.layout=per_group writes a directory")
            self.dir = output
            self.single_name = None
            manifest_path = self.dir / "manifest.jsonl"
            self.errors_path = self.dir / "errors.jsonl"
            lock_path = self.dir / "newspipe.lock"
            owned = [output]
        check_not_an_input(owned, inputs)
        self.manifest = Manifest(
            manifest_path,
            config_hash=config_hash,
            layout=self.layout,
            group_by=self.group_by,
            own_file=self._own_file_name,
        )
        self.fds: dict[str, int] = {}
        self.pending: list[tuple[str, bytes, dict[str, Any]]] = []  # (file, lines, manifest entry)
        self.pending_bytes = 0
        self.last_commit = time.monotonic()
        self.torn = False  # a commit was interrupted half-way (the next run recovers)
        self.errors_fh: Any = None
        self.created: set[str] = set()  # data files this run created (removed again if left empty)
        self.manifest_created = False
        self.lock = OutputLock(lock_path, str(output))
        try:
            try:
                self.dir.mkdir(parents=True, exist_ok=True)
            except FileExistsError:
                raise OutputError(f"-o {output}: cannot create the directory {self.dir}: a file is in the way") from None
            self.lock.acquire()
            if overwrite:
                self._remove_previous()
            self._open(overwrite)
        except OSError as exc:
            self.close()
            raise OutputError(self._os_message(exc, output)) from None
        except BaseException:
            self.close()
            raise

    @staticmethod
    def _os_message(exc: OSError, where: Path | str) -> str:
        return f"cannot use {exc.filename or where} for this output: {exc.strerror or exc}"

    @property
    def manifest_path(self) -> Path:
        return self.manifest.path

    def is_done(self, issue_id: str, sha256: str) -> bool:
        """Does the output already hold this issue with this content?"""
        return (issue_id, sha256) in self.manifest.done

    def held_sha256(self, issue_id: str) -> tuple[str, ...]:
        """The content hashes this output holds records of under `issue_id` (none, or one): what a
        worker that reads the issue itself needs to decide `is_done` / `is_changed` there."""
        held = self.manifest.written.get(issue_id)
        return (held,) if held is not None else ()

    def is_changed(self, issue_id: str, sha256: str) -> bool:
        """Does the output hold this issue id with other content (the input was edited)?"""
        held = self.manifest.written.get(issue_id)
        return held is not None and held != sha256

    # -- start: overwrite / recover --------------------------------------------------------
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
        names |= self.manifest.files_named()
        for name in names:
            (self.dir / name).unlink(missing_ok=True)
        self.manifest_path.unlink(missing_ok=True)

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
        where = self.dir / self.single_name if self.single_name else self.dir
        if not self.manifest.load(where):
            leftovers = [] if overwrite else self._unexpected_jsonl()
            if leftovers:
                raise OutputError(
                    f"{leftovers[0]} exists but there is no manifest ({self.manifest_path.name}), so this run "
                    "cannot tell what it holds; pass --overwrite to replace it, or choose another -o"
                )
            self.manifest.create()
            self.manifest_created = True
        else:
            for name, entries in sorted(self.manifest.entries_by_file().items()):
                self._check_ends(name, entries)
        # bring every data file back to what the manifest vouches for; a group file the manifest
        # does not name is emptied when this run first writes to it (see commit)
        for name in sorted(set(self.manifest.ends) | ({self.single_name} if self.single_name else set())):
            self._truncate_to_manifest(name)
            if (self.dir / name).exists():  # writable? found now, not after the work
                self.fds[name] = os.open(self.dir / name, os.O_WRONLY | os.O_APPEND)
        self.manifest.open()
        self.errors_path.unlink(missing_ok=True)  # rewritten by every run, created at the first failure

    def _check_ends(self, name: str, entries: list[dict[str, Any]]) -> None:
        """Each entry's `end` must close its issue's records on a line boundary: a hand-edited
        manifest would otherwise cut records off (or keep a broken line) and call it done."""
        path = self.dir / name
        size = path.stat().st_size if path.exists() else 0
        prev = 0
        with open(path, "rb") if path.exists() else open(os.devnull, "rb") as fh:
            for e in entries:
                end, records = e["end"], e.get("records")
                if end > size:
                    break  # reported by _truncate_to_manifest
                chunk = fh.read(end - prev) if end >= prev else b""
                first = chunk[: chunk.find(b"\n") + 1]
                key = b'"issue_id":' + json.dumps(e["issue_id"], ensure_ascii=False).encode("utf-8")
                if (
                    end < prev
                    or (chunk and not chunk.endswith(b"\n"))
                    or (isinstance(records, int) and chunk.count(b"\n") != records)
                    or (chunk and key not in first)
                ):
                    raise OutputError(
                        f"{self.manifest_path}: the entry for issue {e['issue_id']} says {name} ends at byte {end}, "
                        f"which does not end that issue's {records} records on a line boundary (was the manifest "
                        "or the data edited by hand?); restore both as newspipe wrote them, or pass --overwrite "
                        "to start over"
                    )
                prev = end

    def _truncate_to_manifest(self, name: str) -> None:
        path = self.dir / name
        end = self.manifest.ends.get(name, 0)
        size = path.stat().st_size if path.exists() else 0
        if size < end:
            raise OutputError(
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

    def add(self, *, issue_id: str, source: str, group: str, sha256: str, lines: bytes, records: int) -> None:
        """Queue one finished issue (all its lines); it is on disk after the next commit."""
        file = self.file_for(group, issue_id, source)
        entry = {"issue_id": issue_id, "sha256": sha256, "source": source, "records": records}
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
        entries: list[dict[str, Any]] = []
        ends = dict(self.manifest.ends)
        for file, lines, entry in self.pending:
            by_file.setdefault(file, []).append(lines)
            ends[file] = ends.get(file, 0) + len(lines)
            entries.append(dict(entry, file=file, end=ends[file]))
        file = ""
        try:
            for file, chunks in by_file.items():
                fd = self.fds.get(file)
                if fd is None:
                    if file not in self.manifest.ends:  # not vouched for: whatever a killed run left there goes
                        self._truncate_to_manifest(file)
                    if not (self.dir / file).exists():
                        self.created.add(file)
                    fd = os.open(self.dir / file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
                    self.fds[file] = fd
                write_all(fd, b"".join(chunks))
                if self.fsync:
                    os.fsync(fd)
            file = self.manifest_path.name
            self.manifest.append(entries, fsync=self.fsync)
        except OSError as exc:
            self._roll_back()
            raise OutputError(
                f"cannot write {self.dir / file}: {exc.strerror or exc}; nothing unfinished was kept: fix that "
                "(free some space?) and run the same command again, the output resumes where it stopped"
            ) from None
        self.pending.clear()
        self.pending_bytes = 0
        self.last_commit = time.monotonic()
        self.torn = False

    def _roll_back(self) -> None:
        """After a failed write: cut every data file and the manifest back to what is vouched for
        (best effort: the next run does the same on start)."""
        for file, fd in self.fds.items():
            try:
                os.ftruncate(fd, self.manifest.ends.get(file, 0))
            except OSError:
                pass
        self.manifest.roll_back()

    def error(self, failure: dict[str, str]) -> None:
        """Record one failed input in this output's error list (rewritten by every run)."""
        line = json.dumps(failure, ensure_ascii=False) + "\n"
        try:
            if self.errors_fh is None:
                self.errors_fh = self.errors_path.open("w", encoding="utf-8")
            self.errors_fh.write(line)
            self.errors_fh.flush()
        except OSError as exc:
            raise OutputError(self._os_message(exc, self.errors_path)) from None

    def close(self) -> None:
        """Close everything; a manifest this run created but never wrote an entry to, and data
        files it created but left empty, go again; then the lock is released."""
        if self.torn and self.lock.fd >= 0:  # a commit was cut short (Ctrl-C): keep only what is vouched for
            self._roll_back()
        for fd in self.fds.values():
            os.close(fd)
        self.fds.clear()
        self.manifest.close()
        if self.errors_fh is not None:
            try:
                self.errors_fh.close()
            except OSError:
                pass
            self.errors_fh = None
        if self.lock.fd >= 0:  # only the run holding the lock cleans up
            for file in self.created:
                path = self.dir / file
                vouched = self.manifest.ends.get(file, 0)
                try:
                    # an interrupted commit wrote data the manifest never vouched for: this run
                    # created the file, so cutting it back loses nothing anyone gave us
                    if path.exists() and path.stat().st_size > vouched:
                        os.truncate(path, vouched)
                    if path.exists() and path.stat().st_size == 0 and not vouched:
                        path.unlink()
                except OSError:
                    pass  # the next run cuts it back on start
            if self.manifest_created and not self.manifest.ends:
                self.manifest_path.unlink(missing_ok=True)
        self.lock.release()


__all__ = ["COMMIT_BYTES", "COMMIT_INTERVAL", "OutputError", "RecordWriter", "check_not_an_input"]
