"""Expand command-line inputs into issues: files, directories, globs, archives, stdin.

Two phases, so that a run over thousands of issues never holds more than a few in memory:

1. `plan_inputs` lists what there is (paths, archive members with their declared sizes) and
   groups it into `IssuePlan`s, without reading any issue text. Problems found here (a missing
   path, an archive member named `../x` or `/etc/x`, a member over `input.max_file_mb`, an
   unreadable archive) become plans that carry an `InputError` and are reported like any
   other failed input.
2. `read_issues` reads the plans' bytes in plan order, one issue at a time. Archives are read
   in place, never extracted to disk: a zip member is read through `ZipFile.open`, tar members
   in one sequential pass (`r|*`; a `.tar.gz` is decompressed once to list it and once to read
   it, never seeked backwards), holding only members of issues not yet complete. A member
   whose declared size is over the limit is refused without being read, and every read stops
   one byte past the limit, so a member whose declared size lies (a zip bomb) cannot fill
   memory either.

Order is deterministic: inputs in command-line order; inside a directory, paths sorted;
inside an archive, the archive's stored order (a compressed tar cannot be seeked cheaply).

Page-per-file layouts are grouped into one issue whose parts carry page numbers:

- a date directory holding page files: `2024-09-01/01.txt`, `2024-09-01/A04.txt`,
  `20240901/page02.txt`, `2024-09-01/第3版.txt`;
- names carrying date and page: `xxrb_20240901_04.txt`, `2024-09-01-p04.txt`.

Issue ids: a file given on its own -> its stem; a file found under a directory input -> its
path relative to that directory, without suffix (`2024/09/01`); an archive member -> its
member path without suffix; a paged issue -> the date directory (`2024-09-01`) or the name
without its page part (`xxrb_20240901`), relative in the same way.
"""

from __future__ import annotations

import bz2
import contextlib
import glob
import gzip
import lzma
import os
import re
import stat
import sys
import tarfile
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from pipeline.io.decode import InputError, format_mb
from pipeline.text import page_sort_key

ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".zip")
NOT_REGULAR = "not a regular file (a FIFO, device or socket named like an issue); refused without opening it"
NESTED = "an archive inside an archive is not read; extract it and pass it as an input of its own"
TEXT_SUFFIXES = (".txt",)
_DATE = r"(?:19|20)\d{2}[-_.]?(?:0[1-9]|1[0-2])[-_.]?(?:0[1-9]|[12]\d|3[01])"
_DATE_RE = re.compile(rf"(?<!\d){_DATE}(?!\d)")
_YEAR_RE = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
_PAGE_TOKEN = r"(?:p|page|第)?(?P<page>[A-Za-z]?\d{1,3})(?:版|页)?"
# `01`, `A04`, `page02`, `第3版` as a whole file stem (inside a date directory)
_PAGE_STEM_RE = re.compile(rf"^{_PAGE_TOKEN}$", re.IGNORECASE)
# `xxrb_20240901_04`, `2024-09-01-p04`: date then page at the end of the stem
_DATE_PAGE_STEM_RE = re.compile(rf"^(?P<key>.*?{_DATE})[-_. ]*{_PAGE_TOKEN}$", re.IGNORECASE)


@dataclass
class PartRef:
    """Where one file of an issue lives: a path, or a member of an archive."""

    source: str  # shown to the user: `path` or `archive.zip!member`
    path: str  # filesystem path (the archive itself for members)
    member: str | None = None
    key: int | None = None  # zip: index in infolist(); tar: header offset
    size: int | None = None
    page: str | None = None
    rel: str = ""  # posix path used for grouping and ids


@dataclass
class IssuePlan:
    issue_id: str
    source: str
    group: str  # the input group: archive name, top-level directory, or parent directory
    parts: list[PartRef] = field(default_factory=list)
    error: InputError | None = None
    archive: str | None = None  # parts come from this archive (read in one pass)
    kind: str = "file"  # "file", "zip", "tar", "stdin"

    @property
    def paged(self) -> bool:
        return any(p.page is not None for p in self.parts)


