"""Layout variants of a labelled issue, with the gold transformed to match.

The same articles reach users in many layouts, and a tagger trained on one learns that
layout's accidents. From each labelled issue we derive copies that PDF/OCR extraction and
archive copies produce, keeping the gold exact:

- hard-wrapped at a fixed width (18–26 cells), with blank lines between paragraphs, with
  indented paragraphs and no blank lines, or with neither;
- running heads and page numbers dropped into paragraphs where a page break falls;
- blank lines removed;
- punctuation width flipped (half-width ``,:;()`` <-> full-width ``，：；（）``);
- notice blocks (weather boxes, ads, hotline footers, corrections, 启事, mastheads) put
  between articles, as service pages print them.

Body text in the gold is compared with whitespace removed, so wrapping never changes it;
inserted lines are added to the gold's noise list. Variants are drawn from a seeded RNG,
so a corpus always augments the same way.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Sequence

from pipeline.segmentation.gold import Fixture, align, nonblank_lines

HEAD_ROLES = ("kicker", "headline", "subheadline", "column")

HALF_TO_FULL = str.maketrans({",": "，", ":": "：", ";": "；", "(": "（", ")": "）", "!": "！", "?": "？"})
FULL_TO_HALF = str.maketrans({v: k for k, v in {",": "，", ":": "：", ";": "；", "(": "（", ")": "）", "!": "！", "?": "？"}.items()})

_PLACES = ["临江", "青石", "云溪", "南岭", "白沙", "东湖", "星城", "江北", "柳河", "梅岭"]
_STREETS = ["建设路", "人民中路", "滨江大道", "解放西路", "新华街", "五一路"]


def _phone(rng: random.Random) -> str:
    return f"0{rng.randint(700, 799)}-{rng.randint(2000000, 8999999)}"


def notice_block(rng: random.Random) -> list[str]:
    """One original service or notice block (lines as printed)."""
    place = rng.choice(_PLACES)
    kind = rng.randrange(8)
    if kind == 0:
        lo = rng.randint(8, 22)
        return [
            rng.choice(["今日天气", "天气预报", f"{place}天气"]),
            f"{rng.choice(['多云转晴', '阴转小雨', '晴', '小雨转多云', '雷阵雨'])} {lo}℃～{lo + rng.randint(4, 10)}℃",
            f"{rng.choice(['东南风', '偏北风', '南风'])}{rng.randint(1, 3)}～{rng.randint(3, 4)}级",
            f"明日：{rng.choice(['多云', '晴转多云', '阴有小雨'])} {lo - 1}℃～{lo + 6}℃",
        ][: rng.randint(2, 4)]
    if kind == 1:
        return [f"新闻热线：{_phone(rng)}  广告热线：{_phone(rng)}  发行热线：{_phone(rng)}"]
    if kind == 2:
        shop = rng.choice(["家居", "汽车城", "眼镜", "家电", "口腔门诊", "置业"])
        return [
            f"{place}{shop} {rng.choice(['秋季焕新节', '周年庆', '开业大酬宾', '团购会'])}",
            f"全场满{rng.randint(2, 9)}000元减{rng.randint(3, 9)}00元，{rng.choice(['送货上门', '分期免息', '到店有礼'])}",
            f"咨询电话：{_phone(rng)}",
            f"地址：{place}{rng.choice(_STREETS)}{rng.randint(1, 300)}号",
        ][: rng.randint(2, 4)]
    if kind == 3:
        return [
            f"更正：本报{rng.randint(1, 12)}月{rng.randint(1, 28)}日第{rng.randint(2, 8)}版《{place}新建{rng.randint(3, 30)}座口袋公园》一文中，"
            f"“{rng.randint(2, 9)}万平方米”应为“{rng.randint(2, 9)}千平方米”，特此更正。"
        ]
    if kind == 4:
        return [
            rng.choice(["征集老照片启事", "征稿启事", "寻找老党员启事"]),
            f"为记录{place}城市变迁，本报即日起面向社会征集反映上世纪{rng.choice(['五十', '六十', '七十', '八十'])}年代以来城市面貌的老照片及背后的故事。",
            f"来稿请注明拍摄时间、地点，联系电话：{_phone(rng)}。",
        ][: rng.randint(2, 3)]
    if kind == 5:
        return [f"{place}日报社主办 今日{rng.choice([4, 8, 12, 16])}版 国内统一连续出版物号 CN43-00{rng.randint(10, 99)}"]
    if kind == 6:
        return [f"遗失声明：{place}{rng.choice(['鑫源商贸', '恒通物流', '绿野农业'])}有限公司遗失公章一枚，声明作废。"]
    return [
        f"{rng.choice(['第', ''])}{rng.randint(24000, 24999)}期{rng.choice(['福彩', '体彩'])}开奖",
        f"中奖号码：{' '.join(str(rng.randint(1, 33)).zfill(2) for _ in range(6))}",
    ]


def running_head(rng: random.Random, paper: str, date: str) -> str:
    page = rng.randint(2, 12)
    return rng.choice(
        [
            f"{paper} {date} 第{page}版",
            f"{page}",
            f"- {page} -",
            f"{paper}  {date}  {rng.choice(['要闻', '综合', '经济', '城市'])}  {page:02d}",
            f"第{page}版",
        ]
    )


def wrap(text: str, width: int) -> list[str]:
    """Cut a line every `width` display cells (ASCII counts half), as PDF extraction does."""
    out: list[str] = []
    cur = ""
    w = 0.0
    for ch in text:
        cw = 0.5 if ord(ch) < 128 else 1.0
        if w + cw > width and cur:
            out.append(cur)
            cur, w = "", 0.0
        cur += ch
        w += cw
    if cur:
        out.append(cur)
    return out


def variant(fx: Fixture, rng: random.Random, *, suffix: str) -> Fixture | None:
    """One random layout variant of `fx` (None when its gold does not align)."""
    lines = nonblank_lines(fx.text)
    try:
        labels = align(lines, fx.gold)
    except ValueError:
        return None
    gold = copy.deepcopy(fx.gold)
    noise = list(gold.get("noise_lines") or [])
    # group lines into units (a paragraph broken over lines is one unit again)
    units: list[tuple[str, str, int | None, bool]] = []  # text, role, article, first of its article
    prev_art: int | None = None
    for line, lab in zip(lines, labels, strict=True):
        if lab.layout == "cont" and units:
            # re-join with the last non-noise unit; a running head that interrupted the
            # paragraph is dropped (variants insert their own)
            while units and units[-1][1] == "noise" and len(units) > 1:
                units.pop()
            t, r, a, first = units[-1]
            units[-1] = (t + line, r, a, first)
            continue
        first = lab.article is not None and lab.article != prev_art
        units.append((line, lab.role, lab.article, first))
        if lab.article is not None:
            prev_art = lab.article
    # some articles lose their head block, as headline-less briefs are printed
    drop_heads = rng.random() < 0.5
    if drop_heads:
        arts = gold.get("articles") or []
        dropped: set[int] = set()
        lead_ins = {u[2] for u in units if u[1] == "lead_in"}
        for k, a in enumerate(arts):
            # only where a byline still marks the start (a bare paragraph could not be told
            # from the previous article's text by anyone)
            if (
                rng.random() < 0.3
                and a.get("headline")
                and a.get("byline")
                and not a.get("continued_from")
                and k not in lead_ins
            ):
                dropped.add(k)
                for f in ("kicker", "headline", "subheadline", "column"):
                    a[f] = None
        units = [u for u in units if not (u[2] in dropped and u[1] in HEAD_ROLES)]
        # the first unit left of a dropped article opens it
        seen: set[int | None] = set()
        fixed = []
        for t, r, a, _first in units:
            fixed.append((t, r, a, a is not None and a not in seen))
            seen.add(a)
        units = fixed
    # wire copy closes with `（完）` on its own line
    if rng.random() < 0.3:
        last_unit: dict[int, int] = {}
        for idx, u in enumerate(units):
            if u[2] is not None and u[1] == "text":
                last_unit[u[2]] = idx
        arts = gold.get("articles") or []
        for k, idx in sorted(last_unit.items(), key=lambda kv: -kv[1]):
            if rng.random() < 0.3 and k < len(arts) and not arts[k].get("continued_to"):
                mark = rng.choice(["（完）", "(完)"])
                units.insert(idx + 1, (mark, "text", k, False))
                arts[k]["text"] = (arts[k].get("text") or "") + "\n" + mark
    # a crop: a few articles from the middle of the issue, no masthead above them (short
    # inputs, a page cut out of a larger one)
    arts_all = gold.get("articles") or []
    if len(arts_all) >= 4 and rng.random() < 0.3:
        a = rng.randrange(0, len(arts_all) - 1)
        b = rng.randrange(a, min(len(arts_all), a + 4))
        keep_idx = [i for i, u in enumerate(units) if u[2] is not None and a <= u[2] <= b]
        if keep_idx:
            lo, hi = keep_idx[0], keep_idx[-1]
            units = [u for i, u in enumerate(units) if (u[2] is not None and a <= u[2] <= b) or (u[2] is None and lo < i < hi)]
            gold["articles"] = [dict(x, index=k) for k, x in enumerate(arts_all[a : b + 1])]
            units = [(t, r, None if art is None else art - a, first) for t, r, art, first in units]
    mode = rng.choice(["wrap_blank", "wrap_indent", "wrap_none", "noblank", "keep"])
    width = rng.randint(18, 26)
    flip = rng.random() < 0.3
    to_full = rng.random() < 0.5
    notices = rng.random() < 0.5
    heads = mode.startswith("wrap") and rng.random() < 0.7
    paper = str(gold.get("newspaper") or "本报")
    date = str(gold.get("date") or "")
    out: list[str] = []
    sep = "\n" if mode in ("wrap_indent", "wrap_none", "noblank") else "\n\n"
    for text, role, _art, first in units:
        if notices and first and out and rng.random() < 0.25:
            block = notice_block(rng)
            noise.extend(block)
            out.extend(block)
        body = role in ("text", "glued", "lead_in")
        if mode.startswith("wrap") and (body or len(text) > width):
            pieces = wrap(text, width)
            if role == "noise" and len(pieces) > 1:
                noise.extend(pieces)  # the gold lists noise lines as printed
            if heads and body and len(pieces) >= 4 and rng.random() < 0.25:
                k = rng.randint(1, len(pieces) - 1)
                rh = running_head(rng, paper, date)
                noise.append(rh)
                pieces.insert(k, rh)
            if mode == "wrap_indent" and body:
                pieces[0] = "\u3000\u3000" + pieces[0]
            out.append("\n".join(pieces))
        else:
            out.append(text)
    raw = sep.join(out) + "\n"
    if flip:
        table = HALF_TO_FULL if to_full else FULL_TO_HALF
        raw = raw.translate(table)
        gold = _translate_gold(gold, table)
        noise = [n.translate(table) for n in noise]
    gold["noise_lines"] = noise
    gold["layout_variant"] = {"mode": mode, "width": width if mode.startswith("wrap") else None, "flip": flip}
    name = f"{fx.name}~{suffix}"
    gold["issue_id"] = name
    return Fixture(name, raw, gold, fx.path)


def _translate_gold(gold: dict, table: dict[int, str]) -> dict:
    for a in gold.get("articles") or []:
        for k in ("kicker", "headline", "subheadline", "column", "byline", "text"):
            if isinstance(a.get(k), str):
                a[k] = a[k].translate(table)
        a["captions"] = [c.translate(table) for c in a.get("captions") or []]
    return gold


def augment(fixtures: Sequence[Fixture], per_issue: int = 3, seed: int = 13) -> list[Fixture]:
    """`per_issue` random layout variants of each fixture (seeded, reproducible)."""
    out: list[Fixture] = []
    for fx in fixtures:
        rng = random.Random(f"{seed}:{fx.name}")
        for k in range(per_issue):
            v = variant(fx, rng, suffix=f"aug{k}")
            if v is not None:
                out.append(v)
    return out


def hard_wrapped(fx: Fixture, width: int = 22) -> Fixture:
    """The issue with every line longer than `width` characters cut every `width`
    characters (blank lines kept), as a PDF extraction of the page would give it."""
    out: list[str] = []
    gold = copy.deepcopy(fx.gold)
    noise = list(gold.get("noise_lines") or [])
    for ln in fx.text.split("\n"):
        s = ln.strip()
        if len(s) <= width:
            out.append(ln)
            continue
        pieces = [s[i : i + width] for i in range(0, len(s), width)]
        if "".join(s.split()) in {"".join(n.split()) for n in noise}:
            noise.extend(pieces)
        out.extend(pieces)
    gold["noise_lines"] = noise
    gold["issue_id"] = f"{fx.name}~wrap{width}"
    return Fixture(f"{fx.name}~wrap{width}", "\n".join(out), gold, fx.path)
