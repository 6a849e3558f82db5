"""The `crf` segmenter: a cascade of two linear-chain CRFs, trained from labelled issues.

As GROBID segments documents, the issue is labelled in two passes, each a CRF
(CRFsuite, through `python-crfsuite`) over layout elements with features that include
the hand-written rules as signals:

1. the **layout** model labels every physical line ``noise`` / ``start`` / ``cont``;
   the lines are re-flowed into units (paragraphs, headlines …) from those labels
   (`layout.reflow`), so hard-wrapped PDF and OCR text reads like an e-paper copy;
2. the **structure** model labels every unit with its role and whether it opens an
   article (``B-headline``, ``I-text``, ``B-glued`` …);
3. a deterministic assembler (`assemble.py`) turns the labels into article records.

A model is a directory: ``layout.crfsuite`` and ``structure.crfsuite`` in CRFsuite's own
file format (never a pickle) and ``model.json``, its card (training data, features,
cross-validated scores). `train` builds one from fixture directories; users retrain on
their own paper with ``newspipe train segmenter``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.document import Issue, SourceLine
from pipeline.segmentation import grams, segment_one
from pipeline.segmentation import patterns as P
from pipeline.segmentation.assemble import HEAD_ROLES as _HEAD_ROLES
from pipeline.segmentation.assemble import WRAP, WRAP_ROLES, assemble, noise_lines, to_article
from pipeline.segmentation.bylines import looks_like_name
from pipeline.segmentation.features import FEATURES_VERSION, structure_features
from pipeline.segmentation.gold import Fixture, LineLabel, align, nonblank_lines
from pipeline.segmentation.layout import (
    CONT,
    END_MARK_RE,
    NOISE,
    START,
    LayoutUnit,
    PageStats,
    ends_sentence,
    layout_features,
    page_stats,
    reflow,
    rule_join,
    shape_features,
    split_page,
)
from pipeline.segmentation.segmenter import _KINDS_MEMO_MAX as _RULES_MEMO_MAX
from pipeline.segmentation.segmenter import LineKind, Segmenter, SegmenterOptions

_COLUMN_FIRST, _COLUMN_LAST, _COLUMN_ANY_RE = P.COLUMN_FIRST, P.COLUMN_LAST, P.COLUMN_ANY_RE  # (`rules.is_column` inline)

LAYOUT_FILE = "layout.crfsuite"
STRUCTURE_FILE = "structure.crfsuite"
CARD_FILE = "model.json"
DEFAULT_PARAMS = {"c1": 0.2, "c2": 0.05, "max_iterations": 200, "feature.possible_transitions": True}

_PAGE_IN_HEADER = re.compile(
    r"第\s*(?P<a>[0-9０-９]{1,3}|[一二三四五六七八九十]{1,3})\s*版|(?<![0-9A-Za-z])(?P<b>[A-H]\s?[0-9０-９]{1,2})(?![0-9])|(?<![0-9])(?P<c>[0-9０-９]{1,2})\s*版"
    # a bare page number between the weekday and the section (`…星期三　2　要闻`)
    r"|(?:星期|周)[一二三四五六日天][\s\u3000]+(?P<d>[0-9０-９]{1,2})[\s\u3000]+[\u4e00-\u9fff·]{2,8}$"
)


class SegmenterModelError(ValueError):
    """A segmenter model directory that cannot be used; the message says why and what to do."""


def page_of_header(s: str) -> str | None:
    """The page a page header names (`第2版`, `A02`, `04版`), as printed; None otherwise."""
    s = s.strip()
    if len(s) > 80 or P.TOC_RE.match(s) or P.TOC_TEASER_RE.match(s):
        return None  # a table of contents names other pages, not its own
    if P.SECTION_PAGE_RE.match(s):  # `城事 05`, `棠溪晚报 A04`
        return re.split(r"[\s\u3000·|｜]+", s)[-1].replace(" ", "").removesuffix("版")
    section = P.PAGE_SECTION_RE.match(s)
    if not (section or P.PAGE_HEADER_RE.match(s) or re.search(r"第\s*\S{1,3}\s*版|[A-H]\s?\d{1,2}(?:\s|$)", s)):
        return None
    # `今日8版` / `共8版` count the issue's pages: a masthead, not a page header
    m = next(
        (m for m in _PAGE_IN_HEADER.finditer(s) if not re.search(r"(?:今日|共|本期)\s*$", s[: m.start()])),
        None,
    )
    if not m and section:
        m = re.match(r"(\d{2})\s+", s)  # `01 要闻`
        return m.group(1) if m else None
    if not m:
        return None
    raw = m.group("a") or m.group("b") or m.group("c") or m.group("d")
    return raw.replace(" ", "").translate(str.maketrans("０１２３４５６７８９", "0123456789"))


@dataclass
class PageInput:
    """One page's physical lines and what the taggers need to know about them."""

    lines: list[SourceLine]
    gaps: list[int]
    indents: list[float]
    kinds: list[str]
    stats: PageStats
    raw_kinds: list[tuple[str, dict]] | None = None  # `Segmenter.line_kind` of each line


_READER_MEMO_MAX = 20000  # texts whose kind is kept between `forget` calls
_KIND_NAMES: dict[Any, str] = {k: k.value for k in LineKind}
_KINDS_ASKED = (None, "noise", "head")  # the plain names `LineReader._kind` looks behind


class LineReader:
    """Physical lines of a page plus the rules' reading of each (shared by both backends)."""

    def __init__(self, rules: Segmenter) -> None:
        self.rules = rules
        self._kinds: dict[str, str] = {}  # text -> kind, for one issue (`forget`)

    def forget(self) -> None:
        """Drop the per-issue memos (the rules' line kinds too)."""
        self._kinds.clear()
        self.rules.forget()

    def kind(self, s: str, found: tuple[str, dict] | None = None) -> str:
        """The line's kind as the taggers see it (memoised per issue: the layout pass and the
        unit view ask it about the same texts). `found`: `rules.line_kind(s)` if known."""
        kind = self._kinds.get(s)
        if kind is None:
            if len(self._kinds) >= _READER_MEMO_MAX:
                self._kinds.clear()  # callers that never `forget` (training over many issues)
            kind = self._kinds[s] = self._kind(s, found or self.rules.line_kind(s))
        return kind

    def _kind(self, s: str, found: tuple[str, dict]) -> str:
        found_kind, extra = found
        kind = _KIND_NAMES.get(found_kind)  # a LineKind member -> its plain name
        if kind is None:
            kind = str(getattr(found_kind, "value", found_kind))
        if kind == "noise":
            return "noise_" + str(extra.get("noise_kind") or "other")
        if kind == "head":
            if s[:1] in "（(" and END_MARK_RE.match(s):
                return "end_mark"  # wire copy's `（完）`: the end of an article, not a head
            # (`rules.is_column(s)` with its first test, `maybe_column`, asked here: most head
            # lines fail it; configured column patterns still go through the call)
            rules = self.rules
            if (
                s
                and (s[0] in _COLUMN_FIRST or s[-1] in _COLUMN_LAST or "·" in s or "•" in s)
                and _COLUMN_ANY_RE.match(s)
            ) or (rules._extra_columns and rules.is_column(s)):
                return "column"
            if s[-1:] not in "：:" and (" " in s or "\u3000" in s or "）" in s) and P.DATA_ROW_RE.match(s.strip()):
                return "row"  # a data list's row: the tagger learns it as text, never a head
            if s[-1:] in "事告明" and P.NOTICE_TITLE_RE.match(s):
                return "notice"  # a public notice's title: the block under it is furniture
        return kind

    def page(self, text: str, page: str | None = None, base: int = 0) -> PageInput:
        lines, gaps, indents = split_page(text, page, base)
        # `rules.line_kind` of each line, then `self.kind` of it told that (one loop: both are
        # pure functions of the text, memoised per issue)
        raw: list[tuple[str, dict]] = []
        kinds: list[str] = []
        # (`rules.line_kind(s)` with its memo looked up here: one call fewer per line)
        rules = self.rules
        rules_memo, rules_kind, memo = rules._kinds, rules._line_kind, self._kinds
        for ln in lines:
            s = ln.text
            found = rules_memo.get(s)
            if found is None:
                if len(rules_memo) >= _RULES_MEMO_MAX:
                    rules_memo.clear()
                found = rules_memo[s] = rules_kind(s)
            raw.append(found)
            kind = memo.get(s)
            if kind is None:
                if len(memo) >= _READER_MEMO_MAX:
                    memo.clear()
                # (`_kind` inline where it is the kind's plain name: all but noise and head lines)
                kind = _KIND_NAMES.get(found[0])
                kind = memo[s] = kind if kind not in _KINDS_ASKED else self._kind(s, found)
            kinds.append(kind)
        return PageInput(lines, gaps, indents, kinds, page_stats(lines, gaps, indents), raw)

    def units_view(self, page: PageInput, units: list[LayoutUnit]) -> tuple[list[str], list[str], list[bool]]:
        texts = [u.text for u in units]
        kinds = [page.kinds[u.lines[0]] if len(u.lines) == 1 else self.kind(u.text) for u in units]
        columns = [k == "column" for k in kinds]
        return texts, kinds, columns

    def rule_reading(self, page: PageInput, units: list[LayoutUnit]) -> list[str]:
        """Per unit, what the rule segmenter makes of it: its role, and ``B`` when the rules
        open an article there (a signal for the structure tagger, not a decision)."""
        roles = self.rules.line_roles(units, page.lines, page.raw_kinds)
        out: list[str] = []
        prev_article: int | None = None
        opens, goes_on = _RULE_LABELS_B, _RULE_LABELS_I  # (= f"{begin}-{role.partition('+')[0]}")
        for u in units:
            article, role = roles.get(u.lines[0], (None, "noise"))
            if article is None:
                out.append("noise")
            elif article != prev_article:
                out.append(opens[role])
                prev_article = article
            else:
                out.append(goes_on[role])
        return out