@dataclass
class RawInput:
    """The bytes of one issue (one entry per page for a paged issue) plus where they came from."""

    source: str
    issue_id: str
    group: str = ""
    parts: list[tuple[str | None, str, bytes]] = field(default_factory=list)  # (page, source, data)
    error: InputError | None = None

    @property
    def data(self) -> bytes | None:
        """The bytes of a single-file issue (None for a paged or failed one)."""
        if len(self.parts) == 1 and self.parts[0][0] is None:
            return self.parts[0][2]
        return None


def too_big(source: str, size: int, max_bytes: int) -> InputError:
    return InputError(
        source,
        f"file is {format_mb(size)}, over the {format_mb(max_bytes)} limit; split it or raise input.max_file_mb",
        "read",
    )


def issue_too_big(source: str, size: int | None, max_issue_bytes: int) -> InputError:
    """An issue whose files (all its pages) add up to more than `input.max_issue_mb`."""
    what = f"add up to {format_mb(size)}" if size is not None else "add up to more than that"
    return InputError(
        source,
        f"the files of this issue {what}, over the {format_mb(max_issue_bytes)} limit of input.max_issue_mb; "
        "split it or raise input.max_issue_mb",
        "read",
    )


def is_archive(name: str) -> bool:
    low = name.lower()
    return low.endswith(ARCHIVE_SUFFIXES)


def _strip_suffix(name: str) -> str:
    low = name.lower()
    for suf in ARCHIVE_SUFFIXES + TEXT_SUFFIXES:
        if low.endswith(suf):
            return name[: -len(suf)]
    return name[: -len(PurePosixPath(name).suffix)] if PurePosixPath(name).suffix else name


def unsafe_member_reason(name: str) -> str | None:
    """Why an archive member name is refused (absolute, drive letter, `..`), or None."""
    norm = name.replace("\\", "/")
    if norm.startswith("/") or re.match(r"^[A-Za-z]:", norm):
        return f"archive member name {name!r} is absolute; refused (never extracted, but not trusted either)"
    if ".." in norm.split("/"):
        return f"archive member name {name!r} contains '..'; refused"
    return None


def page_key(rel: str, root_name: str = "") -> tuple[str, str] | None:
    """(issue path, page) for a page-per-file name, or None for a whole-issue file.

    `rel` is a posix path relative to its directory input or archive (or as given);
    `root_name` names that directory or archive, for page files directly inside it
    (key "." then).
    """
    p = PurePosixPath(rel)
    stem = _strip_suffix(p.name)
    parent = p.parent
    m = _PAGE_STEM_RE.match(stem)
    parent_name = parent.name if str(parent) != "." else root_name
    if m and parent_name and _DATE_RE.search(parent_name):
        return str(parent), m.group("page")
    m = _DATE_PAGE_STEM_RE.match(stem)
    if m:
        key = m.group("key").rstrip("-_. ")
        return (str(parent / key) if str(parent) != "." else key), m.group("page")
    return None


def year_of(*texts: str) -> str:
    for t in texts:
        m = _DATE_RE.search(t)
        if m:
            return m.group(0)[:4]
    for t in texts:
        m = _YEAR_RE.search(t)
        if m:
            return m.group(1)
    return "undated"


# ---- phase 1: plan ------------------------------------------------------------------------
@dataclass
class _Entry:
    rel: str  # posix path used for grouping and ids
    ref: PartRef
    error: InputError | None = None


