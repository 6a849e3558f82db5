"""Features of layout units for the structure tagger.

Each unit (a paragraph, headline, byline … after layout normalisation) is described by
string features in the manner of GROBID's segmentation model: its own shape (length,
final punctuation, how it starts), what the hand-written rules make of it (`kind=…`, a
signal the tagger weighs, not a decision), notice and service-block cues, the layout gaps
around it, lexical cohesion with the text before and after it, and the same facts about
its neighbours. Features are plain strings (``name`` or ``name=value``): CRFsuite reads
them as binary attributes, so the model file alone says what the tagger knows.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter
from itertools import chain, compress

from pipeline.segmentation import grams as _grams
from pipeline.segmentation import patterns as P
from pipeline.segmentation.bylines import looks_like_name
from pipeline.segmentation.layout import (
    _KIND_FEATURES,
    LayoutUnit,
    NeighbourView,
    PageStats,
    neighbour_views,
    shape_features,
)
from pipeline.segmentation.segmenter import _Weights

FEATURES_VERSION = 2

# Cues of lines that belong to no article: service blocks, ads, notices, mastheads.
NOTICE_CUES: dict[str, re.Pattern[str]] = {
    "phone": re.compile(
        r"(?:电话|热线|手机|联系|咨询|服务台|传真)[^，。]{0,6}[:：]?\s*[0-9０-９(（]{3}|1[3-9]\d{9}|\d{3,4}[-－—]\d{7,8}"
    ),
    "weather": re.compile(
        r"[0-9０-９]+\s*[℃°]|[东南西北]{1,2}风\s*[0-9０-９一二三四五六～~-]+级|(?:晴|多云|阴|小雨|中雨|大雨|雷阵雨|阵雨|小雪)(?:转|间|到)|空气质量|紫外线|今日天气|明日天气|天气预报"
    ),
    "masthead": re.compile(
        r"主办|主管|刊号|CN\s?\d{2}|邮发代号|今日\s*[0-9０-９一二三四五六七八九十]+\s*版|总第\s*\d+\s*期|国内统一"
    ),
    "notice": re.compile(
        r"^(?:更正|声明|启事|公告|通告|遗失|征集|招聘|招标|拍卖|寻人|讣告)|(?:启事|声明|公告|通告|特此更正|特此声明|特此公告|作废)[。！]?$"
    ),
    "ad": re.compile(
        r"广告|优惠|促销|热销|火爆|招商热线|地址[:：]|网址[:：]|售楼|楼盘|开盘|样板|认筹|报名从速|欢迎垂询|折起"
    ),
    "listing": re.compile(r"^\d{1,2}[:：]\d{2}\s*\S|开奖|中奖号码|彩票|第\s*\d{5,}\s*期"),
    "hotline": re.compile(r"新闻热线|报料|读者热线|发行热线|广告热线|投稿邮箱|邮箱[:：]|微信公众号|客户端"),
    "url": re.compile(r"https?://|www\.|@[a-z0-9]+\.|\.com|\.cn"),
}
_QUOTED_RE = re.compile(r"[“「『][^”」』]{1,14}[”」』]")
_TWO_PART_RE = re.compile(rf"[{P.CJK}”」』》）)!?！？][ \u3000]+[{P.CJK}“「『《（(]")
_NEWS_LEAD_RE = re.compile(r"\d{1,2}月\d{1,2}日|近日|日前|记者从|获悉|昨天|昨日|今天|今日")
# `_NEWS_LEAD_RE.search(s)` in two scans the regex engine runs fast: its words, every
# alternative a literal (a scan for their first characters), and its date only where 月 is,
# as `\d月\d{1,2}日` (a date `\d{1,2}月` has a digit just before its 月, and a digit before
# 月 opens a match of `\d{1,2}月`; opening with a class, also scanned for first)
_NEWS_LEAD_WORDS_RE = re.compile("近日|日前|记者从|获悉|昨天|昨日|今天|今日")
_NEWS_LEAD_DATE_RE = re.compile(r"\d月\d{1,2}日")


def _may_lead_word(head: str) -> bool:
    """A necessary condition of `_NEWS_LEAD_WORDS_RE.search(head)`: 日 (近日, 日前, 昨日,
    今日), 天 (昨天, 今天), or one of the other two words."""
    return "日" in head or "天" in head or "记者从" in head or "获悉" in head


# the first characters of `_SUBJECT_FIRST_RE`'s second alternative's place words (at
# positions 1 … 6, after one to six CJK characters): one of these there, or a first
# character of its first alternative (我市 … 全区 … 本市), is needed for a match
_SUBJECT_PLACE_FIRST_RE = re.compile("[市县区镇乡村港局院校馆站所中公集大学小]")
_SUBJECT_OPEN_FIRST = frozenset("我全本")
# the first characters `patterns.DATE_LEAD_RE` can match, besides a digit (`\d`: `str.isdecimal`)
_DATE_LEAD_FIRST = frozenset("近日昨今本上记一二三四五六七八九十")
_SUBJECT_FIRST_RE = re.compile(
    rf"^(?:我市|我省|我县|我区|全市|全省|全县|全区|本市)|^[{P.CJK}]{{1,6}}?(?:(?<!城)市|县|区|镇|乡|村|港|局|院|校|馆|站|所|中心|公司|集团|大学|学院|中学|小学)(?![{P.CJK}]?[的])"
)
_VERB_FIRST_RE = re.compile(
    r"^(?:一[个条座段封代箱张本份位场次件批群]|从|让|把|向|为|用|以|在|对|将|给|跑出|打造|推动|做好|坚持|聚焦|加快|抓好|念好|下好|织密|筑牢|守好)"
)
# the first characters `_VERB_FIRST_RE` can match
_VERB_FIRST_FIRST = frozenset("一从让把向为用以在对将给跑打推做坚聚加抓念下织筑守")
_QA_RE = re.compile(r"^(?:记者|问|答|主持人|[^\s，。：:]{1,6})[:：]")
_PREV_KEYS = ("kind", "len", "term", "gap", "lead", "cue", "column", "name", "caption", "ellipsis", "news")
_NEXT_KEYS = ("kind", "len", "term", "gap", "lead", "cue", "news", "column", "caption", "name", "qa")
_FAR_KEYS = ("kind", "term", "len")


bigrams = _grams.bigrams  # one memo for the rules and the features (cleared per issue)


class PageIdf:
    """Inverse document frequency of bigrams over a page's long units: words every article
    of the page shares say little about which article a line belongs to."""

    def __init__(self, texts: list[str], asked: frozenset[int] | None = None) -> None:
        """`asked`: the only bigrams whose weight will be asked for (counting just those is
        faster, and their weights are the same)."""
        sets = [bigrams(t) for t in texts if len(t) >= 30]
        counted = sets if asked is None else [g & asked for g in sets]
        self.weights = _Weights(Counter(chain.from_iterable(counted)), len(sets))

    @classmethod
    def of_counts(cls, df: dict[int, int], n: int) -> PageIdf:
        """From document frequencies over the page's n long units (`grams.page_counts`)."""
        idf = cls.__new__(cls)
        idf.weights = _Weights(df, n)
        return idf

    def overlap(self, part: frozenset[int], whole: set[int] | frozenset[int]) -> float:
        w = self.weights
        total = w.total(part)
        if total <= 0:
            return 0.0
        return w.total(part & whole) / total

    def overlap_of(self, part: frozenset[int], common: set[int] | frozenset[int]) -> float:
        """`overlap(part, whole)` told ``common = part & whole`` (the same set)."""
        w = self.weights
        total = w.total(part)
        if total <= 0:
            return 0.0
        return w.total(common) / total


