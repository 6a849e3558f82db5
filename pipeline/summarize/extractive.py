"""Extractive summaries: TextRank over jieba words with a lead bias, whole sentences only.

1. Split the body into sentences (`sentences.split_sentences`: verbatim pieces of the text). Short
   unpunctuated lines inside the body are sub-heads, not candidates. A dateline/byline lead-in
   (`本报讯（记者 王某）`) is cut off the first sentence: what is left is still verbatim text.
2. Words by rjieba (jieba's Rust port; jieba if it is missing), keeping words with a letter, digit
   or Han character, minus a short list of function words.
3. A sentence graph weighted by TextRank's overlap similarity
   |Wi & Wj| / (log|Wi| + log|Wj|), ranked by PageRank whose teleport vector favours early
   sentences; the final score mixes that rank with a lead prior, as is standard for news
   (the lead usually is the summary), and discounts sentences that are all quotation.
4. Sentences are taken best first while they fit `max_chars`, until the summary reaches
   `min_chars`, skipping one that repeats most words of a sentence already taken (a light
   maximal-marginal-relevance rule); they are output in article order. A sentence is never cut; only when no sentence
   of the article fits the budget is the best one shortened to its leading clauses.

Only the first `MAX_SENTENCES` sentences are candidates: the graph is quadratic in them, and a
news summary comes from the lead, so an article of 8,000 sentences costs what one of 150 does
(plus splitting its text), not 3,000 times more.

Everything is deterministic (ties go to the earlier sentence) and offline. Every character of a
summary comes from the article, so every number in it does too.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pipeline.summarize.sentences import CJK_CHAR, SENTENCE_FINAL, split_clauses, split_sentences

_STOPWORDS = frozenset(
    "的 了 在 是 和 与 及 等 也 都 就 而 并 对 从 把 被 让 将 为 以 于 之 其 这 那 有 个 上 下 中 "
    "我们 他们 你们 我 你 他 她 它 一个 一些 这个 这些 那些 已经 进行 通过 相关 表示 介绍 记者 "
    "今年 目前 同时 其中 据 还 又 更 最 很 不 没有 可以 能够 一 二 三".split()
)
_WORDLIKE = re.compile(rf"[0-9A-Za-z]|{CJK_CHAR}")
_LEADIN = re.compile(
    r"^(?:[^。！？，,（(]{0,20}?讯\s*)?"  # 本报讯 / 株洲日报讯 / 新华社长沙9月1日电
    r"[（(][^（()）]{0,40}?(?:记者|通讯员|见习|特约|实习)[^（()）]{0,40}[)）]\s*"
    r"|^[^。！？，,]{0,20}?讯\s+"
    r"|^新华社[^。！？，,]{0,16}电\s*"
)
_CLOSING = "”’」』）)》"
MAX_SENTENCES = 150  # candidates scored per article: bounds the sentence graph (and its cost)


def _tokenizer() -> Callable[[str], list[str]]:
    try:
        import rjieba

        return rjieba.cut
    except ImportError:  # pragma: no cover - rjieba is a dependency; jieba is the slow twin
        import jieba

        jieba.setLogLevel(60)
        return jieba.lcut


@dataclass
class _Candidate:
    index: int  # position among the article's sentences
    text: str
    words: frozenset[str]


class ExtractiveSummarizer:
    def __init__(
        self,
        max_chars: int = 120,
        min_chars: int = 60,
        *,
        lead_weight: float = 0.5,
        damping: float = 0.85,
    ) -> None:
        self.max_chars = max_chars
        self.min_chars = min(min_chars, max_chars)
        self.lead_weight = lead_weight
        self.damping = damping
        self._cut = _tokenizer()

    @classmethod
    def from_settings(cls, cfg: Any) -> ExtractiveSummarizer:
        """The `extractive` backend of the summarize stage (and its fallback)."""
        return cls(cfg.extractive_max_chars, cfg.extractive_min_chars)

    # ---------------------------------------------------------------- candidates
    def _candidates(self, text: str) -> list[_Candidate]:
        out: list[_Candidate] = []
        for line in text.splitlines():
            if len(out) >= MAX_SENTENCES:
                break
            line = line.strip()
            if not line:
                continue
            sentences = split_sentences(line)
            if len(sentences) == 1 and line[-1] not in SENTENCE_FINAL + _CLOSING and len(line) <= 24:
                continue  # an in-body sub-head such as `痛定思痛重塑物流格局`
            for sent in sentences:
                if len(out) >= MAX_SENTENCES:
                    break
                if not out:
                    sent = _strip_leadin(sent)
                    if not sent:
                        continue
                words = frozenset(
                    w.strip() for w in self._cut(sent) if _WORDLIKE.search(w) and w.strip() not in _STOPWORDS
                )
                out.append(_Candidate(len(out), sent, words))
        return out

    # ---------------------------------------------------------------- ranking
    def _scores(self, cands: Sequence[_Candidate]) -> list[float]:
        n = len(cands)
        if n == 1:
            return [1.0]
        prior = [1.0 / (i + 1) for i in range(n)]
        total = sum(prior)
        prior = [p / total for p in prior]
        weights = [[0.0] * n for _ in range(n)]
        for i in range(n):
            wi = cands[i].words
            for j in range(i + 1, n):
                wj = cands[j].words
                common = len(wi & wj)
                if common:
                    w = common / (math.log(len(wi) + 1) + math.log(len(wj) + 1))
                    weights[i][j] = weights[j][i] = w
        out_sum = [sum(row) for row in weights]
        # incoming edges of each sentence, in increasing j: the same sums as over the dense rows
        incoming = [[(j, weights[j][i]) for j in range(n) if weights[j][i]] for i in range(n)]
        dangling_nodes = [j for j in range(n) if out_sum[j] == 0]
        rank = prior[:]
        for _ in range(100):
            dangling = sum(rank[j] for j in dangling_nodes)
            new = [
                (1 - self.damping) * prior[i]
                + self.damping * (sum(rank[j] * w / out_sum[j] for j, w in incoming[i]) + dangling * prior[i])
                for i in range(n)
            ]
            delta = sum(abs(a - b) for a, b in zip(new, rank, strict=True))
            rank = new
            if delta < 1e-9:
                break
        top = max(rank)
        lead_top = prior[0]
        scores = []
        for c, r, p in zip(cands, rank, prior, strict=True):
            s = (1 - self.lead_weight) * r / top + self.lead_weight * p / lead_top
            if _all_quote(c.text):
                s *= 0.5  # a quotation lead is colour, not the news
            if len(c.text) < 12:
                s *= 0.5
            scores.append(s)
        return scores

    # ---------------------------------------------------------------- selection
    def summarize(self, text: str) -> str:
        cands = self._candidates(text or "")
        if not cands:
            return ""
        scores = self._scores(cands)
        order = sorted(range(len(cands)), key=lambda i: (-scores[i], i))
        chosen: list[int] = []
        length = 0
        for i in order:
            if length >= self.min_chars:
                break
            if any(_redundant(cands[i].words, cands[c].words) for c in chosen):
                continue  # says again what a chosen sentence says
            n = len(cands[i].text) + (0 if cands[i].text[-1] in SENTENCE_FINAL + _CLOSING else 1)
            if length + n <= self.max_chars:
                chosen.append(i)
                length += n
        if not chosen:
            return _leading_clauses(cands[order[0]].text, self.max_chars)
        parts = []
        for i in sorted(chosen):
            sent = cands[i].text
            parts.append(sent if sent[-1] in SENTENCE_FINAL + _CLOSING else sent + "。")
        return "".join(parts)


def _redundant(a: frozenset[str], b: frozenset[str]) -> bool:
    """Most of the smaller sentence's words already appear in the other one."""
    small = min(len(a), len(b))
    return small > 0 and len(a & b) / small >= 0.6


def _strip_leadin(sentence: str) -> str:
    m = _LEADIN.match(sentence)
    return sentence[m.end() :].strip() if m else sentence


def _all_quote(sentence: str) -> bool:
    return sentence.startswith(("“", "「", '"')) and sentence.rstrip("。！？!?").endswith(("”", "」", '"'))


def _leading_clauses(sentence: str, max_chars: int) -> str:
    """The longest run of leading clauses within `max_chars`, ended with 。 (no sentence fits)."""
    out = ""
    for clause in split_clauses(sentence):
        body = clause.rstrip("，,；;：:、")
        if len(out) + len(body) + 1 > max_chars:
            break
        out += clause
    out = out.rstrip("，,；;：:、")
    if not out:  # one enormous clause: cut at the budget, never inside a number
        out = sentence[: max_chars - 1]
        while out and (out[-1].isdigit() or out[-1] in ".,%．"):
            out = out[:-1]
        out = out.rstrip("，,；;：:、")
    return out + "。" if out and out[-1] not in SENTENCE_FINAL else out