def _group_entries(
    entries: list[_Entry],
    *,
    group: str,
    id_root: str | None,
    kind: str,
    archive: str | None,
    source_root: str,
    max_issue_bytes: int | None = None,
) -> list[IssuePlan]:
    """Group entries (in order) into issues; paged files of one issue become one plan.

    id_root: None -> ids are stems (loose files); otherwise ids are relative paths and id_root
    names the directory or archive itself, the id of page files lying directly in it. An issue
    whose declared sizes add up to more than `max_issue_bytes` is refused here, unread.
    """
    plans: list[IssuePlan] = []
    paged: dict[str, IssuePlan] = {}
    for e in entries:
        if e.error is not None:
            plans.append(
                IssuePlan(_issue_id(e.rel, id_root), e.ref.source, group, [e.ref], e.error, archive, kind)
            )
            continue
        pk = page_key(e.rel, id_root or "")
        if pk is None:
            plans.append(IssuePlan(_issue_id(e.rel, id_root), e.ref.source, group, [e.ref], None, archive, kind))
            continue
        key, page = pk
        e.ref.page = page
        plan = paged.get(key)
        if plan is None:
            if key in (".", ""):
                issue_id = id_root or "issue"
            elif id_root is None:
                issue_id = PurePosixPath(key).name
            else:
                issue_id = key
            if archive:
                src = source_root if key in (".", "") else f"{source_root}!{key}"
            else:
                src = _join(source_root, key)
            plan = IssuePlan(issue_id, src, group, [], None, archive, kind)
            paged[key] = plan
            plans.append(plan)
        plan.parts.append(e.ref)
    for plan in paged.values():
        plan.parts.sort(key=lambda r: page_sort_key(r.page))
        pages = [page_sort_key(r.page)[:2] for r in plan.parts]
        if len(set(pages)) != len(pages):
            plan.error = InputError(
                plan.source, "two files claim the same page number; rename one of them", "read"
            )
    if max_issue_bytes is not None:
        for plan in plans:
            total = sum(r.size or 0 for r in plan.parts)
            if plan.error is None and total > max_issue_bytes:
                plan.error = issue_too_big(plan.source, total, max_issue_bytes)
    return plans


def _join(root: str, key: str) -> str:
    if not root or root == ".":
        return key
    if key in (".", ""):
        return root
    return str(PurePosixPath(root) / key)


def _issue_id(rel: str, id_root: str | None) -> str:
    if id_root is None:
        return _strip_suffix(PurePosixPath(rel).name)
    return _strip_suffix(rel)


def _is_hidden(rel: str) -> bool:
    return any(part.startswith(".") or part == "__MACOSX" for part in PurePosixPath(rel).parts)


def _plan_directory(path: Path, max_bytes: int | None, max_issue_bytes: int | None = None) -> list[IssuePlan]:
    name = path.resolve().name or str(path)
    items: list[tuple[str, Path, InputError | None]] = []

    def unreadable(exc: OSError) -> None:
        """os.walk skips a directory it cannot list; we say so instead."""
        where = Path(exc.filename) if exc.filename else path
        try:
            rel = where.relative_to(path).as_posix()
        except ValueError:
            rel = "."
        reason = f"cannot read directory: {exc.strerror or exc}; its files are not processed"
        items.append((rel, where, InputError(str(where), reason, "read")))

    for root, dirs, files in os.walk(path, onerror=unreadable):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for f in files:
            full = Path(root) / f
            rel = full.relative_to(path).as_posix()
            if _is_hidden(rel):
                continue
            if f.lower().endswith(TEXT_SUFFIXES) or is_archive(f):
                items.append((rel, full, None))
    items.sort(key=lambda t: t[0])
    if not items:
        return [IssuePlan(name, str(path), name, [], InputError(str(path), "directory holds no .txt files or archives", "read"))]
    plans: list[IssuePlan] = []
    texts: list[_Entry] = []

    def flush() -> None:
        grouped = _group_entries(
            texts, group=name, id_root=name, kind="file", archive=None, source_root=str(path),
            max_issue_bytes=max_issue_bytes,
        )  # fmt: skip
        for plan in grouped:
            rel = plan.parts[0].rel if plan.parts else ""
            # the output group of a directory input: its top-level subdirectory, else its own name
            plan.group = rel.split("/", 1)[0] if "/" in rel else name
        plans.extend(grouped)
        texts.clear()

    for rel, full, err in items:
        if err is not None:
            flush()
            group = rel.split("/", 1)[0] if rel != "." else name
            plans.append(IssuePlan(name if rel == "." else rel, str(full), group, [], err))
            continue
        if is_archive(rel):
            flush()
            plans.extend(_plan_archive(full, max_bytes, max_issue_bytes))
            continue
        texts.append(_file_entry(rel, full, max_bytes))
    flush()
    return plans


