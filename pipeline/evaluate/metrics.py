"""Pure metric functions for `newspipe evaluate`.

Nothing here reads files or runs stages: every function takes plain strings, lists and
dicts, so each figure can be checked by hand on a small case (see tests/test_metrics.py).

Conventions
-----------
* Body comparison removes *all* whitespace (`strip_ws`): the gold re-joins paragraphs that
  the layout broke, and where a line was cut must not decide whether an article is exact.
* Articles are matched to gold one-to-one by **body overlap**: the Dice coefficient of the
  two bodies' character-bigram multisets (whitespace removed), ``2·|A∩B| / (|A|+|B|)``.
  The assignment maximises the summed overlap over the whole issue (Hungarian algorithm,
  `assign_max`); pairs below `MIN_MATCH_SCORE` are then dropped, so a prediction that shares
  only a few bigrams with an article is not credited with it. Bigram Dice is order-aware
  enough to tell articles apart, costs O(n) per pair, and is symmetric, so a merged article
  (A+B) matches the larger of A and B and a split one matches the larger half.
* Segmentation boundaries are strings over the source's non-blank lines: ``'1'`` where an
  article starts on that line, ``'0'`` elsewhere. Pk and WindowDiff follow
  `nltk.metrics.segmentation` exactly (window of k positions starting at each line); both
  are error rates, 0.0 is perfect. k is half the mean gold segment length.
* Rates with an empty denominator are ``None`` (not 0 and not 1): "nothing to score".
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from pipeline.summarize.faithfulness import check_summary

MIN_MATCH_SCORE = 0.1
BOUNDARY = "1"
NO_LABEL = "(none)"  # predicted topic missing: counts wrong, never a label of its own
DEFAULT_LABELS = ("trade", "logistics", "civic", "history", "education")

BODY_NORMALISATION = "bodies compared after removing all whitespace (str.split() semantics)"

ROUGE_CHAR_NORMALISATION = (
    "character ROUGE (primary): text is NFKC-normalised and lower-cased; every run of ASCII "
    "letters/digits is one token; every other letter or digit (each CJK character) is one "
    "token; punctuation, symbols and whitespace are dropped. ROUGE-N uses clipped n-gram "
    "counts, ROUGE-L the longest common subsequence; the figure is the F1 (beta=1) per "
    "article, averaged over articles."
)
ROUGE_WORD_NORMALISATION = (
    "word ROUGE (for comparison with XL-Sum): NFKC + lower-case, segmented with jieba "
    "(accurate mode, default dictionary); tokens made only of punctuation, symbols or "
    "whitespace are dropped (a number such as 3.5% stays one token); otherwise scored as "
    "the character ROUGE."
)
NUMBER_NORMALISATION = (
    "number faithfulness: numbers are taken from the NFKC text with the regex "
    "[0-9]+(,[0-9]{3})*(\\.[0-9]+)?%? (thousands separators removed, a percent sign "
    "ignored, 1.50 == 1.5); a summary number is faithful when the same value occurs in the "
    "article the summarizer read. Chinese numerals are not extracted. The rate is "
    "faithful numbers / all numbers, pooled over summaries."
)
FAITHFULNESS_CHECK = (
    "faithfulness check (pipeline.summarize.faithfulness, the summarizer's own guard): a summary "
    "passes when every number (by value: 万/亿 multiply, % and 成 are percentages, Chinese numerals "
    "read), date (year, month-day), person/place/organisation name (jieba POS nr/ns/nt) and "
    "《title》 in it is found in the article the summarizer read; check_pass_rate = passing "
    "summaries / all summaries."
)
LEAD1_DESCRIPTION = (
    "LEAD-1 baseline: the first sentence of the same predicted article body, sentences "
    "ending at 。！？!? or an ellipsis (closing quotes and brackets kept), or at a paragraph end."
)


# --------------------------------------------------------------------------- normalisation


def strip_ws(text: str | None) -> str:
    """Remove every whitespace character (ASCII, ideographic space U+3000, newlines...)."""
    return "".join((text or "").split())


def norm_field(text: str | None) -> str | None:
    """A headline/byline for comparison: outer whitespace stripped, inner runs -> one space.

    ``None`` and blank strings both mean "no such field".
    """
    if text is None:
        return None
    out = " ".join(text.split())
    return out or None


def fields_equal(a: str | None, b: str | None) -> bool:
    return norm_field(a) == norm_field(b)


# --------------------------------------------------------------------------- matching


def char_bigrams(text: str) -> Counter[str]:
    """Multiset of character bigrams of `text` with whitespace removed (a 1-char text: itself)."""
    s = strip_ws(text)
    if len(s) < 2:
        return Counter([s] if s else [])
    return Counter(s[i : i + 2] for i in range(len(s) - 1))


def overlap_score(a: str | Counter[str], b: str | Counter[str]) -> float:
    """Dice coefficient of the two bodies' bigram multisets, in [0, 1]."""
    ca = a if isinstance(a, Counter) else char_bigrams(a)
    cb = b if isinstance(b, Counter) else char_bigrams(b)
    total = sum(ca.values()) + sum(cb.values())
    if total == 0:
        return 0.0
    inter = sum((ca & cb).values())
    return 2.0 * inter / total


