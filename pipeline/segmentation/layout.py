"""Layout normalisation: from the physical lines of a page to layout units.

Archives hold the same articles in very different line layouts: one paragraph per line
(an e-paper copy), hard-wrapped every 18–26 characters (PDF or OCR extraction), with or
without blank lines between paragraphs, with running heads and page numbers dropped into
the middle of a paragraph. Everything downstream (the structure tagger, the rules) wants
one *unit* per paragraph, headline or byline, so this module

1. measures the page (`PageStats`): the wrap width, if the lines are hard-wrapped, and
   whether blank lines separate paragraphs;
2. describes every physical line by features of its own shape and of its neighbours
   (`layout_features`), the input of the layout tagger;
3. re-flows the lines into units from per-line decisions ``noise`` / ``start`` / ``cont``
   (`reflow`), keeping for every unit the source lines it came from, so offsets and the
   lossless line accounting hold on the original text, never on a re-flowed copy.

The decisions come from a trained tagger (`crf` backend) or from `rule_layout`, the
hand-written fallback the `rules` backend uses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from pipeline.document import SourceLine
from pipeline.segmentation import patterns as P

NOISE, START, CONT = "noise", "start", "cont"

_LEAD_MARK_RE = re.compile(r"^(?:【|\[|■|□|●|◆|▲|★|☆|◎|▶|►|——|—|－|编者按|记者[:：]|问[:：]|答[:：]|主持人[:：])")
_LEAD_FIRST = frozenset("【[■□●◆▲★☆◎▶►—－编记问答主")  # the first characters of those marks
_NUMBERED_RE = P.NUMBERED_SUBHEAD_RE
# wire copy's closing mark and a commentary's closing author line
END_MARK_RE = re.compile(r"^[（(]\s*完\s*[)）]$")
_AUTHOR_NOTE_RE = P.AUTHOR_NOTE_RE
_LEAD_IN_GLUED_RE = re.compile(r"^(?:【[^】]{1,40}】|\[[^\]]{1,40}\])\s*[^\s]{4,}")


def display_width(s: str) -> float:
    """Printed width in full-width cells: CJK and full-width forms 1, ASCII 0.5.

    Counted from the UTF-8 length (ASCII 1 byte, CJK 3): this runs for every line.
    """
    n = len(s)
    wide = (len(s.encode("utf-8", "surrogatepass")) - n) // 2
    return min(wide, n) + (n - min(wide, n)) / 2


def display_widths(texts: list[str]) -> list[float]:
    """`display_width` of each text, for a whole page in one numpy pass (the same floats:
    each is an int plus a half)."""
    if len(texts) < 8:
        return [display_width(t) for t in texts]
    joined = "".join(texts)
    a = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    # UTF-8 bytes beyond the first: 1 from U+0080, 2 from U+0800, 3 from U+10000
    extra = (a >= 0x80).astype(np.int64) + (a >= 0x800) + (a >= 0x10000)
    lens = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    ends = lens.cumsum()  # (the arrays' own methods: `np.cumsum` adds a Python-level wrapper call)
    csum = np.concatenate(([0], extra.cumsum()))
    wide = np.minimum((csum[ends] - csum[ends - lens]) // 2, lens)
    return (wide + (lens - wide) / 2).tolist()


@dataclass
class PageStats:
    """What a page's lines say about its layout."""

    n_lines: int
    wrap_width: float | None  # the width most lines break at, when the page is hard-wrapped
    wrapped_share: float  # share of long lines that end at the wrap width
    blank_share: float  # share of lines with a blank line before them
    indent_share: float  # share of lines that start indented
    median_len: float
    measure: str = "cells"  # how the wrap width is counted: display cells or characters
    # each line's width by `measure`, its indent included (`page_stats` of those lines)
    widths: list[float] | None = field(default=None, repr=False, compare=False)

    @property
    def hard_wrapped(self) -> bool:
        return self.wrap_width is not None

    def width(self, s: str) -> float:
        return display_width(s) if self.measure == "cells" else float(len(s))

    @property
    def kind(self) -> str:
        """paragraph | hardwrap | hardwrap_indent | noblank | hardwrap_noblank (for reports)."""
        if self.hard_wrapped:
            if self.indent_share >= 0.05 and self.blank_share < 0.1:
                return "hardwrap_indent"
            return "hardwrap" if self.blank_share >= 0.1 else "hardwrap_noblank"
        return "paragraph" if self.blank_share >= 0.3 else "noblank"