def _file_entry(rel: str, full: Path, max_bytes: int | None) -> _Entry:
    """A file to read later; only a regular file (a FIFO would block the run forever, a device
    never ends): anything else is refused here, by its `stat`, without opening it."""
    ref = PartRef(str(full), str(full), rel=rel)
    try:
        st = os.stat(full)
    except OSError as exc:
        return _Entry(rel, ref, InputError(str(full), f"cannot read: {exc.strerror or exc}", "read"))
    if not stat.S_ISREG(st.st_mode):
        return _Entry(rel, ref, InputError(str(full), NOT_REGULAR, "read"))
    ref.size = st.st_size
    if max_bytes is not None and ref.size > max_bytes:
        return _Entry(rel, ref, too_big(str(full), ref.size, max_bytes))
    return _Entry(rel, ref)


class _TailReader:
    """A read-only file over a (decompressed) tar stream that remembers the last block read, so
    that where `tarfile` stopped listing can be checked without reading backwards: `tarfile`
    takes a corrupt header, or a stream cut at a header, for the end of the archive."""

    def __init__(self, fh) -> None:  # type: ignore[no-untyped-def]
        self.fh = fh
        self.last = b""
        self.last_at = -1
        self.name = getattr(fh, "name", None)
        self.mode = "rb"

    def read(self, n: int = -1) -> bytes:
        at = self.fh.tell()
        data = self.fh.read(n)
        self.last, self.last_at = data, at
        return data

    def seek(self, pos: int, whence: int = 0) -> int:
        return self.fh.seek(pos, whence)

    def tell(self) -> int:
        return self.fh.tell()

    def close(self) -> None:
        self.fh.close()


def _open_tar_stream(path: Path):  # type: ignore[no-untyped-def]
    """The archive's tar bytes: decompressed by its magic number (what `r:*` would pick)."""
    with open(path, "rb") as fh:
        magic = fh.read(6)
    if magic.startswith(b"\x1f\x8b"):
        return gzip.open(path, "rb")
    if magic.startswith(b"BZh"):
        return bz2.open(path, "rb")
    if magic.startswith(b"\xfd7zXZ"):
        return lzma.open(path, "rb")
    return open(path, "rb")


def _check_tar_end(tf: tarfile.TarFile, tail: _TailReader) -> str | None:
    """Why the listing stopped early (a corrupt header, a cut stream), or None at a real end:
    an end-of-archive block of zeros, then a compressed stream that ends cleanly."""
    offset = tf.offset
    if tail.last_at != offset or len(tail.last) < tarfile.BLOCKSIZE:
        return f"archive is truncated at byte {offset} of its tar stream"
    if tail.last[: tarfile.BLOCKSIZE].count(0) != tarfile.BLOCKSIZE:
        return f"archive is corrupt: no valid member header at byte {offset} of its tar stream"
    try:  # the rest is padding; reading it to the end checks the compressed stream's CRC
        budget = 1 << 20
        while budget > 0:
            chunk = tail.fh.read(65536)
            if not chunk:
                break
            budget -= len(chunk)
    except (OSError, EOFError, zlib.error, lzma.LZMAError) as exc:
        return f"archive is corrupt after its last member: {exc}"
    return None


