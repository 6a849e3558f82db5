"""Cut the decoded text of one issue into articles.

Three passes, each simple enough to reason about:

1. `classify_lines`: every non-blank line gets a *kind* from its own shape (noise, marker,
   caption, byline, glued byline + paragraph, headline-like short line, paragraph).
2. `repair`: paragraphs that the layout broke across a blank line (`同比增长` / `35.7%,…`)
   are re-joined; a unit then holds one or more source lines.
3. `parse`: a left-to-right pass decides where articles start. A run of headline-like
   lines followed by a byline or caption always starts an article; one followed directly
   by body text is weighed (layout gap, two-part headline, kicker/sub-headline, lexical
   cohesion with the article so far) to tell a new article from an in-article sub-head.

Every non-blank source line ends in exactly one article field or in the issue's noise list.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from itertools import compress, repeat

import numpy as np

from pipeline.document import Article, Issue, NoiseLine, SourceLine
from pipeline.segmentation import grams, segment_one
from pipeline.segmentation.bylines import (
    is_standalone_byline,
    looks_like_name,
    parse_authors,
    split_glued,
)
from pipeline.segmentation.layout import (
    LayoutUnit,
    ends_sentence,
    page_stats,
    reflow,
    rule_layout,
    split_page,
)
from pipeline.segmentation.patterns import (
    _FOLD_OR_SLIP_RE,
    _MASTHEAD_ANY_RE,
    CAPTION_END_RE,
    CJK,
    CLAUSE_END_RE,
    CLAUSE_PUNCT_RE,
    CN_DATE_HEADER_RE,
    COLUMN_ANY_RE,
    DATE_LEAD_RE,
    DATE_ONLY_RE,
    EDITOR_FIRST,
    EDITOR_INSIDE_RE,
    EDITOR_RE,
    ELLIPSIS_END_RE,
    HOTLINE_RE,
    IMPRINT_RE,
    MARK_FROM_RE,
    MARK_TO_RE,
    NUMBERED_SUBHEAD_RE,
    PAGE_HEADER_RE,
    PAGE_NUMBER_ONLY_RE,
    PAGE_SECTION_RE,
    PAPER_NAME_RE,
    SECTION_PAGE_RE,
    SENTENCE_INSIDE_RE,
    SITE_CHROME_RE,
    SOURCE_CREDIT_RE,
    TOC_RE,
    TOC_TEASER_RE,
    is_masthead,
    maybe_column,
    maybe_page_label,
    maybe_site_chrome,
    ocr_fold,
)
from pipeline.text import fold_fullwidth


class LineKind(str, Enum):
    """What a line is by its own shape (pass 1); `repair` may turn a HEAD into a PARA."""

    NOISE = "noise"  # page header, editor credit, configured noise
    MARK_TO = "mark_to"  # `▶▶下转04版`
    MARK_FROM = "mark_from"  # `(上接第1版)`
    CAPTION = "caption"
    BYLINE = "byline"
    GLUED = "glued"  # a byline glued to the first paragraph
    HEAD = "head"  # a short headline-like line
    PARA = "para"


NOISE, MARK_TO, MARK_FROM, CAPTION, BYLINE, GLUED, HEAD, PARA = LineKind
# `line_kind`'s answers that carry nothing more, shared (its callers never change them): most
# lines get one, and a fresh dict and tuple per line is work for nothing
_CAPTION_PLAIN: tuple[LineKind, dict] = (CAPTION, {})
_BYLINE_PLAIN: tuple[LineKind, dict] = (BYLINE, {})
_HEAD_PLAIN: tuple[LineKind, dict] = (HEAD, {})
_PARA_PLAIN: tuple[LineKind, dict] = (PARA, {})

NEWS_LEAD_RE = re.compile(r"\d{1,2}月\d{1,2}日|近日|日前|记者从|获悉")
NEWS_HEADLINE_START_RE = re.compile(
    rf"^(?:我市|我省|我县|我区|全市|全省|全县|全区|本市)|^[{CJK}]{{1,6}}?(?:(?<!城)市|县|区|镇|乡|村|港|局|院|校|馆|站|所|中心|公司|集团|大学|学院|职院|中学|小学)(?![{CJK}]?[的])"
)
SUBHEAD_START_RE = re.compile(r"^(?:一[个条座段封代箱张本份位场次件批群]|从|让|把|向|为|用|以|在)")
SUBHEADLINE_START_RE = re.compile(
    r"^(?:[0-9０-９]|[一二三四五六七八九十两百千万]+[个名家所条座项批位户人]|今年|去年|上半年|下半年|年底|年内|目前|截至|全市|全县|全省|共有|累计)"
)
CONNECTIVE_START_RE = re.compile(r"^(?:同时|此外|另外|但是|但|而且|因此|所以|其中|目前|据悉|据了解|此前|随后|对此|为此|如今|近年来|今年以来)[，,]")
SPEECH_RE = re.compile(r"(?:介绍|表示|指出|认为|说|称|透露|获悉|了解到|强调)[，,：:]")
_QUOTED_RE = re.compile(r"[“「『][^”」』]{1,12}[”」』]")
EXCLAIM_END_RE = re.compile(r"[！？!?][”’」』）)]*$")
_TWO_PART_RE = re.compile(rf"[{CJK}”」』》）)!?！？][ \u3000]+[{CJK}“「『《（(]")
# Weights of the evidence that a headline-like run followed by body text opens a new article
# (see Segmenter.new_article_features); the run opens one when the sum reaches the threshold.
# Set by hand from journalistic convention, then the soft ones (cue words, overlaps) adjusted
# by a grid search for the widest margin on our labelled issues (296 decisions).
NEW_ARTICLE_WEIGHTS = {
    "bias": 1.14,
    "gap_after": 2.5,
    "gap_before": 3.0,
    "multi_line": 2.0,
    "long_two_part": 1.0,
    "numbered": -3.0,
    "subject_first": 0.5,
    "verb_first": -0.5,
    "after_dispatch": 0.5,
    "after_brief": 0.5,
    "news_lead": 0.75,
    "in_jump": -1.0,
    "head_overlap": -3.0,
    "section_overlap": -8.0,
}
NEW_ARTICLE_THRESHOLD = 1.0
_HAS_NUMBER_RE = re.compile(r"[0-9一二三四五六七八九十]")
_SENTENCE_PUNCT_RE = re.compile(r"[。！？!?]")
# what `is_standalone_byline` needs besides a short line: one of its three shapes, each of which
# holds a role word (`ROLE`: `STANDALONE_BYLINE_RE`), 文 or 图 or 口述 (`LEADING_CREDIT_RE`), or
# 讯 or 电 (`GLUED_HEAD_RE`); a tighter test than `_BYLINE_CHAR_RE`'s characters (a body line
# holding 实, 主, 特 … is not asked)
_STANDALONE_NEEDS_RE = re.compile("记者|通讯员|实习生|撰稿|评论员|编译|整理|摄影|摄像|主持人|特约作者|文|图|口述|讯|电")
_SECTION_LETTER_RE = re.compile("[A-H]")  # a page label's section letter (`A04`: `PAGE_RE`)
_FOUR_DIGITS_RE = re.compile(r"\d{4}")  # every date of a page header opens so (`DATE_RE`); and `.{0,70}$` bounds it
_DATE_ONLY_LAST = frozenset("日一二三四五六天)）")  # how a date-only or weekday-only line ends
_KINDS_MEMO_MAX = 20000  # line kinds kept between `forget` calls
_SALUTATION_RE = re.compile(r"^(?:编辑同志|尊敬的编辑|记者同志|各位读者)[^，,。]{0,4}[：:，,]\s*$")
_HOTLINE_FIRST = frozenset("新报读发广服订投")  # the first characters `HOTLINE_RE` allows
_PEN_NAME_RE = re.compile(f"[{CJK}]{{2,3}}")


@dataclass
class SegmenterOptions:
    max_headline_chars: int = 40
    max_byline_chars: int = 60
    column_label_patterns: list[str] = field(default_factory=list)
    noise_patterns: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Unit:
    """One or more source lines that act as one element (a repaired paragraph, a headline…)."""

    kind: LineKind
    text: str
    lines: list[int]  # indices into the SourceLine list
    gap_before: int = 0  # blank lines before the first line
    gap_after: int = 0  # blank lines after the last line
    byline: str | None = None  # for GLUED units
    page: str | None = None  # for markers
    marker: str | None = None  # marker text as printed, when cut off a paragraph
    marker_kind: str | None = None
    noise_kind: str | None = None


def split_lines(text: str, page: str | None = None, base: int = 0) -> tuple[list[SourceLine], list[int]]:
    """Non-blank lines with offsets, and the number of blank lines before each."""
    lines: list[SourceLine] = []
    gaps: list[int] = []
    pos = 0
    blank = 0
    for number, raw in enumerate(text.split("\n")):
        stripped = raw.strip()
        if stripped:
            lead = len(raw) - len(raw.lstrip())
            start = base + pos + lead
            lines.append(SourceLine(number, start, start + len(stripped), stripped, page))
            gaps.append(blank)
            blank = 0
        else:
            blank += 1
        pos += len(raw) + 1
    return lines, gaps


def is_terminal(s: str) -> bool:
    """Ends a sentence (`TERMINAL_RE`, computed without a regex scan)."""
    return ends_sentence(s)


class Segmenter:
    """Rule-based segmenter; stateless apart from its compiled options."""

    def __init__(self, options: SegmenterOptions | None = None) -> None:
        self.opts = options or SegmenterOptions()
        self._extra_columns = [re.compile(p) for p in self.opts.column_label_patterns]
        self._extra_noise = [re.compile(p) for p in self.opts.noise_patterns]
        self._kinds: dict[str, tuple[LineKind, dict]] = {}

    # ---- pass 1: what each line looks like on its own -------------------------------------
    def line_kind(self, s: str) -> tuple[LineKind, dict]:
        """What a line (or a re-flowed unit's text) is by its own shape. Memoised per issue
        (`forget`): the layout pass, the unit view and the rules' reading all ask it about
        the same texts; callers never change the returned dict."""
        found = self._kinds.get(s)
        if found is None:
            if len(self._kinds) >= _KINDS_MEMO_MAX:
                self._kinds.clear()  # callers that never `forget` (training over many issues)
            found = self._kinds[s] = self._line_kind(s)
        return found

    def forget(self) -> None:
        """Drop the per-issue memos (one issue's texts; keeps memory flat and benchmarks honest)."""
        self._kinds.clear()

    def _line_kind(self, s: str) -> tuple[LineKind, dict]:
        n = len(s)
        if self._extra_noise and any(p.search(s) for p in self._extra_noise):
            return NOISE, {"noise_kind": "configured"}
        terminal = ends_sentence(s)  # = is_terminal(s)
        if n <= 80:
            # cheap guards first: this runs for every line of every issue. The folded form is
            # asked only by markers (转, 接: folding neither makes nor takes one) and by page
            # headers (never a line that ends a sentence): most body lines need no fold
            if "转" in s or "接" in s or not terminal:
                # shapes are matched on the folded form; text is never changed (`ocr_fold`'s
                # own first scan asked here: most lines need neither of its steps)
                f = ocr_fold(s) if _FOLD_OR_SLIP_RE.search(s) else s
                if "转" in f:
                    m = MARK_TO_RE.fullmatch(f)
                    if m:
                        return MARK_TO, {"page": _page(m.group("page"))}
                if "接" in f:
                    m = MARK_FROM_RE.fullmatch(f)
                    if m:
                        return MARK_FROM, {"page": _page(m.group("page"))}
                if (f[:1] in "第今本要导" and TOC_RE.match(f)) or ((f[-1:] in "）)版" or f[-1:].isdigit()) and TOC_TEASER_RE.match(f)) or (
                    n <= 14
                    and (
                        # (a paper's name with OCR's stray spaces in it: `石门日 报`, `沙 河 报`)
                        (f[-1:] == "报" and (PAPER_NAME_RE.match(f) or (" " in f and PAPER_NAME_RE.match(f.replace(" ", "")))))
                        or (f[-1:].isdigit() and SECTION_PAGE_RE.match(f))
                        or (" " in f and _running_head(f))
                    )
                ):
                    return NOISE, {"noise_kind": "page_header"}
                if not terminal and _HAS_NUMBER_RE.search(f) and (
                    (
                        len(f) <= 71
                        and _FOUR_DIGITS_RE.search(f)
                        # (PAGE_HEADER_RE's second look-ahead: a weekday, a page or 版/报)
                        and ("版" in f or "报" in f or "星期" in f or "周" in f or _SECTION_LETTER_RE.search(f))
                        and PAGE_HEADER_RE.match(f)
                    )
                    or (maybe_page_label(f) and (PAGE_NUMBER_ONLY_RE.match(f) or PAGE_SECTION_RE.match(f)))
                ):
                    return NOISE, {"noise_kind": "page_header"}
                if n <= 20 and f[-1:] in _DATE_ONLY_LAST and DATE_ONLY_RE.match(f):
                    return NOISE, {"noise_kind": "page_header"}
                if f[:1] in "一二" and f[1:2] in "九〇○零O" and CN_DATE_HEADER_RE.match(f):
                    return NOISE, {"noise_kind": "page_header"}
                if _MASTHEAD_ANY_RE.search(f) and is_masthead(f):  # (one class scan says no for most lines)
                    return NOISE, {"noise_kind": "masthead"}
            if (s[:1] in EDITOR_FIRST and EDITOR_RE.match(s)) or (
                not terminal and ("编" in s or "校" in s or "版式" in s) and EDITOR_INSIDE_RE.search(s)
            ):
                return NOISE, {"noise_kind": "editor"}
            if maybe_site_chrome(s) and SITE_CHROME_RE.search(s):
                return NOISE, {"noise_kind": "site"}
            if s[:1] in _HOTLINE_FIRST and HOTLINE_RE.match(s):
                return NOISE, {"noise_kind": "hotline"}
            if not terminal and ("址" in s or "邮" in s or "许可" in s or "价" in s) and IMPRINT_RE.search(s):
                return NOISE, {"noise_kind": "hotline"}  # an imprint: the paper's (or an advertiser's) address
        # ends_sentence(s, sign_off=False) implies `terminal`, so only a terminal line is asked again;
        # and a terminal line that does not end on a bracket ends a sentence without the sign-off
        # (that reading is asked only of a bracket at the end): only such lines need the call
        # (`False` passed by position: the cache's key of a keyword call is slower to build)
        if n <= 200 and not (terminal and (s[-1] not in "）)" or ends_sentence(s, False))):
            tail = s[-40:]
            # every caption ending names a photo (摄, 图) or is `新华社发`: scan only then
            if ("摄" in tail or "图" in tail or "新华社发" in tail) and CAPTION_END_RE.search(tail):
                return _CAPTION_PLAIN
        # `split_glued` needs 讯 or 电 in the first 30 characters, a standalone byline one of
        # `_STANDALONE_NEEDS_RE`'s words: most lines skip both calls
        head = s[:30]
        glued = split_glued(s) if "讯" in head or "电" in head else None
        if glued is not None:
            return GLUED, {"byline": glued[0], "text": glued[1]}
        # a standalone byline is at most `max_byline_chars` long, stripped (`is_standalone_byline`'s
        # first test): the long lines of body text skip the character scan
        max_byline = self.opts.max_byline_chars
        if n <= 24 and s[:1] in "（(" and SOURCE_CREDIT_RE.match(s):
            return _BYLINE_PLAIN  # a closing credit (`（县广播站）`, `（县交通局 陈光明）`: 22 on the gold files, all bylines)
        if (
            (n <= max_byline or len(s.strip()) <= max_byline)
            and _STANDALONE_NEEDS_RE.search(s)
            and is_standalone_byline(s, max_byline)
        ):
            return _BYLINE_PLAIN
        if n <= 12 and s[:1] in "编尊记各" and _SALUTATION_RE.match(s):
            return _PARA_PLAIN  # a letter's `编辑同志：` opens its text (15 such lines on the gold files, all text)
        # (`_headline_like`'s first test, asked here: body lines skip the call)
        # (`_headline_like(s, terminal)` inline: asked of every line this short)
        if (
            n <= self.opts.max_headline_chars
            and not SENTENCE_INSIDE_RE.search(s)
            and (not terminal or (ELLIPSIS_END_RE.search(s) and not _SENTENCE_PUNCT_RE.search(s)))
        ):
            return _HEAD_PLAIN
        return _PARA_PLAIN

    def headline_like(self, s: str) -> bool:
        return self._headline_like(s, is_terminal(s))

    def _headline_like(self, s: str, terminal: bool) -> bool:
        """`headline_like`, told whether `s` ends a sentence (`is_terminal(s)`)."""
        if len(s) > self.opts.max_headline_chars or SENTENCE_INSIDE_RE.search(s):
            return False
        if terminal:
            return bool(ELLIPSIS_END_RE.search(s)) and not _SENTENCE_PUNCT_RE.search(s)
        return True

    def is_column(self, s: str) -> bool:
        if maybe_column(s) and COLUMN_ANY_RE.match(s):
            return True
        return bool(self._extra_columns) and any(p.search(s) for p in self._extra_columns)

    def classify_lines(self, lines: list[SourceLine], gaps: list[int]) -> list[Unit]:
        """One unit per source line (`classify_units` for re-flowed layout units)."""
        return self.classify_units([LayoutUnit([i], ln.text, gap_before=gaps[i]) for i, ln in enumerate(lines)])

    def line_roles(
        self, layout_units: list[LayoutUnit], lines: list[SourceLine], kinds: list[tuple[str, dict]] | None = None
    ) -> dict[int, tuple[int, str]]:
        """The rules' reading of a page, line by line: line index -> (article number, role).

        The crf backend feeds this to its structure tagger as a signal; `kinds` (the
        per-line `line_kind` results) saves reclassifying one-line units.
        """
        units = self.repair(self.classify_units(layout_units, kinds))
        drafts, _ = self.parse(units)
        out: dict[int, tuple[int, str]] = {}
        for k, d in enumerate(drafts):
            for i, role in d.roles:
                out.setdefault(i, (k, role))
        return out

    def classify_units(
        self, layout_units: list[LayoutUnit], kinds: list[tuple[str, dict]] | None = None
    ) -> list[Unit]:
        units: list[Unit] = []
        for lu in layout_units:
            kind, extra = kinds[lu.lines[0]] if kinds is not None and len(lu.lines) == 1 else self.line_kind(lu.text)
            # (fields by position: kind, text, lines, gap_before)
            if extra:
                u = Unit(kind, extra.get("text", lu.text), list(lu.lines), lu.gap_before)
                u.byline = extra.get("byline")
                u.page = extra.get("page")
                u.noise_kind = extra.get("noise_kind")
            else:  # (most units: their text, and the fields' defaults, None, as the gets give)
                u = Unit(kind, lu.text, list(lu.lines), lu.gap_before)
            if kind in (MARK_TO, MARK_FROM):
                u.marker, u.marker_kind = lu.text, kind
            units.append(u)
        for u, nxt in zip(units, units[1:], strict=False):
            u.gap_after = nxt.gap_before
        if units:
            units[-1].gap_after = 0
        # an exclamatory headline (`开学啦！`) is known by what follows it: a byline or caption
        for i, u in enumerate(units[:-1]):
            if (
                u.kind == PARA
                and len(u.text) <= self.opts.max_headline_chars
                and EXCLAIM_END_RE.search(u.text)
                and not SENTENCE_INSIDE_RE.search(u.text)
                and units[i + 1].kind in (BYLINE, GLUED, CAPTION)
                and (i == 0 or units[i - 1].kind != HEAD or is_terminal(units[i - 1].text))
            ):
                u.kind = HEAD
        return units

    # ---- pass 2: re-join broken paragraphs ----------------------------------------------------
    def _para_like(self, u: Unit) -> bool:
        """An unterminated unit that reads as the first part of a broken paragraph."""
        if u.kind in (PARA, GLUED):
            return not ends_sentence(u.text)  # = is_terminal (one call fewer: asked of every unit)
        if u.kind == HEAD:
            s = u.text
            if ELLIPSIS_END_RE.search(s):
                return False
            commas = len(CLAUSE_PUNCT_RE.findall(s))
            return (
                commas >= 2
                or bool(CONNECTIVE_START_RE.match(s))
                or bool(CLAUSE_END_RE.search(s))
                or (commas == 1 and (len(s) >= 20 or bool(SPEECH_RE.search(s))))
            )
        return False

    def _continuation_ok(self, units: list[Unit], j: int) -> bool:
        nxt = units[j]
        if nxt.kind == PARA:
            return True
        if nxt.kind == HEAD:
            # a short unterminated line followed by a byline/caption is a headline, not the
            # second half of a paragraph; a short terminated tail (`迫切。`) never gets here
            after = units[j + 1].kind if j + 1 < len(units) else None
            return after not in (BYLINE, GLUED, CAPTION, HEAD) and not nxt.text.startswith(("“", "「"))
        return False

    def repair(self, units: list[Unit]) -> list[Unit]:
        out: list[Unit] = []
        i = 0
        n = len(units)
        para_like = self._para_like
        while i < n:
            u = units[i]
            # (`_para_like(u)` asked inline where it is False without its call: a body unit that
            # ends a sentence, most of them, and any unit but body and head lines)
            k = u.kind
            if (ends_sentence(u.text) if k in (PARA, GLUED) else k != HEAD):
                out.append(u)
                i += 1
                continue
            while para_like(u) and i + 1 < n and self._continuation_ok(units, i + 1):
                nxt = units[i + 1]
                # (by position: kind, text, lines, gap_before, gap_after, byline)
                u = Unit(
                    u.kind if u.kind == GLUED else PARA,
                    u.text + nxt.text,
                    u.lines + nxt.lines,
                    u.gap_before,
                    nxt.gap_after,
                    u.byline,
                )
                i += 1
            # a short terminated tail such as `迫切。` classified HEAD? (never: terminal) -> PARA
            out.append(u)
            i += 1
        for u in out:
            # (a marker needs 转 or 接: most paragraphs skip the call)
            if u.kind in (PARA, GLUED) and ("转" in u.text or "接" in u.text):
                self._cut_inline_marker(u)
        return out

    @staticmethod
    def _cut_inline_marker(u: Unit) -> None:
        """`…发展。(下转第3版)` keeps the marker out of the body text (markers need 转 / 接)."""
        t = u.text  # a marker needs 转 and a page's 版 or 页
        m = MARK_TO_RE.search(t) if "转" in t and ("版" in t or "页" in t) else None
        if m and m.end() == len(u.text) and m.start() > 0:
            u.marker, u.marker_kind, u.page = m.group(0), MARK_TO, _page(m.group("page"))
            u.text = u.text[: m.start()].rstrip()
            return
        m = MARK_FROM_RE.match(u.text) if "接" in u.text else None
        if m and m.end() < len(u.text):
            u.marker, u.marker_kind, u.page = m.group(0), MARK_FROM, _page(m.group("page"))
            u.text = u.text[m.end() :].lstrip()

    # ---- pass 3: structure ------------------------------------------------------------------
    def parse(self, units: list[Unit]) -> tuple[list[_Draft], list[tuple[int, str]]]:
        drafts: list[_Draft] = []
        noise: list[tuple[int, str]] = []
        cur: _Draft | None = None
        i = 0
        n = len(units)
        idf = _LazyIdf(units)
        while i < n:
            u = units[i]
            if u.kind == PARA and cur is not None and not cur.closed:
                # (most units: body text that goes on with the open article; as at the end)
                cur.paragraphs.append(u.text)
                if u.lines:  # = cur.add_lines(u.lines, "text"), inline
                    roles = cur.roles
                    for ln in u.lines:
                        roles.append((ln, "text"))
                    cur.last_role = "text"
                if u.marker is not None:
                    self._take_marker(cur, u)
                i += 1
                continue
            if u.kind == NOISE:
                noise.extend((ln, u.noise_kind or "other") for ln in u.lines)
                i += 1
                continue
            if u.kind == HEAD:
                j = i
                run: list[Unit] = []
                while j < n and units[j].kind in (HEAD, NOISE):
                    if units[j].kind == NOISE:
                        noise.extend((ln, units[j].noise_kind or "other") for ln in units[j].lines)
                    else:
                        run.append(units[j])
                    j += 1
                nxt = units[j] if j < n else None
                cur = self._handle_head_run(run, nxt, cur, drafts, units, j, idf)
                i = j
                continue
            if u.kind == GLUED:
                if cur is None or cur.has_body or cur.byline is not None:
                    cur = _open(drafts)  # a block label (`简讯`) stays with the first brief
                cur.add(u.lines[0], "byline+text")
                cur.add_lines(u.lines[1:], "text")
                cur.byline = u.byline
                cur.byline_glued = True
                cur.paragraphs.append(u.text)
                self._take_marker(cur, u)
                i += 1
                continue
            if u.kind == BYLINE:
                cur = cur or _open(drafts)
                if cur.byline is None:
                    cur.byline = u.text
                    cur.add_lines(u.lines, "byline")
                    if cur.has_body and u.text.startswith(("（", "(")):
                        cur.closed = True  # `（记者 王某）` signs off the article
                else:
                    cur.paragraphs.append(u.text)
                    cur.add_lines(u.lines, "text")
                i += 1
                continue
            if u.kind == CAPTION:
                cur = cur or _open(drafts)
                cur.captions.append(u.text)
                cur.add_lines(u.lines, "caption")
                i += 1
                continue
            if u.kind == MARK_TO:
                if cur is None:
                    noise.extend((ln, "orphan_marker") for ln in u.lines)
                else:
                    cur.continued_to = u.page
                    cur.markers.append(u.text)
                    cur.add_lines(u.lines, "marker")
                    cur.closed = True
                i += 1
                continue
            if u.kind == MARK_FROM:
                if cur is None or cur.has_body or cur.closed:
                    cur = _open(drafts)
                cur.continued_from = u.page
                cur.markers.append(u.text)
                cur.add_lines(u.lines, "marker")
                i += 1
                continue
            # PARA
            if cur is None or cur.closed:
                cur = _open(drafts)
            cur.paragraphs.append(u.text)
            cur.add_lines(u.lines, "text")
            self._take_marker(cur, u)
            i += 1
        return drafts, noise

    @staticmethod
    def _take_marker(cur: _Draft, u: Unit) -> None:
        if u.marker is None or u.marker_kind is None or u.kind in (MARK_TO, MARK_FROM):
            return
        cur.markers.append(u.marker)
        if u.marker_kind == MARK_TO:
            cur.continued_to = u.page
            cur.closed = True
        else:
            cur.continued_from = u.page

    def _handle_head_run(
        self,
        run: list[Unit],
        nxt: Unit | None,
        cur: _Draft | None,
        drafts: list[_Draft],
        units: list[Unit],
        j: int,
        idf: _LazyIdf,
    ) -> _Draft:
        nxt_kind = nxt.kind if nxt is not None else None
        texts = [u.text for u in run]
        # a column label shown between an article's lead and its byline (专栏 layout)
        if (
            len(run) == 1
            and cur is not None
            and not cur.closed
            and cur.headline is not None
            and cur.byline is None
            and cur.column is None
            and nxt_kind in (BYLINE, GLUED)
            and cur.has_body
            and self._column_in_context(texts[0], cur, units, j, idf)
        ):
            cur.column = texts[0]
            cur.add_lines(run[0].lines, "column")
            return cur
        # a label over a block of headline-less briefs (`简讯`, `快讯`)
        if len(run) == 1 and nxt_kind == GLUED and self.is_column(texts[0]):
            draft = _Draft(column=texts[0], block_column=texts[0])
            draft.add_lines(run[0].lines, "column")
            drafts.append(draft)
            return draft
        # a commentary signed with a bare name under its headline
        signed = len(run) >= 2 and _looks_like_signature(texts[-1]) and nxt_kind not in (BYLINE, GLUED)
        if cur is not None and not cur.closed and cur.has_body and cur.last_role == "byline" and nxt_kind == PARA:
            # straight under a byline that followed the lead: a sub-head, never a new article
            starts_here = False
        else:
            starts_here = True
        starts = starts_here and (
            cur is None
            or cur.closed
            or nxt_kind in (BYLINE, GLUED, CAPTION, MARK_FROM)
            or signed
            or (not cur.has_body and cur.byline is None and not cur.captions)
            or self._opens_article(run, nxt, cur, units, j, idf)
        )
        if not starts:
            assert cur is not None
            for u in run:
                cur.paragraphs.append(u.text)
                cur.add_lines(u.lines, "text")
                cur.subheads += 1
            return cur
        if cur is not None and not cur.has_body and cur.byline is None and not cur.closed and (
            cur.headline is not None or cur.kicker is not None
        ):
            draft = cur  # head lines split by noise or captions: extend the pending head
        else:
            draft = _open(drafts)
        self._assign_head(draft, run, signed)
        return draft

    def _assign_head(self, draft: _Draft, run: list[Unit], signed: bool) -> None:
        items = list(run)
        if signed:
            name = items.pop()
            draft.byline = name.text
            draft.add_lines(name.lines, "byline")
        # column labels at the top of the head block
        while len(items) >= 2 and self.is_column(items[0].text) and draft.column is None:
            col = items.pop(0)
            draft.column = col.text
            draft.add_lines(col.lines, "column")
        if len(items) >= 2 and self.is_column(items[-1].text) and draft.column is None:
            col = items.pop()
            draft.column = col.text
            draft.add_lines(col.lines, "column")
        if draft.headline is not None:
            # extending an existing head: the new lines are sub-headlines
            for u in items:
                if draft.subheadline is None:
                    draft.subheadline = u.text
                    draft.add_lines(u.lines, "subheadline")
                else:
                    draft.paragraphs.append(u.text)
                    draft.add_lines(u.lines, "text")
            return
        roles: list[str]
        if len(items) == 1:
            roles = ["headline"]
        elif len(items) == 2:
            first, second = items[0].text, items[1].text
            sub_second = second.startswith(("——", "—", "--", "－"))
            kicker_first = _kicker_first(first, second)
            roles = ["kicker", "headline"] if kicker_first and not sub_second else ["headline", "subheadline"]
        else:
            roles = ["kicker", "headline", "subheadline"] + ["text"] * (len(items) - 3)
        for u, role in zip(items, roles, strict=True):
            if role == "text":
                draft.paragraphs.append(u.text)
            else:
                setattr(draft, role, u.text)
            draft.add_lines(u.lines, role)

    def _column_in_context(
        self, label: str, cur: _Draft, units: list[Unit], j: int, idf: _LazyIdf
    ) -> bool:
        """Column label or new headline? A label is a known shape, is quoted in the lead
        (`开设“…”专栏`), or the text under the byline goes on with the lead's subject."""
        if self.is_column(label) or len(label) <= 8:  # headlines are rarely that short; labels are
            return True
        body = "".join(cur.paragraphs)
        if f"“{label}”" in body or f"《{label}》" in body or f"\"{label}\"" in body:
            return True
        idf.weights  # noqa: B018 -- counted first, as in `new_article_features`
        k = j + 1 if j < len(units) and units[j].kind == BYLINE else j
        after = _joined_bigrams([u.text for u in _following_paragraphs(units, k, 4, skip_heads=True)])
        return _overlap(after, cur.bigrams(), idf) >= 0.075

    def _new_article_score(
        self,
        run: list[Unit],
        nxt: Unit | None,
        cur: _Draft | None,
        units: list[Unit],
        j: int,
        idf: _LazyIdf,
    ) -> float:
        """Evidence (a weighted sum, > NEW_ARTICLE_THRESHOLD) that a run of headline-like lines
        followed by body text opens a new article rather than being an in-article sub-head."""
        if cur is None:
            return 10.0
        feats = self.new_article_features(run, nxt, cur, units, j, idf)
        return sum(NEW_ARTICLE_WEIGHTS[k] * v for k, v in feats.items())

    def _opens_article(
        self, run: list[Unit], nxt: Unit | None, cur: _Draft | None, units: list[Unit], j: int, idf: _LazyIdf
    ) -> bool:
        """`_new_article_score(…) >= NEW_ARTICLE_THRESHOLD`, the same answer, with the section
        under the run weighed only where it can change it.

        The score is a sum in the features' order, and the two overlaps come last with
        negative weights, each share in [0, 1]: past the head overlap, the running sum can
        only fall, by at most the section weight. So a running sum already below the
        threshold stays below it (float addition is monotonic), and one that stays at or
        above it after the whole section weight (less a margin for a share a rounding past
        1) stays there; only in between is the section's overlap computed (most runs)."""
        if cur is None:
            return 10.0 >= NEW_ARTICLE_THRESHOLD
        w = NEW_ARTICLE_WEIGHTS
        feats = self._cue_features(run, nxt, cur, idf)
        running = sum([w[k] * v for k, v in feats.items()])  # (the same terms in the same order)
        own = _joined_bigrams([u.text for u in run])  # = _bigrams(text), from the lines' memo
        feats["head_overlap"] = head = _overlap_with(own, cur.shared(own), idf)
        running += w["head_overlap"] * head
        if running < NEW_ARTICLE_THRESHOLD:
            return False
        if running + w["section_overlap"] >= NEW_ARTICLE_THRESHOLD + 1e-9:
            return True
        section = _joined_bigrams([u.text for u in _following_paragraphs(units, j, 4)])
        feats["section_overlap"] = _overlap_with(section, cur.common(section), idf)  # = _overlap(section, cur.bigrams(), idf)
        return sum([w[k] * v for k, v in feats.items()]) >= NEW_ARTICLE_THRESHOLD

    def new_article_features(
        self,
        run: list[Unit],
        nxt: Unit | None,
        cur: _Draft,
        units: list[Unit],
        j: int,
        idf: _LazyIdf,
    ) -> dict[str, float]:
        feats = self._cue_features(run, nxt, cur, idf)
        own = _joined_bigrams([u.text for u in run])  # = _bigrams(text), from the lines' memo
        section = _joined_bigrams([u.text for u in _following_paragraphs(units, j, 4)])
        # lexical cohesion (IDF-weighted bigrams): sub-heads reuse the article's words, and
        # the section under them goes on with its names and terms
        feats["head_overlap"] = _overlap(own, cur.bigrams(), idf)
        feats["section_overlap"] = _overlap(section, cur.bigrams(), idf)
        return feats

    def _cue_features(self, run: list[Unit], nxt: Unit | None, cur: _Draft, idf: _LazyIdf) -> dict[str, float]:
        """`new_article_features` before the two overlaps, in the same order."""
        idf.weights  # noqa: B018 -- counted first: one pass over the page's paragraphs primes their bigrams
        text = "".join(u.text for u in run)
        return {
            "bias": 1.0,
            # layout: the wide gaps an e-paper copy leaves around photos and between articles
            "gap_after": float(run[-1].gap_after >= 2),
            "gap_before": float(run[0].gap_before >= 2),
            # kicker or sub-headline with the headline
            "multi_line": float(len(run) >= 2),
            # a long two-part headline (`株洲人大诞生时的样子 藏着…`); sub-heads that pair two
            # short phrases (`兴学校 重教化`) stay below the length
            "long_two_part": float(any(_TWO_PART_RE.search(u.text) and len(u.text) >= 15 for u in run)),
            "numbered": float(bool(NUMBERED_SUBHEAD_RE.match(text))),
            # news headlines name their subject (我市…, 澧县…, 市档案馆…); sub-heads open with
            # a measure word or a verb (一座…, 从…到…, 让…)
            "subject_first": float(bool(NEWS_HEADLINE_START_RE.match(text))),
            "verb_first": float(bool(SUBHEAD_START_RE.match(text))),
            # a dispatch (本报讯…) or a one-paragraph brief has no sub-heads; features carry them
            "after_dispatch": float(cur.byline_glued),
            "after_brief": float(cur.byline is None and len(cur.paragraphs) <= 1 and not cur.subheads),
            # the jumped part of a feature (`(上接第1版)`) keeps its sub-heads
            "in_jump": float(cur.continued_from is not None),
            "news_lead": float(
                nxt is not None and bool(DATE_LEAD_RE.match(nxt.text) or NEWS_LEAD_RE.search(nxt.text[:16]))
            ),
        }

    # ---- glue --------------------------------------------------------------------------------
    def segment(self, issue: Issue) -> Issue:
        """Fill `issue.articles` and `issue.noise` from `issue.text` (page by page if paged)."""
        return segment_one(self._segment, self._forget_issue, issue)

    def _forget_issue(self) -> None:
        self.forget()
        grams.clear()
        ends_sentence.cache_clear()  # the cache serves one issue; keeps benchmarks honest and memory flat

    def _segment(self, issue: Issue) -> Issue:
        pages = issue.pages or [(None, 0, len(issue.text))]
        articles: list[Article] = []
        noise: list[NoiseLine] = []
        for page, start, end in pages:
            lines, gaps, indents = split_page(issue.text[start:end], page=page, base=start)
            # layout normalisation: hard-wrapped lines re-flowed, running heads taken out
            kinds = [self.line_kind(ln.text)[0] for ln in lines]
            stats = page_stats(lines, gaps, indents)
            decisions = rule_layout(lines, gaps, indents, stats, kinds)
            layout_units, layout_noise = reflow(lines, gaps, indents, decisions)
            units = self.repair(self.classify_units(layout_units))
            drafts, page_noise = self.parse(units)
            page_noise = sorted(page_noise + [(i, self.line_kind(lines[i].text)[1].get("noise_kind") or "other") for i in layout_noise])
            for line_idx, kind in page_noise:
                ln = lines[line_idx]
                noise.append(NoiseLine(ln.text, (ln.start, ln.end), kind, page))
            for d in drafts:
                articles.append(d.to_article(lines, page))
        issue.articles = articles
        issue.noise = noise
        return issue


@dataclass(slots=True)
class _Draft:
    kicker: str | None = None
    headline: str | None = None
    subheadline: str | None = None
    column: str | None = None
    byline: str | None = None
    captions: list[str] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)
    markers: list[str] = field(default_factory=list)
    continued_to: str | None = None
    continued_from: str | None = None
    roles: list[tuple[int, str]] = field(default_factory=list)
    subheads: int = 0
    closed: bool = False
    block_column: str | None = None
    byline_glued: bool = False
    last_role: str | None = None
    _bigram_cache: set[int] = field(default_factory=set)
    _bigram_upto: int = -1  # paragraphs already in the cache; -1: headline not yet

    def bigrams(self) -> set[int]:
        """Bigrams of headline and body so far, updated incrementally (hot path)."""
        if self._bigram_upto < 0:
            self._bigram_cache |= _bigrams(self.headline or "")
            self._bigram_upto = 0
        for p in self.paragraphs[self._bigram_upto :]:
            self._bigram_cache |= _bigrams(p)
        self._bigram_upto = len(self.paragraphs)
        return self._bigram_cache

    def shared(self, part: frozenset[int]) -> set[int]:
        """`part & self.bigrams()`: the same members in the same iteration order, without
        merging the paragraphs added since the last `bigrams()` where `part` is the smaller
        set (a head run against an article's body): the intersection then walks `part` in
        its order and keeps what the article has, which a set built from those keys in that
        order repeats. The headline joins the article's words at the first use, as there;
        the paragraphs merge later in the same order, so `bigrams()` builds the same set."""
        if self._bigram_upto < 0:
            self._bigram_cache |= _bigrams(self.headline or "")
            self._bigram_upto = 0
        cache = self._bigram_cache
        # the pending paragraphs' sets, or their sizes where the page's IDF sort counted them
        # (those sets are then not built here: most are never needed whole)
        pending: list[frozenset[int]] = []
        unbuilt: list[str] = []
        largest = len(cache)
        for p in self.paragraphs[self._bigram_upto :]:
            g, size = _size_of(p)
            if size is None:
                g = _bigrams(p)
                size = len(g)
            if g is None:
                unbuilt.append(p)
            else:
                pending.append(g)
            if size > largest:
                largest = size
        if len(part) >= largest:
            return part & self.bigrams()  # the article's words may be the smaller set
        # which of part's keys the article has, by C-level set operations; then those keys
        # in part's iteration order, as the intersection would insert them
        keep = part & cache
        for g in pending:
            keep |= part & g
        if unbuilt:
            # a bigram is in a text's set exactly where its two characters stand side by side
            # in it (the newlines between the texts pair with nothing)
            joined = "\n".join(unbuilt)
            keep = keep.union([k for k in part if k not in keep and chr(k >> 16) + chr(k & 0xFFFF) in joined])
        return {k for k in part if k in keep}

    def common(self, part: frozenset[int]) -> set[int]:
        """`part & self.bigrams()`, the same set, for a part as large as a section of body text
        (`shared` is for a head run's few words): where the article's words are the larger set,
        the intersection walks `part` in its order and keeps what the article has, which a set
        built from those keys in that order repeats; which of them it has is found in one
        numpy search over the page pass's bigram arrays of the paragraphs not yet merged, so
        their sets are not built here (they merge later in the same order, as `shared` leaves
        them). Where the article's words are not the larger set, `part & self.bigrams()`."""
        if self._bigram_upto < 0:  # the headline joins at the first use, as in `bigrams`
            self._bigram_cache |= _bigrams(self.headline or "")
            self._bigram_upto = 0
        cache = self._bigram_cache
        arrays = grams.code_arrays(self.paragraphs[self._bigram_upto :])
        if cache:
            arrays.append(np.fromiter(cache, dtype=np.int64, count=len(cache)))
        words = np.concatenate(arrays) if arrays else np.zeros(0, dtype=np.int64)
        words.sort()
        if len(words):  # each bigram once: `len(words)` is then `len(self.bigrams())`
            first = np.empty(len(words), dtype=bool)
            first[0] = True
            np.not_equal(words[1:], words[:-1], out=first[1:])
            words = words[first]
        if len(words) <= len(part) or not len(part):
            return part & self.bigrams()
        keys = np.fromiter(part, dtype=np.int64, count=len(part))
        at = words.searchsorted(keys)
        has = words[np.minimum(at, len(words) - 1)] == keys
        return set(compress(part, has.tolist()))

    @property
    def has_body(self) -> bool:
        return bool(self.paragraphs)

    def add(self, line_idx: int, role: str) -> None:
        self.roles.append((line_idx, role))
        self.last_role = role

    def add_lines(self, idxs: list[int], role: str) -> None:
        """`add` of each line, in one step (a plain loop: most units hold one line, and a
        comprehension is a function call of its own)."""
        if idxs:
            roles = self.roles
            for i in idxs:
                roles.append((i, role))
            self.last_role = role

    def to_article(self, lines: list[SourceLine], page: str | None) -> Article:
        idxs = [i for i, _ in self.roles]
        start = min(lines[i].start for i in idxs)
        end = max(lines[i].end for i in idxs)
        return Article(
            kicker=self.kicker,
            headline=self.headline,
            subheadline=self.subheadline,
            column=self.column,
            byline=self.byline,
            authors=parse_authors(self.byline),
            captions=list(self.captions),
            paragraphs=[p for p in self.paragraphs if p],
            markers=list(self.markers),
            span=(start, end),
            continued_to=self.continued_to,
            continued_from=self.continued_from,
            page=page,
            line_roles=[(lines[i].start, role) for i, role in self.roles],
        )


def _open(drafts: list[_Draft]) -> _Draft:
    """Start a new article draft at the end of the list."""
    draft = _Draft()
    drafts.append(draft)
    return draft


def _following_paragraphs(units: list[Unit], j: int, limit: int, skip_heads: bool = False) -> list[Unit]:
    """Up to `limit` body paragraphs from unit j on, stopping at anything but noise
    (and, with `skip_heads`, headline-like lines)."""
    out: list[Unit] = []
    passable = (PARA, NOISE, HEAD) if skip_heads else (PARA, NOISE)
    while j < len(units) and units[j].kind in passable and len(out) < limit:
        if units[j].kind == PARA:
            out.append(units[j])
        j += 1
    return out


def _kicker_first(first: str, second: str) -> bool:
    """Two head lines: kicker + headline, or headline + sub-headline?

    Newsrooms differ, so this is a decision list of the cues that held most widely on our
    labelled issues (85% of 48 unmarked pairs from five sets of papers): a kicker ends open
    (`……`, `：`); a sub-headline opens with `——` or with figures or a time frame (`40名…`,
    `今年计划…`); otherwise the main headline is the line with the quoted catch-phrase, the
    two-part line, the line without an enumeration, or the one that names its subject, in
    that order; failing all, kicker + headline, the commoner layout.
    """
    if ELLIPSIS_END_RE.search(first) or first.endswith(("：", ":", "，", ",")):
        return True
    if second.startswith(("——", "—", "--", "－")) or SUBHEADLINE_START_RE.match(second):
        return False
    for cue in (
        lambda t: _QUOTED_RE.search(t) is not None,
        lambda t: _TWO_PART_RE.search(t) is not None,
        lambda t: "、" not in t,
        lambda t: NEWS_HEADLINE_START_RE.match(t) is not None,
    ):
        in_first, in_second = cue(first), cue(second)
        if in_first != in_second:
            return in_second  # the line with the headline's cue is the headline
    return True


def _looks_like_signature(s: str) -> bool:
    """A commentary's signature under its headline: a name or a 2-3 character pen name."""
    return looks_like_name(s) or bool(_PEN_NAME_RE.fullmatch(s))


# (a page label may stand between them: `河阳日报 A6 城市记忆`, `江城晚报 第12版 城事`)
_RUNNING_HEAD_RE = re.compile(
    r"^(\S{3,7}报)\s+(?:(?:第\s*[0-9０-９一二三四五六七八九十]{1,3}\s*版|[A-H]\s?\d{1,2}版?|[0-9０-９]{1,2}版?)\s+)?"
    r"[\u4e00-\u9fff·]{2,6}$"
)


def _running_head(s: str) -> bool:
    """A paper's name and a section, the running head of a PDF or e-paper page (`河阳日报 要闻`,
    `东陵日报 教育周刊`, `滢州日报 周末版`), maybe with the page between (`河阳日报 A6 城市记忆`):
    23 such lines on the gold files, all noise."""
    m = _RUNNING_HEAD_RE.match(s)
    return bool(m) and bool(PAPER_NAME_RE.match(m.group(1)))


def _page(raw: str) -> str:
    return fold_fullwidth(raw.replace(" ", ""))


_BY_COUNT: dict[int, tuple[list[float], np.ndarray]] = {}


def _by_count(n: int) -> tuple[list[float], np.ndarray]:
    """The IDF weight of each document frequency 0 … n over n texts,
    ``[math.log((n + 1) / (c + 0.5)) for c in range(n + 1)]``, as a list and as a float64
    array: built once per n (page sizes recur from page to page and issue to issue), shared,
    never changed by the callers."""
    found = _BY_COUNT.get(n)
    if found is None:
        if len(_BY_COUNT) >= 4096:
            _BY_COUNT.clear()
        n1 = n + 1
        weights = [math.log(n1 / (c + 0.5)) for c in range(n + 1)]
        found = _BY_COUNT[n] = (weights, np.array(weights, dtype=np.float64))
    return found


class _Weights:
    """bigram -> IDF weight. A weight depends only on the bigram's document frequency, so
    the page's few distinct weights are computed once (a table by count) and sums over sets
    run as C-level maps: `total(s)` is the sum of the weights of `s`, in its iteration order."""

    def __init__(self, df: dict[int, int], n: int) -> None:  # a Counter, or any such dict
        self.df = df
        self.n1 = n + 1
        # df counts sets of bigrams, one per text, so no count exceeds n
        self._by_count = _by_count(n)[0]

    def __getitem__(self, key: int) -> float:
        return self._by_count[self.df.get(key, 0)]

    def total(self, keys: Iterable[int]) -> float:
        return sum(map(self._by_count.__getitem__, map(self.df.get, keys, repeat(0))))

    def totals(self, part: frozenset[int], sub: set[int] | frozenset[int]) -> tuple[float, float]:
        """``(total(part), total(sub))`` for `sub` a subset of `part`."""
        return self.total(part), self.total(sub)


_PAST_EVERY_BIGRAM = np.array([np.int64(1) << 62], dtype=np.int64)  # `_ArrayWeights`' sentinel
_NO_COUNT = np.zeros(1, dtype=np.int64)


class _ArrayWeights(_Weights):
    """`_Weights` over the counts `grams.doc_freq` gives (the sorted distinct bigrams and their
    counts), with no dict built: a page's rule reading asks for the weights of a few hundred
    bigrams of a few thousand. `total(s)` finds the keys of `s` in one numpy search and adds
    their weights, picked from the same table, in `s`'s iteration order: the same floats
    added in the same order, so the same sum."""

    def __init__(self, codes: np.ndarray, counts: np.ndarray, n: int) -> None:
        self.n1 = n + 1
        self._by_count, self._table = _by_count(n)
        # a sentinel past every bigram, so a search never runs off the end
        self._codes = np.concatenate((codes, _PAST_EVERY_BIGRAM))
        self._counts = np.concatenate((counts, _NO_COUNT))

    @property
    def df(self) -> dict[int, int]:  # type: ignore[override]
        return dict(zip(self._codes[:-1].tolist(), self._counts[:-1].tolist(), strict=True))

    def _count_of(self, keys: np.ndarray) -> np.ndarray:
        codes = self._codes
        at = codes.searchsorted(keys)
        return np.where(codes[at] == keys, self._counts[at], 0)

    def __getitem__(self, key: int) -> float:
        return self._by_count[int(self._count_of(np.array([key], dtype=np.int64))[0])]

    def total(self, keys: Iterable[int]) -> float:
        if not isinstance(keys, (set, frozenset)):
            keys = list(keys)
        n = len(keys)
        if not n:
            return sum(())  # 0, as the plain sum over no keys
        a = np.fromiter(keys, dtype=np.int64, count=n)
        return sum(self._table[self._count_of(a)].tolist())

    def totals(self, part: frozenset[int], sub: set[int] | frozenset[int]) -> tuple[float, float]:
        """``(total(part), total(sub))`` for `sub` a subset of `part`, with one search: the
        weights of part's keys in its iteration order (the same floats `total(part)` adds),
        then those of sub's keys picked from them in sub's order (the same floats in the same
        order as `total(sub)`)."""
        n = len(part)
        if not n or not sub:
            return self.total(part), self.total(sub)
        ws = self._table[self._count_of(np.fromiter(part, dtype=np.int64, count=n))].tolist()
        return sum(ws), sum(map(dict(zip(part, ws, strict=True)).__getitem__, sub))


class _LazyIdf:
    """Inverse document frequency of bigrams over the page's paragraphs, counted on first use
    (most pages never need it): words every article of a page shares (株洲, 我市, 教育) say
    little about which article a line belongs to."""

    def __init__(self, units: list[Unit]) -> None:
        self._units = units
        self._w: _Weights | None = None

    @property
    def weights(self) -> _Weights:
        if self._w is None:
            texts = [u.text for u in self._units if u.kind in (PARA, GLUED)]
            # the counts `Counter(chain.from_iterable(map(_bigrams, texts)))` would give, from
            # one sort over the texts' bigrams (primed in one pass), kept as arrays
            self._w = _ArrayWeights(*grams.doc_freq(texts), len(texts))
        return self._w

    def __call__(self, bigram: int) -> float:
        return self.weights[bigram]


def _overlap_with(part: frozenset[int], shared: set[int] | frozenset[int], idf: _LazyIdf) -> float:
    """`_overlap(part, whole, idf)` told `part & whole` (`_Draft.shared`)."""
    total, common = idf.weights.totals(part, shared)
    return common / total if total > 0 else 0.0


def _overlap(part: frozenset[int], whole: set[int] | frozenset[int], idf: _LazyIdf) -> float:
    """IDF-weighted share of `part`'s bigrams found in `whole` (0 when `part` is empty)."""
    total, shared = idf.weights.totals(part, part & whole)  # (one search for both)
    return shared / total if total > 0 else 0.0


_bigrams = grams.bigrams  # CJK character bigrams as ints, memoised per issue (`grams.clear`)
_joined_bigrams = grams.joined_bigrams
_size_of = grams.size_of
