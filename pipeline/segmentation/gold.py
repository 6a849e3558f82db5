"""Line labels from a labelled issue: which role each source line plays in the gold.

A fixture's gold (`NAME.gold.json`, docs/fixture-format.md) says what the articles are, not
which line went where. Training a line tagger needs the second, so `align` walks the
issue's non-blank lines in order and finds each one in the gold: in the noise list, as a
continuation marker, or as the next piece of some article field (a headline wrapped over
two lines is two pieces of one field; a hard-wrapped paragraph is many). A line that is a
byline glued to the first paragraph matches the byline and then the start of the text.

For every line the result says:

- `layout`: ``noise``, ``start`` (opens a new layout unit: a paragraph, a headline …) or
  ``cont`` (goes on with the previous non-noise line's unit: a wrapped line, a paragraph
  the layout broke across a blank line or a running head);
- `role`: the article field it fills (``headline``, ``text``, ``glued`` for byline + first
  paragraph, ``mark_to`` / ``mark_from`` for continuation markers, ``noise``);
- `article`: the gold article index (``None`` for noise).

Lines that cannot be placed are reported, not guessed: training skips such an issue and
`newspipe train segmenter` names it, so a labelling slip never becomes a silent lesson.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.segmentation.patterns import MARK_FROM_RE, MARK_TO_RE

HEAD_FIELDS = ("column", "kicker", "headline", "subheadline", "byline")
ROLES = (
    "noise",
    "column",
    "kicker",
    "headline",
    "subheadline",
    "byline",
    "glued",
    "lead_in",
    "caption",
    "text",
    "mark_to",
    "mark_from",
)


def squash(text: str | None) -> str:
    """All whitespace removed: gold fields and source lines are compared in this form."""
    return "".join((text or "").split())


@dataclass
class LineLabel:
    layout: str  # noise | start | cont
    role: str
    article: int | None = None


@dataclass
class _Stream:
    """One gold field being consumed piece by piece (a paragraph list for `text`)."""

    role: str
    parts: list[str]  # squashed paragraphs (one part for head fields)
    part: int = 0
    pos: int = 0

    @property
    def started(self) -> bool:
        return self.part > 0 or self.pos > 0

    @property
    def done(self) -> bool:
        return self.part >= len(self.parts)

    def rest(self) -> str:
        return self.parts[self.part][self.pos :] if not self.done else ""

    def take(self, n: int) -> bool:
        """Consume n characters; True when they began a new part (paragraph)."""
        began = self.pos == 0
        self.pos += n
        if self.pos >= len(self.parts[self.part]):
            self.part += 1
            self.pos = 0
        return began


@dataclass
class _ArticleStreams:
    streams: list[_Stream] = field(default_factory=list)

    def remaining(self) -> bool:
        return any(not s.done for s in self.streams)


def _streams(article: dict[str, Any]) -> _ArticleStreams:
    out = _ArticleStreams()
    for role in HEAD_FIELDS:
        value = squash(article.get(role))
        if value:
            out.streams.append(_Stream(role, [value]))
    for cap in article.get("captions") or []:
        if squash(cap):
            out.streams.append(_Stream("caption", [squash(cap)]))
    paras = [squash(p) for p in (article.get("text") or "").split("\n")]
    paras = [p for p in paras if p]
    if paras:
        out.streams.append(_Stream("text", paras))
    return out


class AlignmentError(ValueError):
    """A source line that the gold does not account for."""




def _is_marker(s: str) -> str | None:
    if MARK_TO_RE.fullmatch(s):
        return "mark_to"
    if MARK_FROM_RE.fullmatch(s):
        return "mark_from"
    return None


def align(lines: list[str], gold: dict[str, Any]) -> list[LineLabel]:
    """Label each of `lines` (the issue's non-blank lines, stripped) from `gold`.

    Raises `AlignmentError` naming the first line that cannot be placed.
    """
    noise = {squash(n) for n in gold.get("noise_lines") or []}
    arts = [_streams(a) for a in gold.get("articles") or []]
    labels: list[LineLabel] = []
    cur = 0  # the article being read
    last: tuple[int, _Stream] | None = None  # previous non-noise line's stream
    for number, line in enumerate(lines):
        w = squash(line)
        found = _continue(last, w)
        if found is None and w in noise:
            labels.append(LineLabel("noise", "noise"))
            continue
        if found is None:
            found = _find(arts, cur, w)
        if found is None:
            marker = _is_marker(line.strip())
            if marker:
                # `下转` closes the article being read; `上接` belongs to the article whose
                # text comes next (resolved below)
                art = last[0] if last is not None and marker == "mark_to" else None
                labels.append(LineLabel("start", marker, art))
                last = None
                continue
            raise AlignmentError(f"line {number + 1} not found in the gold: {line[:40]!r}")
        k, stream, role, began = found
        continues = (
            last is not None
            and last[0] == k
            and last[1] is stream
            and not began
            and role not in ("glued",)
        )
        labels.append(LineLabel("cont" if continues else "start", role, k))
        cur = k
        last = (k, stream)
    for i, lab in enumerate(labels):
        if lab.role == "mark_from" and lab.article is None:
            lab.article = next((x.article for x in labels[i + 1 :] if x.article is not None), None)
    return labels


def _candidates(arts: list[_ArticleStreams], cur: int) -> list[int]:
    ahead = list(range(cur, len(arts)))
    behind = [k for k in range(len(arts)) if k < cur and arts[k].remaining()]
    return ahead + behind


def _continue(last: tuple[int, _Stream] | None, w: str) -> tuple[int, _Stream, str, bool] | None:
    """A line that goes on with the previous line's field (wrapped text) comes first."""
    if w and last is not None and not last[1].done and last[1].pos > 0:
        hit = _match(last[1], w)
        if hit is not None:
            return last[0], last[1], hit[0], hit[1]
    return None


def _find(arts: list[_ArticleStreams], cur: int, w: str) -> tuple[int, _Stream, str, bool] | None:
    if not w:
        return None
    cands = _candidates(arts, cur)
    # a byline wrapped over two lines whose second line runs on into the text
    for k in cands:
        streams = arts[k].streams
        by = next((s for s in streams if s.role == "byline" and s.started and not s.done), None)
        tx = next((s for s in streams if s.role == "text" and not s.started), None)
        if by is not None and tx is not None:
            b = by.rest()
            if len(w) > len(b) and w.startswith(b) and tx.rest().startswith(w[len(b) :]):
                by.take(len(b))
                tx.take(len(w) - len(b))
                return k, by, "byline", False
    # then any field already begun (a wrapped caption or byline interrupted by another line)
    for k in cands:
        for s in arts[k].streams:
            if s.started and not s.done:
                hit = _match(s, w)
                if hit is not None:
                    return k, s, hit[0], hit[1]
    for k in cands:
        streams = arts[k].streams
        # glued byline: the whole byline, then the start of the text
        by = next((s for s in streams if s.role == "byline" and not s.done and not s.started), None)
        tx = next((s for s in streams if s.role == "text" and not s.done), None)
        if by is not None and tx is not None:
            b = by.rest()
            if len(w) > len(b) and w.startswith(b) and tx.rest().startswith(w[len(b) :]):
                by.take(len(b))
                tx.take(len(w) - len(b))
                return k, tx, "glued", True
        # a brief's lead-in glued to its text: `【市图书馆延长开放时间】自9月1日起，…`
        hd = next((s for s in streams if s.role == "headline" and not s.done and not s.started), None)
        if hd is not None and tx is not None and not tx.started:
            h = hd.rest()
            if len(w) > len(h) and w.startswith(h) and tx.rest().startswith(w[len(h) :]):
                hd.take(len(h))
                tx.take(len(w) - len(h))
                return k, tx, "lead_in", True
        for s in streams:
            if s.done:
                continue
            hit = _match(s, w)
            if hit is not None:
                return k, s, hit[0], hit[1]
    return None


def _match(s: _Stream, w: str) -> tuple[str, bool] | None:
    """Consume `w` from stream `s` if it is the stream's next piece (markers glued to a
    paragraph's end or start are allowed)."""
    rest = s.rest()
    if rest.startswith(w):
        return s.role, s.take(len(w))
    if s.role == "text":
        # `…发展。(下转第3版)` or `（上接第1版）按照计划…`
        if w.startswith(rest) and rest and MARK_TO_RE.fullmatch(w[len(rest) :]):
            return "text", s.take(len(rest))
        m = MARK_FROM_RE.match(w)
        if m and m.end() < len(w) and rest.startswith(w[m.end() :]):
            return "text", s.take(len(w) - m.end())
    return None


# --------------------------------------------------------------------------- fixture files


@dataclass
class Fixture:
    """One labelled issue: raw text, gold, and where it came from."""

    name: str
    text: str
    gold: dict[str, Any]
    path: str = ""

    @property
    def family(self) -> str:
        return str(self.gold.get("family") or "unlabelled")


def read_fixture_text(path: Path) -> str:
    raw = path.read_bytes()
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    raise UnicodeDecodeError("utf-8", raw, 0, 1, f"{path}: neither UTF-8 nor GB18030")


def load_fixtures(*dirs: Path | str) -> list[Fixture]:
    """Every `NAME.txt` with a `NAME.gold.json` beside it under the given directories."""
    out: list[Fixture] = []
    for d in dirs:
        d = Path(d)
        paths = sorted(d.rglob("*.gold.json")) if d.is_dir() else [d]
        for gp in paths:
            tp = gp.with_name(gp.name[: -len(".gold.json")] + ".txt")
            if not tp.exists():
                continue
            gold = json.loads(gp.read_text(encoding="utf-8"))
            out.append(Fixture(tp.name[:-4], read_fixture_text(tp), gold, str(tp)))
    return out


def nonblank_lines(text: str) -> list[str]:
    return [ln.strip() for ln in re.split(r"\r\n|\r|\n", text) if ln.strip()]
