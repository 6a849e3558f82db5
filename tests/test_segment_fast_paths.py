"""The segmenter's fast paths answer exactly as the plain computations they stand in for.

Each shortcut (a character guard before a regex scan, one combined pattern for several,
bigrams of a join from cached parts, IDF weights from a table) is checked against the slow
form on every line of our fixtures and on strings built from the cue words themselves.
`scripts/segment_fingerprint.py` checks the whole output; these say which shortcut broke.
"""

from __future__ import annotations

import math
import random
import re
from collections import Counter

import pytest
from conftest import FIXTURES

from pipeline.segmentation import features as F
from pipeline.segmentation import grams
from pipeline.segmentation import layout as L
from pipeline.segmentation import patterns as P
from pipeline.segmentation.bylines import _BYLINE_CHAR_RE, looks_like_name
from pipeline.segmentation.features import _NOTICE_RE, notice_cues
from pipeline.segmentation.gold import load_fixtures
from pipeline.segmentation.layout import ends_sentence
from pipeline.segmentation.segmenter import Segmenter, _bigrams, _joined_bigrams, _Weights

LINES = sorted({ln.strip() for fx in load_fixtures(FIXTURES) for ln in fx.text.split("\n") if ln.strip()})
CUE_WORDS = [
    "电话", "热线", "：", ":", "13812345678", "0731-22334455", "（", "25℃", "东风3级", "晴转多云", "空气质量",
    "主办", "CN43-0001", "今日8版", "总第123期", "更正", "特此声明", "作废", "。", "广告", "地址：", "开奖",
    "第 24001 期", "07:30 ", "新闻热线", "邮箱：", "客户端", "http://", "www.", "@abc.", ".com", ".cn",
    "株洲", "本报讯", "新华社长沙9月2日电", "（记者 王某）", "文/图", "张三", "，", "-", "摄", "供图", "新华社发",
    "图/王某", "（下转第2版）", "（上接第1版）", "▶▶下转04版", "通讯员", "本报记者",
    "【快讯】", "[视点]", "■", "观察", "新气象", "专栏", "70周年", "·", "•", "2024年9月1日", "2024-09-01", "星期一",
    "第3版", "A02", "\n", " ", "\u3000", "“", "”", "「", "」", "王", "■ ", "记者：", "问：", "——", "编者按", "主持人:",
]


def _fuzz(n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(CUE_WORDS) for _ in range(rng.randint(1, 7))) for _ in range(n)]


def test_fixture_lines_are_there() -> None:
    assert len(LINES) > 300


@pytest.mark.parametrize("strings", [LINES, _fuzz(3000)], ids=["fixture_lines", "cue_words"])
def test_notice_cues_match_the_combined_scan(strings: list[str]) -> None:
    for s in strings:
        assert notice_cues(s) == sorted({"cue=" + str(m.lastgroup) for m in _NOTICE_RE.finditer(s)}), s


@pytest.mark.parametrize("strings", [LINES, _fuzz(3000)], ids=["fixture_lines", "cue_words"])
def test_guards_let_through_every_string_the_patterns_match(strings: list[str]) -> None:
    """Each character guard is a necessary condition of the scan it guards."""
    for s in strings:
        assert ends_sentence(s, sign_off=False) == bool(P.TERMINAL_RE.search(s)), s
        if P.GLUED_HEAD_RE.match(s):
            assert "讯" in s[:30] or "电" in s[:30], s
        if P.STANDALONE_BYLINE_RE.match(s) or P.LEADING_CREDIT_RE.match(s) or P.GLUED_HEAD_RE.match(s):
            assert _BYLINE_CHAR_RE.search(s), s
        tail = s[-40:]
        if P.CAPTION_END_RE.search(tail):
            assert "摄" in tail or "图" in tail or "新华社发" in tail, s
        if P.MARK_TO_RE.search(s):
            assert "转" in s, s
        if P.MARK_FROM_RE.search(s):
            assert "接" in s, s
        if P.COLUMN_ANY_RE.match(s):
            assert P.maybe_column(s), s
        if P.PAGE_HEADER_RE.match(s):
            assert len(s) <= 71 and re.search(r"\d{4}", s), s
        if F._TWO_PART_RE.search(s):
            assert " " in s or "\u3000" in s, s
        if F._QUOTED_RE.search(s):
            assert "“" in s or "「" in s or "『" in s, s
        if looks_like_name(s) or F._NAME_SHAPE_RE.fullmatch(s):
            assert len(s.strip()) <= 4 or s[:1] in F._NAME_BULLETS, s
        if F._QA_RE.match(s):
            assert ":" in s[:7] or "：" in s[:7], s
        if L._LEAD_MARK_RE.match(s):
            assert s[0] in L._LEAD_FIRST, s


def test_one_column_pattern_is_any_of_the_column_shapes() -> None:
    seg = Segmenter()
    for s in LINES:
        assert seg.is_column(s) == any(rx.search(s) for rx in P.COLUMN_RES), s


def test_bigrams_of_a_join_from_its_parts() -> None:
    rng = random.Random(3)
    pool = [*LINES, "", "株", "a", "。"]
    for _ in range(2000):
        parts = [rng.choice(pool) for _ in range(rng.randint(0, 5))]
        parts = [p[: rng.randint(0, len(p))] if rng.random() < 0.3 else p for p in parts]
        assert _joined_bigrams(parts) == _bigrams("".join(parts)), parts


def _regex_bigrams(s: str) -> frozenset[int]:
    """The plain form: every overlapping pair of CJK characters, as `grams.code` ints."""
    return frozenset(grams.code(p[0], p[1]) for p in re.findall(rf"(?=([{P.CJK}]{{2}}))", s))


def test_bigrams_of_a_page_in_one_pass_are_each_texts_bigrams() -> None:
    texts = [*LINES, "", "株", "株洲", "a株洲b", "株\n洲", "\U00020000株洲\U00020000", "ｱ株洲。今日"]
    grams.clear()
    grams.prime(texts)  # one numpy pass over all of them
    for s in texts:
        assert grams.bigrams(s) == _regex_bigrams(s), s
    grams.clear()
    for s in texts[:400]:  # one at a time (short texts take the regex path)
        assert grams.bigrams(s) == _regex_bigrams(s), s
    assert grams.bigrams("株洲市") == {grams.code("株", "洲"), grams.code("洲", "市")}


def test_idf_weights_from_the_count_table() -> None:
    sets = [_bigrams(s) for s in LINES[:80]]
    df = Counter(b for g in sets for b in g)
    w = _Weights(df, len(sets))
    some = sorted(set().union(*sets))[:200] + [grams.code("不", "在")]
    for b in some:
        assert w[b] == math.log((len(sets) + 1) / (df.get(b, 0) + 0.5))
    assert w.total(some) == sum(math.log((len(sets) + 1) / (df.get(b, 0) + 0.5)) for b in some)
