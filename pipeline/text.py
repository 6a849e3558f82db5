"""Text helpers every part of the pipeline shares: what counts as a Chinese character, full-width
folding, and the forms a page number takes. One definition each; import them from here.
"""

from __future__ import annotations

import re

# ---- character classes (for use inside [...] in a regex) ----------------------------------
HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # CJK extension A, unified, compatibility ideographs
KANA = "\u3040-\u30ff"  # Japanese names occasionally appear in Chinese text
HAN_RE = re.compile(f"[{HAN}]")


def has_han(s: str) -> bool:
    """Does `s` contain a Chinese character?"""
    return bool(HAN_RE.search(s))


# ---- full-width forms -------------------------------------------------------------------------
_FULLWIDTH_ALNUM = str.maketrans(
    {chr(c): chr(c - 0xFEE0) for r in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A)) for c in range(r[0], r[1] + 1)}
)


def fold_fullwidth(s: str) -> str:
    """Full-width digits and Latin letters (０-９, Ａ-Ｚ, ａ-ｚ) to ASCII; everything else as is."""
    return s.translate(_FULLWIDTH_ALNUM)


# ---- page numbers --------------------------------------------------------------------------------
CHINESE_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
# a page as printed in a continuation marker or page header: `04`, `A4`, `A 04`, `４`, `四`
PAGE_LABEL = r"[A-Za-z]?\s?[0-9０-９]{1,3}|[一二三四五六七八九十]{1,3}"


def chinese_number(s: str) -> int:
    """1-99 written in Chinese numerals (`四` 4, `十二` 12, `二十` 20)."""
    if "十" not in s:
        return CHINESE_DIGITS.get(s, 0)
    tens, _, ones = s.partition("十")
    return (CHINESE_DIGITS.get(tens, 1) if tens else 1) * 10 + (CHINESE_DIGITS.get(ones, 0) if ones else 0)


def parse_page(page: str | None) -> tuple[str, int] | None:
    """("A", 4) for "A04"; ("", 4) for "04", "4", "４", "四", "第4版"; None when not a page number."""
    if page is None:
        return None
    p = fold_fullwidth(page.strip()).replace(" ", "").upper()
    p = re.sub(r"^(?:第)?(.*?)(?:版|页)?$", r"\1", p)
    m = re.fullmatch(r"([A-Z]?)(\d{1,4})", p)
    if m:
        return m.group(1), int(m.group(2))
    if p and all(ch in CHINESE_DIGITS or ch == "十" for ch in p):
        return "", chinese_number(p)
    return None


def same_page(a: str | None, b: str | None) -> bool:
    """Page strings naming the same page; a missing letter prefix matches any prefix."""
    pa, pb = parse_page(a), parse_page(b)
    if pa is None or pb is None:
        return False
    if pa[1] != pb[1]:
        return False
    return pa[0] == pb[0] or not pa[0] or not pb[0]


def page_sort_key(page: str | None) -> tuple[str, int, str]:
    """Order pages A1 < A2 < B1 and 2 < 10; a whole issue (None) first, unparsable ones last."""
    if page is None:
        return ("", -1, "")
    parsed = parse_page(page)
    if parsed is None:
        return ("~", 0, page)
    return (parsed[0], parsed[1], page)
