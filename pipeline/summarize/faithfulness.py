"""Is a summary supported by its article? A cheap, offline check of the facts a model can invent.

Abstractive news models (XL-Sum-trained mT5 among them) are known to write numbers, dates and
names their article never gave. `ArticleFacts(article).check(summary)` returns
`Check(ok, unsupported)`: `unsupported` lists, as written in the summary, every

- **number** whose value the article does not give. Values, not strings: full-width digits are
  NFKC-folded, thousands separators dropped, 万/亿/千/百 multiply (1.2万 == 12000 == 一万二千),
  Chinese numerals are read (两千, 三万五千, 二〇二四, 一万二), a percentage is its own kind
  (35% == 百分之三十五, 三成 == 30%, but 30% != 30). A Chinese numeral counts as a number only before
  a unit or measure word (三家, 两千元, 第十届, 三成), so idioms (千方百计, 一带一路) and 十分 are not
  numbers; a bare 一 is never checked (一个, 一批, 进一步 are words, not claims);
- **date**: year, month and day as values (2024年3月12日 == 二〇二四年三月十二日); a month-day pair must
  appear as a pair in the article, a year or a month alone must appear as one;
- **name**: a person, place or organisation word (jieba part-of-speech `nr*`, `ns*`, `nt*`, via
  rjieba, else jieba.posseg; `nt` only with an organisation's ending, a short `nr` only after a
  common surname) of two or more characters
  that the article does not give, verbatim or as an abbreviation (城建 for 城市建设);
- **title** in 《…》 that does not occur in the article.

Anything that occurs verbatim in the article is supported, whatever its reading. The check is
deliberately strict about rounding (约1.9亿 for 1.86亿 is unsupported) and deliberately blind to
paraphrase, causality and negation: it guards the facts a reader would quote.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

POLICIES = ("flag", "rerank", "extractive")

_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_SMALL = {"十": 10, "百": 100, "千": 1000}
_CN_BIG = {"万": 10**4, "亿": 10**8}
_CN_CHARS = "".join(_CN_DIGITS) + "".join(_CN_SMALL) + "".join(_CN_BIG)
# what may follow a Chinese numeral for it to count as a quantity (units, measure words)
_MEASURES = set(
    "个人名位家所项次年月日号天岁元块角倍件条座台辆架艘部本册届期批种类户套间层栋张篇首场轮段"
    "点度秒周里米克吨斤亩顷公升票股只头匹株棵片份组支队起例宗笔单路线站班孔口处颗粒员成折%"
)
_NOT_PERCENT_AFTER_CHENG = set("不为立功果本员就长熟交效绩")  # 一成不变, 三成为... read as words
# a magnitude character that starts a unit, not a multiplier: 3千米, 5千克, 2百分点
_UNIT_AFTER_MAGNITUDE = re.compile(r"千[米克瓦卡伏帕]|百分点")

_ARABIC = r"\d+(?:,\d{3})*(?:\.\d+)?"
_CN_NUM = f"[{_CN_CHARS}]+"
_YEAR = rf"(?:\d{{4}}|[{''.join(_CN_DIGITS)}]{{4}})年"
_MONTH = rf"(?:\d{{1,2}}|[{_CN_CHARS}]{{1,3}})月"
_DAY = rf"(?:\d{{1,2}}|[{_CN_CHARS}]{{1,3}})[日号]"
_DATE = re.compile(rf"(?P<y>{_YEAR})?(?P<m>{_MONTH})?(?P<d>{_DAY})?")
_QUANTITY = re.compile(
    rf"(?P<pct_prefix>百分之)?(?:(?P<ar>{_ARABIC})(?P<mag>[十百千万亿]{{0,2}})|(?P<cn>{_CN_NUM}))(?P<pct>%)?"
)
_START = re.compile(rf"[0-9{_CN_CHARS}]|百分之")
_TITLE = re.compile(r"《([^《》\n]{1,80})》")
NAME_TAGS = ("nr", "ns", "nt")

log = logging.getLogger("pipeline.summarize")


@dataclass
class Check:
    """The verdict on one summary: `ok` when nothing in it is unsupported."""

    ok: bool
    unsupported: list[str] = field(default_factory=list)

    def as_record(self) -> dict[str, Any]:
        return {"ok": self.ok, "unsupported": list(self.unsupported)}


# --------------------------------------------------------------------------- numbers
def normalize(text: str) -> str:
    """NFKC (full-width digits and ％ become ASCII), no whitespace: the form every match uses."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))


