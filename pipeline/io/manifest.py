"""The manifest of one output: which issues it holds, and how much of each data file is vouched for.

The manifest is JSON lines: a header (`newspipe_manifest`, `config_hash`, `layout`, `group_by`),
created atomically (temp file + rename) before any record is written, then one entry per finished
issue: issue id, sha256 of its content (see `pipeline.io.assemble.content_sha256`), its source,
record count, the data file it went to, and `end`: the size of that data file once the issue's
lines were in. The writer (`pipeline.io.writer`) appends entries only after the data they vouch
for is on disk, so after a `kill -9` at any moment every data file is "the prefix its last entry
vouches for" plus possibly a tail no entry vouches for, which `RecordWriter` cuts off on start.

A changed config is refused, not mixed: one output never holds records of two configs.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from pipeline.config import ConfigError

MANIFEST_FORMAT = 1


class OutputError(ConfigError):
    """The output cannot be written or resumed as asked (written with another config, changed
    outside newspipe, ...); the message says what to do."""


def fsync_dir(path: Path) -> None:
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


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


class Manifest:
    """Read, check, create and append to one manifest file.

    `own_file` says which data file names the output owns (only those are ever truncated or
    deleted); entries naming any other file make the manifest count as damaged.
    """

    def __init__(self, path: Path, *, config_hash: str, layout: str, group_by: str, own_file: Any) -> None:
        self.path = path
        self.config_hash = config_hash
        self.layout = layout
        self.group_by = group_by
        self.own_file = own_file
        self.done: set[tuple[str, str]] = set()  # (issue_id, sha256) of finished issues
        self.written: dict[str, str] = {}  # issue_id -> sha256 of the content it was written from
        self.ends: dict[str, int] = {}  # data file name -> size vouched for
        self.entries: list[dict[str, Any]] = []  # as loaded
        self.size = 0  # bytes of whole lines in the manifest
        self.fd = -1

    def entries_by_file(self) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {}
        for e in self.entries:
            out.setdefault(e["file"], []).append(e)
        return out

    def files_named(self) -> set[str]:
        """Data files an existing manifest names (for --overwrite); a damaged line is skipped."""
        names: set[str] = set()
        if self.path.exists():
            for line in self.path.read_bytes().splitlines()[1:]:
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                if isinstance(entry, dict) and self.own_file(entry.get("file")):
                    names.add(entry["file"])
        return names

    def load(self, where: Path) -> bool:
        """Read an existing manifest into `done` / `ends` (checking its header against this run);
        False when there is none (or it is empty)."""
        if not self.path.exists():
            return False
        header, entries = self._read()
        if header is None:
            return False
        self._check_header(header, where)
        self.entries = entries
        for e in entries:
            self.done.add((e["issue_id"], e["sha256"]))
            self.written[e["issue_id"]] = e["sha256"]
            self.ends[e["file"]] = int(e["end"])
        return True

    def _read(self) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        raw = self.path.read_bytes()
        cut = raw.rfind(b"\n") + 1
        if cut < len(raw):  # a torn last line from a killed run: drop it
            with open(self.path, "r+b") as fh:
                fh.truncate(cut)
                fh.flush()
                os.fsync(fh.fileno())
            raw = raw[:cut]
        self.size = len(raw)
        lines = raw.splitlines()
        if not lines:
            return None, []
        try:
            header = json.loads(lines[0])
            entries = [json.loads(line) for line in lines[1:]]
        except ValueError as exc:
            raise OutputError(f"manifest {self.path} is damaged ({exc}); pass --overwrite to start over") from None
        if not isinstance(header, dict) or header.get("newspipe_manifest") != MANIFEST_FORMAT:
            raise OutputError(f"{self.path} is not a newspipe manifest; pass --overwrite or choose another -o")
        for e in entries:
            if (
                not isinstance(e, dict)
                or not {"issue_id", "sha256", "file", "end"} <= set(e)
                or not self.own_file(e["file"])
                or not isinstance(e["end"], int)
            ):
                raise OutputError(f"manifest {self.path} is damaged; pass --overwrite to start over")
        return header, entries

    def _check_header(self, header: dict[str, Any], where: Path) -> None:
        if header.get("config_hash") != self.config_hash:
            raise OutputError(
                f"{where} was written with config {header.get('config_hash')}, this run's config is "
                f"{self.config_hash}; one output never mixes configs: pass --overwrite to start over "
                "with this config, or choose another -o"
            )
        if header.get("layout") != self.layout:
            raise OutputError(
                f"{where} was written with output.layout={header.get('layout')}; pass --overwrite or choose another -o"
            )

    def create(self) -> None:
        header = {
            "newspipe_manifest": MANIFEST_FORMAT,
            "config_hash": self.config_hash,
            "layout": self.layout,
            "group_by": self.group_by,
        }
        tmp = self.path.with_name(self.path.name + ".tmp")
        with open(tmp, "wb") as fh:
            blob = (json.dumps(header, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")
            fh.write(blob)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)
        fsync_dir(self.path.parent)
        self.size = len(blob)

    def open(self) -> None:
        self.fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)

    def append(self, entries: list[dict[str, Any]], fsync: bool = True) -> None:
        """Append entries in one write (each carries `file` and `end`), then fsync."""
        blob = b"".join((json.dumps(e, ensure_ascii=False) + "\n").encode("utf-8") for e in entries)
        write_all(self.fd, blob)
        if fsync:
            os.fsync(self.fd)
        self.size += len(blob)
        for e in entries:
            self.ends[e["file"]] = e["end"]
            self.written[e["issue_id"]] = e["sha256"]

    def roll_back(self) -> None:
        """Cut a half-appended entry off (after a failed write); best effort."""
        if self.fd >= 0:
            try:
                os.ftruncate(self.fd, self.size)
            except OSError:
                pass

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
