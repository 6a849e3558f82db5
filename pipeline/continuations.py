"""Join articles that jump pages: `▶▶下转04版` on page 1, `▶▶上接01版` on page 4.

After a paged issue is segmented (page by page), an article on page A whose
`continued_to == P` is linked to the article on page P whose `continued_from == A` (page
strings compared as page numbers by `pipeline.text.same_page`: `"04" == "4"`, `"A04" == "A4"`, `"４"` == `"4"`). The
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
A fragment whose first part is missing (page not in the issue) stays an article; the head
line printed right above its `上接` marker, which the segmenter leaves as noise (a jump
headline), is then its headline when it is a whole headline (7 characters or more, one line,
no sentence inside): on the labelled issues, 12 of 14 such fragments keep it, and the two
that do not repeat an abbreviated one (`港口吞吐量`, `百年廊桥修缮`).
"""

from __future__ import annotations

import re

from pipeline.document import Article, Issue, NoiseLine
from pipeline.segmentation.segmenter import is_terminal
from pipeline.text import same_page

_SENTENCE_RE = re.compile(r"[。！？!?；;]")


def _head_matches(first: Article, frag: Article) -> bool:
    h1, h2 = (first.headline or "").strip(), (frag.headline or "").strip()
    return bool(h1 and h2 and (h1 == h2 or h2 in h1 or h1 in h2))


def _pages_agree(first: Article, frag: Article, later: bool) -> bool:
    """Could `frag` continue `first`? Pages must agree where known; where a page is unknown
    (several pages in one file without page headers) the fragment must come later."""
    if first.page is not None and frag.page is not None:
        if same_page(frag.page, first.continued_to) and same_page(frag.continued_from, first.page):
            return True
        # a page header without a page number (`禾西报 2023年8月29日 星期二`) leaves the next
        # page labelled as the one before: a later fragment on "the same page" that says it
        # continues a story of that page is on the page that story jumped to
        return later and same_page(frag.page, first.page) and same_page(frag.continued_from, first.page)
    if not later:
        return False
    if frag.page is not None and not same_page(frag.page, first.continued_to):
        return False
    return first.page is None or same_page(frag.continued_from, first.page)


def link_continuations(issue: Issue) -> Issue:
    """Merge continuation fragments into the articles they continue (see module docstring)."""
    arts = issue.articles
    if not any(a.continued_from for a in arts):
        return issue
    if len(arts) < 2 or not any(a.continued_to for a in arts):
        return _orphan_headlines(issue)
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
    return _orphan_headlines(issue)


_JUMP_HEAD_KINDS = frozenset({"notice", "other", "jump_head"})  # not page furniture
_MIN_JUMP_HEADLINE = 7


def _orphan_headlines(issue: Issue) -> Issue:
    """Give a fragment whose first part is not in the issue the headline printed above its
    marker (see the module docstring)."""
    taken: set[int] = set()
    for art in issue.articles:
        if not art.continued_from or art.headline or not art.line_roles:
            continue
        start = min(s for s, _ in art.line_roles)
        k = max(
            (k for k, n in enumerate(issue.noise) if n.span[1] <= start),
            default=None,
            key=lambda k: issue.noise[k].span[1],
        )
        if k is None or k in taken:
            continue
        above = issue.noise[k]
        line = above.text.strip()
        if (
            above.kind not in _JUMP_HEAD_KINDS
            or issue.text[above.span[1] : start].strip()
            or not _MIN_JUMP_HEADLINE <= len(line) <= 40
            or _SENTENCE_RE.search(line)
        ):
            continue
        taken.add(k)
        art.headline = line
        art.line_roles.append((above.span[0], "headline"))
        art.line_roles.sort()
        art.span = (min(art.span[0], above.span[0]), art.span[1])
    if taken:
        issue.noise = [n for k, n in enumerate(issue.noise) if k not in taken]
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
    if "byline" in jump_roles and paras and any(role == "byline+text" for _, role in frag.line_roles):
        # a second byline glued to the continuation's first paragraph: its line stays with
        # the text (it carries body), so the byline stays in the text too, never dropped
        paras[0] = f"{frag.byline} {paras[0]}"
    if paras and first.paragraphs and not is_terminal(first.paragraphs[-1]):
        first.paragraphs[-1] = first.paragraphs[-1] + paras.pop(0)
    first.paragraphs.extend(paras)
    first.captions.extend(frag.captions)
    first.markers.extend(frag.markers)
    first.line_roles.extend(kept_roles)