def _wrap_width(widths: np.ndarray, open_ends: np.ndarray) -> tuple[float | None, float]:
    """The width long lines break at, when the page is hard-wrapped.

    A hard-wrapped page has many long lines of nearly one width (justified PDF lines vary
    by a cell or two) that stop in mid-sentence; a paragraph-per-line page has long lines
    of every length that end a sentence. (`widths` as float64 and `open_ends` as bools, one
    per line: counted by numpy, the same floats and counts as over the lists.)
    """
    long = widths >= 10
    n_long = int(np.count_nonzero(long))
    if n_long < 6:
        return None, 0.0
    top = float(np.sort(widths[long])[int(0.9 * (n_long - 1))])
    near = long & (widths >= top - 3) & (widths <= top + 1)
    n_near = int(np.count_nonzero(near))
    share = n_near / n_long
    open_share = int(np.count_nonzero(near & open_ends)) / max(1, n_near)
    if share >= 0.45 and open_share >= 0.5 and top <= 45:
        return top, share
    return None, share


_CLAUSE_SEP_RE = re.compile("[，,、；;]")  # a clause separator inside (one class scan)


def _ragged_wrap(texts: list[str], open_ends: list[bool], widths: list[float]) -> float | None:
    """A page wrapped at uneven widths (OCR of narrow columns, ragged-right text): no common
    width, but its prose lines (long, with a clause separator inside) stop in mid-sentence.
    On a paragraph-per-line page at most about a fifth of them do (measured on the corpus:
    <= 0.23 against >= 0.73 on hard-wrapped pages); its width is then the 90th percentile."""
    # `len(prose) < 6 or n_open < 0.6 * len(prose)` with prose = the lines that are long, do
    # not end on a colon and hold a clause separator, n_open those of them that stop open:
    # the open ones counted first, then the closed ones only until the share of open ones
    # falls below 0.6 (it only falls as closed ones are added), which answers None
    maybe = [
        (t, o) for t, o in zip(texts, open_ends, strict=True) if len(t) >= 10 and t[-1] not in "：:"
    ]
    n_open = len([t for t, o in maybe if o and _CLAUSE_SEP_RE.search(t)])
    n_prose = n_open
    for t, o in maybe:
        if not o and _CLAUSE_SEP_RE.search(t):
            n_prose += 1
            if n_open < 0.6 * n_prose:
                return None
    if n_prose < 6 or n_open < 0.6 * n_prose:
        return None
    long_w = sorted([w for w in widths if w >= 10])
    return float(long_w[int(0.9 * (len(long_w) - 1))])