def _hungarian_min(cost: list[list[float]]) -> list[int]:
    """Min-cost assignment for a rows <= cols matrix; returns the column of each row."""
    n, m = len(cost), len(cost[0])
    inf = float("inf")
    u = [0.0] * (n + 1)
    v = [0.0] * (m + 1)
    p = [0] * (m + 1)  # p[j]: row (1-based) assigned to column j
    way = [0] * (m + 1)
    for i in range(1, n + 1):
        p[0] = i
        j0 = 0
        minv = [inf] * (m + 1)
        used = [False] * (m + 1)
        while True:
            used[j0] = True
            i0 = p[j0]
            delta = inf
            j1 = 0
            row = cost[i0 - 1]
            for j in range(1, m + 1):
                if not used[j]:
                    cur = row[j - 1] - u[i0] - v[j]
                    if cur < minv[j]:
                        minv[j] = cur
                        way[j] = j0
                    if minv[j] < delta:
                        delta = minv[j]
                        j1 = j
            for j in range(m + 1):
                if used[j]:
                    u[p[j]] += delta
                    v[j] -= delta
                else:
                    minv[j] -= delta
            j0 = j1
            if p[j0] == 0:
                break
        while True:
            j1 = way[j0]
            p[j0] = p[j1]
            j0 = j1
            if j0 == 0:
                break
    assign = [-1] * n
    for j in range(1, m + 1):
        if p[j]:
            assign[p[j] - 1] = j - 1
    return assign


def assign_max(scores: Sequence[Sequence[float]]) -> list[tuple[int, int]]:
    """One-to-one assignment of rows to columns maximising the summed score.

    Returns ``(row, col)`` pairs, sorted by row; min(rows, cols) pairs for a non-empty matrix.
    """
    rows = len(scores)
    cols = len(scores[0]) if rows else 0
    if rows == 0 or cols == 0:
        return []
    if rows <= cols:
        assign = _hungarian_min([[-float(x) for x in r] for r in scores])
        return [(i, j) for i, j in enumerate(assign)]
    transposed = [[-float(scores[i][j]) for i in range(rows)] for j in range(cols)]
    assign = _hungarian_min(transposed)
    return sorted((i, j) for j, i in enumerate(assign))


@dataclass(frozen=True)
class Match:
    pred: int
    gold: int
    score: float


def match_articles(
    pred_bodies: Sequence[str], gold_bodies: Sequence[str], min_score: float = MIN_MATCH_SCORE
) -> list[Match]:
    """Match predicted to gold articles one-to-one by body overlap (see module docstring)."""
    pc = [char_bigrams(t) for t in pred_bodies]
    gc = [char_bigrams(t) for t in gold_bodies]
    scores = [[overlap_score(p, g) for g in gc] for p in pc]
    out = [Match(i, j, scores[i][j]) for i, j in assign_max(scores)]
    return [m for m in out if m.score >= min_score and m.score > 0]


# --------------------------------------------------------------------------- P/R/F1


def ratio(num: float, den: float) -> float | None:
    return None if den == 0 else num / den


def f1(precision: float | None, recall: float | None) -> float | None:
    if precision is None or recall is None:
        return None
    if precision + recall == 0:
        return 0.0
    return 2 * precision * recall / (precision + recall)