def _plan_archive(path: Path, max_bytes: int | None, max_issue_bytes: int | None = None) -> list[IssuePlan]:
    archive = str(path)
    group = _strip_suffix(path.name)
    entries: list[_Entry] = []
    low = path.name.lower()
    damage: str | None = None
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):  # a FIFO named x.zip would block the run
            return [IssuePlan(group, archive, group, [], InputError(archive, NOT_REGULAR, "read"))]
    except OSError as exc:
        return [IssuePlan(group, archive, group, [], InputError(archive, f"cannot read: {exc.strerror or exc}", "read"))]
    try:
        if low.endswith(".zip"):
            kind = "zip"
            with zipfile.ZipFile(path) as zf:
                for idx, info in enumerate(zf.infolist()):
                    if info.is_dir():
                        continue
                    e = _member_entry(archive, info.filename, idx, info.file_size, max_bytes)
                    if e is not None:
                        entries.append(e)
        else:
            kind = "tar"
            try:
                stream = _open_tar_stream(path)
            except OSError as exc:
                raise tarfile.ReadError(exc.strerror or str(exc)) from None
            tail = _TailReader(stream)
            try:
                with tarfile.open(fileobj=tail, mode="r:") as tf:  # type: ignore[call-overload]
                    try:
                        for info in tf:
                            if info.isdir():
                                continue
                            e = _member_entry(archive, info.name, info.offset, info.size, max_bytes)
                            if e is None:
                                continue
                            if e.error is None and not info.isfile():
                                e.error = InputError(
                                    e.ref.source, "archive member is a link or device, not a regular file; refused", "read"
                                )
                            entries.append(e)
                        damage = _check_tar_end(tf, tail)
                    except (OSError, tarfile.TarError, EOFError, zlib.error, lzma.LZMAError) as exc:
                        if not entries:
                            raise
                        damage = f"archive is corrupt or truncated: {_one_line(exc)}"
            finally:
                stream.close()
    except (OSError, zipfile.BadZipFile, tarfile.TarError, EOFError, zlib.error, lzma.LZMAError) as exc:
        return [IssuePlan(group, archive, group, [], InputError(archive, f"cannot read archive: {_one_line(exc)}", "read"))]
    plans: list[IssuePlan] = []
    if entries:
        plans = _group_entries(
            entries, group=group, id_root=group, kind=kind, archive=archive, source_root=archive,
            max_issue_bytes=max_issue_bytes,
        )  # fmt: skip
        if kind == "tar":
            # in the order their last member goes by in the stream: reading then emits each issue
            # as soon as it is whole, holding nothing that lies between the pages of another
            plans.sort(key=lambda p: max(r.key or 0 for r in p.parts) if p.parts else 0)
    if damage is not None:
        after = f" after {entries[-1].ref.member}" if entries else ""
        reason = f"{damage}{after}; members beyond it were not reached (listed issues before it are processed)"
        plans.append(IssuePlan(f"{group}!damaged", archive, group, [], InputError(archive, reason, "read"), archive, kind))
    if not plans:
        return [IssuePlan(group, archive, group, [], InputError(archive, "archive holds no .txt members", "read"))]
    return plans