_NOTICE_RE = re.compile("|".join(f"(?P<{name}>{rx.pattern})" for name, rx in NOTICE_CUES.items()))


# What each cue needs somewhere in the line (a character of each of its words, a phone
# number's dash or 11 digits, a temperature sign, `://`, `.c` …). Lines that could carry no
# cue, or only one, are answered without the slow scan of the combined pattern; lines that
# could carry two or more get that scan, so overlapping cues resolve exactly as before.
_CUE_NEEDS = {
    "phone": "话线机联询台真-－—",
    "weather": "℃°级晴云阴雨雪质紫气",
    "masthead": "办管刊N邮版期统",
    "notice": "更声启告遗征聘标拍寻废",
    "ad": "告惠促销爆商址售盘样筹速询折",
    "listing": ":：奖票期",
    "hotline": "线料箱微端",
}
_CUE_TOKENS: dict[str, frozenset[str]] = {"://": frozenset({"url", "listing"}), "www.": frozenset({"url"})}
_CUE_TOKENS[".c"] = _CUE_TOKENS["@"] = frozenset({"url"})
for _cue, _chars in _CUE_NEEDS.items():
    for _c in _chars:
        _CUE_TOKENS[_c] = _CUE_TOKENS.get(_c, frozenset()) | {_cue}
