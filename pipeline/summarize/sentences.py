"""Chinese sentence and clause splitting that never loses a character.

`split_sentences(text)` returns pieces whose concatenation is `text` minus the whitespace between
pieces: every piece is a verbatim substring of the input, so extracts can be checked against it.
A sentence ends at 。！？!? or …… (with any closing quotes/brackets that follow) or at a line break;
a half-width '.' ends one only after a CJK character, never inside a number like 140.6.
"""

from __future__ import annotations

import re

from pipeline.text import HAN, KANA

CJK_RANGES = HAN + KANA  # kana: Japanese names occasionally appear
CJK_CHAR = f"[{CJK_RANGES}]"
_CLOSERS = "”’」』）)】》〉"
_SENT_END = re.compile(
    rf"(?:[。！？!?]+|…{{2,}}|(?<={CJK_CHAR})\.(?![0-9A-Za-z]))[{re.escape(_CLOSERS)}]*"
)
_CLAUSE_END = re.compile(rf"[，,；;：:、][{re.escape(_CLOSERS)}]*")
SENTENCE_FINAL = "。！？!?…"
CLAUSE_FINAL = "，,；;：:、"


def _split_with(pattern: re.Pattern[str], text: str) -> list[str]:
    out: list[str] = []
    pos = 0
    for m in pattern.finditer(text):
        piece = text[pos : m.end()].strip()
        if piece:
            out.append(piece)
        pos = m.end()
    tail = text[pos:].strip()
    if tail:
        out.append(tail)
    return out


def split_sentences(text: str) -> list[str]:
    """Sentences of `text` in order; line breaks always end a sentence."""
    out: list[str] = []
    for line in text.splitlines():
        if line.strip():
            out.extend(_split_with(_SENT_END, line))
    return out


def split_clauses(sentence: str) -> list[str]:
    """Clauses of one sentence (split after ，；：、), each keeping its punctuation."""
    return _split_with(_CLAUSE_END, sentence)


def is_cjk(ch: str) -> bool:
    return bool(re.match(CJK_CHAR, ch))