def _one_line(exc: BaseException) -> str:
    """An exception as one short line (tar reasons may span several)."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def _member_entry(archive: str, name: str, key: int, size: int, max_bytes: int | None) -> _Entry | None:
    source = f"{archive}!{name}"
    ref = PartRef(source, archive, name, key, size, rel=name.replace("\\", "/"))
    bad = unsafe_member_reason(name)
    if bad is not None:
        return _Entry(name.replace("\\", "/").lstrip("/"), ref, InputError(source, bad, "read"))
    rel = name.replace("\\", "/")
    if _is_hidden(rel):
        return None
    if is_archive(rel):
        return _Entry(rel, ref, InputError(source, NESTED, "read"))
    if not rel.lower().endswith(TEXT_SUFFIXES):
        return None
    if max_bytes is not None and size > max_bytes:
        return _Entry(rel, ref, too_big(source, size, max_bytes))
    return _Entry(rel, ref)


def plan_inputs(
    inputs: list[str], max_bytes: int | None = None, max_issue_bytes: int | None = None
) -> list[IssuePlan]:
    """Every issue the inputs hold, in a deterministic order, without reading issue text.

    `max_bytes` caps one file or member (`input.max_file_mb`), `max_issue_bytes` all the files
    of one issue together (`input.max_issue_mb`)."""
    plans: list[IssuePlan] = []
    loose: list[_Entry] = []
    seen: set[str] = set()

    def flush_loose() -> None:
        if not loose:
            return
        grouped = _group_entries(
            list(loose), group="", id_root=None, kind="file", archive=None, source_root="",
            max_issue_bytes=max_issue_bytes,
        )  # fmt: skip
        for plan in grouped:
            parent = Path(plan.parts[0].path).resolve().parent.name if plan.parts else ""
            plan.group = parent or "default"
        plans.extend(grouped)
        loose.clear()

    for item in inputs:
        if item == "-":
            flush_loose()
            plans.append(IssuePlan("stdin", "<stdin>", "stdin", [PartRef("<stdin>", "-")], kind="stdin"))
            continue
        path = Path(item)
        if path.exists():
            matches = [path]
        elif glob.has_magic(item):
            matches = sorted(Path(m) for m in glob.glob(item, recursive=True))
            if not matches:
                flush_loose()
                plans.append(
                    IssuePlan(path.stem, item, "default", [], InputError(item, "pattern matches nothing", "read"))
                )
                continue
        else:
            flush_loose()
            plans.append(
                IssuePlan(path.stem, item, "default", [], InputError(item, "no such file or directory", "read"))
            )
            continue
        for m in matches:
            real = os.path.realpath(m)
            if real in seen:
                continue
            seen.add(real)
            if m.is_dir():
                flush_loose()
                plans.extend(_plan_directory(m, max_bytes, max_issue_bytes))
            elif is_archive(m.name):
                flush_loose()
                plans.extend(_plan_archive(m, max_bytes, max_issue_bytes))
            elif m.is_file() or m.exists():
                loose.append(_file_entry(m.as_posix(), m, max_bytes))
    flush_loose()
    _make_ids_unique(plans)
    return plans


def _make_ids_unique(plans: list[IssuePlan]) -> None:
    """Two inputs may hold issues with the same name (`a/2024-09-01.txt`, `b/2024-09-01.txt`):
    such ids become their source paths, then get a `~N` counter if still equal, so that every
    `article_id` in one output is unique. Ids that are already unique are left alone."""
    counts = Counter(p.issue_id for p in plans)
    for plan in plans:
        if counts[plan.issue_id] > 1:
            src = plan.source.removeprefix("./")
            plan.issue_id = _strip_suffix(src) if src not in ("<stdin>", "") else plan.issue_id
    seen: Counter[str] = Counter()
    for plan in plans:
        seen[plan.issue_id] += 1
        if seen[plan.issue_id] > 1:
            plan.issue_id = f"{plan.issue_id}~{seen[plan.issue_id]}"


# ---- phase 2: read ------------------------------------------------------------------------
class _Budget:
    """What one issue may still read: each file up to `max_bytes`, all of them together up to
    `max_issue_bytes`; every read stops one byte past what is left, so sizes that lie (a zip
    bomb, a paged issue of bombs) cannot fill memory."""

    def __init__(self, source: str, max_bytes: int | None, max_issue_bytes: int | None) -> None:
        self.source = source
        self.max_bytes = max_bytes
        self.max_issue = max_issue_bytes
        self.used = 0

    def read(self, fh, source: str, hint: int | None = None) -> bytes:  # type: ignore[no-untyped-def]
        """`hint`: the size the listing saw; read that much first (a read of the whole cap would
        allocate the cap), then whatever more there is, up to the cap."""
        left = None if self.max_issue is None else self.max_issue - self.used
        cap = self.max_bytes if left is None else (left if self.max_bytes is None else min(self.max_bytes, left))
        if cap is None:
            data = fh.read()
        else:
            first = cap + 1 if hint is None else min(cap, max(hint, 0)) + 1
            data = fh.read(first)
            if len(data) == first and first <= cap:  # the listing's size was stale or a lie
                data += fh.read(cap + 1 - len(data))
            if len(data) > cap:
                if self.max_bytes is not None and len(data) > self.max_bytes:
                    raise too_big(source, len(data), self.max_bytes)
                assert self.max_issue is not None
                raise issue_too_big(self.source, None, self.max_issue)
        self.used += len(data)
        return data


def _read_capped(fh, source: str, max_bytes: int | None) -> bytes:
    """Read at most max_bytes + 1 bytes: a member that lies about its size cannot fill memory."""
    return _Budget(source, max_bytes, None).read(fh, source)


class OpenZips:
    """Zip archives kept open across calls of `read_issues`: a Ray worker reads the members of one
    archive over many tasks, and parses its central directory (one entry per member) once, not once
    per task. An archive whose size or mtime changed is opened again; at most `keep` stay open."""

    def __init__(self, keep: int = 4) -> None:
        self.keep = keep
        self.open: dict[str, tuple[tuple[int, int], zipfile.ZipFile]] = {}  # oldest first

    def get(self, path: str) -> zipfile.ZipFile:
        st = os.stat(path)
        sig = (st.st_size, st.st_mtime_ns)
        hit = self.open.pop(path, None)
        if hit is not None and hit[0] == sig:
            self.open[path] = hit
            return hit[1]
        if hit is not None:
            hit[1].close()
        zf = zipfile.ZipFile(path)
        self.open[path] = (sig, zf)
        while len(self.open) > self.keep:
            self.open.pop(next(iter(self.open)))[1].close()
        return zf


def read_issues(
    plans: list[IssuePlan],
    max_bytes: int | None = None,
    max_issue_bytes: int | None = None,
    *,
    root: str | None = None,
    zips: OpenZips | None = None,
) -> Iterator[RawInput]:
    """Yield one `RawInput` per plan, in plan order, reading archives in place. `root`: the
    directory relative paths were listed from, when reading happens elsewhere (a Ray worker whose
    working directory is not the driver's); sources and reasons keep the paths as listed. `zips`:
    zip archives to keep open for later calls (else each call opens and closes its own)."""
    i = 0
    n = len(plans)
    while i < n:
        plan = plans[i]
        if plan.archive is not None:
            j = i
            while j < n and plans[j].archive == plan.archive:
                j += 1
            if plan.kind == "zip":
                yield from _read_zip(plans[i:j], max_bytes, max_issue_bytes, root, zips)
            else:
                yield from _read_tar(plans[i:j], max_bytes, max_issue_bytes, root)
            i = j
            continue
        yield _read_plain(plan, max_bytes, max_issue_bytes, root)
        i += 1


def _raw(plan: IssuePlan, error: InputError | None = None) -> RawInput:
    return RawInput(plan.source, plan.issue_id, plan.group, [], error or plan.error)


def _at(root: str | None, path: str) -> str:
    """Where to open `path` (as listed) from: itself, or under `root` when it is relative."""
    return path if root is None else os.path.join(root, path)


def _as_listed(exc: OSError, path: str, listed: str) -> OSError:
    """An error opening `path` that names the path as listed (no directory of the machine reading it)."""
    if exc.filename == path:
        exc.filename = listed
    return exc


def _open_regular(path: str):  # type: ignore[no-untyped-def]
    """Open a file for reading only if it is a regular file: non-blocking, so that a FIFO put in
    place of a file after listing cannot hang the run either."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise InputError(path, NOT_REGULAR, "read")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _read_plain(
    plan: IssuePlan, max_bytes: int | None, max_issue_bytes: int | None = None, root: str | None = None
) -> RawInput:
    if plan.error is not None:
        return _raw(plan)
    raw = _raw(plan)
    budget = _Budget(plan.source, max_bytes, max_issue_bytes)
    for ref in plan.parts:
        try:
            if plan.kind == "stdin":
                data = budget.read(sys.stdin.buffer, ref.source)
            else:
                with _open_regular(_at(root, ref.path)) as fh:
                    data = budget.read(fh, ref.source, ref.size)
        except InputError as err:
            return _raw(plan, err)
        except OSError as exc:
            return _raw(plan, InputError(ref.source, f"cannot read: {exc.strerror or exc}", "read"))
        raw.parts.append((ref.page, ref.source, data))
    return raw