# the tokens other than a phone number's 11 digits, every alternative a literal (the regex
# engine then scans for their first characters; `://` before the `:` it starts with), and
# the 11 digits apart (no token holds a digit, so a run of digits is found the same)
_CUE_GATE_RE = re.compile(
    "://|www\\.|\\.c|@|" + "|".join(map(re.escape, sorted({c for v in _CUE_NEEDS.values() for c in v})))
)
_ELEVEN_DIGITS_RE = re.compile(r"\d" * 11)  # = \d{11}, opening with its class (scanned for first)
_DIGIT_RE = re.compile(r"\d")


_PHONE_ONLY = frozenset({"phone"})  # a run of 11 digits (a mobile number)


def _possible_cues(s: str) -> set[str]:
    out: set[str] = set()
    for tok in set(_CUE_GATE_RE.findall(s)):
        out |= _CUE_TOKENS[tok]
    # a run of 11 digits holds one of the characters at 10, 21, 32 … (any 11 consecutive
    # positions hold one of them): a scan of those few first
    if len(s) > 10 and _DIGIT_RE.search(s[10::11]) and _ELEVEN_DIGITS_RE.search(s):
        out |= _PHONE_ONLY
    return out


_NOTICE_OPENS = ("更正", "声明", "启事", "公告", "通告", "遗失", "征集", "招聘", "招标", "拍卖", "寻人", "讣告")
_NOTICE_ENDS = ("启事", "声明", "公告", "通告", "更正", "作废")  # (`特此更正` … end on these too)


def _may_phone(s: str) -> bool:
    """A necessary condition of `NOTICE_CUES["phone"].search(s)`: one of its words, a dash
    (`\\d{3,4}[-－—]\\d{7,8}`) or 11 digits in a row (`1[3-9]\\d{9}`)."""
    return (
        "电话" in s or "热线" in s or "手机" in s or "联系" in s or "咨询" in s or "服务台" in s or "传真" in s
        or "-" in s or "－" in s or "—" in s
        or bool(len(s) > 10 and _DIGIT_RE.search(s[10::11]) and _ELEVEN_DIGITS_RE.search(s))
    )  # fmt: skip


def _may_weather(s: str) -> bool:
    """A necessary condition of `NOTICE_CUES["weather"].search(s)`: a temperature sign, a wind
    (风 … 级), a sky word (晴 云 阴 雨 雪) and 转/间/到, or one of its words."""
    return (
        "℃" in s or "°" in s or "天气" in s or "紫外线" in s or "空气质量" in s
        or ("级" in s and "风" in s)
        or (("转" in s or "间" in s or "到" in s) and ("晴" in s or "云" in s or "阴" in s or "雨" in s or "雪" in s))
    )  # fmt: skip


def _may_notice(s: str) -> bool:
    """A necessary condition of `NOTICE_CUES["notice"].search(s)`: one of its opening words at
    the start, or one of its closing words at the end (before a `。`/`！` and the newline `$`
    allows)."""
    return (
        s.startswith(_NOTICE_OPENS)
        or s.endswith(_NOTICE_ENDS)
        or s[:-1].endswith(_NOTICE_ENDS)
        or s[:-2].endswith(_NOTICE_ENDS)
    )