def page_stats(lines: list[SourceLine], gaps: list[int], indents: list[float]) -> PageStats:
    n = len(lines)
    if n == 0:
        return PageStats(0, None, 0.0, 0.0, 0.0, 0.0)
    texts = [ln.text for ln in lines]
    lens = sorted(map(len, texts))
    median = float(lens[n // 2])
    # PDF text breaks at a printed width (ASCII digits take half a cell); a plain re-wrap
    # breaks at a character count: measure both, keep the one the page follows more closely
    open_ends = [not ends_sentence(t) for t in texts]
    # an indented first line is as wide as the others once its indent is counted
    cells = [w + ind for w, ind in zip(display_widths(texts), indents, strict=True)]
    chars = [len(t) + ind for t, ind in zip(texts, indents, strict=True)]
    opens = np.array(open_ends, dtype=bool)
    by_cells = _wrap_width(np.array(cells, dtype=np.float64), opens)
    by_chars = _wrap_width(np.array(chars, dtype=np.float64), opens)
    measure = "chars" if by_chars[1] > by_cells[1] else "cells"
    wrap, share = by_chars if measure == "chars" else by_cells
    if wrap is None:
        wrap = _ragged_wrap(texts, open_ends, cells if measure == "cells" else chars)
    # (counted by C-level `count`: gaps are blank-line counts, never below 0, and an indent
    # is set where it is not 0)
    rest = gaps[1:]
    blank = (len(rest) - rest.count(0)) / max(1, n - 1)
    indent = (len(indents) - indents.count(0)) / n
    return PageStats(n, wrap, share, blank, indent, median, measure, chars if measure == "chars" else cells)


def split_page(text: str, page: str | None = None, base: int = 0) -> tuple[list[SourceLine], list[int], list[float]]:
    """Non-blank lines with offsets, blank lines before each, and each one's indent in cells."""
    lines: list[SourceLine] = []
    gaps: list[int] = []
    indents: list[float] = []
    pos = 0
    blank = 0
    for number, raw in enumerate(text.split("\n")):
        stripped = raw.strip()
        n_raw = len(raw)
        if stripped is raw and n_raw:
            # (nothing stripped: `strip` gave the line itself; most lines of an issue)
            lines.append(SourceLine(number, base + pos, base + pos + n_raw, raw, page))
            gaps.append(blank)
            indents.append(0.0)
            blank = 0
        elif stripped:
            lead = len(raw) - len(raw.lstrip())
            start = base + pos + lead
            lines.append(SourceLine(number, start, start + len(stripped), stripped, page))
            gaps.append(blank)
            indents.append(display_width(raw[:lead].replace("\ufeff", "").replace("\t", "    ")) if lead else 0.0)
            blank = 0
        else:
            blank += 1
        pos += n_raw + 1
    return lines, gaps, indents


def _len_bucket(n: float) -> str:
    for edge in (2, 4, 6, 8, 10, 12, 16, 20, 26, 32, 40, 60, 100):
        if n <= edge:
            return str(edge)
    return "big"


_CLOSERS = "”’」』）)]】》"
_TERMINALS = frozenset("。！？!?；;…")
_CLAUSE_ENDS = frozenset("，,、；;：:（(“「《—-")
_OPEN_PUNCT = frozenset("，,。．、；;：:）)]】》”’」』%％")
_DIGITS = frozenset("0123456789０１２３４５６７８９.．")
_NUMBER_STARTS = frozenset("一二三四五六七八九十（(0123456789")


_SIGN_OFF_RE = re.compile(r"[（(][^（()）]{1,30}[)）]$")


@lru_cache(maxsize=16384)
def ends_sentence(s: str, sign_off: bool = True) -> bool:
    """Sentence-final punctuation at the end (closing quotes after it allowed), as
    `patterns.TERMINAL_RE` says, without a regex scan. A bracketed sign-off after the full
    stop (`…。（完）`, `…。(通讯员/方柔)`) still ends it. Asked several times of every line
    (kinds, shapes, joins, page measures): cached, and cleared per issue by the segmenters."""
    t = s.rstrip(_CLOSERS)
    if t and t[-1] in _TERMINALS:
        return True
    if s.endswith("..."):
        return True
    if sign_off and s and s[-1] in "）)":
        m = _SIGN_OFF_RE.search(s, max(0, len(s) - 32))
        if m and m.start() > 0:
            return ends_sentence(s[: m.start()])
    return False


_LEN_LABELS = [f"len={_len_bucket(n)}" for n in range(101)]
_COMMAS = ("commas=0", "commas=1", "commas=2", "commas=3")


# what a line's first or last character may add (the other characters add nothing there)
_FIRST_SPECIAL = frozenset(_OPEN_PUNCT | _DIGITS | _LEAD_FIRST | _NUMBER_STARTS | set("（(【["))
_LAST_SPECIAL = frozenset(_CLAUSE_ENDS | _DIGITS | set("：:….—"))


def shape_features(s: str) -> list[str]:
    """Features of one line's text on its own (shared by both taggers; hot path: the tests
    of the first and last character run only for the few characters that can pass one)."""
    n = len(s)
    if not n:
        return [_LEN_LABELS[0]]
    # the bucket stops at 3, which a body line's commas alone mostly reach (counting is costly)
    # (and each further count only while the sum is below 3: the bucket is the same)
    commas = s.count("，")
    if commas < 3:
        commas += s.count(",")
        if commas < 3:
            commas += s.count("、") + s.count("；") + s.count("：")
    f = [_LEN_LABELS[n] if n <= 100 else "len=big", _COMMAS[commas if commas < 3 else 3]]
    first, last = s[0], s[-1]
    if ends_sentence(s):
        f.append("term")
    if last in _LAST_SPECIAL:
        if last in _CLAUSE_ENDS:
            f.append("clause_end")
        if s.endswith(("……", "…", "...", "——")):
            f.append("ellipsis_end")
        if last in "：:":
            f.append("colon_end")
        if last in _DIGITS:
            f.append("digit_end")
    if first in _FIRST_SPECIAL:
        if first in _OPEN_PUNCT:
            f.append("punct_start")
        if first in _DIGITS:
            f.append("digit_start")
        m = _LEAD_MARK_RE.match(s) if first in _LEAD_FIRST else None
        if m:
            f.append("lead=" + m.group(0)[:2])
        if first in "（(":
            if END_MARK_RE.match(s):
                f.append("end_mark")
            if _AUTHOR_NOTE_RE.match(s):
                f.append("author_note")
        if first in "【[" and _LEAD_IN_GLUED_RE.match(s):
            f.append("lead_in_glued")
        if first in _NUMBER_STARTS and _NUMBERED_RE.match(s):
            f.append("numbered")
    # (an opening mark counted only where there is one: `count(x) > count(y)` needs an x)
    if (
        ("“" in s and s.count("“") > s.count("”"))
        or ("《" in s and s.count("《") > s.count("》"))
        or ("（" in s and s.count("（") > s.count("）"))
    ):
        f.append("open_bracket")
    if P.SENTENCE_INSIDE_RE.search(s):
        f.append("sent_inside")
    return f


class NeighbourView(dict):
    """feature -> the feature as a neighbour's feature (`p:len=12`), or "" where neighbours
    do not see it (`keep`: prefixes seen; `drop`: prefixes not seen). Features come from a
    small fixed vocabulary, so each is tested and prefixed once, not once per line."""

    def __init__(self, prefix: str, keep: tuple[str, ...] | None = None, drop: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.prefix, self.keep, self.drop = prefix, keep, drop

    def __missing__(self, x: str) -> str:
        seen = x.startswith(self.keep) if self.keep is not None else not x.startswith(self.drop)
        v = self[x] = self.prefix + x if seen else ""
        return v

    def of(self, feats: list[str]) -> list[str]:
        return list(filter(None, map(self.__getitem__, feats)))


class _ViewTable(dict):
    """feature -> its form in each of a fixed tuple of views (`NeighbourView`), one lookup
    for all of them; and `rows`: an item's whole feature list -> its row of views.

    `rows` is kept across issues, like the views themselves: it is keyed by features, not
    by text, and items of the same features recur from issue to issue (on the labelled
    corpus, each issue read once as printed and hard-wrapped, 86% of the rows an issue
    needs were built for an earlier one). Rows are shared, never changed by the callers."""

    def __init__(self, views: tuple[NeighbourView, ...]) -> None:
        super().__init__()
        self.views = views
        self.rows: dict[tuple[str, ...], list[list[str]]] = {}

    def __missing__(self, x: str) -> tuple[str, ...]:
        v = self[x] = tuple(view[x] for view in self.views)
        return v


_VIEW_TABLES: dict[tuple[int, ...], _ViewTable] = {}
_ROWS_MAX = 100_000  # rows a view table keeps (about 9,000 for the whole labelled corpus)


def neighbour_views(own: list[list[str]], *views: NeighbourView) -> list[list[list[str]]]:
    """Per view, each item's features as neighbours see them. Items of one shape (a page of
    wrapped body lines has many) share one computation; each feature is looked up once for
    all the views (`view.of(o)` of each view, the same lists)."""
    key_views = tuple(map(id, views))
    table = _VIEW_TABLES.get(key_views)
    if table is None or table.views != views:
        table = _VIEW_TABLES[key_views] = _ViewTable(views)
    get = table.__getitem__
    n = len(views)
    memo = table.rows
    if len(memo) >= _ROWS_MAX:
        memo.clear()  # (a bound for long runs over very varied text; never reached on our corpus)
    rows = []
    for o in own:
        key = tuple(o)
        row = memo.get(key)
        if row is None:
            vs = list(map(get, o))
            if n == 3:
                row = [[v[0] for v in vs if v[0]], [v[1] for v in vs if v[1]], [v[2] for v in vs if v[2]]]
            elif n == 4:
                row = [
                    [v[0] for v in vs if v[0]],
                    [v[1] for v in vs if v[1]],
                    [v[2] for v in vs if v[2]],
                    [v[3] for v in vs if v[3]],
                ]
            else:
                row = [[v[k] for v in vs if v[k]] for k in range(n)]
            memo[key] = row
        rows.append(row)
    return [list(col) for col in zip(*rows, strict=True)] if rows else [[] for _ in range(n)]


_LOCAL = 3  # lines each side for the local column width


def _local_widest(widths: list[float]) -> list[float]:
    """``max(widths[max(0, i - _LOCAL) : i + _LOCAL + 1])`` for every i, the same floats, as
    the running maximum of a few shifted copies (a slice and a `max` per line cost more on a
    hard-wrapped page of hundreds of lines)."""
    n = len(widths)
    if not n:
        return []
    padded = np.full(n + 2 * _LOCAL, -np.inf)  # (every window holds its own line: never -inf)
    padded[_LOCAL : _LOCAL + n] = widths
    out = padded[:n].copy()
    for k in range(1, 2 * _LOCAL + 1):
        np.maximum(out, padded[k : k + n], out=out)
    return out.tolist()
_AS_PREV = NeighbourView("p:", drop=("commas", "lead"))
_AS_PREV2 = NeighbourView("pp:", keep=("kind", "term", "wfull", "clause"))
_AS_NEXT = NeighbourView("n:", keep=("kind", "len", "indent", "gap", "lead", "term"))
_GAP = ("gap=0", "gap=1", "gap=2")


class _Prefixed(dict):
    """kind -> ``"kind=" + kind``, each string built once (a concatenation per line otherwise)."""

    def __missing__(self, kind: str) -> str:
        v = self[kind] = "kind=" + kind
        return v


_KIND_FEATURES = _Prefixed()


def layout_features(
    lines: list[SourceLine],
    gaps: list[int],
    indents: list[float],
    stats: PageStats,
    kinds: list[str],
    shapes: list[list[str]] | None = None,
) -> list[list[str]]:
    """Features of each physical line for the layout tagger (noise / start / cont)."""
    n = len(lines)
    texts = [ln.text for ln in lines]
    if shapes is None:
        shapes = [shape_features(t) for t in texts]
    W = stats.wrap_width
    if W is None:
        widths: list[float] = []  # asked only of hard-wrapped pages
    elif stats.widths is not None and len(stats.widths) == n:
        widths = stats.widths
    else:
        widths = [stats.width(t) + ind for t, ind in zip(texts, indents, strict=True)]
    page = [f"page={stats.kind}"]
    own: list[list[str]] = []
    # the widest line near each line: an archive's OCR page sets each article in its own column
    # width, so a line short of the page's wrap width may still fill its own column
    local = _local_widest(widths) if W is not None else []
    for i in range(n):
        g = gaps[i]
        f = [*shapes[i], _KIND_FEATURES[kinds[i]], _GAP[g if g < 2 else 2]]  # (= "kind=" + kinds[i])
        if W is not None:
            gap = W - widths[i]
            f.append("wfull" if gap <= 1.5 else ("wnear" if gap <= 3.5 else ("wmid" if gap <= 8 else "wshort")))
            lgap = local[i] - widths[i]
            f.append("lfull" if lgap <= 1.5 else ("lnear" if lgap <= 3.5 else "lshort"))
        if indents[i]:
            f.append("indent")
        own.append(f)
    feats: list[list[str]] = []
    as_prev, as_prev2, as_next = neighbour_views(own, _AS_PREV, _AS_PREV2, _AS_NEXT)
    joins = [["rule_join", f"rule_join|gap={g}|{page[0]}"] for g in range(3)]
    wrapped = W is not None
    pair_kinds: dict[tuple[str, str], str] = {}  # the `pk|k=…` feature of each pair of kinds
    for i in range(n):
        if i == 0:
            f = [*page, *own[i], "first"]
        else:
            pk = pair_kinds.get((kinds[i - 1], kinds[i]))
            if pk is None:
                pk = pair_kinds[kinds[i - 1], kinds[i]] = f"pk|k={kinds[i - 1]}|{kinds[i]}"
            f = [*page, *own[i], *as_prev[i - 1], pk]
            # `rule_join` asked only where the kinds allow a join and the line above does not
            # end a sentence (its own first two tests; most body lines do end one)
            if (
                kinds[i] in _JOIN_KINDS
                and kinds[i - 1] in _JOIN_PREV_KINDS
                and not ends_sentence(texts[i - 1])
                and rule_join(texts[i - 1], kinds[i - 1], texts[i], kinds[i], wrapped)
            ):
                # with the layout: a blank line in mid-sentence is an e-paper copy's slip
                f += joins[min(gaps[i], 2)]
            if i >= 2:
                f += as_prev2[i - 2]
        if i + 1 < n:
            f += as_next[i + 1]
        else:
            f.append("last")
        feats.append(f)
    return feats


def _clauses(s: str) -> int:
    return s.count("，") + s.count(",") + s.count("、") + s.count("；")


_JOIN_KINDS = ("para", "head")  # the kinds `rule_join` lets continue a line…
_JOIN_PREV_KINDS = ("para", "glued", "head")  # …and the kinds of the line it continues


def rule_join(prev: str, prev_kind: str, cur: str, kind: str, wrapped: bool) -> bool:
    """The rules' reading: a paragraph that stops in mid-sentence goes on in this line
    (`同比增长` / `35.7%,总量…`), unless this line opens a byline, caption, marker or list
    item. On a page of one paragraph per line only a long body line can be cut off."""
    if kind not in _JOIN_KINDS or prev_kind not in _JOIN_PREV_KINDS:
        return False
    if ends_sentence(prev) or prev.endswith(("……", "…", "——", "：", ":")):
        return False
    if not wrapped and len(prev) < 12:
        return False
    if not wrapped and prev_kind == "head" and _clauses(prev) < 2:
        # a short unterminated line is a headline, unless what follows cannot open a
        # paragraph (`，智慧黑板…`, `58所,占…`)
        if _clauses(prev) < 1 or not (cur[0] in _OPEN_PUNCT or cur[0] in _DIGITS):
            return False
    # (a numbered item opens with one of `_NUMBER_STARTS`, as `shape_features` asks)
    return not cur.startswith(("“", "「", "【", "■", "●", "——")) and not (
        cur[:1] in _NUMBER_STARTS and _NUMBERED_RE.match(cur)
    )


@dataclass(slots=True)
class LayoutUnit:
    """Source lines that read as one element: a paragraph, a headline, a byline…"""

    lines: list[int]  # indices into the page's SourceLine list
    text: str
    gap_before: int = 0
    gap_after: int = 0
    indent: bool = False
    noise_inside: list[int] = field(default_factory=list)  # running heads dropped into it


def reflow(
    lines: list[SourceLine], gaps: list[int], indents: list[float], decisions: list[str]
) -> tuple[list[LayoutUnit], list[int]]:
    """Units from per-line decisions; returns (units, indices of noise lines)."""
    units: list[LayoutUnit] = []
    noise: list[int] = []
    pending_gap = 0
    for i, d in enumerate(decisions):
        if d == NOISE:
            noise.append(i)
            if units:
                units[-1].noise_inside.append(i)
            pending_gap = max(pending_gap, gaps[i])
            continue
        g = gaps[i]
        gap = g if g >= pending_gap else pending_gap  # = max(gaps[i], pending_gap)
        pending_gap = 0
        if d == CONT and units:
            u = units[-1]
            u.lines.append(i)
            u.text += lines[i].text  # = join_wrapped(u.text, lines[i].text)
            continue
        if units:
            u = units[-1]
            u.gap_after = gap
            if u.noise_inside:  # (an empty list stays: nothing else holds it)
                u.noise_inside = []
        # (by position: lines, text, gap_before, gap_after, indent)
        units.append(LayoutUnit([i], lines[i].text, gap, 0, bool(indents[i])))
    return units, noise


_ASCII_WORD_END = re.compile(r"[A-Za-z]$")
_ASCII_WORD_START = re.compile(r"^[A-Za-z]")


def join_wrapped(left: str, right: str) -> str:
    """Re-join a wrapped line: Chinese needs no separator; two Latin words keep one space
    unless the break fell inside a word (we cannot tell, so we keep the printed form)."""
    return left + right


def rule_layout(
    lines: list[SourceLine], gaps: list[int], indents: list[float], stats: PageStats, kinds: list[str]
) -> list[str]:
    """Hand-written layout decisions: the `rules` backend's normaliser.

    Noise is what the line-shape rules call noise; on a hard-wrapped page a line continues
    the previous one when that one ran to the wrap width without ending a sentence and this
    one does not open a byline, caption, marker or indented paragraph. Paragraphs broken
    across a blank line on paragraph-per-line pages are left to the rule segmenter's own
    repair pass.
    """
    out: list[str] = []
    W = stats.wrap_width
    prev: int | None = None
    for i, ln in enumerate(lines):
        k = kinds[i]
        if k == "noise":
            out.append(NOISE)
            continue
        d = START
        if W is not None and prev is not None:
            p = lines[prev].text
            full = stats.width(p) + indents[prev] >= W - 3
            opens = k in ("byline", "glued", "caption", "mark_to", "mark_from") or (
                indents[i] and stats.indent_share >= 0.05
            )
            if full and not opens and (not ends_sentence(p) or ln.text[0] in _OPEN_PUNCT):
                d = CONT
        out.append(d)
        prev = i
    return out