_MEMBER_ERRORS = (OSError, zipfile.BadZipFile, RuntimeError, EOFError, NotImplementedError, zlib.error, lzma.LZMAError)


def _read_zip(
    plans: list[IssuePlan],
    max_bytes: int | None,
    max_issue_bytes: int | None = None,
    root: str | None = None,
    zips: OpenZips | None = None,
) -> Iterator[RawInput]:
    archive = plans[0].archive
    assert archive is not None
    path = _at(root, archive)
    try:
        try:
            zf = zips.get(path) if zips is not None else zipfile.ZipFile(path)
        except OSError as exc:
            raise _as_listed(exc, path, archive) from None
    except (OSError, zipfile.BadZipFile) as exc:
        for plan in plans:
            yield _raw(plan, plan.error or InputError(archive, f"cannot read archive: {_one_line(exc)}", "read"))
        return
    with contextlib.nullcontext(zf) if zips is not None else zf:
        infos = zf.infolist()
        for plan in plans:
            if plan.error is not None:
                yield _raw(plan)
                continue
            raw = _raw(plan)
            budget = _Budget(plan.source, max_bytes, max_issue_bytes)
            for ref in plan.parts:
                try:
                    assert ref.key is not None
                    if ref.key >= len(infos) or infos[ref.key].filename != ref.member:
                        raise InputError(
                            ref.source, "archive member vanished while reading (the archive changed?)", "read"
                        )
                    with zf.open(infos[ref.key]) as fh:
                        data = budget.read(fh, ref.source, infos[ref.key].file_size)
                except InputError as err:
                    raw = _raw(plan, err)
                    break
                except _MEMBER_ERRORS as exc:  # a corrupt deflate stream, a bad CRC, encryption
                    raw = _raw(plan, InputError(ref.source, f"archive member is corrupt or unreadable: {_one_line(exc)}", "read"))
                    break
                raw.parts.append((ref.page, ref.source, data))
            yield raw


