"""Write records: the data file(s), the manifest and errors.jsonl of one output, whole issues at a time.

Layouts: `-o FILE.jsonl` (output.layout `single`) writes one file, with `FILE.manifest.jsonl` and
`errors.jsonl` beside it; `-o DIR` with output.layout `per_group` writes `DIR/<group>.jsonl` per
input group (output.group_by `input`: the archive, top-level directory or parent directory an
issue came from; `year`: the year of the issue's date), with `DIR/manifest.jsonl` and
`DIR/errors.jsonl`.

Atomicity: `add` queues an issue's lines; a commit (every `COMMIT_INTERVAL` seconds, every
`COMMIT_BYTES` pending bytes, and at the end) writes them with one `write` per data file, fsyncs
the data, then appends the issues' manifest entries in one `write` and fsyncs the manifest (see
`pipeline.io.manifest`). On start, a resumed output drops a torn last manifest line and truncates
each data file to what the manifest vouches for, so nothing is half-written and nothing twice; a
killed run loses at most the last commit interval, which the next run redoes.

Only files this output owns are ever truncated or deleted: the single output file, or in a
per_group directory the group files the manifest names or that this run is about to write. An
output that exists without a manifest is refused unless `overwrite`.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from pipeline.io.inputs import year_of
from pipeline.io.manifest import Manifest, OutputError, write_all

COMMIT_INTERVAL = 0.05  # seconds between commits (a killed run redoes at most this much work)
COMMIT_BYTES = 8 << 20  # ... or this many pending bytes


class RecordWriter:
    """Commits whole issues to one output; see the module docstring.

    `config_hash` goes into the manifest header (a resumed output must have the same);
    `settings` is the `output` config section (layout, group_by).
    """

    def __init__(
        self, output: Path, config_hash: str, settings: Any, *, overwrite: bool = False, fsync: bool = True
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
            self.errors_path = self.dir / "errors.jsonl"
            if output.name in (manifest_path.name, self.errors_path.name):
                raise OutputError(f"-o {output}: that name is reserved for the manifest or the error list")
        else:
            if output.exists() and not output.is_dir():
                raise OutputError(f"-o {output} is a file, but output.layout=per_group writes a directory")
            self.dir = output
            self.single_name = None
            manifest_path = self.dir / "manifest.jsonl"
            self.errors_path = self.dir / "errors.jsonl"
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
        self.dir.mkdir(parents=True, exist_ok=True)
        if overwrite:
            self._remove_previous()
        self._open(overwrite)

    @property
    def manifest_path(self) -> Path:
        return self.manifest.path

    def is_done(self, issue_id: str, sha256: str) -> bool:
        """Does the output already hold this issue with this content?"""
        return (issue_id, sha256) in self.manifest.done

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
        where = self.dir / self.single_name if self.single_name else self.dir
        if not self.manifest.load(where):
            leftovers = [] if overwrite else self._unexpected_jsonl()
            if leftovers:
                raise OutputError(
                    f"{leftovers[0]} exists but there is no manifest ({self.manifest_path.name}), so this run "
                    "cannot tell what it holds; pass --overwrite to replace it, or choose another -o"
                )
            self.manifest.create()
        # bring every data file back to what the manifest vouches for; a group file the manifest
        # does not name is emptied when this run first writes to it (see commit)
        for name in sorted(set(self.manifest.ends) | ({self.single_name} if self.single_name else set())):
            self._truncate_to_manifest(name)
        self.manifest.open()
        self.errors_fh = self.errors_path.open("w", encoding="utf-8")

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
        for file, chunks in by_file.items():
            fd = self.fds.get(file)
            if fd is None:
                if file not in self.manifest.ends:  # not vouched for: whatever a killed run left there goes
                    self._truncate_to_manifest(file)
                fd = os.open(self.dir / file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
                self.fds[file] = fd
            write_all(fd, b"".join(chunks))
            if self.fsync:
                os.fsync(fd)
        self.manifest.append(entries, fsync=self.fsync)
        self.pending.clear()
        self.pending_bytes = 0
        self.last_commit = time.monotonic()
        self.torn = False

    def error(self, failure: dict[str, str]) -> None:
        """Record one failed input in errors.jsonl (rewritten by every run)."""
        self.errors_fh.write(json.dumps(failure, ensure_ascii=False) + "\n")
        self.errors_fh.flush()

    def close(self) -> None:
        for fd in self.fds.values():
            os.close(fd)
        self.fds.clear()
        self.manifest.close()
        if self.errors_fh is not None:
            self.errors_fh.close()
            self.errors_fh = None


__all__ = ["COMMIT_BYTES", "COMMIT_INTERVAL", "OutputError", "RecordWriter"]