def prf(tp: int, n_pred: int, n_gold: int) -> dict[str, float | None]:
    """Precision tp/n_pred, recall tp/n_gold and their F1."""
    p = ratio(tp, n_pred)
    r = ratio(tp, n_gold)
    return {"precision": p, "recall": r, "f1": f1(p, r)}


# --------------------------------------------------------------------------- boundaries


def source_lines(text: str) -> list[str]:
    """Lines of the decoded text, numbered as `SourceLine.number` (0-based, split on \\n)."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def nonblank_line_numbers(text: str) -> list[int]:
    return [i for i, line in enumerate(source_lines(text)) if line.strip()]


def line_of_offset(text: str, offset: int) -> int:
    """0-based line number of character `offset` in `text`."""
    return text.count("\n", 0, max(0, offset))


def _first_line(lines: Sequence[str], start: int, pred: Callable[[str], bool]) -> int | None:
    for i in range(max(0, start), len(lines)):
        if lines[i] and pred(lines[i]):
            return i
    return None


def locate_article_start(
    lines: Sequence[str], article: Mapping[str, Any], start_from: int = 0
) -> tuple[int | None, int | None]:
    """Where an article starts in the source: ``(start_line, anchor_line)``.

    `lines` are the source lines with whitespace removed (`strip_ws`). The *anchor* is the
    first line at or after `start_from` that is the article's kicker, headline,
    subheadline or column label (whole line), starts with its byline (a glued byline; a
    byline under 6 characters, a bare name, must be the whole line), or starts with its
    `body_first` text (the first 12 characters of `text` when absent). The start then extends back over the
    non-blank lines directly above the anchor that are this article's captions or kicker
    (a photo printed above the headline). Searches the whole text when nothing is found
    after `start_from`; ``(None, None)`` when nothing is found at all.
    """
    whole = {strip_ws(article.get(k)) for k in ("kicker", "headline", "subheadline", "column")}
    whole.discard("")
    byline = strip_ws(article.get("byline"))
    body_first = strip_ws(article.get("body_first"))
    if not body_first:
        body_first = strip_ws(article.get("text"))[:12]

    def is_anchor(line: str) -> bool:
        if line in whole:
            return True
        if byline and (line == byline or (len(byline) >= 6 and line.startswith(byline))):
            return True  # a short byline (a bare name) only counts as a whole line
        return bool(body_first) and line.startswith(body_first)

    anchor = _first_line(lines, start_from, is_anchor)
    if anchor is None and start_from > 0:
        anchor = _first_line(lines, 0, is_anchor)
    if anchor is None:
        return None, None
    above = {strip_ws(c) for c in article.get("captions") or []}
    above.add(strip_ws(article.get("kicker")))
    above.discard("")
    start = anchor
    i = anchor - 1
    while i >= 0:
        if not lines[i]:
            i -= 1
            continue
        if lines[i] in above:
            start = i
            i -= 1
            continue
        break
    return start, anchor


def gold_start_lines(text: str, gold_articles: Sequence[Mapping[str, Any]]) -> list[int | None]:
    """The source line (0-based, as `SourceLine.number`) where each gold article starts.

    Articles are located in gold order, each search starting after the previous anchor.
    ``None`` for an article whose lines cannot be found (the figure then ignores it).
    """
    lines = [strip_ws(x) for x in source_lines(text)]
    out: list[int | None] = []
    cursor = 0
    for art in gold_articles:
        start, anchor = locate_article_start(lines, art, cursor)
        out.append(start)
        if anchor is not None:
            cursor = anchor + 1
    return out


def boundary_string(text: str, start_lines: Iterable[int | None]) -> str:
    """'1' at every non-blank line where an article starts, '0' elsewhere.

    A start on a blank line moves to the next non-blank line; ``None`` is skipped.
    """
    numbers = nonblank_line_numbers(text)
    pos = {n: i for i, n in enumerate(numbers)}
    marks = ["0"] * len(numbers)
    for s in start_lines:
        if s is None:
            continue
        if s in pos:
            marks[pos[s]] = BOUNDARY
            continue
        i = bisect.bisect_right(numbers, s)
        if i < len(numbers):
            marks[i] = BOUNDARY
    return "".join(marks)


def default_k(ref: str, boundary: str = BOUNDARY) -> int:
    """Half the mean reference segment length, at least 1.

    Segments are the runs that a boundary opens, plus the leading run when the first
    position is not a boundary (e.g. a page header above the first article).
    """
    n = len(ref)
    if n == 0:
        return 1
    segments = ref.count(boundary) + (0 if ref[0] == boundary else 1)
    return max(1, int(round(n / (2.0 * segments))))


def pk(ref: str, hyp: str, k: int | None = None, boundary: str = BOUNDARY) -> float:
    """Beeferman's Pk as computed by `nltk.metrics.segmentation.pk` (0.0 is perfect).

    For each window ``[i, i+k)``, an error when exactly one of ref and hyp has a boundary in it;
    the rate over the ``len - k + 1`` windows.
    """
    if len(ref) != len(hyp):
        raise ValueError("segmentations have unequal length")
    if k is None:
        k = int(round(len(ref) / (max(ref.count(boundary), 1) * 2.0)))
    if k < 1 or k > len(ref):
        raise ValueError(f"window k={k} must be between 1 and the segmentation length {len(ref)}")
    windows = len(ref) - k + 1
    err = 0
    for i in range(windows):
        if (boundary in ref[i : i + k]) != (boundary in hyp[i : i + k]):
            err += 1
    return err / windows


def windowdiff(ref: str, hyp: str, k: int, boundary: str = BOUNDARY, weighted: bool = False) -> float:
    """Pevzner & Hearst's WindowDiff as computed by `nltk.metrics.segmentation.windowdiff`.

    For each window ``[i, i+k)``, an error when ref and hyp hold different numbers of
    boundaries (weighted: add the difference); the rate over the ``len - k + 1`` windows.
    """
    if len(ref) != len(hyp):
        raise ValueError("segmentations have unequal length")
    if k < 1 or k > len(ref):
        raise ValueError(f"window k={k} must be between 1 and the segmentation length {len(ref)}")
    windows = len(ref) - k + 1
    total = 0
    for i in range(windows):
        d = abs(ref[i : i + k].count(boundary) - hyp[i : i + k].count(boundary))
        total += d if weighted else min(1, d)
    return total / windows


def boundary_prf(ref: str, hyp: str, boundary: str = BOUNDARY) -> dict[str, float | None]:
    """Exact-position boundary precision/recall/F1."""
    r = {i for i, c in enumerate(ref) if c == boundary}
    h = {i for i, c in enumerate(hyp) if c == boundary}
    return prf(len(r & h), len(h), len(r))


def segmentation_figures(
    text: str,
    gold_articles: Sequence[Mapping[str, Any]],
    pred_starts: Sequence[int | None],
    pred_fields: Sequence[Mapping[str, Any]],
    matches: Sequence[Match],
) -> dict[str, Any]:
    """All segmentation figures of one issue.

    `pred_fields[i]` holds the predicted article's ``text``, ``headline`` and ``byline``;
    `matches` comes from `match_articles`. Returns counts (so issues can be pooled) and rates.
    """
    n_gold, n_pred = len(gold_articles), len(pred_fields)
    by_gold = {m.gold: m.pred for m in matches}
    exact = headline_ok = byline_ok = 0
    for g, art in enumerate(gold_articles):
        p = by_gold.get(g)
        if p is None:
            continue
        pf = pred_fields[p]
        if strip_ws(pf.get("text")) == strip_ws(art.get("text")):
            exact += 1
        if fields_equal(pf.get("headline"), art.get("headline")):
            headline_ok += 1
        if fields_equal(pf.get("byline"), art.get("byline")):
            byline_ok += 1
    out: dict[str, Any] = {
        "n_gold": n_gold,
        "n_pred": n_pred,
        "n_matched": len(matches),
        "n_exact": exact,
        "n_headline_correct": headline_ok,
        "n_byline_correct": byline_ok,
    }
    e = prf(exact, n_pred, n_gold)
    out.update({"exact_precision": e["precision"], "exact_recall": e["recall"], "exact_f1": e["f1"]})
    out["headline_accuracy"] = ratio(headline_ok, n_gold)
    out["byline_accuracy"] = ratio(byline_ok, n_gold)
    ref = boundary_string(text, gold_start_lines(text, gold_articles))
    hyp = boundary_string(text, pred_starts)
    out.update(boundary_figures(ref, hyp))
    return out


def boundary_figures(ref: str, hyp: str) -> dict[str, Any]:
    """Boundary counts, P/R/F1, k, Pk and WindowDiff for one pair of boundary strings."""
    r = {i for i, c in enumerate(ref) if c == BOUNDARY}
    h = {i for i, c in enumerate(hyp) if c == BOUNDARY}
    b = prf(len(r & h), len(h), len(r))
    out: dict[str, Any] = {
        "n_lines": len(ref),
        "n_gold_boundaries": len(r),
        "n_pred_boundaries": len(h),
        "n_boundaries_correct": len(r & h),
        "boundary_precision": b["precision"],
        "boundary_recall": b["recall"],
        "boundary_f1": b["f1"],
    }
    if len(ref) >= 1:
        k = min(default_k(ref), len(ref))
        out.update({"k": k, "pk": pk(ref, hyp, k), "windowdiff": windowdiff(ref, hyp, k)})
    else:
        out.update({"k": None, "pk": None, "windowdiff": None})
    return out


# --------------------------------------------------------------------------- classification


def ordered_labels(labels: Iterable[str]) -> list[str]:
    """The default five labels first (in their order), any others sorted after them."""
    present = set(labels)
    out = [lab for lab in DEFAULT_LABELS if lab in present]
    out += sorted(x for x in present - set(DEFAULT_LABELS) if x != NO_LABEL)
    if NO_LABEL in present:
        out.append(NO_LABEL)
    return out


def confusion_matrix(
    pairs: Sequence[tuple[str, str | None]], labels: Sequence[str] | None = None
) -> dict[str, dict[str, int]]:
    """``{gold: {pred: count}}`` over `labels` (rows and columns alike); None -> `NO_LABEL`."""
    clean = [(g, p if p is not None else NO_LABEL) for g, p in pairs]
    labs = list(labels) if labels is not None else ordered_labels([x for pr in clean for x in pr])
    cm = {g: dict.fromkeys(labs, 0) for g in labs if g != NO_LABEL}
    for g, p in clean:
        cm.setdefault(g, dict.fromkeys(labs, 0))
        row = cm[g]
        row[p] = row.get(p, 0) + 1
    return cm


def classification_figures(
    pairs: Sequence[tuple[str, str | None]], labels: Sequence[str] | None = None
) -> dict[str, Any]:
    """Accuracy, macro-F1, per-label P/R/F1/support and the confusion matrix.

    `pairs` are ``(gold_label, predicted_label)``; a missing prediction (None) is always
    wrong and is not a label of its own. Per-label rates with an empty denominator are 0.0
    (as scikit-learn's ``zero_division=0``); macro-F1 averages the labels that occur in gold
    or prediction.
    """
    clean = [(g, p if p is not None else NO_LABEL) for g, p in pairs]
    labs = list(labels) if labels is not None else ordered_labels([x for pr in clean for x in pr])
    real = [lab for lab in labs if lab != NO_LABEL]
    correct = sum(1 for g, p in clean if g == p)
    per_label: dict[str, dict[str, float | int]] = {}
    for lab in real:
        tp = sum(1 for g, p in clean if g == lab and p == lab)
        n_pred = sum(1 for _, p in clean if p == lab)
        n_gold = sum(1 for g, _ in clean if g == lab)
        pr = tp / n_pred if n_pred else 0.0
        rc = tp / n_gold if n_gold else 0.0
        per_label[lab] = {
            "precision": pr,
            "recall": rc,
            "f1": (2 * pr * rc / (pr + rc)) if pr + rc else 0.0,
            "support": n_gold,
        }
    used = [lab for lab in real if per_label[lab]["support"] or any(p == lab for _, p in clean)]
    macro = sum(float(per_label[lab]["f1"]) for lab in used) / len(used) if used else None
    return {
        "n": len(clean),
        "n_correct": correct,
        "accuracy": ratio(correct, len(clean)),
        "macro_f1": macro if clean else None,
        "labels": labs,
        "per_label": per_label,
        "confusion": confusion_matrix(pairs, labs),
    }


def format_confusion(confusion: Mapping[str, Mapping[str, int]], labels: Sequence[str]) -> str:
    """A confusion matrix (`confusion_matrix`'s {gold: {pred: n}}) as a plain-text table."""
    w = max(9, *(len(lab) + 1 for lab in labels))
    lines = ["gold \\ pred".ljust(w + 2) + "".join(lab[:w].rjust(w) for lab in labels)]
    for lab in labels:
        row = confusion.get(lab, {})
        lines.append(lab.ljust(w + 2) + "".join(str(row.get(p, 0)).rjust(w) for p in labels))
    return "\n".join(lines)


def top_scores(scores: Mapping[str, float] | None, k: int = 2) -> list[tuple[str, float]]:
    """The k highest ``(label, score)`` pairs, best first (ties by label name)."""
    if not scores:
        return []
    return sorted(((str(lab), float(s)) for lab, s in scores.items()), key=lambda x: (-x[1], x[0]))[:k]


# --------------------------------------------------------------------------- ROUGE

_ASCII_RUN = re.compile(r"[a-z0-9]+")


def _nfkc_lower(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").lower()


def _is_word_char(ch: str) -> bool:
    return unicodedata.category(ch)[0] in ("L", "N")


def char_tokens(text: str) -> list[str]:
    """Tokens for character ROUGE; the normalisation is `ROUGE_CHAR_NORMALISATION`.

    NFKC + lower-case; a run of ASCII letters/digits is one token; every other letter or
    digit (each CJK character) is one token; punctuation, symbols and whitespace dropped.

    >>> char_tokens("株洲GDP增长3.5%！")
    ['株', '洲', 'gdp', '增', '长', '3', '5']
    """
    s = _nfkc_lower(text)
    out: list[str] = []
    i = 0
    while i < len(s):
        m = _ASCII_RUN.match(s, i)
        if m:
            out.append(m.group())
            i = m.end()
            continue
        if _is_word_char(s[i]):
            out.append(s[i])
        i += 1
    return out


_jieba: Any = None


def _load_jieba() -> Any:
    global _jieba
    if _jieba is None:
        import logging

        import jieba

        jieba.setLogLevel(logging.WARNING)
        _jieba = jieba
    return _jieba


def jieba_available() -> bool:
    try:
        _load_jieba()
    except ImportError:
        return False
    return True


def word_tokens(text: str) -> list[str]:
    """Tokens for word ROUGE; the normalisation is `ROUGE_WORD_NORMALISATION`."""
    jieba = _load_jieba()
    s = _nfkc_lower(text)
    return [w for w in jieba.lcut(s) if any(_is_word_char(c) for c in w) and w.strip()]


def ngram_counts(tokens: Sequence[str], n: int) -> Counter[tuple[str, ...]]:
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


@dataclass(frozen=True)
class Score:
    precision: float
    recall: float
    f1: float


def _score(overlap: int, n_hyp: int, n_ref: int) -> Score:
    p = overlap / n_hyp if n_hyp else 0.0
    r = overlap / n_ref if n_ref else 0.0
    return Score(p, r, (2 * p * r / (p + r)) if p + r else 0.0)


def rouge_n(ref: Sequence[str], hyp: Sequence[str], n: int) -> Score:
    """ROUGE-N with clipped counts: overlap = sum over n-grams of min(ref count, hyp count)."""
    rc, hc = ngram_counts(ref, n), ngram_counts(hyp, n)
    overlap = sum((rc & hc).values())
    return _score(overlap, sum(hc.values()), sum(rc.values()))


def lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common subsequence (O(len(a)·len(b)) time, O(len(b)) space)."""
    if not a or not b:
        return 0
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b, 1):
            cur.append(prev[j - 1] + 1 if x == y else max(prev[j], cur[j - 1]))
        prev = cur
    return prev[-1]


def rouge_l(ref: Sequence[str], hyp: Sequence[str]) -> Score:
    """ROUGE-L: P = LCS/len(hyp), R = LCS/len(ref), F1 (beta = 1)."""
    return _score(lcs_length(ref, hyp), len(hyp), len(ref))


def rouge(
    reference: str, hypothesis: str, tokenizer: Callable[[str], list[str]] = char_tokens
) -> dict[str, float]:
    """ROUGE-1/2/L F1 of one summary against one reference."""
    ref, hyp = tokenizer(reference), tokenizer(hypothesis)
    return {
        "rouge1": rouge_n(ref, hyp, 1).f1,
        "rouge2": rouge_n(ref, hyp, 2).f1,
        "rougeL": rouge_l(ref, hyp).f1,
    }


# --------------------------------------------------------------------------- numbers, LEAD-1

_NUMBER_RE = re.compile(r"[0-9]+(?:,[0-9]{3})*(?:\.[0-9]+)?%?")


def extract_numbers(text: str) -> list[str]:
    """Numbers as written (after NFKC): integers, decimals, thousands separators, percentages.

    >>> extract_numbers("增长35.7%，达1，200亿元，共3个")
    ['35.7%', '1,200', '3']
    """
    return _NUMBER_RE.findall(unicodedata.normalize("NFKC", text or ""))


def number_value(token: str) -> str:
    """Canonical value of an extracted number: no separators or percent sign, 1.50 -> 1.5."""
    raw = token.rstrip("%").replace(",", "")
    try:
        d = Decimal(raw)
    except InvalidOperation:
        return raw
    if d == d.to_integral_value():
        return str(d.quantize(Decimal(1)))
    return format(d.normalize(), "f")


def number_faithfulness(summary: str, article: str) -> tuple[int, int]:
    """``(faithful, total)``: how many numbers of the summary occur (by value) in the article."""
    have = {number_value(t) for t in extract_numbers(article)}
    nums = [number_value(t) for t in extract_numbers(summary)]
    return sum(1 for v in nums if v in have), len(nums)


_SENT_END = "。！？!?"
_CLOSERS = "”’\"'」』）)》〉】"


def split_sentences(text: str) -> list[str]:
    """Sentences of a body: they end at 。！？!?, at an ellipsis (…) run, or at a newline;
    closing quotes/brackets right after the end mark stay with the sentence."""
    out: list[str] = []
    cur: list[str] = []
    s = text or ""
    i = 0
    while i < len(s):
        ch = s[i]
        if ch == "\n":
            if "".join(cur).strip():
                out.append("".join(cur).strip())
            cur = []
            i += 1
            continue
        cur.append(ch)
        i += 1
        if ch in _SENT_END or ch == "…":
            while i < len(s) and (s[i] in _SENT_END or s[i] == "…"):
                cur.append(s[i])
                i += 1
            while i < len(s) and s[i] in _CLOSERS:
                cur.append(s[i])
                i += 1
            if "".join(cur).strip():
                out.append("".join(cur).strip())
            cur = []
    if "".join(cur).strip():
        out.append("".join(cur).strip())
    return out


def lead1(text: str) -> str:
    """LEAD-1 baseline summary: the first sentence of the body ('' for an empty body)."""
    sents = split_sentences(text)
    return sents[0] if sents else ""


def summary_length(text: str | None) -> int:
    """Length in characters, whitespace not counted."""
    return len(strip_ws(text))


def mean(xs: Sequence[float]) -> float | None:
    return sum(xs) / len(xs) if xs else None


def summary_figures(items: Sequence[tuple[str, str, str]], word_rouge: bool | None = None) -> dict[str, Any]:
    """Figures for ``(reference, summary, article_text)`` triples.

    Character ROUGE-1/2/L F1 (primary), jieba-word ROUGE-1/2/L F1 (when jieba imports, or as
    `word_rouge` says), mean summary length in characters and number faithfulness
    (pooled: faithful / all summary numbers; None when the summaries hold no number).
    """
    if word_rouge is None:
        word_rouge = jieba_available()
    chars = [rouge(r, s, char_tokens) for r, s, _ in items]
    words = [rouge(r, s, word_tokens) for r, s, _ in items] if word_rouge else []
    found = total = 0
    for _, s, a in items:
        f, t = number_faithfulness(s, a)
        found += f
        total += t
    passed = sum(1 for _, s, a in items if check_summary(s, a).ok)
    keys = ("rouge1", "rouge2", "rougeL")
    return {
        "n": len(items),
        "char": {k: mean([c[k] for c in chars]) for k in keys},
        "word": {k: mean([w[k] for w in words]) for k in keys},
        "mean_length_chars": mean([summary_length(s) for _, s, _ in items]),
        "numbers_total": total,
        "numbers_faithful": found,
        "number_faithfulness": ratio(found, total),
        "checks_passed": passed,
        "check_pass_rate": ratio(passed, len(items)),
    }