def _may_listing(s: str) -> bool:
    """A necessary condition of `NOTICE_CUES["listing"].search(s)`: a digit first (`^\\d{1,2}[:：]`,
    `\\d` being `str.isdecimal`), 期, or one of its words."""
    return s[:1].isdecimal() or "期" in s or "开奖" in s or "彩票" in s or "中奖号码" in s


# the cues whose own pattern is slow to scan, behind a literal test it cannot match without
_CUE_MAY = {"phone": _may_phone, "weather": _may_weather, "notice": _may_notice, "listing": _may_listing}


def _cue_in(cue: str, s: str) -> bool:
    """`bool(NOTICE_CUES[cue].search(s))`, the slow patterns asked only where they can match."""
    may = _CUE_MAY.get(cue)
    if may is not None and not may(s):
        return False
    return bool(NOTICE_CUES[cue].search(s))


def notice_cues(s: str) -> list[str]:
    """Which service-block cues a line carries (one scan of one combined pattern)."""
    possible = _possible_cues(s)
    if not possible:
        return []
    if len(possible) == 1:
        (cue,) = possible
        return ["cue=" + cue] if _cue_in(cue, s) else []
    # each possible cue's own pattern first (most such lines are body text that carries none);
    # only two or more real cues need the combined scan to resolve overlaps as it does
    found = [cue for cue in possible if _cue_in(cue, s)]
    if len(found) <= 1:
        return ["cue=" + found[0]] if found else []
    return sorted({"cue=" + str(m.lastgroup) for m in _NOTICE_RE.finditer(s)})


_NLINES = ("nlines=0", "nlines=1", "nlines=2", "nlines=3")
_GAPB = ("gapb=0", "gapb=1", "gapb=2")
_GAPA = ("gapa=0", "gapa=1", "gapa=2")
_NAME_SHAPE_RE = re.compile(rf"[□■◎●]?\s*[{P.CJK}]{{2,3}}")
_NAME_BULLETS = ("□", "■", "◎", "●")
_AS_PREV = NeighbourView("p:", keep=_PREV_KEYS)
_AS_NEXT = NeighbourView("n:", keep=_NEXT_KEYS)
_AS_PP = NeighbourView("pp:", keep=_FAR_KEYS)
_AS_NN = NeighbourView("nn:", keep=_FAR_KEYS)


class _Buckets:
    """`name=E` for the first edge E >= x (`name=hi` past the last): a bisection over
    labels built once, not a loop and a string per call."""

    def __init__(self, name: str, edges: tuple[float, ...]) -> None:
        self.edges = edges
        self.labels = [f"{name}={e}" for e in edges] + [f"{name}=hi"]

    def __call__(self, x: float) -> str:
        return self.labels[bisect_left(self.edges, x)]

    def int_table(self) -> list[str]:
        """The label of each int 0 … past the last edge: ``table[min(x, len(table) - 1)]`` is
        ``self(x)`` for every int x >= 0 (the last entry is the `hi` label)."""
        return [self(x) for x in range(int(self.edges[-1]) + 2)]


_DIST_HEAD = _Buckets("dist_head", (1, 2, 3, 5, 10))
_DIST_BYLINE = _Buckets("dist_byline", (1, 2, 3, 5, 10))
_DIST_HEAD_T = _DIST_HEAD.int_table()
_DIST_BYLINE_T = _DIST_BYLINE.int_table()
assert len(_DIST_HEAD_T) == len(_DIST_BYLINE_T)
_PARA_OVL = _Buckets("para_ovl", (0.02, 0.05, 0.1, 0.2))
_OWN_OVL = _Buckets("own_ovl", (0.0, 0.1, 0.25, 0.5))
_MARK_AHEAD = _Buckets("mark_ahead", (1, 2, 3, 5))
_SEC_OVL = _Buckets("sec_ovl", (0.05, 0.1, 0.15, 0.25, 0.4))


