"""Bylines: recognise them, split them off a glued first paragraph, and parse author names."""

from __future__ import annotations

import re

from pipeline.segmentation.layout import ends_sentence
from pipeline.segmentation.patterns import (
    BRACKET_AFTER_RE,
    CJK,
    COMMON_SURNAMES,
    COMPOUND_SURNAMES,
    GLUED_HEAD_RE,
    LEADING_CREDIT_RE,
    PAPER_PREFIX,
    ROLE,
    ROLE_RE,
    STANDALONE_BYLINE_RE,
    ocr_fold,
)

_CJK_NAME_RE = re.compile(rf"[{CJK}]{{2,4}}")
_TIME_WORD_RE = re.compile(r"近日|日前|昨天|昨日|今天|今日|近期|目前|本月|本周|上周|近年|今年|去年|记者")
_SENTENCE_PUNCT_RE = re.compile(r"[。！？!?]")
_SEP_CHAR_RE = re.compile(r"[/／:：\s]")
_DISPATCH_DATE_RE = re.compile(r"\d{1,2}月\d{1,2}日电?")  # (a match holds 月: asked only where 月 is)
# every standalone-byline shape needs one of these: a role word (记者, 通讯员, 实习生, 撰稿,
# 评论员, 编译, 整理, 摄影, 主持人, 特约作者), a 文/图 credit, or a dispatch's 讯/电
_BYLINE_CHAR_RE = re.compile(r"[记讯实撰评编整摄主特文图电]")
_NAME_TOKEN_RE = re.compile(rf"^[{CJK}·]{{2,5}}$|^[A-Za-z][A-Za-z .'-]{{1,30}}$")
_SEP_RE = re.compile(r"[\s/／、,，:：|丨()（）【】\[\]■□◎●◆▲☆★]+")
_ROLE_SPLIT_RE = re.compile(
    rf"{ROLE}|文\s*/\s*图|图\s*/\s*文|(?<![{CJK}])[文图](?=\s*[/／:：])|{PAPER_PREFIX}(?=(?:全媒体|融媒体|首席|特约|见习)?记者)|本报讯|报道"
    r"|^[■□◎●◆▲☆★·\s]*口述"
)


def looks_like_name(token: str) -> bool:
    """A 2-4 character Chinese personal name (common or compound surname first)."""
    token = token.strip()
    if not _CJK_NAME_RE.fullmatch(token):
        return False
    if token[:2] in COMPOUND_SURNAMES:
        return len(token) <= 4
    return token[0] in COMMON_SURNAMES and len(token) <= 3


def parse_authors(byline: str | None) -> list[str]:
    """Names in a byline: roles, paper names and separators removed, order kept, no repeats."""
    if not byline:
        return []
    text = GLUED_HEAD_RE.sub(" ", byline, count=1)
    if "月" in text:
        text = _DISPATCH_DATE_RE.sub(" ", text)
    text = _ROLE_SPLIT_RE.sub(" ", text)
    names: list[str] = []
    for tok in _SEP_RE.split(text):
        tok = tok.strip(" .·")
        if not tok or not _NAME_TOKEN_RE.match(tok):
            continue
        if tok in ("摄", "供图", "电", "讯", "本报"):
            continue
        if tok not in names:
            names.append(tok)
    return names


def is_standalone_byline(line: str, max_chars: int = 60) -> bool:
    """A byline on its own line: role word or 文/图 credit first, then names, no sentence."""
    s = line.strip()
    if not s or len(s) > max_chars or ends_sentence(s, False):  # = TERMINAL_RE.search(s) (sign_off=False)
        return False
    if s.endswith("文章"):  # `本报评论员文章`: the genre label over a commentary (5 of 5 gold lines)
        return False
    if _SENTENCE_PUNCT_RE.search(s) or not _BYLINE_CHAR_RE.search(s):
        return False
    if not (STANDALONE_BYLINE_RE.match(s) or LEADING_CREDIT_RE.match(s) or GLUED_HEAD_RE.match(s)):
        return False
    rest = _ROLE_SPLIT_RE.sub(" ", GLUED_HEAD_RE.sub(" ", s, count=1))
    tokens = _padded_names([t for t in _SEP_RE.split(rest) if t.strip()])
    if not tokens:
        return bool(ROLE_RE.search(s)) or bool(GLUED_HEAD_RE.match(s))
    # every leftover token must look like a name (not a clause of a sentence)
    if not all(_NAME_TOKEN_RE.match(t) and len(t) <= 5 for t in tokens):
        return False
    return any(looks_like_name(t) for t in tokens) or bool(_SEP_CHAR_RE.search(s))