def cn_value(text: str) -> int | None:
    """The value of a run of Chinese numerals: 两千 -> 2000, 三万五千 -> 35000, 一万二 -> 12000,
    十二 -> 12, 一百零五 -> 105, 二〇二四 -> 2024 (digits read one by one). None if not a number."""
    if not text or any(ch not in _CN_CHARS for ch in text):
        return None
    if not any(ch in _CN_SMALL or ch in _CN_BIG for ch in text):
        return int("".join(str(_CN_DIGITS[ch]) for ch in text))
    total = below_yi = section = 0
    num: int | None = None
    last_unit = 0  # the magnitude just before a trailing digit: 一万二 is 12000, 三千五 is 3500
    for k, ch in enumerate(text):
        if ch in _CN_DIGITS:
            num = _CN_DIGITS[ch]
            last_unit = 0 if k == 0 or text[k - 1] in _CN_DIGITS else last_unit
        elif ch in _CN_SMALL:
            section += (1 if num is None else num) * _CN_SMALL[ch]
            num, last_unit = None, _CN_SMALL[ch]
        elif ch == "万":
            below_yi += (section + (num or 0)) * 10**4 or 10**4
            section, num, last_unit = 0, None, 10**4
        else:  # 亿
            total += (below_yi + section + (num or 0)) * 10**8 or 10**8
            below_yi, section, num, last_unit = 0, 0, None, 10**8
    if num is not None and last_unit >= 100 and text[-2] not in _CN_DIGITS:
        num *= last_unit // 10
    return total + below_yi + section + (num or 0)


def _decimal(raw: str) -> Decimal | None:
    try:
        return Decimal(raw.replace(",", ""))
    except InvalidOperation:
        return None


def _key(kind: str, value: Decimal | int) -> tuple[str, str]:
    d = Decimal(value)
    text = str(d.quantize(Decimal(1))) if d == d.to_integral_value() else format(d.normalize(), "f")
    return kind, text


@dataclass
class Mention:
    """One number or date as written, with the value keys that would support it."""

    text: str
    kind: str  # "number" | "date"
    keys: list[tuple[str, str]]


def _magnitude(mag: str) -> int:
    out = 1
    for ch in mag:
        out *= {**_CN_SMALL, **_CN_BIG}.get(ch, 1)
    return out


def _date_part(raw: str) -> int | None:
    body = raw[:-1]
    return int(body) if body.isdigit() else cn_value(body)