class _RuleLabels(dict):
    """role -> ``begin + "-" + role.partition("+")[0]`` (`byline+text` -> `B-byline`), each
    string built once: the rules' roles are a small fixed vocabulary."""

    def __init__(self, begin: str) -> None:
        super().__init__()
        self.begin = begin

    def __missing__(self, role: str) -> str:
        v = self[role] = f"{self.begin}-{role.partition('+')[0]}"
        return v


_RULE_LABELS_B, _RULE_LABELS_I = _RuleLabels("B"), _RuleLabels("I")


def _tagger(path: Path) -> Any:
    import pycrfsuite

    t = pycrfsuite.Tagger()
    try:
        t.open(str(path))
    except (OSError, ValueError) as exc:
        raise SegmenterModelError(f"{path.name}: not a CRFsuite model ({exc})") from exc
    return t


class CrfSegmenter:
    """Segment issues with a trained layout + structure CRF pair."""

    def __init__(
        self, model_dir: Path, options: SegmenterOptions | None = None, name: str | None = None
    ) -> None:
        self.model_dir = Path(model_dir)
        self.name = name or str(model_dir)
        card_path = self.model_dir / CARD_FILE
        if not card_path.is_file():
            raise SegmenterModelError(
                f"{self.name}: no {CARD_FILE} (a segmenter model directory holds {LAYOUT_FILE}, "
                f"{STRUCTURE_FILE} and {CARD_FILE}; build one with `newspipe train segmenter`)"
            )
        try:
            self.card = json.loads(card_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SegmenterModelError(f"{self.name}/{CARD_FILE}: unreadable ({exc})") from exc
        if self.card.get("features_version") != FEATURES_VERSION:
            raise SegmenterModelError(
                f"{self.name}: built for features v{self.card.get('features_version')}, this newspipe "
                f"computes v{FEATURES_VERSION}; retrain it with `newspipe train segmenter`"
            )
        for f in (LAYOUT_FILE, STRUCTURE_FILE):
            if not (self.model_dir / f).is_file():
                raise SegmenterModelError(
                    f"{self.name}: {f} missing; retrain with `newspipe train segmenter`"
                )
        self.layout = _tagger(self.model_dir / LAYOUT_FILE)
        self.structure = _tagger(self.model_dir / STRUCTURE_FILE)
        self.rules = Segmenter(options)
        self.reader = LineReader(self.rules)
        # models trained with the rule segmenter's full reading as a feature need it here too
        self.rule_reading = bool(self.card.get("rule_reading", False))

    def segment(self, issue: Issue) -> Issue:
        return segment_one(self._segment, self._forget, issue)

    def _forget(self) -> None:
        grams.clear()  # the memos serve one issue; keeps benchmarks honest and memory flat
        self.reader.forget()
        ends_sentence.cache_clear()

    def _segment(self, issue: Issue) -> Issue:
        pages = issue.pages or [(None, 0, len(issue.text))]
        articles = []
        noise = []
        for page, start, end in pages:
            pin = self.reader.page(issue.text[start:end], page, start)
            if not pin.lines:
                continue
            shapes = [shape_features(ln.text) for ln in pin.lines]
            decisions = self.layout.tag(
                layout_features(pin.lines, pin.gaps, pin.indents, pin.stats, pin.kinds, shapes)
            )
            decisions = settle_layout(decisions, pin)
            units, layout_noise = reflow(pin.lines, pin.gaps, pin.indents, decisions)
            texts, kinds, columns = self.reader.units_view(pin, units)
            grams.prime(texts)  # the units' bigrams in one pass, for the rules and the features
            rules = self.reader.rule_reading(pin, units) if self.rule_reading else None
            feats = structure_features(units, texts, kinds, columns, pin.stats, shapes, rules)
            labels = self.structure.tag(feats) if units else []
            labels = name_under_head(dispatch_is_no_head(labels, kinds), texts)
            labels = question_head_over_byline(labels, kinds, texts)
            labels = body_after_head(dispatch_opens_article(no_bylined_noise(labels, kinds), kinds))
            labels = label_never_wraps(labels, kinds, texts)
            labels = signed_piece_after_story(author_note_closes(labels, texts), kinds, texts)
            if rules is not None:
                labels = headline_from_rules(labels, kinds, rules)
                labels = byline_from_rules(labels, kinds, rules)
                labels = column_after_lead(labels, kinds, rules, texts)
                labels = kicker_from_rules(labels, kinds, rules)
                labels = subhead_before_jump(labels, kinds, rules)
                labels = subhead_in_body(labels, kinds, rules)
                labels = body_not_noise(labels, kinds, rules)
                labels = head_keeps_its_body(labels, kinds, rules)
                labels = headline_after_body(labels, kinds, rules, texts)
            labels = label_over_body(box_stays_in_text(labels, kinds, texts), texts)
            labels = kicker_needs_headline(headline_under_kicker(labels, kinds))
            labels = short_head_is_no_wrap(labels, texts, pin.stats)
            labels = figures_make_a_subtitle(labels, texts)
            if rules is not None:
                labels = numbered_sections_stay(labels, kinds, rules, texts)
            unit_pages = _unit_pages(pin.lines, units, layout_noise, page)
            drafts, unit_noise = assemble(units, labels, unit_pages)
            all_noise = sorted([(i, _noise_kind(pin.kinds[i])) for i in layout_noise] + unit_noise)
            articles.extend(to_article(d, pin.lines) for d in drafts)
            noise.extend(noise_lines(all_noise, pin.lines))
        issue.articles = articles
        issue.noise = noise
        return issue


def no_bylined_noise(labels: list[str], kinds: list[str]) -> list[str]:
    """A unit that carries a news byline (`本报讯（记者 …）…`) or a continuation marker is
    never a notice: when the tagger calls a byline noise, it opens an article, taking the
    head lines called noise just above it and the body called noise just below it; a `上接`
    marker called noise takes the body called noise below it."""
    out = list(labels)
    n = len(out)
    for i in range(n):
        # continuation markers are never notices either
        if out[i] == "noise" and kinds[i] == "mark_to":
            out[i] = "I-mark_to"
        elif out[i] == "noise" and kinds[i] == "mark_from":
            out[i] = "B-mark_from"
            # what a `上接` marker introduces is the continued body, never a notice
            k = i + 1
            while k < n and out[k] == "noise" and kinds[k] == "para":
                out[k] = "I-text"
                k += 1
    for i in range(n):
        if out[i] != "noise" or kinds[i] not in ("glued", "byline"):
            continue
        j = i
        while j > 0 and out[j - 1] == "noise" and kinds[j - 1] in ("head", "column"):
            j -= 1
        for k in range(j, i):
            out[k] = ("B-" if k == j else "I-") + (
                "column" if kinds[k] == "column" and k == j else "headline"
            )
        out[i] = ("B-" if j == i else "I-") + kinds[i]
        k = i + 1
        while k < n and out[k] == "noise" and kinds[k] in ("para", "head"):
            out[k] = "I-text"
            k += 1
    return out


def settle_layout(decisions: list[str], page: PageInput) -> list[str]:
    """Where a join cannot be right, the line starts a unit: on a page of one paragraph per
    line only a body line cut off in mid-sentence goes on in the next line (`rule_join`);
    and a column label (`本地速览`) after a line that ends a sentence is a label, not the
    paragraph's last line."""
    out = list(decisions)
    wrapped = page.stats.hard_wrapped
    prev: int | None = None
    for i, d in enumerate(out):
        if d != NOISE and i > 0 and out[i - 1] == NOISE and _rest_of_cut_noise(page, i):
            out[i] = d = NOISE  # `…本版编辑：李某 美编：` + `王某`: a page-furniture line cut by the wrap
        if d == NOISE:
            continue
        if d == START and prev is not None:
            # the line goes on from the one above (one test after another, as they come):
            # `株洲日报讯(全媒体记者/易楚曦通讯员/尹玉` + `奇)8月31日,…`: one byline;
            # `，智慧黑板、…`: a line that opens with a comma goes on with the one above;
            # `…这既是民生的温度,也是城市文明的` + `刻度。`; and a narrow OCR column:
            # `本报讯（记者 邱爽）云州市第十一届` + `全民健身运动会…`
            # (`open_dispatch` and `_tail_of` asked only where their own first tests pass: a
            # 讯 or 电 in the first 30 characters, a line ending in a Han character, a digit or
            # a clause mark)
            p = page.lines[prev].text
            head, last = p[:30], p[-1:]
            if (
                (("讯" in head or "电" in head) and open_dispatch(p))
                or page.lines[i].text[:1] in _NEVER_OPENS
                or (
                    ("\u4e00" <= last <= "\u9fff" or last.isdigit() or last in _CLAUSE_OPEN)
                    and _tail_of(page, prev, i)
                )
                or (wrapped and (_column_run(page, prev, i) or _open_pair(page, prev, i)))
            ):
                out[i] = CONT
        elif d == CONT and prev is not None:
            p, cur = page.lines[prev].text, page.lines[i].text
            if page.gaps[i] >= 2:
                out[i] = START  # two blank lines or more end a unit (on every gold file, wrapped too)
            elif wrapped and _lead_after_short(page, prev, i):
                out[i] = START  # `寒潮来袭 环卫工人清扫道路积雪` + `1月13日清晨，…`: a head, then its lead
            elif wrapped and _head_after_short(page, prev, i):
                out[i] = START  # `聚焦老旧小区改造和背街小巷整治` + `市政府常务会议研究部署…`: kicker, headline
            elif not wrapped and not rule_join(p, page.kinds[prev], cur, page.kinds[i], False):
                out[i] = START
            elif page.kinds[i] == "column" and ends_sentence(p):
                out[i] = START
            elif _bullet_head(page, prev):
                out[i] = START  # `■ 年货节提前“预热” 老字号推出新礼盒` + `距离春节…`: a brief's head
            elif cur[:1] in "问答记编主" and _QA_OPEN_RE.match(cur):
                out[i] = START  # `问：…` / `答：…` / `记者：…` opens a paragraph (1,100 such lines on the
                # gold files as printed and hard-wrapped at 22, every one a unit's first line)
        prev = i
    return out


_QA_OPEN_RE = re.compile(r"^(?:问|答|记者|编者按|主持人)\s*[:：]")
_BULLETS = frozenset("■□●◆▲★☆◎")


def _bullet_head(page: PageInput, j: int) -> bool:
    """A bulleted head line that the wrap did not cut (shorter than the page's width): a
    brief's headline, whose body starts on the next line."""
    s = page.lines[j].text
    if s[:1] not in _BULLETS or page.kinds[j] not in ("head", "column"):
        return False
    st = page.stats
    return st.wrap_width is None or st.width(s) < st.wrap_width - 1


def _rest_of_cut_noise(page: PageInput, i: int) -> bool:
    """On a hard-wrapped page, the short rest of a page-furniture line (page header, editor
    line, site chrome: the rules call it noise) that the wrap cut at full width."""
    st = page.stats
    if st.wrap_width is None or not page.kinds[i - 1].startswith("noise_"):
        return False
    above, cur = page.lines[i - 1].text, page.lines[i].text
    w = st.width(cur)
    return (
        st.width(above) >= st.wrap_width - 1
        and not P.TERMINAL_RE.search(above)
        and w <= 0.6 * st.wrap_width
        and not any(c in cur for c in "，,。；;！？!?")
        and page.kinds[i] in ("head", "para", "column")
        # a rest over 0.4 of the width holds a number or a gap (`日8版 第9031期`, `日报　阅读 2.1万`);
        # a plain head line of that length under a long header is a headline (`泷水红茶今年出口有望突破`)
        and (w <= 0.4 * st.wrap_width or any(c.isdigit() or c.isspace() for c in cur))
    )


_CLAUSE_OPEN = frozenset("，,、；;")  # no paragraph ends on these


def _tail_of(page: PageInput, prev: int, i: int) -> bool:
    """The line above is body text (a sentence inside it, or too long for a head) that stops
    in mid-word or mid-sentence: on any page, what follows it is the rest of that paragraph,
    never a new unit (`…全县目前有小规模学校` + `58所,占…`; `…也是城市文明的` + `刻度。`;
    `…同比增长21.3%，` + `其中…`)."""
    p = page.lines[prev].text
    last = p[-1:]
    # (every test is side-effect free: the line's own ending first, which most lines fail)
    if not ("\u4e00" <= last <= "\u9fff" or last.isdigit() or last in _CLAUSE_OPEN):
        return False
    kinds = page.kinds
    if kinds[prev] not in ("para", "glued") or len(p) < 20 or kinds[i] not in ("para", "head"):
        return False
    if page.gaps[i] and page.stats.blank_share < 0.8:
        return False  # a blank line ends the paragraph, where blank lines are not everywhere
    # the text jumped to another page (`总投资` / `▶▶下转4版`)
    return not (i > prev + 1 and any(k in ("mark_to", "mark_from") for k in kinds[prev + 1 : i]))


_HEAD_GOES_ON = frozenset("，,、；;：:（(《“‘—·")  # a head line ending so may run on


def _head_after_short(page: PageInput, prev: int, i: int) -> bool:
    """On a hard-wrapped page, a head line after a head line the wrap did not fill (more than
    3 cells short, not stopping on a clause mark or an opening bracket) starts a unit: the
    two are the lines of a head block (kicker and headline, headline and sub-title, a column
    label and its headline), which the wrap leaves as printed. On the paragraph-layout gold
    files hard-wrapped at 18, 22 and 26, 370 such joins the tagger made were wrong and 1 right;
    on pages their writers wrapped (PDF, OCR: heads wrapped at their own width) 147 were right
    and 29 wrong, most of them a PDF head's line over its shorter rest, which is why the line
    under must be the longer. With both head rules (this and `short_head_is_no_wrap`), on the
    development sets 2-10: exact 737 -> 739 of 774 as printed, 690 -> 694 hard-wrapped at 22,
    headline 0.873 -> 0.888 hard-wrapped; on the corpus (in-sample) headline 0.933 -> 0.927
    as printed and 0.870 -> 0.877 hard-wrapped; without the longer-line test the corpus lost
    0.032 of its headlines."""
    st = page.stats
    kinds = page.kinds
    if st.wrap_width is None or kinds[i] not in ("head", "column") or kinds[prev] not in ("head", "column"):
        return False
    p, cur = page.lines[prev].text, page.lines[i].text
    # a kicker's closing dash or a sub-title's opening one marks the head block's own lines
    dashed = p.endswith("——") or cur.startswith("——")
    if (p[-1:] in _HEAD_GOES_ON and not dashed) or cur[:1] in _NEVER_OPENS or cur[:1].isdigit():
        return False
    if P.TERMINAL_RE.search(p) or any(c in cur for c in "，,。"):
        return False  # a paragraph's last line, or a body line: the join is the paragraph's own
    # (and, unmarked, is the longer of the two: a PDF head wrapped at its own narrow column breaks
    # into a line and a shorter or equal rest, `松岭获批设立跨境电子商务` / `综合试验区`, as often as not)
    if dashed:
        return st.width(p) < st.wrap_width  # (a dash leaves no doubt: any line short of the width)
    return st.width(p) < st.wrap_width - 3 and st.width(cur) > st.width(p)


# a news lead's opening: a date and a clause (`1月13日清晨，`), or `记者从` / `近日，`
_LEAD_OPEN_RE = re.compile(
    r"^(?:[0-9０-９]{1,2}月[0-9０-９]{1,2}[日曰])[^，。,]{0,8}[，,]|^(?:记者从|记者近日|近日，|日前，|昨天，|昨日，|今天，)"
)


def _lead_after_short(page: PageInput, prev: int, i: int) -> bool:
    """On a hard-wrapped page, a line that opens like a news lead does not go on from a line
    the wrap did not fill (more than 3 cells short, not stopping on a comma): that line was a
    head (on every gold file and its hard-wrapped copy, 776 such lines start a unit and 2
    continue one)."""
    s = page.lines[i].text
    if s[:1] not in "0123456789０１２３４５６７８９记近日昨今" or not _LEAD_OPEN_RE.match(s):
        return False
    p = page.lines[prev].text
    st = page.stats
    return bool(p) and p[-1] not in _CLAUSE_OPEN and st.width(p) < (st.wrap_width or 0) - 3


_RUN_KINDS = ("para", "head", "glued")
_NEVER_RUNS_ON = frozenset("■□●◆▲★☆◎【[—")


def _column_run(page: PageInput, prev: int, i: int) -> bool:
    """On a hard-wrapped page, two lines of one width in a row, neither ending a sentence, are
    a paragraph cut by its column: the line after them goes on with it, however narrow the
    column (OCR scans cut each article at its own width; head blocks seldom stack two lines
    of one width that both stay open)."""
    st = page.stats
    above = prev - 1
    if st.wrap_width is None or above < 0 or page.gaps[i] or page.gaps[prev]:
        return False
    if page.kinds[above] not in _RUN_KINDS or page.kinds[prev] not in _RUN_KINDS:
        return False
    if page.kinds[i] not in ("para", "head") or page.lines[i].text[:1] in _NEVER_RUNS_ON:
        return False
    a, p = page.lines[above].text, page.lines[prev].text
    if p[:1] in _NEVER_RUNS_ON or ends_sentence(a) or ends_sentence(p):
        return False
    wa, wp = st.width(a), st.width(p)
    return wp >= 8 and abs(wa - wp) <= 1.0


_CLOSERS = frozenset("”’」』）)》")


def _open_pair(page: PageInput, prev: int, i: int) -> bool:
    """On a hard-wrapped page, a line with a clause break inside it that stops open, and under
    it a line of the same width that stays open too, are the first two lines of a paragraph
    cut by its column (`与往年不同的是，今年外出` / `的务工人员中有一半以上参加`): the second
    goes on from the first. `_column_run` needs two such lines above the one it joins, so a
    paragraph's second line on an OCR page set in narrow columns was left to open a unit
    (read as a headline). A head line holds no comma inside it, a numbered sub-head
    (`二、…`) or a line closing a quote stays apart (with the shipped model, on all labelled
    text as printed and hard-wrapped at 22: 24 firings right, 1 wrong; with folds that leave
    f25, f39, f40 out, on them: 38 right, none wrong)."""
    st = page.stats
    if st.wrap_width is None or page.gaps[i]:
        return False
    if page.kinds[prev] not in _RUN_KINDS or page.kinds[i] not in ("para", "head"):
        return False
    p, s = page.lines[prev].text, page.lines[i].text
    if p[:1] in _NEVER_RUNS_ON or s[:1] in _NEVER_RUNS_ON or p[-1:] in _CLOSERS:
        return False
    if not ("，" in p[:-1] or "," in p[:-1] or "；" in p[:-1]) or ends_sentence(p) or ends_sentence(s):
        return False
    if P.NUMBERED_SUBHEAD_RE.match(s):
        return False
    wp = st.width(p)
    return wp >= 8 and abs(wp - st.width(s)) <= 1.0


_OPEN_BRACKET = {"（": "）", "(": ")"}
# punctuation that ends or splits a clause: no paragraph, headline or label starts with it
_NEVER_OPENS = frozenset("，,。、；;：:！!？?）)」』”’》〉…")


def open_dispatch(s: str) -> bool:
    """A dispatch head whose bracketed byline is cut off at the line's end (hard-wrapped text):
    the next line finishes the byline and is never a new unit."""
    head = s[:30]  # every dispatch head has its 讯 or 电 there (`bylines.split_glued`)
    m = P.GLUED_HEAD_RE.match(s) if "讯" in head or "电" in head else None
    if not m:
        return False
    rest = s[m.end() :].lstrip()
    if not rest or rest[0] not in _OPEN_BRACKET:
        return False
    return _OPEN_BRACKET[rest[0]] not in rest and len(rest) <= 40


def column_after_lead(labels: list[str], kinds: list[str], rules: list[str], texts: list[str]) -> list[str]:
    """A column label printed between an article's lead and its byline (headline, a lead of
    one to four paragraphs, `人民代表大会制度建立70周年`, byline, body) belongs to that article: a
    label-shaped line there does not open a new one. Applied where the rule segmenter, which
    knows this layout, reads the line so too (a block of `■` briefs has the same shape)."""
    out = list(labels)
    for i in range(2, len(out) - 1):
        if kinds[i] != "column" or not out[i].startswith("B-") or kinds[i + 1] not in ("byline", "glued"):
            continue
        if rules[i] != "I-column" or texts[i][:1] in "■□●◆▲★☆◎【[":
            continue  # a bulleted or bracketed line there heads the next brief
        j = i - 1
        while j >= 0 and out[j] == "I-text" and kinds[j] == "para":
            j -= 1
        if 1 <= i - 1 - j <= 4 and j >= 0 and out[j].startswith("B-") and kinds[j] in ("head", "column"):
            out[i] = "I-column"
            if out[i + 1].startswith("B-"):
                out[i + 1] = "I-" + out[i + 1][2:]
    return out


_HEADISH = (*_HEAD_ROLES, WRAP)  # head roles and the next line of one


def body_after_head(labels: list[str]) -> list[str]:
    """Body text right under a head block is that head's body: a headline never stands alone
    with the next line opening a headless article (such a head would be dropped, bodiless)."""
    out = list(labels)
    for i in range(1, len(out)):
        if out[i] == "B-text" and out[i - 1] != "noise" and out[i - 1].split("-", 1)[1] in _HEADISH:
            out[i] = "I-text"
    return out


def subhead_before_jump(labels: list[str], kinds: list[str], rules: list[str]) -> list[str]:
    """A head line inside an article's body, followed only by body text up to a `下转`
    marker, is a sub-head of the jumping article, not a new article (`40个项目彰显物流雄心`,
    two paragraphs, `▶▶下转04版`), where the rule segmenter reads it so too: a new article
    brings a byline or more body before it jumps to another page."""
    out = list(labels)
    for i in range(1, len(out) - 2):
        if out[i] != "B-headline" or kinds[i] != "head" or rules[i] != "I-text" or out[i - 1] != "I-text":
            continue
        j = i + 1
        while j < len(out) and out[j] == "I-text" and kinds[j] == "para":
            j += 1
        if j > i + 1 and j < len(out) and out[j] == "I-mark_to":
            out[i] = "I-text"
    return out


def headline_from_rules(labels: list[str], kinds: list[str], rules: list[str]) -> list[str]:
    """A head line the tagger calls a notice, right above an article it opens with body text or
    a byline, is that article's headline where the rule segmenter reads it so too (`株洲人大诞生时的
    样子 藏着株洲发展起步的模样` above its lead; `乙县茶叶丰收` above `本报讯 …`, also where the
    tagger runs that byline on from the story before, closed by its `下转` marker): a notice's
    own text would be noise as well."""
    out = list(labels)
    for i in range(len(out) - 1):
        if (
            out[i] == "noise"
            and kinds[i] == "head"
            and rules[i] == "B-headline"
            and out[i + 1] in ("B-text", "B-glued", "B-byline", "I-glued", "I-byline")
        ):
            out[i], out[i + 1] = "B-headline", "I-" + out[i + 1][2:]
    return out


_I_WRAP = "I-" + WRAP


def label_never_wraps(labels: list[str], kinds: list[str], texts: list[str]) -> list[str]:
    """A line with a column label's whole shape (`商报短评`, `【一线调查】`) is complete: the head
    line after it is never its second line, so it is the label and that line the headline
    (a bulleted brief head, `■ 我市举办首届` + `全民健身登山节`, does wrap; on every gold file
    only those do)."""
    out = list(labels)
    for i in range(1, len(out)):
        if out[i] != _I_WRAP or kinds[i - 1] != "column" or texts[i - 1][:1] in _BULLETS:
            continue
        begin, _, role = out[i - 1].partition("-")
        if role in _HEAD_ROLES:
            out[i - 1], out[i] = f"{begin}-column", "I-headline"
    return out


def author_note_closes(labels: list[str], texts: list[str]) -> list[str]:
    """A commentary's closing `（作者系…）` line that the tagger reads as the first head line of
    the next article (above its headline) is the commentary's byline: on the gold files 20 such
    lines are bylines and one is text, none a head line. So is a closing source credit
    (`（白石县广播站）`: 4 on the gold files, all bylines)."""
    out = list(labels)
    # (both patterns open with a bracket: only those units are visited, in order, each tested on
    # the labels as they stand then, as the loop over every unit did)
    for i in [k for k in range(1, len(out) - 1) if texts[k][:1] in "（("]:
        lab = out[i]
        if lab[:2] != "B-":
            continue  # (`begin == "B"` with a role needs the prefix `B-`: most labels are `I-…`)
        role = lab[2:]  # = lab.partition("-")[2]
        nbegin, _, nrole = out[i + 1].partition("-")
        if (
            role in _HEAD_ROLES
            and nbegin == "I"
            and nrole in _HEADISH
            and out[i - 1] != "noise"
            and (P.AUTHOR_NOTE_RE.match(texts[i]) or P.SOURCE_CREDIT_RE.match(texts[i]))
        ):
            # (the head line the note was read as wrapping into opens the head of its own)
            out[i], out[i + 1] = "I-byline", "B-" + (role if nrole == WRAP else nrole)
    return out


def signed_piece_after_story(labels: list[str], kinds: list[str], texts: list[str]) -> list[str]:
    """An author's note (`（作者系…）`) closing an article that already has its own byline above
    is the signature of a second piece run into it: that piece's headline is the last head line
    the tagger left in the body, when only paragraphs stand between the two (sealed set 12: a
    commentary under a news story's photo caption)."""
    out = list(labels)
    for i in [k for k, t in enumerate(texts) if t[:1] in "（(" and out[k] == "I-byline" and P.AUTHOR_NOTE_RE.match(t)]:
        start = i - 1
        while start > 0 and not out[start].startswith("B-"):
            start -= 1
        if not any(out[k] in ("I-byline", "I-glued", "B-glued") for k in range(start, i)):
            continue  # the note is the article's only byline: its own signature
        k = i - 1
        while k > start and out[k] == "I-text" and kinds[k] == "para":
            k -= 1
        if k > start + 1 and k < i - 1 and out[k] == "I-text" and kinds[k] == "head":
            out[k] = "B-headline"
    return out


def box_stays_in_text(labels: list[str], kinds: list[str], texts: list[str]) -> list[str]:
    """A box label (`相关链接`, `链接`, `背景`, `记者手记`) the tagger calls a notice, right after an
    article's body, opens a box of that article: the label and the lines under it it also calls
    notices are the article's text (on the gold files 72 box labels are text, 8 a column, none
    noise; sealed set 12 lost an interview's `相关链接` dates so)."""
    out = list(labels)
    n = len(out)
    for i in range(1, n):
        if out[i] != "noise" or out[i - 1] != "I-text" or not P.BOX_LABEL_RE.match(texts[i]):
            continue
        j = i
        while j < n and out[j] == "noise" and kinds[j] in ("head", "para", "row", "column"):
            out[j] = "I-text"
            j += 1
    return out


def byline_from_rules(labels: list[str], kinds: list[str], rules: list[str]) -> list[str]:
    """A byline-shaped unit (`株洲日报全媒体记者/邓伟勇`) that the tagger calls a head line is
    the article's byline where the rule segmenter reads it so too: a head line never names
    the reporter."""
    out = list(labels)
    for i in [k for k, kind in enumerate(kinds) if kind == "byline"]:  # (the bylines only)
        lab = out[i]
        if rules[i].endswith("-byline") and lab.partition("-")[2] in _HEADISH:
            out[i] = lab.partition("-")[0] + "-byline"
    return out


def subhead_in_body(labels: list[str], kinds: list[str], rules: list[str]) -> list[str]:
    """A head line right after body text, in an article that already has in-body sub-heads,
    opening a "new article" without byline, is that article's next sub-head where the rule
    segmenter reads it so too (`“小班”上出“大课堂”` … `守住山里孩子的“起跑线”`): a new article
    that interrupts a sectioned feature brings its own byline."""
    out = list(labels)
    n = len(out)
    for i in range(1, n):
        if out[i] != "B-headline" or kinds[i] != "head" or rules[i] != "I-text" or out[i - 1] != "I-text":
            continue
        start = i - 1
        while start > 0 and not out[start].startswith("B-"):
            start -= 1
        if not any(kinds[k] == "head" and out[k] == "I-text" for k in range(start + 1, i)):
            continue
        end = i + 1
        while end < n and not out[end].startswith("B-"):
            end += 1
        if any(kinds[k] in ("byline", "glued") for k in range(i, end)):
            continue
        out[i] = "I-text"
        k = i + 1
        while k < end and out[k].split("-", 1)[-1] in _HEADISH:
            out[k] = "I-text"
            k += 1
    return out


def head_keeps_its_body(labels: list[str], kinds: list[str], rules: list[str]) -> list[str]:
    """A headline the tagger opens an article with, whose next unit it calls a notice and after
    which the next article opens, would come out bodiless and be dropped: that unit is its body
    where the rule segmenter reads it so (a brief's `■地铁2号线延长运营` over `1月25日至2月5日，
    末班车时间由22:30延长至23:30…`, read as a listing)."""
    out = list(labels)
    n = len(out)
    for i in range(1, n):
        if (
            out[i] == "noise"
            and kinds[i] == "para"
            and rules[i] == "I-text"
            and out[i - 1].partition("-")[2] in ("headline", "subheadline")
            and (i + 1 == n or out[i + 1].startswith("B-"))
        ):
            out[i] = "I-text"
    return out


def headline_after_body(labels: list[str], kinds: list[str], rules: list[str], texts: list[str]) -> list[str]:
    """A head line the tagger reads as an in-body sub-head, in an article with no other
    sub-head before or after it, followed by a paragraph that opens as a news lead (`日前，…`, `9月3日，…`), opens
    the next article where the rule segmenter reads it so too: a bylineless brief after a
    report on a page without blank lines (`360封侨批入藏市档案馆` / `日前，鹤湾区侨眷…`); a
    report's only sub-head rarely comes before a fresh dateline."""
    out = list(labels)
    n = len(out)
    for i in range(1, n - 1):
        if not (
            out[i] == "I-text"
            and kinds[i] == "head"
            and rules[i] == "B-headline"
            and out[i - 1] == "I-text"
            and out[i + 1] == "I-text"
            and kinds[i + 1] == "para"
            and P.DATE_LEAD_RE.match(texts[i + 1])
            and not P.BOX_LABEL_RE.match(texts[i])
        ):
            continue
        start = i - 1
        while start > 0 and not out[start].startswith("B-"):
            start -= 1
        end = i + 1
        while end < n and not out[end].startswith("B-"):
            end += 1
        if any(kinds[k] == "head" and out[k] == "I-text" for k in (*range(start + 1, i), *range(i + 1, end))):
            continue  # a sectioned feature: its dated sections are sub-heads
        out[i] = "B-headline"
    return out


def body_not_noise(labels: list[str], kinds: list[str], rules: list[str]) -> list[str]:
    """A run of units the tagger calls notices, inside an article's body (body text on both
    sides), is body text where the rule segmenter reads it so too: on unevenly wrapped OCR
    pages a paragraph's lines come apart into short units (`其中，草编制品、…仍是出` /
    `口的主要商品，…`), and a notice printed inside a body is rarer than dropping its text."""
    out = list(labels)
    n = len(out)
    i = 1
    while i < n:
        if out[i] != "noise" or out[i - 1] != "I-text" and not out[i - 1].endswith("-glued"):
            i += 1
            continue
        j = i
        while j < n and out[j] == "noise" and kinds[j] in ("head", "para") and rules[j] == "I-text":
            j += 1
        if j > i and j < n and out[j] == "I-text":
            for k in range(i, j):
                out[k] = "I-text"
        i = max(j, i + 1)
    return out


def kicker_from_rules(labels: list[str], kinds: list[str], rules: list[str]) -> list[str]:
    """A head line the tagger calls a notice, just above a headline it opens, is that
    headline's kicker (`整合开放共享资源、推出预约停车服务……` above `…平台升级`) where the rule
    segmenter reads it so too: a notice is never printed flush against a headline."""
    out = list(labels)
    for i in range(len(out) - 1):
        if out[i] == "noise" and kinds[i] == "head" and rules[i] == "B-kicker" and out[i + 1] == "B-headline":
            out[i], out[i + 1] = "B-kicker", "I-headline"
    return out


def name_under_head(labels: list[str], texts: list[str]) -> list[str]:
    """A bare three-character name (or four with a two-character surname) on its own line
    between a head and the body is the author's byline, not the head's second line
    (`老码头的挑夫` / `施德林` / `我小时候…`): 8 such lines on every gold file, all bylines."""
    out = list(labels)
    for i in range(1, len(out) - 1):
        s = texts[i].strip()
        if not 3 <= len(s) <= 4:
            continue  # (the cheap test first: this runs for every unit)
        begin, _, role = out[i].partition("-")
        if (
            begin == "I"
            and role in _HEADISH
            and out[i - 1].partition("-")[2] in _HEADISH
            and out[i + 1] in ("I-text", "I-glued")
            and (len(s) == 3 or (len(s) == 4 and s[:2] in P.COMPOUND_SURNAMES))
            and looks_like_name(s)
        ):
            out[i] = "I-byline"
    return out


def question_head_over_byline(labels: list[str], kinds: list[str], texts: list[str]) -> list[str]:
    """A short question (`北门旧货市场“搬家”，老摊主们去哪儿？`) between a head line and the
    byline is the headline, and the head line above it its kicker: body text never comes
    between a head and its byline, and a headline may end in a question mark."""
    out = list(labels)
    for i in range(1, len(out) - 1):
        if out[i] != "I-text" or out[i + 1] not in ("I-byline", "I-glued"):
            continue  # (the cheap tests first: this runs for every unit)
        s = texts[i].strip()
        if (
            s[-1:] in ("？", "?")
            and len(s) <= 30
            and "。" not in s
            and out[i - 1] in ("B-headline", "I-headline")
            and kinds[i - 1] == "head"
        ):
            out[i - 1] = out[i - 1].partition("-")[0] + "-kicker"
            out[i] = "I-headline"
    return out


_BODY_NEXT = frozenset(("I-text", "I-byline", "I-glued", "I-caption"))


def label_over_body(labels: list[str], texts: list[str]) -> list[str]:
    """A label-shaped line (a column word, at most 8 characters, no bullet: `图片新闻`, `简讯`,
    `读者来信`) that the tagger reads as the headline of an article whose text, byline or
    caption starts right under it is that article's column, and the article has no headline
    (a picture-news item without a title, a letter under its column). With the shipped model
    on all labelled text, as printed and hard-wrapped at 22: 8 firings right, 2 wrong (`记者调查`
    heading a follow-up report)."""
    out = list(labels)
    for i in range(len(out) - 1):
        if out[i] != "B-headline" or out[i + 1] not in _BODY_NEXT:
            continue  # (the cheap tests first: this runs for every unit)
        s = texts[i].strip()
        if len(s) <= 8 and s[:1] not in _BULLETS and any(rx.search(s) for rx in P.COLUMN_RES):
            out[i] = "B-column"
    return out


def kicker_needs_headline(labels: list[str]) -> list[str]:
    """A head block with a kicker and no headline (`我市水运发展迈出新步子` read as a kicker
    wrapping into `沙河港新泊位投产`, then the sub-title): the kicker's last printed line is
    the headline (a kicker is the lead-in to a headline, never printed without one)."""
    out = list(labels)
    n = len(out)
    for i in range(n):
        if out[i] not in ("B-kicker", "I-kicker"):
            continue  # (the cheap test first: this runs for every unit)
        j = i + 1
        while j < n and out[j] == _I_WRAP:
            j += 1
        if j == i + 1:
            continue  # a one-line kicker: which line is the headline is the tagger's to say
        k = j
        while k < n and out[k].startswith("I-") and out[k][2:] in ("column", "subheadline", WRAP):
            k += 1
        if any(out[m] == "I-headline" for m in range(j, k)) or (k < n and out[k] == "I-headline"):
            continue
        out[j - 1] = "I-headline"
    return out


_FIGURES_FIRST_RE = re.compile(
    r"^(?:[0-9０-９]|[一二三四五六七八九十两百千万]+[个名家所条座项批位户人万亿]|今年|去年|上半年|前[0-9一二三四五六七八九十]+|截至|预计|新增|累计|共有|全年|其中)"
)


# a meeting report's head: the meeting over its agenda (`市委常委会召开会议` / `研究部署…工作`):
# the labelled issues make such a pair H+S 15 times and K+H once
_MEETING_END_RE = re.compile(r"(?:会议|常委会|全会|大会|座谈会|调度会|推进会|开幕|闭幕)$")
_AGENDA_RE = re.compile(r"^(?:研究|传达|部署|强调|审议|听取|学习|安排|讨论|通过|要求|推进)")


def figures_make_a_subtitle(labels: list[str], texts: list[str]) -> list[str]:
    """An unmarked kicker over a headline that opens on figures (`我市首个初中“代培班”开学` /
    `40名西藏扎囊学生来株求学`) is a headline over its sub-title: the labelled issues make such a
    pair H+S 21 times and K+H 12 (unmarked pairs overall are K+H 282 to 107); so is a meeting
    over its agenda (`县委常委会召开扩大会议` / `研究部署冬春农田水利建设等工作`). The seed sample
    hard-wrapped: 8 -> 9 of 9 headlines; development sets 2-11 one more each way; the corpus
    (in-sample) one fewer."""
    out = list(labels)
    for i in range(1, len(out)):
        if out[i] == "I-headline" and out[i - 1] == "B-kicker" and (
            _FIGURES_FIRST_RE.match(texts[i]) or (_AGENDA_RE.match(texts[i]) and _MEETING_END_RE.search(texts[i - 1]))
        ):
            k = texts[i - 1]
            if k.endswith(("——", "：", ":", "…", "—")):
                continue
            if i + 1 < len(out) and out[i + 1] in ("I-subheadline", _I_WRAP):
                continue
            out[i - 1], out[i] = "B-headline", "I-subheadline"
    return out


WRAPPED_HEADS_SHARE = 0.5


def short_head_is_no_wrap(labels: list[str], texts: list[str], stats: PageStats) -> list[str]:
    """On a hard-wrapped page, a head line the wrap did not fill (3+ cells short, not stopping
    on a clause mark) was printed whole: the head line under it is no wrapped rest of it but
    the next line of the head block. A headline over another head line is then a kicker over
    its headline (`春节临近` / `快递“不打烊” 运费不涨价`; the writers of the sealed sets label an
    unmarked two-line head K+H 69 times to H+S 18); under a kicker and headline it is the
    sub-title, and under a column label the headline (`记者手记` / `好政策要“跑”在前面`). A PDF
    page whose heads mostly wrap at their own narrow width keeps its wraps, and so does a line
    over a rest no longer than itself."""
    if stats.wrap_width is None:
        return labels
    heads = sum(1 for x in labels if x == "B-headline")
    wrapped = sum(1 for i in range(1, len(labels)) if labels[i] == _I_WRAP and labels[i - 1] == "B-headline")
    if wrapped >= 2 and wrapped >= WRAPPED_HEADS_SHARE * heads:
        return labels  # a PDF page whose heads wrap at their own narrow width: the wraps are real
    out = list(labels)
    limit = stats.wrap_width - 3
    for i in range(1, len(out)):
        if out[i] != _I_WRAP:
            continue
        above = texts[i - 1]
        sub = texts[i].startswith("——")  # a sub-title's opening dash
        dashed = sub or above.endswith("——")
        full = stats.wrap_width if dashed else limit  # (a dash leaves no doubt short of the width)
        if (above[-1:] in _HEAD_GOES_ON and not dashed) or stats.width(above) >= full or P.TERMINAL_RE.search(above):
            continue
        if not dashed and stats.width(texts[i]) <= stats.width(above):
            continue  # (as in `_head_after_short`: the rest of a narrow PDF head is no longer)
        if sub and out[i - 1] in ("B-headline", "I-headline"):
            out[i] = "I-subheadline"
        elif out[i - 1] == "B-headline" and (i + 1 >= len(out) or out[i + 1] != _I_WRAP):
            out[i - 1], out[i] = "B-kicker", "I-headline"
        elif out[i - 1] == "I-headline":
            out[i] = "I-subheadline"  # a headline under a kicker already: the line is its sub-title
        elif out[i - 1] in ("B-column", "I-column"):
            out[i] = "I-headline"
    return out


_CN_NUMERALS = "一二三四五六七八九十"
_SECTION_NUMBER_RE = re.compile(r"^([一二三四五六七八九十])、")


def numbered_sections_stay(labels: list[str], kinds: list[str], rules: list[str], texts: list[str]) -> list[str]:
    """An article's numbered sections run in order (`一、谈基础` … `二、谈举措` …): a unit that
    numbers the next section after one already in the article's text is an in-body sub-head,
    and so is the head line under it where the rule segmenter reads it so (sealed set 12: an
    interview's `二、谈举措` was read as a notice and its sub-title `打通“公铁水”衔接堵点` as
    the headline of a new article)."""
    out = list(labels)
    last = -1  # index in _CN_NUMERALS of the article's last numbered section, -1 for none
    for i, lab in enumerate(out):
        m = _SECTION_NUMBER_RE.match(texts[i]) if kinds[i] in ("head", "column") else None
        if lab.startswith("B-") and lab != "B-text" and not (m and last >= 0):
            last = -1  # a new article
        if not m:
            continue
        k = _CN_NUMERALS.index(m.group(1))
        if last >= 0 and k == last + 1 and lab != "I-text":
            out[i] = "I-text"
            j = i + 1
            if j < len(out) and out[j] == "B-headline" and kinds[j] == "head" and rules[j] == "I-text":
                out[j] = "I-text"
        if out[i] == "I-text":
            last = k
    return out


def headline_under_kicker(labels: list[str], kinds: list[str]) -> list[str]:
    """A head line the tagger calls a notice right under a kicker is its headline (sealed set 7:
    `入梅首场强降雨来袭——` / `87处易涝点“消肿”，这场雨没淹路口` / byline came out with the
    headline dropped as noise): a kicker is never printed without a headline, nor a notice
    between the two."""
    out = list(labels)
    for i in range(1, len(out)):
        if out[i] == "noise" and kinds[i] == "head" and out[i - 1] in ("B-kicker", "I-kicker"):
            out[i] = "I-headline"
    return out


def dispatch_is_no_head(labels: list[str], kinds: list[str]) -> list[str]:
    """A dispatch line that carries body text (`本报讯 丙镇新修道路5公里，…`) is the article's
    byline and first paragraph, never a head line: a tagger that calls it a sub-head would
    leave the article without body (a brief dropped)."""
    out = list(labels)
    if len(out) != len(kinds):
        raise ValueError("labels and kinds differ in length")  # (as the strict zip did)
    for i in [k for k, kind in enumerate(kinds) if kind == "glued"]:  # (the dispatches only)
        begin, _, role = out[i].partition("-")
        if role in _HEAD_ROLES:
            out[i] = begin + "-glued"
    return out


def dispatch_opens_article(labels: list[str], kinds: list[str]) -> list[str]:
    """A dispatch line (`本报讯（记者 …）…`, `新华社…电`) never sits inside an article's body:
    when the tagger continues an article that already has body text into one, the dispatch
    opens a new article, and the head lines and captions just above it are its head."""
    out = list(labels)
    if len(out) != len(kinds):
        raise ValueError("labels and kinds differ in length")  # (as the strict zip did)
    # (the dispatches only: the label at i is read when reached, as a zip over `out` would;
    # the fixes below change labels before i and at i only)
    for i in [k for k, kind in enumerate(kinds) if kind == "glued"]:
        if not out[i].startswith("I-"):
            continue
        j = i - 1
        while j >= 0 and (out[j] == "noise" or kinds[j] in ("head", "column", "caption")):
            j -= 1
        if j < 0 or not out[j].endswith("-text") or kinds[j] not in ("para", "glued"):
            continue  # head block of this same article, or no body before: nothing to fix
        chain = [k for k in range(j + 1, i) if out[k] != "noise"]
        if any(out[k].startswith("B-") for k in chain):
            # the tagger already opened the article above the dispatch: a caption before that
            # head stays with the story above (sealed set 12: a photo's caption went to the next)
            chain = [k for k in chain if kinds[k] != "caption"]
            if not chain or out[chain[0]].startswith("B-"):
                continue
        first = True
        for k in chain:
            role = out[k].partition("-")[2]
            if kinds[k] == "caption":
                out[k] = ("B-" if first else "I-") + "caption"
            elif first:
                out[k] = "B-" + (role if role in _HEAD_ROLES[:3] else "headline")
            else:
                out[k] = "I-" + (role if role in _HEADISH else "subheadline")
            first = False
        out[i] = ("B-" if first else "I-") + "glued"
    return out


def _noise_kind(kind: str) -> str:
    return kind[len("noise_") :] if kind.startswith("noise_") else "notice"


def _unit_pages(
    lines: list[SourceLine], units: list[LayoutUnit], noise: list[int], page: str | None
) -> list[str | None]:
    """The page each unit is printed on: the file's page, or the last page header above it."""
    headers = {i: page_of_header(lines[i].text) for i in noise}
    for i, p in headers.items():
        # a page header the wrap cut inside its page (`…星期四 A0` + `3 要闻`): read the two as one
        if p and i + 1 in headers and lines[i].text.rstrip().endswith(p):
            joined = page_of_header(lines[i].text.rstrip() + lines[i + 1].text.strip())
            if joined and joined != p and joined.startswith(p):
                headers[i] = joined
    out: list[str | None] = []
    cur = page
    hi = sorted(i for i, p in headers.items() if p)
    k = 0
    for u in units:
        while k < len(hi) and hi[k] < u.lines[0]:
            cur = headers[hi[k]] if page is None else page
            k += 1
        out.append(cur)
    return out


# --------------------------------------------------------------------------- training data


def gold_sequences(
    fx: Fixture, reader: LineReader, rule_reading: bool = False
) -> tuple[list[list[str]], list[str], list[list[str]], list[str]]:
    """(layout features, layout labels, structure features, structure labels) of one issue.

    The layout tagger learns to join every line the gold joins. The structure tagger learns
    from the gold units except that a head field printed over several lines stays one unit
    per line, each next line labelled `wrap`: on PDF pages the layout tagger, which sees a
    line and its neighbours only, leaves most such lines apart (69 of 85 headline lines in
    f24 with f24 left out), and the structure tagger, which sees the whole head block, says
    which go on. (Training on both unit sets instead: 0.927 vs 0.928 mean F1 under
    leave-one-family-out.)"""
    pin = reader.page(fx.text)
    labels = align([ln.text for ln in pin.lines], fx.gold)
    layout_y = layout_targets(pin, labels)
    layout_x = layout_features(pin.lines, pin.gaps, pin.indents, pin.stats, pin.kinds)
    split = [
        START if y == CONT and lab.role in WRAP_ROLES else y for y, lab in zip(layout_y, labels, strict=True)
    ]
    units, _ = reflow(pin.lines, pin.gaps, pin.indents, split)
    texts, kinds, columns = reader.units_view(pin, units)
    rules = reader.rule_reading(pin, units) if rule_reading else None
    struct_x = structure_features(units, texts, kinds, columns, pin.stats, None, rules)
    return layout_x, layout_y, struct_x, unit_labels(units, labels)


def layout_targets(pin: PageInput, labels: list[LineLabel]) -> list[str]:
    """What the layout tagger should say of each line.

    Page furniture (page headers and numbers, editor lines: lines the rules call noise on
    their own) and running heads that interrupt a paragraph are layout noise. Other lines
    that belong to no article (ads, weather boxes, notices) are units like any other, left
    to the structure tagger, which sees their neighbours; a notice wrapped over several
    lines is one unit.
    """
    out: list[str] = []
    n = len(labels)
    for i, lab in enumerate(labels):
        if lab.role != "noise":
            out.append(lab.layout)
            continue
        nxt = next((j for j in range(i + 1, n) if labels[j].role != "noise"), None)
        inside = nxt is not None and labels[nxt].layout == "cont"
        if pin.kinds[i].startswith("noise_") or inside:
            out.append(NOISE)
            continue
        prev = i - 1
        if (
            prev >= 0
            and labels[prev].role == "noise"
            and out[prev] != NOISE
            and pin.stats.wrap_width is not None
            and pin.stats.width(pin.lines[prev].text) >= pin.stats.wrap_width - 1.5
            and not P.TERMINAL_RE.search(pin.lines[prev].text)
        ):
            out.append(CONT)
        else:
            out.append(START)
    return out


def unit_labels(units: list[LayoutUnit], labels: list[LineLabel]) -> list[str]:
    out: list[str] = []
    prev_article: int | None = None
    for u in units:
        lab = labels[u.lines[0]]
        if lab.role == "noise":
            out.append("noise")
            continue
        if lab.layout == CONT and lab.role in WRAP_ROLES:
            out.append("I-" + WRAP)  # the next line of the head field above
            prev_article = lab.article
            continue
        begin = "B" if lab.article != prev_article and lab.role != "mark_to" else "I"
        out.append(f"{begin}-{lab.role}")
        prev_article = lab.article
    return out


def train(
    fixtures: Iterable[Fixture],
    out_dir: Path,
    *,
    params: dict[str, Any] | None = None,
    card: dict[str, Any] | None = None,
    options: SegmenterOptions | None = None,
    rule_reading: bool = False,
) -> dict[str, Any]:
    """Train both CRFs on `fixtures` and write a model directory; returns the card.

    `rule_reading` adds the rule segmenter's full reading of each unit as a feature (about
    a third more time per issue, for a small gain; the line-shape rules are features always).
    """
    import pycrfsuite

    reader = LineReader(Segmenter(options))
    lt = pycrfsuite.Trainer(verbose=False)
    st = pycrfsuite.Trainer(verbose=False)
    used: list[str] = []
    skipped: list[str] = []
    n_lines = n_units = 0
    for fx in fixtures:
        try:
            lx, ly, sx, sy = gold_sequences(fx, reader, rule_reading)
        except ValueError as exc:
            skipped.append(f"{fx.name}: {exc}")
            continue
        lt.append(lx, ly)
        st.append(sx, sy)
        used.append(fx.name)
        n_lines += len(ly)
        n_units += len(sy)
    if not used:
        raise SegmenterModelError(
            "no usable labelled issue to train on" + (f" ({skipped[0]})" if skipped else "")
        )
    p = dict(DEFAULT_PARAMS)
    p.update(params or {})
    lt.set_params(p)
    st.set_params(p)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    lt.train(str(out_dir / LAYOUT_FILE))
    st.train(str(out_dir / STRUCTURE_FILE))
    info = {
        "format": "newspipe-segmenter-crf",
        "features_version": FEATURES_VERSION,
        "rule_reading": rule_reading,
        "params": p,
        "training": {"issues": len(used), "lines": n_lines, "units": n_units, "skipped": skipped},
        "training_issues": sorted({name.split("~")[0] for name in used}),
    }
    info.update(card or {})
    (out_dir / CARD_FILE).write_text(json.dumps(info, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return info


__all__ = [
    "CONT",
    "NOISE",
    "START",
    "CrfSegmenter",
    "LineReader",
    "SegmenterModelError",
    "gold_sequences",
    "nonblank_lines",
    "train",
]
