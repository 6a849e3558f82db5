"""Article-level input (`newspipe run --input-format articles FILE.jsonl`): one JSON record per
line, one article per record, segmentation skipped.

Many archives already hold one record per article (scraped e-paper pages, existing corpora).
A record needs `text` (the body; paragraphs separated by newlines) and may have `headline`,
`kicker`, `subheadline`, `column`, `byline`, `id`, `date`, `source` (strings or null). Every
line is a task of its own, so a bad one (invalid JSON, no `text`, a wrong type) fails alone,
with its line number, into the error file, and the rest completes; blank lines are skipped.

Identity: the record's `id` becomes the output's `issue_id` (else `FILE_STEM:LINE`), and its
`source` the output's `source` (else `FILE:LINE`); `date` is checked but not written (the
record schema has no date field). The article then runs the configured stages after `segment`
(which passes it through), and is written in the same record schema as a segmented one.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pipeline.document import Article, Issue
from pipeline.io.decode import InputError
from pipeline.io.inputs import IssuePlan, RawInput, plan_inputs

FORMAT = "articles"
TEXT_FIELDS = ("headline", "kicker", "subheadline", "column", "byline", "id", "date", "source")


def plan_article_files(inputs: list[str], max_bytes: int | None) -> list[IssuePlan]:
    """The JSONL files (or stdin) named by `inputs`; files are read line by line, so the
    per-file size cap does not apply (each line is capped instead)."""
    return plan_inputs(inputs, None)


def count_lines(plans: list[IssuePlan]) -> int:
    """How many tasks the files hold (non-blank lines; an unreadable input counts one)."""
    n = 0
    for plan in plans:
        if plan.error is not None or plan.kind != "file":
            n += 1
            continue
        for ref in plan.parts:
            try:
                with open(ref.path, "rb") as fh:
                    n += sum(1 for line in fh if line.strip())
            except OSError:
                n += 1
    return n


def read_article_lines(plans: list[IssuePlan], max_bytes: int | None) -> Iterator[RawInput]:
    """One `RawInput` per non-blank line, in file and line order."""
    for plan in plans:
        if plan.error is not None:
            yield RawInput(plan.source, plan.issue_id, plan.group, [], plan.error)
            continue
        if plan.kind not in ("file", "stdin"):
            err = InputError(plan.source, "--input-format articles reads JSONL files or stdin, not archives", "read")
            yield RawInput(plan.source, plan.issue_id, plan.group, [], err)
            continue
        for ref in plan.parts:
            stem = Path(ref.source).stem if plan.kind == "file" else "stdin"
            try:
                fh = sys.stdin.buffer if plan.kind == "stdin" else open(ref.path, "rb")  # noqa: SIM115
            except OSError as exc:
                err = InputError(ref.source, f"cannot read: {exc.strerror or exc}", "read")
                yield RawInput(ref.source, stem, plan.group, [], err)
                continue
            try:
                for lineno, line in enumerate(fh, start=1):
                    if not line.strip():
                        continue
                    source = f"{ref.source}:{lineno}"
                    issue_id = f"{stem}:{lineno}"
                    if max_bytes is not None and len(line) > max_bytes:
                        err = InputError(source, f"line {lineno}: longer than input.max_file_mb", "read")
                        yield RawInput(source, issue_id, plan.group, [], err)
                        continue
                    yield RawInput(source, issue_id, plan.group, [(None, source, line)])
            finally:
                if fh is not sys.stdin.buffer:
                    fh.close()


def _line_of(source: str) -> str:
    return source.rsplit(":", 1)[-1]


def parse_article(data: bytes, source: str, issue_id: str) -> Issue:
    """One JSONL line -> an `Issue` holding its one `Article`, or `InputError` saying what is wrong."""
    line = _line_of(source)
    try:
        rec = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise InputError(source, f"line {line}: not UTF-8", "read") from None
    except json.JSONDecodeError as exc:
        raise InputError(source, f"line {line}: invalid JSON ({exc.msg} at column {exc.colno})", "read") from None
    if not isinstance(rec, dict):
        raise InputError(source, f"line {line}: expected a JSON object, got {type(rec).__name__}", "read")
    text = rec.get("text")
    if not isinstance(text, str) or not text.strip():
        what = "missing" if text is None else ("empty" if isinstance(text, str) else f"a {type(text).__name__}")
        raise InputError(source, f"line {line}: 'text' is {what}; every record needs the article text", "read")
    for key in TEXT_FIELDS:
        v = rec.get(key)
        if v is not None and not isinstance(v, str) and not (key == "id" and isinstance(v, int)):
            raise InputError(
                source, f"line {line}: '{key}' must be a string or null, got {type(v).__name__}", "read"
            )
    captions = rec.get("captions") or []
    if not isinstance(captions, list) or not all(isinstance(c, str) for c in captions):
        raise InputError(source, f"line {line}: 'captions' must be a list of strings", "read")
    rid = rec.get("id")
    art = Article(
        kicker=_clean(rec.get("kicker")),
        headline=_clean(rec.get("headline")),
        subheadline=_clean(rec.get("subheadline")),
        column=_clean(rec.get("column")),
        byline=_clean(rec.get("byline")),
        captions=[c.strip() for c in captions if c.strip()],
        paragraphs=[p.strip() for p in text.split("\n") if p.strip()],
    )
    art.span = (0, len(text))
    meta: dict[str, Any] = {"input_format": FORMAT, "date": rec.get("date")}
    issue = Issue(
        issue_id=str(rid) if rid not in (None, "") else issue_id,
        source=_clean(rec.get("source")) or source,
        text=text,
        articles=[art],
        meta=meta,
    )
    return issue


def _clean(v: str | None) -> str | None:
    return v.strip() or None if isinstance(v, str) else None