def _padded_names(tokens: list[str]) -> list[str]:
    """Two one-character tokens in a row are one name: papers pad a two-character name to the
    width of three (`记者 甘　文`), and OCR leaves a stray space inside one (`甘 文`)."""
    out: list[str] = []
    for t in tokens:
        if len(t) == 1 and out and len(out[-1]) == 1 and "\u4e00" <= t <= "\u9fff" and "\u4e00" <= out[-1] <= "\u9fff":
            out[-1] += t
        else:
            out.append(t)
    return out


def split_glued(line: str) -> tuple[str, str] | None:
    """`株洲日报讯(全媒体记者/任远) 8月31日,…` -> (byline, first paragraph); None if not glued.

    Also handles unbracketed `本报讯 记者 王某 通讯员 李某 8月31日,…` and
    `新华社长沙9月2日电（记者 某某）…`.
    """
    head = line[:30]  # every dispatch head ends in 讯 or 电 within its first 23 characters
    if "讯" not in head and "电" not in head:
        return None
    m = GLUED_HEAD_RE.match(line)
    if not m and "月" in head:
        # an OCR'd dateline (`新华社北京5月ll曰电`, `９月１O曰电`): matched on the folded form,
        # which keeps the line's length, so the split falls at the same place
        m = GLUED_HEAD_RE.match(ocr_fold(head))
    if not m:
        return None
    end = m.end()
    b = BRACKET_AFTER_RE.match(line[end:])
    if b:
        end += b.end()
    else:
        # unbracketed roles and names separated by spaces
        pos = end
        rest = line[pos:]
        tokens = list(re.finditer(r"\S+", rest))
        consumed = 0
        k = 0
        after_role = False
        while k < len(tokens):
            tok = tokens[k].group()
            if re.fullmatch(rf"{ROLE}[/／:：]?", tok) or re.fullmatch(rf"(?:{ROLE})[/／:：]?[{CJK}]{{2,4}}", tok):
                consumed = tokens[k].end()
                after_role = not re.fullmatch(rf"(?:{ROLE})[/／:：]?[{CJK}]{{2,4}}", tok)
                k += 1
                continue
            # right after a role word any short word is the name, however rare its surname
            # (`本报讯 通讯员 澜法宣 记者 路晨曦 近日，…`), unless it is a time word
            name = looks_like_name(tok) or (
                after_role and _CJK_NAME_RE.fullmatch(tok) is not None and not _TIME_WORD_RE.match(tok)
            )
            if consumed and name and k + 1 < len(tokens):
                consumed = tokens[k].end()
                after_role = False
                k += 1
                continue
            break
        end = pos + consumed
    byline = line[:end].strip()
    body = line[end:].strip()
    if not body or (not b and _only_names(body)):
        # `本报讯 记者 周某某` on its own line: the name belongs to the byline, not the body;
        # after a bracketed byline (`本报讯（记者 周某）记者从省`, a hard-wrapped line) the
        # names are inside the brackets and what follows is text
        return None
    return byline, body


def _only_names(text: str) -> bool:
    """Nothing but person names and roles: the tail of an own-line byline."""
    # a sentence's end first: it answers for every body paragraph without the slow scan of
    # the whole paragraph for roles (`ends_sentence(…, sign_off=False)` is `TERMINAL_RE.search`)
    if ends_sentence(text, False):
        return False
    tokens = [t for t in _SEP_RE.split(_ROLE_SPLIT_RE.sub(" ", text)) if t.strip()]
    if not tokens:
        return False
    # a lone short word after `通讯员`/`记者` is a name even with a rare surname (贝思雨)
    if len(tokens) == 1 and _CJK_NAME_RE.fullmatch(tokens[0]):
        return True
    return all(looks_like_name(t) for t in tokens)