def mentions(text: str, *, strict: bool = True, normalized: bool = False) -> list[Mention]:
    """Numbers and dates of `text` (normalised, unless `normalized` says it is) in order. `strict`
    (for summaries) drops what reads as a word rather than a quantity; the article side keeps
    every reading (strict=False)."""
    s = text if normalized else normalize(text)
    out: list[Mention] = []
    i = 0
    while True:
        start = _START.search(s, i)  # jump to the next digit or numeral (the scan stays in C)
        if start is None:
            break
        i = start.start()
        d = _DATE.match(s, i)
        if d and d.end() > i and (d.group("y") or (d.group("m") and d.group("d")) or d.group("m")):
            parts = {k: _date_part(d.group(k)) for k in ("y", "m", "d") if d.group(k)}
            valid = (
                all(v is not None for v in parts.values())
                and (
                    parts.get("m") is None or 1 <= parts["m"] <= 12  # type: ignore[operator]
                )
                and (parts.get("d") is None or 1 <= parts["d"] <= 31)
            )  # type: ignore[operator]
            if valid:
                keys: list[tuple[str, str]] = []
                if "y" in parts:
                    keys.append(("year", str(parts["y"])))
                if "m" in parts and "d" in parts:
                    keys.append(("md", f"{parts['m']}-{parts['d']}"))
                elif "m" in parts:
                    keys.append(("month", str(parts["m"])))
                out.append(Mention(d.group(), "date", keys))
                i = d.end()
                continue
        q = _QUANTITY.match(s, i)
        if not q or q.end() == i or not (q.group("ar") or q.group("cn")):
            i += 1
            continue
        end = resume = q.end()
        after = s[end : end + 1]
        percent = bool(q.group("pct") or q.group("pct_prefix"))
        if q.group("ar"):
            value = _decimal(q.group("ar"))
            mag = q.group("mag")
            for k in range(len(mag)):
                unit = _UNIT_AFTER_MAGNITUDE.match(s, q.start("mag") + k)
                if unit:  # 3千米: the number 3 with the unit 千米 (read on after the unit)
                    mag, end, resume = mag[:k], q.start("mag") + k, unit.end()
                    break
            if value is None:
                i = end
                continue
            value *= _magnitude(mag)
        else:
            cn = q.group("cn")
            v = cn_value(cn)
            prev = s[q.start() - 1 : q.start()]
            counted = percent or after in _MEASURES or prev == "第"
            if strict and (v is None or not counted or (cn == "一" and not percent)):
                i = end
                continue
            if v is None:
                i = end
                continue
            value = Decimal(v)
        if after == "成" and not percent and s[end + 1 : end + 2] not in _NOT_PERCENT_AFTER_CHENG:
            percent, value, end = True, value * 10, end + 1
        key = _key("pct" if percent else "num", value)
        out.append(Mention(s[q.start() : end], "number", [key]))
        i = max(end, resume)
    return out


# --------------------------------------------------------------------------- names
_tagger: Callable[[str], Iterable[tuple[str, str]]] | None = None


def _load_tagger() -> Callable[[str], Iterable[tuple[str, str]]]:
    """Part-of-speech tagging: rjieba (jieba's Rust port, loads in ~0.1 s) else jieba.posseg."""
    global _tagger
    if _tagger is None:
        try:
            import rjieba

            _tagger = rjieba.tag
        except (ImportError, AttributeError):
            import jieba
            import jieba.posseg

            jieba.setLogLevel(logging.WARNING)
            _tagger = lambda text: [(p.word, p.flag) for p in jieba.posseg.cut(text)]  # noqa: E731
    return _tagger


# jieba's dictionary tags many common words nt (新兴产业): an organisation name must end like one
_ORG_ENDINGS = tuple(
    "社 院 部 委 会 局 厅 署 办 处 所 校 党 团 队 站 台 报 馆 厂 店 行 室 科 司 组 军 协 联 盟 中心 公司 集团 银行 政府 大学".split()
)


# the common Chinese surnames: a two-to-four-character word the tagger calls a person (nr) without
# one is an unknown word it guessed at (签约额超 -> 额超), not a name
_SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武"
    "戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮"
    "柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古"
    "吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫"
    "寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝官封谈匡鞠惠荆乐冀郁胥南班储原栗燕楚鄢劳谌奚皮粟冼蔺楼盘满闻"
    "位厉伊仝区郜海阚花权强帅屠豆朴盖练廉禹井祖漆巴丰支卿国狄平计索宣晋相初门云容敬来扈晁芮都普阙浦"
    "戈伏鹿薄邸雍辜羊阿乌母裘亓修邰赫杭况那宿鲜印逯隆茹诸战慕危玉银亢嵇公哈湛宾戎勾茅利於呼居揭干但"
    "尉冶斯元束檀衣信展阴昝智幸奉植衡富尧闭由"
)
_COMPOUND_SURNAMES = (
    "欧阳",
    "司马",
    "诸葛",
    "上官",
    "东方",
    "皇甫",
    "尉迟",
    "公孙",
    "慕容",
    "令狐",
    "夏侯",
    "端木",
    "司徒",
    "长孙",
)


def _person_like(word: str) -> bool:
    return word[0] in _SURNAMES or word.startswith(_COMPOUND_SURNAMES)


