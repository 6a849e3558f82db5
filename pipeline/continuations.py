"""Join articles that jump pages: `▶▶下转04版` on page 1, `▶▶上接01版` on page 4.

After a paged issue is segmented (page by page), an article on page A whose
`continued_to == P` is linked to the article on page P whose `continued_from == A` (page
strings compared as page numbers: `"04" == "4"`, `"A04" == "A4"`, `"４"` == `"4"`). The
continuation is merged into the first part and dropped as an article of its own:

- its paragraphs are appended to the first part's (the first of them is glued to the last
  paragraph without a break when that paragraph stops mid-sentence, as paragraph repair
  does inside a page);
- its captions and continuation markers are appended; its byline is taken when the first
  part has none;
- `continued_to` keeps the page printed on the first part and `continued_from` the first
  part's own (null for a story that starts on its page), so a merged record still says
  where the story jumped; the fragment's `continued_from` (page A) is implied;
- the merged article keeps the first part's `span` and `page` (a record has one span);
  its `line_roles` gain the fragment's lines, so lossless accounting still holds: a jump
  headline repeated above the continuation (and a second byline or column label) goes to
  the issue's noise list as `jump_head`, because the merged record has one headline.

Several stories jumping between the same two pages are paired in reading order, a fragment
whose headline equals (or is contained in) the first part's headline winning over order.
A fragment whose first part is missing (page not in the issue) stays an article.
"""

from __future__ import annotations

import re

from pipeline.document import Article, Issue, NoiseLine
from pipeline.segmentation.segmenter import is_terminal

_FULLWIDTH = str.maketrans("０１２３４５６７８９ＡＢＣＤＥＦＧＨ", "0123456789ABCDEFGH")
_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def page_number(page: str | None) -> tuple[str, int] | None:
    """("A", 4) for "A04"; ("", 4) for "04", "4", "４", "四"; None when not a page number."""
    if page is None:
        return None
    p = page.strip().translate(_FULLWIDTH).replace(" ", "").upper()
    p = re.sub(r"^(?:第)?(.*?)(?:版|页)?$", r"\1", p)
    m = re.fullmatch(r"([A-Z]?)(\d{1,4})", p)
    if m:
        return m.group(1), int(m.group(2))
    if p and all(ch in _CN_DIGITS or ch == "十" for ch in p):
        return "", _chinese_number(p)
    return None


def _chinese_number(s: str) -> int:
    if "十" not in s:
        return _CN_DIGITS.get(s, 0)
    tens, _, ones = s.partition("十")
    return (_CN_DIGITS.get(tens, 1) if tens else 1) * 10 + (_CN_DIGITS.get(ones, 0) if ones else 0)


def same_page(a: str | None, b: str | None) -> bool:
    """Page strings naming the same page; a missing letter prefix matches any prefix."""
    pa, pb = page_number(a), page_number(b)
    if pa is None or pb is None:
        return False
    if pa[1] != pb[1]:
        return False
    return pa[0] == pb[0] or not pa[0] or not pb[0]


def _head_matches(first: Article, frag: Article) -> bool:
    h1, h2 = (first.headline or "").strip(), (frag.headline or "").strip()
    return bool(h1 and h2 and (h1 == h2 or h2 in h1 or h1 in h2))


def _pages_agree(first: Article, frag: Article, later: bool) -> bool:
    """Could `frag` continue `first`? Pages must agree where known; where a page is unknown
    (several pages in one file without page headers) the fragment must come later."""
    if first.page is not None and frag.page is not None:
        return same_page(frag.page, first.continued_to) and same_page(frag.continued_from, first.page)
    if not later:
        return False
    if frag.page is not None and not same_page(frag.page, first.continued_to):
        return False
    return first.page is None or same_page(frag.continued_from, first.page)


def link_continuations(issue: Issue) -> Issue:
    """Merge continuation fragments into the articles they continue (see module docstring)."""
    arts = issue.articles
    if len(arts) < 2 or not any(a.continued_to for a in arts) or not any(a.continued_from for a in arts):
        return issue
    consumed: set[int] = set()
    for i, first in enumerate(arts):
        if not first.continued_to or i in consumed:
            continue
        candidates = [
            j
            for j, frag in enumerate(arts)
            if j != i and j not in consumed and frag.continued_from and _pages_agree(first, frag, later=j > i)
        ]
        if not candidates:
            continue
        by_head = [j for j in candidates if _head_matches(first, arts[j])]
        j = (by_head or candidates)[0]
        consumed.add(j)
        _merge(issue, first, arts[j])
    if consumed:
        issue.articles = [a for k, a in enumerate(arts) if k not in consumed]
    return issue


def _merge(issue: Issue, first: Article, frag: Article) -> None:
    jump_roles = {"kicker", "headline", "subheadline", "column"}
    if frag.byline is not None:
        if first.byline is None:
            first.byline = frag.byline
            first.authors = list(frag.authors)
        else:
            jump_roles.add("byline")
    kept_roles: list[tuple[int, str]] = []
    for start, role in frag.line_roles:
        if role in jump_roles:
            end = issue.text.find("\n", start)
            line = issue.text[start : len(issue.text) if end < 0 else end].rstrip()
            issue.noise.append(NoiseLine(line, (start, start + len(line)), "jump_head", frag.page))
        else:
            kept_roles.append((start, role))
    issue.noise.sort(key=lambda n: n.span[0])
    paras = list(frag.paragraphs)
    if paras and first.paragraphs and not is_terminal(first.paragraphs[-1]):
        first.paragraphs[-1] = first.paragraphs[-1] + paras.pop(0)
    first.paragraphs.extend(paras)
    first.captions.extend(frag.captions)
    first.markers.extend(frag.markers)
    first.line_roles.extend(kept_roles)
