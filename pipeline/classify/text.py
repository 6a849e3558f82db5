"""What a classifier reads of an article, and the word segmenter it reads it with.

An article is read in three zones, weighted differently by the classifiers: the *headline
zone* (kicker, headline, subheadline, column label), the *lead* (the first paragraph, plus
the next ones while it is shorter than `lead_min_chars`) and the *body* (the remaining
paragraphs and the photo captions). Every term a classifier reports as evidence is a
substring of one of these zones, so it occurs in the article.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from pipeline.document import Article
from pipeline.text import HAN, has_han

STRONG_FREQ = 10**7  # above any dictionary word: a protected name is never split
_CONTENT = re.compile(f"[{HAN}A-Za-z0-9]")


@dataclass(frozen=True)
class Zones:
    headline: str
    lead: str
    body: str

    @property
    def full(self) -> str:
        return "\n".join(z for z in (self.headline, self.lead, self.body) if z)

    def content_chars(self, at_most: int | None = None) -> int:
        """Characters that carry content (CJK, letters, digits): what `min_chars` counts.

        With `at_most`, counting stops there (cheap on long articles).
        """
        n = 0
        for z in (self.headline, self.lead, self.body):
            for _ in _CONTENT.finditer(z):
                n += 1
                if at_most is not None and n >= at_most:
                    return n
        return n


def article_zones(article: Article, lead_min_chars: int = 60) -> Zones:
    head = "\n".join(
        s for s in (article.kicker, article.headline, article.subheadline, article.column) if s and s.strip()
    )
    paras = [p for p in article.paragraphs if p and p.strip()]
    lead_parts: list[str] = []
    n = 0
    i = 0
    while i < len(paras) and (not lead_parts or n < lead_min_chars):
        lead_parts.append(paras[i])
        n += len(paras[i])
        i += 1
    body = "\n".join(paras[i:] + [c for c in article.captions if c and c.strip()])
    return Zones(headline=head, lead="\n".join(lead_parts), body=body)


def article_fulltext(article: Article) -> str:
    """Every text field of an article, for checks that a term occurs in it."""
    return article_zones(article, 0).full


def zones_from_record(rec: dict) -> Zones:
    """Zones of a training/gold record (`headline`, `text`, optional kicker/subheadline/column)."""
    art = Article(
        kicker=rec.get("kicker"),
        headline=rec.get("headline"),
        subheadline=rec.get("subheadline"),
        column=rec.get("column"),
        paragraphs=[p for p in (rec.get("text") or "").split("\n")],
        captions=list(rec.get("captions") or []),
    )
    return article_zones(art)


class Tokenizer:
    """Word segmentation with rjieba (default) or jieba, on a private dictionary.

    `words` (lexicon terms) that the dictionary lacks are added to this tokenizer's own
    dictionary, not jieba's global one, so a lexicon phrase such as 多式联运 comes out as one
    token. Both kinds get the same additions the same way (`add_word` with the frequency jieba
    suggests) and give the same words. Words the dictionary already has are not re-added:
    jieba's `add_word` would add their frequency to the dictionary total a second time and
    shift other segmentations, which rjieba does not do. rjieba is about 20-40x faster than
    jieba (see `scripts/bench.py classify`).
    """

    def __init__(self, kind: str = "rjieba", words: Iterable[str] = (), strong: Iterable[str] = ()) -> None:
        """`strong` words (protected person names) are added with a high frequency, so they are
        cut whole even where the dictionary would split them."""
        self.kind = kind
        extra = sorted({w for w in words if len(w) > 1 and has_han(w)})
        strong_words = sorted({w for w in strong if len(w) > 1})
        if kind == "rjieba":
            import rjieba

            self._impl = rjieba.Jieba()
            for w in extra:
                if not self._impl.has_word(w):
                    self._impl.add_word(w, None, None)
            for w in strong_words:
                self._impl.add_word(w, STRONG_FREQ, "nr")
            self._cut = self._impl.cut
        elif kind == "jieba":
            self._impl = _jieba_tokenizer()
            # a private Tokenizer copy would reload the dictionary; keep additions per instance
            import jieba

            tok = jieba.Tokenizer()
            tok.FREQ, tok.total, tok.initialized = dict(self._impl.FREQ), self._impl.total, True
            for w in extra:
                if not tok.FREQ.get(w):
                    tok.add_word(w)
            for w in strong_words:
                tok.add_word(w, STRONG_FREQ, "nr")
            self._impl = tok
            self._cut = tok.lcut
        else:
            raise ValueError(f"unknown tokenizer {kind!r}: use rjieba or jieba")
        self.version = _version(kind)

    def cut(self, text: str) -> list[str]:
        return self._cut(text) if text else []


def default_cut(kind: str, text: str) -> list[str]:
    """Segment with the kind's default dictionary (no additions), without a new instance."""
    if kind == "jieba":
        return _jieba_tokenizer().lcut(text)
    import rjieba

    return rjieba.cut(text)


@lru_cache(maxsize=1)
def _jieba_tokenizer():
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    tok = jieba.Tokenizer()
    tok.initialize()
    return tok


def _version(kind: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"{kind} {version(kind)}"
    except PackageNotFoundError:  # pragma: no cover
        return kind