def names(text: str) -> list[str]:
    """Person, place and organisation words (jieba tags nr*, ns*, nt*) of two or more characters;
    a word tagged nt only when it ends like an organisation (局, 公司, 新华社), a short word tagged nr
    only when it starts with a surname."""
    out: list[str] = []
    for word, tag in _load_tagger()(normalize(text)):
        if not tag.startswith(NAME_TAGS) or len(word) < 2 or any(ch.isdigit() for ch in word) or word in out:
            continue
        if tag.startswith("nt") and not word.endswith(_ORG_ENDINGS):
            continue
        if tag == "nr" and len(word) <= 4 and not _person_like(word):
            continue
        out.append(word)
    return out


def _name_supported(name: str, article: str) -> bool:
    """Verbatim; or after a measure word the tagger glued on (18名岳阳籍 -> 岳阳籍); or as a Chinese
    abbreviation: its characters in order within a short stretch of the article (城建 <- 城市建设)."""
    if name in article:
        return True
    if name[0] in _MEASURES and len(name) > 2 and name[1:] in article:
        return True
    gap = f".{{0,{len(name)}}}?"
    return re.search(gap.join(map(re.escape, name)), article) is not None


# --------------------------------------------------------------------------- the check
class ArticleFacts:
    """What an article supports, computed once and checked against any number of candidates."""

    def __init__(self, article: str) -> None:
        self.text = normalize(article)
        self.keys: set[tuple[str, str]] = set()
        for m in mentions(self.text, strict=False, normalized=True):
            self.keys.update(m.keys)
            for kind, value in m.keys:  # a date's parts are also plain numbers (3月 supports 3个)
                if kind == "year":
                    self.keys.add(("num", value))
                elif kind == "month":
                    self.keys.add(("num", value))
                elif kind == "md":
                    month, day = value.split("-")
                    self.keys.update({("num", month), ("num", day), ("month", month)})
        for kind, value in list(self.keys):
            if kind == "num":
                self.keys.add(("year", value))  # a year written without 年 (2024届, 2024版)

    def supports(self, m: Mention) -> bool:
        """By value, or verbatim where the article has it as a whole number (12 is not in 2012)."""
        if all(k in self.keys for k in m.keys):
            return True
        literal = re.compile(rf"(?<![0-9.,{_CN_CHARS}]){re.escape(m.text)}(?![0-9%{_CN_CHARS}]|[.,][0-9])")
        return literal.search(self.text) is not None

    def check(self, summary: str, *, check_names: bool = True) -> Check:
        bad: list[str] = []
        for m in mentions(summary):
            if not self.supports(m) and m.text not in bad:
                bad.append(m.text)
        for title in _TITLE.findall(normalize(summary)):
            if title not in self.text and f"《{title}》" not in bad:
                bad.append(f"《{title}》")
        if check_names:
            for name in names(_TITLE.sub("", summary)):
                if not _name_supported(name, self.text) and name not in bad:
                    bad.append(name)
        return Check(not bad, bad)


def check_summary(summary: str, article: str) -> Check:
    """The verdict on one summary against the article it summarizes."""
    return ArticleFacts(article).check(summary)


@dataclass
class Choice:
    """What the faithfulness policy made of one article's candidates."""

    index: int | None  # the candidate kept; None: none passed and the policy wants the extractive summary
    check: Check  # of the kept candidate, else of the best-supported one
    candidates: int  # how many were checked
    best: int  # the kept candidate, else the best-supported (fewest unsupported items, then beam order)


def choose(policy: str, candidates: Sequence[str], article: str) -> Choice:
    """Apply `summarizer.faithfulness` to the beam's candidates (best beam first).

    flag: keep the first, whatever its check says. rerank: keep the first that passes.
    extractive: keep the first if it passes. Otherwise `index` is None: the caller writes the
    extractive summary."""
    if policy not in POLICIES:
        raise ValueError(f"unknown faithfulness policy {policy!r}")
    cands = list(candidates) or [""]
    facts = ArticleFacts(article)
    pool = cands if policy == "rerank" else cands[:1]
    checks: list[Check] = []
    for j, cand in enumerate(pool):
        c = facts.check(cand)
        if c.ok or policy == "flag":
            return Choice(j, c, j + 1, j)
        checks.append(c)
    best = min(range(len(checks)), key=lambda j: (len(checks[j].unsupported), j))
    return Choice(None, checks[best], len(pool), best)