def _read_tar(
    plans: list[IssuePlan], max_bytes: int | None, max_issue_bytes: int | None = None, root: str | None = None
) -> Iterator[RawInput]:
    """One sequential pass, up to the last member `plans` need; a plan is emitted once all its
    members have gone by. Plans come in the order their last member appears (`_plan_archive`), so
    only the pages of an issue not yet whole are held, never whole issues lying between its pages."""
    archive = plans[0].archive
    assert archive is not None
    wanted: dict[int, int] = {}  # header offset -> plan index
    for k, plan in enumerate(plans):
        if plan.error is None:
            for ref in plan.parts:
                assert ref.key is not None
                wanted[ref.key] = k
    got: dict[int, bytes] = {}
    failed: dict[int, InputError] = {}
    budgets: dict[int, _Budget] = {}
    emitted = 0

    def ready(k: int) -> bool:
        plan = plans[k]
        return plan.error is not None or k in failed or all(r.key in got for r in plan.parts)

    def emit(k: int) -> RawInput:
        plan = plans[k]
        budgets.pop(k, None)
        if plan.error is not None:
            return _raw(plan)
        if k in failed:
            for ref in plan.parts:
                got.pop(ref.key, None)  # type: ignore[arg-type]
            return _raw(plan, failed[k])
        raw = _raw(plan)
        for ref in plan.parts:
            assert ref.key is not None
            raw.parts.append((ref.page, ref.source, got.pop(ref.key)))
        return raw

    try:
        # decompressed by us, in bounded steps: tarfile's own `r|gz` inflates a whole 10 kB read
        # at once, up to ~10 MB of filler for every step
        try:
            stream = _open_tar_stream(Path(_at(root, archive)))
        except OSError as exc:
            raise _as_listed(exc, _at(root, archive), archive) from None
        with stream, tarfile.open(fileobj=stream, mode="r|") as tf:
            for info in tf if wanted else ():
                k = wanted.get(info.offset)
                if k is None or k in failed:
                    continue
                source = f"{archive}!{info.name}"
                budget = budgets.setdefault(k, _Budget(plans[k].source, max_bytes, max_issue_bytes))
                try:
                    fh = tf.extractfile(info)
                    if fh is None:
                        raise InputError(source, "archive member is not a regular file", "read")
                    got[info.offset] = budget.read(fh, source, info.size)
                except InputError as err:
                    failed[k] = err
                    for ref in plans[k].parts:
                        got.pop(ref.key, None)  # type: ignore[arg-type]
                while emitted < len(plans) and ready(emitted):
                    yield emit(emitted)
                    emitted += 1
                if emitted == len(plans):
                    break  # every plan is whole: the rest of the stream is not needed
    except (OSError, tarfile.TarError, EOFError, zipfile.BadZipFile, zlib.error, lzma.LZMAError) as exc:
        err = InputError(archive, f"cannot read archive: {_one_line(exc)}", "read")
        for k in range(emitted, len(plans)):
            if not ready(k):
                failed[k] = err
    while emitted < len(plans):
        if not ready(emitted):
            failed[emitted] = InputError(plans[emitted].source, "archive member vanished while reading", "read")
        yield emit(emitted)
        emitted += 1
