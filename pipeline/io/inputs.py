"""Expand command-line inputs into issue sources (files, directories, stdin)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pipeline.io.decode import InputError


@dataclass
class RawInput:
    """Bytes of one issue plus where they came from."""

    source: str
    issue_id: str
    data: bytes | None = None
    error: InputError | None = None


def iter_inputs(inputs: list[str], max_bytes: int | None = None) -> Iterator[RawInput]:
    for item in inputs:
        if item == "-":
            yield RawInput("<stdin>", "stdin", sys.stdin.buffer.read())
            continue
        path = Path(item)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*.txt") if p.is_file())
            if not files:
                yield RawInput(str(path), path.name, error=InputError(str(path), "directory holds no .txt files", "read"))
            for f in files:
                yield _read_file(f, max_bytes)
        elif path.is_file():
            yield _read_file(path, max_bytes)
        else:
            yield RawInput(str(path), path.stem, error=InputError(str(path), "no such file or directory", "read"))


def _read_file(path: Path, max_bytes: int | None) -> RawInput:
    try:
        size = path.stat().st_size
        if max_bytes is not None and size > max_bytes:
            return RawInput(
                str(path),
                path.stem,
                error=InputError(
                    str(path),
                    f"file is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB limit; "
                    "split it or raise input.max_file_mb",
                    "read",
                ),
            )
        return RawInput(str(path), path.stem, path.read_bytes())
    except OSError as exc:
        return RawInput(str(path), path.stem, error=InputError(str(path), f"cannot read: {exc.strerror}", "read"))
