"""Turn decoder output into a clean Chinese summary in one house style.

Steps, in order (`clean_summary` runs them all):

1. `strip_special_tokens`: drop special tokens a decoder may leave behind ([UNK], <extra_id_0>, ...).
2. `fix_spacing`: BERT-vocabulary decoders emit `北 京 是 …`; remove whitespace next to a CJK character
   or CJK punctuation, keep one space between Latin words and numbers (`iPhone 15 Pro`), and glue
   numbers a decoder split apart (`35 . 7 %` -> `35.7%`).
3. `normalize_punctuation`: full-width Chinese punctuation ，。：；！？（） after CJK text, full-width
   ASCII letters and digits to half-width, `...` to ……, straight double quotes around Chinese to “”,
   doubled punctuation collapsed. Decimal points, thousands separators and times are left alone.
4. `trim`: cut to `max_chars` at the last sentence end, else the last clause boundary (which becomes
   。), never in the middle of a clause unless the first clause alone is too long.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pipeline.summarize.sentences import CJK_CHAR, CJK_RANGES, CLAUSE_FINAL
from pipeline.text import fold_fullwidth

CJK_PUNCT = "，。、；：！？（）“”‘’《》〈〉【】「」『』…—～·"
_CJK_OR_PUNCT = f"[{CJK_RANGES}{re.escape(CJK_PUNCT)}]"
_GENERIC_SPECIAL = re.compile(r"<extra_id_\d+>|\[(?:PAD|UNK|CLS|SEP|MASK|unused\d+)\]|</?s>|<pad>|<unk>|<mask>")

_HALF_TO_FULL = {",": "，", ";": "；", ":": "：", "!": "！", "?": "？"}


def strip_special_tokens(text: str, special_tokens: Iterable[str] = ()) -> str:
    for tok in sorted({t for t in special_tokens if t}, key=len, reverse=True):
        text = text.replace(tok, " ")
    return _GENERIC_SPECIAL.sub(" ", text)


def fix_spacing(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    # whitespace with a CJK character or CJK punctuation on either side goes
    text = re.sub(rf"(?<={_CJK_OR_PUNCT}) (?=\S)", "", text)
    text = re.sub(rf"(?<=\S) (?={_CJK_OR_PUNCT})", "", text)
    # numbers a word-piece decoder split: `35 . 7` `1 , 000` `10 : 30` `5 %`
    text = re.sub(r"(?<=\d) ?([.,:]) ?(?=\d)", r"\1", text)
    text = re.sub(r"(?<=\d) (?=%)", "", text)
    # no space before half-width closing punctuation, none after an opening bracket
    text = re.sub(r" (?=[,.;:!?)\]%])", "", text)
    text = re.sub(r"(?<=[(\[]) ", "", text)
    return text


def normalize_punctuation(text: str) -> str:
    text = fold_fullwidth(text)
    text = re.sub(r"\.{3,}|。{3,}|…+", "……", text)
    # brackets whose content is Chinese become full-width
    text = re.sub(rf"\(([^()]*{CJK_CHAR}[^()]*)\)", r"（\1）", text)
    # straight double quotes around Chinese become curly
    text = re.sub(rf'"([^"]*{CJK_CHAR}[^"]*)"', r"“\1”", text)
    chars = list(text)
    n = len(chars)

    def cjk_at(i: int) -> bool:
        return 0 <= i < n and bool(re.match(_CJK_OR_PUNCT, chars[i]))

    for i, ch in enumerate(chars):
        prev_c = chars[i - 1] if i > 0 else ""
        next_c = chars[i + 1] if i + 1 < n else ""
        if ch in _HALF_TO_FULL:
            between_digits = prev_c.isdigit() and next_c.isdigit()
            if not between_digits and (cjk_at(i - 1) or (cjk_at(i + 1) and ch in ",;:")):
                chars[i] = _HALF_TO_FULL[ch]
        elif ch == ".":
            j = i - 1
            while j >= 0 and (chars[j].isdigit() or chars[j] in ".%"):
                j -= 1  # a number that ends a Chinese sentence: 排名第7. / 增长35.7%.
            after_number = j < i - 1 and (next_c == "" or cjk_at(i + 1)) and cjk_at(j)
            if after_number or (cjk_at(i - 1) and not (next_c.isascii() and next_c.isalnum())):
                chars[i] = "。"  # never a decimal point: a digit never follows
    text = "".join(chars)
    # doubled or conflicting punctuation
    text = re.sub(r"([，、；：])[，、；：]+", r"\1", text)
    text = re.sub(r"[，、；：]+(?=[。！？])", "", text)
    text = re.sub(r"([。！？])\1+", r"\1", text)
    return text


def trim(text: str, max_chars: int) -> str:
    """At most `max_chars` characters, cut at a sentence end, else at a clause boundary."""
    if len(text) <= max_chars:
        return text
    window = text[:max_chars]
    ends = [m.end() for m in re.finditer(r"(?:[。！？!?]|……)[”’」』）)》]*", window)]
    if ends and ends[-1] >= max_chars * 0.3:
        return window[: ends[-1]]
    clause = [
        i
        for i, ch in enumerate(window)
        if ch in CLAUSE_FINAL and not (0 < i < len(text) - 1 and text[i - 1].isdigit() and text[i + 1].isdigit())
    ]
    if clause and clause[-1] > 0:
        return window[: clause[-1]] + "。"
    if ends:
        return window[: ends[-1]]
    cut = window[: max_chars - 1]
    if re.search(r"[A-Za-z0-9]$", cut) and " " in cut:  # do not end inside a Latin word or number
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip() + "…"


def finish(text: str) -> str:
    """End Chinese text with a sentence-final mark (house style)."""
    text = text.strip().rstrip("，、；：,;:")
    if text and re.match(CJK_CHAR, text[-1]):
        text += "。"
    return text


def clean_summary(text: str, max_chars: int, special_tokens: Iterable[str] = ()) -> str:
    text = strip_special_tokens(text, special_tokens)
    text = fix_spacing(text)
    text = normalize_punctuation(text)
    text = finish(text)
    if len(text) > max_chars:
        text = trim(text, max_chars)
    return text