def unit_own_features(
    text: str, kind: str, unit: LayoutUnit, is_column: bool, shape: list[str] | None = None
) -> list[str]:
    return units_own_features([text], [kind], [unit], [is_column], [shape])[0]


def units_own_features(
    texts: list[str],
    kinds: list[str],
    units: list[LayoutUnit],
    columns: list[bool],
    shapes: list[list[str] | None],
) -> list[list[str]]:
    """`unit_own_features` of each unit (`shapes[i]`: its shape features where known), in
    one loop: a call per unit costs more than most of what it computes."""
    out: list[list[str]] = []
    for s, kind, unit, is_column, shape in zip(texts, kinds, units, columns, shapes, strict=True):
        n_s = len(s)
        nl, gb, ga = len(unit.lines), unit.gap_before, unit.gap_after
        f = [
            *(shape if shape is not None else shape_features(s)),
            _KIND_FEATURES[kind],  # = "kind=" + kind
            _NLINES[nl if nl < 3 else 3],
            _GAPB[gb if gb < 2 else 2],
            _GAPA[ga if ga < 2 else 2],
        ]
        if n_s <= 80:  # service blocks are short lines; body paragraphs need no scan
            f += notice_cues(s)
        if unit.indent:
            f.append("indent")
        if is_column:
            f.append("column_shape")
        if n_s <= 40:
            # each scan behind a character it cannot match without (a space, a quote, a colon …)
            if (" " in s or "\u3000" in s) and _TWO_PART_RE.search(s):
                f.append("two_part")
            if ("“" in s or "「" in s or "『" in s) and _QUOTED_RE.search(s):
                f.append("quoted")
            if (s[:1] in _SUBJECT_OPEN_FIRST or _SUBJECT_PLACE_FIRST_RE.search(s, 1, 7)) and _SUBJECT_FIRST_RE.match(s):
                f.append("subject_first")
            if s[:1] in _VERB_FIRST_FIRST and _VERB_FIRST_RE.match(s):
                f.append("verb_first")
            if (len(s.strip()) <= 4 or s[:1] in _NAME_BULLETS) and (
                looks_like_name(s) or _NAME_SHAPE_RE.fullmatch(s)
            ):
                f.append("name_like")
            if "、" in s:
                f.append("enum")
            if n_s <= 8 and P.BOX_LABEL_RE.match(s):
                f.append("box_label")  # `链接`, `背景`, `记者手记`: a box inside the article above
        head = s[:16]
        if (("月" in head and _NEWS_LEAD_DATE_RE.search(head)) or (
            # (`_may_lead_word(head)` inline: a call costs what the scan costs)
            ("日" in head or "天" in head or "记者从" in head or "获悉" in head) and _NEWS_LEAD_WORDS_RE.search(head)
        )) or (
            (s[:1] in _DATE_LEAD_FIRST or s[:1].isdecimal()) and P.DATE_LEAD_RE.match(s)
        ):
            f.append("news_lead")
        if n_s > 12 and (":" in s[:7] or "：" in s[:7]) and _QA_RE.match(s):
            f.append("qa")
        tail = s[-40:]
        if ("摄" in tail or "图" in tail or "新华社发" in tail) and P.CAPTION_END_RE.search(tail):
            f.append("caption_end")
        out.append(f)
    return out


def _union(texts: list[str], idx: tuple[int, ...]) -> set[int]:
    """The union of the bigrams of `texts[k]` for k in `idx`: `set()`, then `|=` each in order."""
    out: set[int] = set()
    for k in idx:
        out |= bigrams(texts[k])
    return out


class _Labels(dict):
    """key -> ``prefix.format(*key)``, each string built once: kinds and the rules' readings
    are a small fixed vocabulary, so their pairs recur on every page."""

    def __init__(self, prefix: str) -> None:
        super().__init__()
        self.prefix = prefix

    def __missing__(self, key: tuple[str, ...] | str) -> str:
        v = self[key] = self.prefix.format(*key) if isinstance(key, tuple) else self.prefix.format(key)
        return v


