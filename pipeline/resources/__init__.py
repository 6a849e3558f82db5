"""Files that ship inside the package, read with `importlib.resources`, and how config names them.

Shipped files live under the package directory (`pipeline/models/lexicon/default.yaml`,
`pipeline/models/linear/`, `pipeline/presets/*.yaml`, `pipeline/resources/article.schema.json`)
and are named in config and provenance by package name: `pipeline:models/lexicon/default.yaml`.
Anything else is a user path, used as given (relative to the working directory) and recorded as
given, so no record or report carries the absolute path of a checkout or an installation.
"""

from __future__ import annotations

from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

PREFIX = "pipeline:"


def is_packaged(ref: str | Path) -> bool:
    return isinstance(ref, str) and ref.startswith(PREFIX)


def packaged(ref: str) -> Traversable:
    """The shipped file or directory that `pipeline:REL` names (it may not exist)."""
    rel = ref[len(PREFIX) :].strip("/")
    node: Traversable = resources.files("pipeline")
    for part in rel.split("/"):
        if part in ("", ".", ".."):
            raise ValueError(f"{ref!r}: a packaged name is a plain relative path")
        node = node.joinpath(part)
    return node


def locate(ref: str | Path) -> Traversable:
    """A config reference -> something to read: a packaged resource, or the user's path as given
    (`~` expanded)."""
    if is_packaged(ref):
        return packaged(str(ref))
    return Path(ref).expanduser()


def filesystem_path(ref: str | Path) -> Path:
    """A config reference as a filesystem path (for loaders that need one, such as
    `from_pretrained`); packaged resources are files on disk in every normal installation."""
    node = locate(ref)
    if isinstance(node, Path):
        return node
    return Path(str(node))  # pragma: no cover - zipped installs are not supported for model dirs


def packaged_hint(ref: str | Path) -> str:
    """' (did you mean pipeline:REL?)' when a missing user path names a shipped file."""
    if is_packaged(ref):
        return ""
    rel = Path(ref).as_posix().lstrip("./")
    for prefix in ("pipeline/", ""):
        if rel.startswith(prefix):
            candidate = PREFIX + rel[len(prefix) :]
            try:
                if packaged(candidate).is_file() or packaged(candidate).is_dir():
                    return f" (the shipped one is named {candidate})"
            except ValueError:
                return ""
    return ""
