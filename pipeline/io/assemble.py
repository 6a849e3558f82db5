"""Assemble one issue from its bytes: a single file, or the page files of a page-per-file issue.

`assemble_issue` decodes each part on its own (`pipeline.io.decode.decode_bytes`, with the
configured encodings and size cap, then Traditional -> Simplified when configured), joins pages
with a blank line and records them in `Issue.pages`, so the segmenter cuts them one by one.
`content_sha256` is the identity of an issue's content that the manifest records.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from pipeline.document import Issue
from pipeline.io.decode import InputError, decode_bytes, to_simplified

PAGE_SEPARATOR = "\n\n"

Part = tuple[str | None, str, bytes]  # (page or None for a whole issue, source, bytes)


def assemble_issue(parts: Sequence[Part], source: str, issue_id: str, settings: Any) -> Issue:
    """Bytes of one issue -> an `Issue`, or `InputError`. `settings` is the `input` config section."""
    if getattr(settings, "format", "issues") == "articles":  # one JSONL line = one article
        from pipeline.io.articles import parse_article

        if len(parts) != 1:
            raise InputError(source, "an article record is one JSONL line", "read")
        return parse_article(parts[0][2], source, issue_id)
    max_bytes = int(settings.max_file_mb * 1_000_000)
    encodings = tuple(settings.encodings)
    if not parts:
        raise InputError(source, "no files for this issue", "read")
    if len(parts) == 1 and parts[0][0] is None:
        text, encoding = decode_bytes(parts[0][2], parts[0][1], encodings, max_bytes=max_bytes)
        if settings.traditional_to_simplified:
            text = to_simplified(text)
        return Issue(issue_id=issue_id, source=source, text=text, encoding=encoding)
    texts: list[str] = []
    pages: list[tuple[str | None, int, int]] = []
    encs: list[str] = []
    pos = 0
    for page, part_source, data in parts:
        try:
            text, enc = decode_bytes(data, part_source, encodings, max_bytes=max_bytes)
        except InputError as err:
            raise InputError(source, f"page {page} ({part_source}): {err.reason}", err.stage) from None
        if settings.traditional_to_simplified:
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


def content_sha256(parts: Sequence[Part]) -> str:
    """sha256 of an issue's content: the bytes of its file, or of its pages in page order."""
    h = hashlib.sha256()
    if len(parts) == 1 and parts[0][0] is None:
        h.update(parts[0][2])
    else:
        for page, _source, data in parts:
            h.update(f"\0page {page}\0{len(data)}\0".encode())
            h.update(data)
    return h.hexdigest()