_RULE_OWN = _Labels("rule={}")
_RULE_P = _Labels("rule|p={}|{}")
_PAIR_PK = _Labels("pk|k={}|{}")
_PAIR_NK = _Labels("k|nk={}|{}")
_AHEAD = _Labels("ahead={}")
_K_AHEAD = _Labels("k|ahead={}|{}")
_RULE_AHEAD = _Labels("rule|ahead={}|{}")


def structure_features(
    units: list[LayoutUnit],
    texts: list[str],
    kinds: list[str],
    columns: list[bool],
    stats: PageStats,
    line_shapes: list[list[str]] | None = None,
    rules: list[str] | None = None,
) -> list[list[str]]:
    """Features of each unit of a page for the structure tagger (`line_shapes`: the
    layout pass's shape features per source line, reused for one-line units)."""
    n = len(units)
    if line_shapes is not None:
        shapes = [line_shapes[u.lines[0]] if len(u.lines) == 1 else None for u in units]
    else:
        shapes = [None] * n
    own = units_own_features(texts, kinds, units, columns, shapes)
    _grams.prime(texts)  # the page's texts in one pass (each set is built when first asked for)
    long_idx = [i for i in range(n) if len(texts[i]) >= 30]
    # from one sort over the long units' bigrams: per long unit, how many of its bigrams the
    # (up to) three long units before it share
    # (the short units' sets, built in one loop: each is asked again below)
    short_all = [i for i in range(n) if len(texts[i]) <= 40]
    short_sets = dict(zip(short_all, _grams.bigram_sets([texts[i] for i in short_all]), strict=True))
    # and, from the same sort, for a head run between long units: how many bigrams the three
    # long units after it have, and how many of those the three before it share (`sec_ovl`)
    # (and each long unit's number of distinct bigrams)
    # (`after_in_gap`: where the run's own line is a long unit, between the two)
    # (no `asked`: the document frequencies come with `present_before` below)
    shared, _, after_n, after_in, after_in_gap, distinct, index = _grams.page_windows(
        [texts[i] for i in long_idx], 3, frozenset()
    )
    long_shared = dict(zip(long_idx, shared, strict=True))
    long_distinct = dict(zip(long_idx, distinct, strict=True))
    # which bigrams of each short unit one of the (up to) three long units before it holds,
    # from the same sort (no sets of those long units built)
    # (`at[i]`: how many long units come before short unit i)
    at_of = {i: bisect_left(long_idx, i) for i in short_all}
    short_idx = [i for i, a in at_of.items() if a]
    # and, from the same search, how many long units hold each of those bigrams: the IDF
    # weights over the long units, asked for only of these units' bigrams (`own_ovl` below)
    flags, counts = _grams.present_before_and_counts(
        index, [short_sets[i] for i in short_idx], [at_of[i] for i in short_idx], 3
    )
    found_before = dict(zip(short_idx, flags, strict=True))
    part_counts = dict(zip(short_idx, counts, strict=True))
    sec_of: dict[tuple[int, bool], str] = {}  # `sec_ovl` by (past, the run's line is long)
    idf = PageIdf.of_counts({}, len(long_idx))
    weight_of = idf.weights._by_count.__getitem__  # a document frequency's weight
    seen_short: list[str] = []
    seen_joined = ""  # the short texts seen so far, joined by newlines (no text holds one)
    # the union of the bigrams of a few long units, by their indices: the units before a
    # head run, and those after it, which are the units before a later run (every union is
    # built alike, `set()` then `|=` each unit's set in order, so equal keys give equal sets)
    union_memo: dict[tuple[int, ...], set[int]] = {}
    sec_memo: dict[tuple[tuple[int, ...], tuple[int, ...]], str] = {}
    feats: list[list[str]] = []
    # each unit's features as its neighbours see them, built once
    as_prev, as_next, as_pp, as_nn = neighbour_views(own, _AS_PREV, _AS_NEXT, _AS_PP, _AS_NN)
    page = f"page={stats.kind}"
    # what the head run a unit belongs to leads into: the first unit after it that is not a
    # head line or caption (a byline under a head block means a new article)
    ahead = ["end"] * n
    nxt_kind = "end"
    for i in range(n - 1, -1, -1):
        ahead[i] = nxt_kind
        if kinds[i] not in ("head", "column", "caption"):
            nxt_kind = kinds[i]
    # how far ahead a `下转` marker closes the text, before any head or byline: a short line
    # followed within a few units by the jump marker is a sub-head of the jumping article
    mark_ahead = [0] * n
    nxt_mark = 0
    for i in range(n - 1, -1, -1):
        mark_ahead[i] = nxt_mark
        if kinds[i] == "mark_to":
            nxt_mark = i
        elif kinds[i] in ("head", "column", "byline", "glued"):
            nxt_mark = 0
    last_head = last_byline = -100
    glued_byline = False
    para_edges, para_labels = _PARA_OVL.edges, _PARA_OVL.labels
    own_edges, own_labels = _OWN_OVL.edges, _OWN_OVL.labels
    top = len(_DIST_HEAD_T) - 1  # = len(_DIST_BYLINE_T) - 1
    # the features of a unit and the one before or after it, each built in one comprehension
    # (the same strings the loop would format: `rule|p=…` of unit i is `rule_p[i - 1]`)
    if rules is not None:
        rule_own = list(map(_RULE_OWN.__getitem__, rules))  # = ["rule=" + r for r in rules]
        rule_p = list(map(_RULE_P.__getitem__, zip(rules, rules[1:], strict=False)))  # = f"rule|p={a}|{b}" of each pair
    pair_pk = list(map(_PAIR_PK.__getitem__, zip(kinds, kinds[1:], strict=False)))  # = f"pk|k={a}|{b}" of each pair
    pair_nk = list(map(_PAIR_NK.__getitem__, zip(kinds, kinds[1:], strict=False)))  # = f"k|nk={a}|{b}" of each pair
    for i in range(n):
        s = texts[i]
        n_s = len(s)
        # where the unit sits in the article so far: sub-heads come deep in a feature,
        # headlines after a dispatch or a short brief (distances are ints >= 1)
        dh, db = i - last_head, i - last_byline
        f = [page, *own[i], _DIST_HEAD_T[dh if dh < top else top], _DIST_BYLINE_T[db if db < top else top]]
        if rules is not None:
            # the hand-written segmenter's reading of this unit, as evidence
            f.append(rule_own[i])
            if i > 0:
                f.append(rule_p[i - 1])  # = f"rule|p={rules[i - 1]}|{rules[i]}"
        if glued_byline:
            f.append("after_glued")
        k = kinds[i]
        if k in ("head", "column", "caption"):
            f.append(_AHEAD[ahead[i]])  # = f"ahead={ahead[i]}"
            f.append(_K_AHEAD[k, ahead[i]])  # = f"k|ahead={k}|{ahead[i]}"
            if rules is not None:
                f.append(_RULE_AHEAD[rules[i], ahead[i]])  # = f"rule|ahead={rules[i]}|{ahead[i]}"
        if k in ("head", "column"):
            last_head = i
        elif k in ("byline", "glued"):
            last_byline = i
            glued_byline = k == "glued"
        if i == 0:
            f.append("first")
        else:
            f += as_prev[i - 1]
            f.append(pair_pk[i - 1])  # = f"pk|k={kinds[i - 1]}|{kinds[i]}"
            if i >= 2:
                f += as_pp[i - 2]
        if i + 1 < n:
            f += as_next[i + 1]
            f.append(pair_nk[i])  # = f"k|nk={kinds[i]}|{kinds[i + 1]}"
            if i + 2 < n:
                f += as_nn[i + 2]
        else:
            f.append("last")
        if n_s > 40:
            # a long paragraph that shares no words with the text before it may open a brief
            # (plain share of bigrams: long texts need no IDF weighting, and this runs often)
            n_g = long_distinct[i]  # = len(bigrams(s))
            if n_g and i != long_idx[0]:  # a long unit with bigrams, and long text before it
                f.append(para_labels[bisect_left(para_edges, long_shared[i] / n_g)])  # = _PARA_OVL(…)
        if n_s <= 40:
            # cohesion: does this short line reuse the words of the text just before it, and
            # does the text after it go on with them? (sub-head vs new headline)
            at = at_of[i]
            past = at + 1 if n_s >= 30 else at  # a unit of 30-40 characters is a long unit too
            lo3 = at - 3 if at > 3 else 0  # = max(0, at - 3)
            before = long_idx[lo3:at]
            after = long_idx[past : past + 3]
            whole = True  # `after` holds the three long units after the run (or all left)
            if mark_ahead[i]:
                # text past the jump marker belongs to the next article, not to this one
                after = [k for k in after if k < mark_ahead[i]]
                whole = len(after) == len(long_idx[past : past + 3])
                f.append(_MARK_AHEAD(mark_ahead[i] - i))
            if before:
                # the short lines of a head run share the long texts around them: `part & union
                # of before` walks part when part is the smaller set (and is then the same set
                # as keeping part's keys that one of them has, in part's order); the union is
                # built only where part may not be the smaller (once per run, built alike)
                part = short_sets[i]  # = bigrams(s)
                flags = None
                # (the largest of the before-units' sets, counted in the sort)
                if len(part) < max(distinct[lo3:at]):
                    # (part's keys whose flag is set, in part's order: C-level, no comprehension call)
                    flags = found_before[i]
                    common = set(compress(part, flags))
                else:
                    key = tuple(before)
                    prev_words = union_memo.get(key)
                    if prev_words is None:
                        prev_words = union_memo[key] = _union(texts, key)
                    common = part & prev_words
                # `idf.overlap_of(part, common)`: the weights of part's keys in its order, and
                # those of common's keys in common's order (the same floats in the same order)
                weights = list(map(weight_of, part_counts[i]))
                total = sum(weights)
                if total <= 0:
                    ovl = 0.0
                elif flags is not None and len(common) <= 2:
                    # common's weights are part's at the flags: added in part's order, not
                    # common's, the same sum where there are at most two (0 + a + b = 0 + b + a)
                    ovl = sum(compress(weights, flags)) / total
                else:
                    ovl = sum(map(dict(zip(part, weights, strict=True)).__getitem__, common)) / total
                f.append(own_labels[bisect_left(own_edges, ovl)])  # = _OWN_OVL(…)
                if after:
                    if whole:
                        # the long units just before and just after: counted in one sort
                        sec = sec_of.get((past, past == at))
                        if sec is None:
                            n_after = after_n[past]
                            n_in = after_in[past] if past == at else after_in_gap[past]
                            sec = sec_of[past, past == at] = _SEC_OVL(n_in / n_after if n_after else 0.0)
                    else:
                        key, akey = tuple(before), tuple(after)
                        sec = sec_memo.get((key, akey))
                        if sec is None:
                            # only counts: the unions' order does not matter here
                            prev_words = union_memo.get(key)
                            if prev_words is None:
                                prev_words = union_memo[key] = _union(texts, key)
                            nxt = union_memo.get(akey)
                            if nxt is None:
                                nxt = union_memo[akey] = _union(texts, akey)
                            share = len(nxt & prev_words) / len(nxt) if nxt else 0.0
                            sec = sec_memo[key, akey] = _SEC_OVL(share)
                    f.append(sec)
            else:
                f.append("own_ovl=none")
            # `any(s in t or t in s for t in seen_short if s != t)`, asked only where a C-level
            # scan finds s in a seen text or a seen text in s (the hit may be s itself)
            if (
                n_s >= 4
                and (s in seen_joined or any(map(s.__contains__, seen_short)))
                and any(s in t or t in s for t in seen_short if s != t)
            ):
                f.append("repeats_head")
            seen_short.append(s)
            seen_joined += "\n" + s
        feats.append(f)
    return feats
