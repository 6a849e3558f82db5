"""CJK character bigrams of texts, as ints, for the segmenters' lexical cohesion measures.

A bigram of two Han characters ``a b`` is the int ``ord(a) << 16 | ord(b)`` (every
character of `patterns.CJK` is in the Basic Multilingual Plane), so the set of a text's
bigrams is the same set as the overlapping two-character strings a regex would find,
one to one, and sets of ints hash, intersect and count faster than sets of strings.

`prime` computes the bigrams of many texts at once (one numpy pass over the page, not a
regex scan per text); `bigrams` answers from that memo, or computes one text alone. The
memo serves one issue: the segmenters `clear` it per issue (keeps benchmarks honest and
memory flat), and it bounds itself for callers that never do (training).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from itertools import chain

import numpy as np

from pipeline.text import HAN

_MEMO_MAX = 20000  # texts kept between `clear` calls
_memo: dict[str, frozenset[int]] = {}
# text -> its bigrams in order, repeats kept, as a view into the int64 codes of the page
# pass that saw it (`code_array`; each view made once, at that pass)
_spans: dict[str, np.ndarray] = {}
# the Han ranges of `pipeline.text.HAN` (extension A, unified, compatibility ideographs)
_HAN_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))
_HAN_TABLE = np.zeros(0x10000, dtype=bool)
for _lo, _hi in _HAN_RANGES:
    _HAN_TABLE[_lo : _hi + 1] = True
_PAIR_RE = re.compile(f"(?=([{HAN}][{HAN}]))")  # overlapping Han pairs (one short text)
_SHORT = 160  # below this many characters in all, a regex scan beats a numpy pass


def is_han(c: str) -> bool:
    o = ord(c)
    return 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0xF900 <= o <= 0xFAFF


def code(a: str, b: str) -> int:
    """The int of the bigram `a b` (two Han characters)."""
    return ord(a) << 16 | ord(b)


# text -> its number of distinct bigrams (`len(bigrams(text))`), counted in `doc_freq`'s sort
# for texts whose set is not built (`size_of`)
_sizes: dict[str, int] = {}


def clear() -> None:
    _memo.clear()
    _spans.clear()
    _sizes.clear()


def size_of(text: str) -> tuple[frozenset[int] | None, int | None]:
    """(the text's bigram set, where built; else None) and ``len(bigrams(text))`` where known
    without building it (the set's size, or a count from `doc_freq`), else None."""
    found = _memo.get(text)
    if found is not None:
        return found, len(found)
    return None, _sizes.get(text)


def prime(texts: Iterable[str]) -> None:
    """Compute and keep the bigrams of every text not yet known, in one pass."""
    # (the texts not yet known first, then each once in its first place: most calls find none)
    todo = [t for t in texts if t not in _spans and t not in _memo]
    if not todo:
        return
    todo = list(dict.fromkeys(todo))
    if len(_memo) + len(_spans) + len(todo) > _MEMO_MAX:
        clear()
    if sum(map(len, todo)) < _SHORT:
        for t in todo:
            _memo[t] = frozenset([ord(p[0]) << 16 | ord(p[1]) for p in _PAIR_RE.findall(t)])
        return
    joined = "\n".join(todo)  # the separator pairs with nothing
    a = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
    # Han or not by a table of the Basic Multilingual Plane (a code point past it, clipped to
    # U+FFFF, is none of `_HAN_RANGES`); the characters that open a bigram, in order
    han = _HAN_TABLE.take(a, mode="clip")
    at = (han[:-1] & han[1:]).nonzero()[0]
    codes_np = (a[at].astype(np.int64) << 16) | a[at + 1]
    # how many bigrams start before character k of `joined` (the bigram starts below k),
    # asked only at each text's first and last character (an empty last text starts past
    # the end: clipped to the last character, as the count of all of them)
    lens = np.fromiter(map(len, todo), dtype=np.int64, count=len(todo))
    starts = (lens + 1).cumsum() - (lens + 1)
    last = len(a) - 1
    los = at.searchsorted(np.minimum(starts, last)).tolist()
    his = at.searchsorted(np.minimum(np.maximum(starts, starts + lens - 1), last)).tolist()
    # each text's set is built when first asked for (`bigrams`), from its span: the same ints
    # in the same order as a set built here, so the same set (many long texts never are)
    _spans.update(zip(todo, [codes_np[lo:hi] for lo, hi in zip(los, his, strict=True)], strict=True))


def bigrams(text: str) -> frozenset[int]:
    """The Han bigrams of a text (memoised per issue; callers never change the set)."""
    found = _memo.get(text)
    if found is None:
        span = _spans.get(text)
        if span is None:
            prime((text,))
            found = _memo.get(text)
            if found is not None:
                return found
            span = _spans[text]
        found = _memo[text] = frozenset(span.tolist())
    return found


def bigram_sets(texts: list[str]) -> list[frozenset[int]]:
    """`bigrams` of each text, in one loop (built from the page pass where not yet built)."""
    memo, spans = _memo, _spans
    out = []
    for t in texts:
        found = memo.get(t)
        if found is None:
            span = spans.get(t)
            if span is None:
                found = bigrams(t)
            else:
                found = memo[t] = frozenset(span.tolist())
        out.append(found)
    return out


def code_arrays(texts: list[str]) -> list[np.ndarray]:
    """`code_array` of each text (the spans of the page pass looked up inline)."""
    get = _spans.get
    out = []
    for t in texts:
        span = get(t)
        out.append(span if span is not None else code_array(t))
    return out


def code_array(text: str) -> np.ndarray:
    """The text's bigrams as an int64 array (each at least once; repeats may stay)."""
    span = _spans.get(text)
    if span is not None:
        return span
    g = bigrams(text)
    return np.fromiter(g, dtype=np.int64, count=len(g))


def shared_with_previous(texts: list[str], window: int) -> list[int]:
    """For each text, how many of its distinct bigrams occur in one of the `window` texts
    before it: ``len(g[k] & (g[k-1] | … | g[k-window]))`` for every k, in one sort over the
    page's bigrams instead of a set operation per text."""
    return page_counts(texts, window, frozenset())[0]


def page_counts(texts: list[str], window: int, asked: frozenset[int]) -> tuple[list[int], dict[int, int]]:
    """`shared_with_previous(texts, window)`, and how many of the texts have each bigram of
    `asked` (the document frequencies `Counter(chain(*(bigrams(t) & asked for t in texts)))`
    counts: bigrams none has are left out), both from one sort over the texts' bigrams."""
    m = len(texts)
    if not m:
        return [], {}
    keys, _, m = _pairs(texts)
    if not len(keys):
        return [0] * m, {}
    code, pos = np.divmod(keys, m)
    # a pair is shared when the pair just before it (the same bigram's latest earlier
    # occurrence) sits 1..window texts back; a repeat within one text (distance 0) is not
    step = pos[1:] - pos[:-1]
    same = code[1:] == code[:-1]
    hit = same & (step >= 1) & (step <= window)
    shared = np.bincount(pos[1:][hit], minlength=m).tolist()
    df: dict[int, int] = {}
    if asked:
        distinct = code[np.concatenate(([True], ~same | (step != 0)))]  # each text's bigram once, sorted
        a = np.fromiter(asked, dtype=np.int64, count=len(asked))
        counts = np.searchsorted(distinct, a, "right") - np.searchsorted(distinct, a, "left")
        found = counts > 0
        df = dict(zip(a[found].tolist(), counts[found].tolist(), strict=True))
    return shared, df


def page_windows(
    texts: list[str], window: int, asked: frozenset[int]
) -> tuple[list[int], dict[int, int], list[int], list[int], list[int], list[int], tuple[np.ndarray, int]]:
    """`page_counts(texts, window, asked)`, and from the same sort, for every c in
    0 … len(texts): ``len(N)``, ``len(N & P)`` and ``len(N & Q)``, where N is the union of
    the bigrams of ``texts[c : c + window]``, P that of ``texts[max(0, c - window) : c]`` and
    Q that of ``texts[max(0, c - 1 - window) : c - 1]`` (the words of the long units after a
    head run and of those before it, where the run's own line may be one of the long units:
    counted without building any union; only counts, so no set order is involved); and each
    text's number of distinct bigrams, ``len(bigrams(text))``; and the sorted distinct
    (bigram, position) keys, for `present_before`."""
    m = len(texts)
    if not m:
        return [], {}, [0], [0], [0], [], (np.zeros(0, dtype=np.int64), 1)
    prime(texts)
    arrays = code_arrays(texts)
    lens = np.fromiter(map(len, arrays), dtype=np.int64, count=m)
    # (bigram, position) as one sortable int: bigrams are < 2**32, positions <= m < 2**shift
    shift = m.bit_length()
    if not lens.any():
        empty = (np.zeros(0, dtype=np.int64), shift)
        return [0] * m, {}, [0] * (m + 1), [0] * (m + 1), [0] * (m + 1), [0] * m, empty
    keys = (np.concatenate(arrays) << shift) | np.arange(m, dtype=np.int64).repeat(lens)
    keys.sort()
    # each (bigram, text) once: the sorted keys unlike the key before them
    first = np.empty(len(keys), dtype=bool)
    first[0] = True
    np.not_equal(keys[1:], keys[:-1], out=first[1:])
    dkeys = keys[first]
    dcode, dpos = dkeys >> shift, dkeys & ((1 << shift) - 1)
    df: dict[int, int] = {}
    if asked:
        a = np.fromiter(asked, dtype=np.int64, count=len(asked))
        counts = dcode.searchsorted(a, "right") - dcode.searchsorted(a, "left")
        found = counts > 0
        df = dict(zip(a[found].tolist(), counts[found].tolist(), strict=True))
    # per distinct (bigram, text): the text's position p, and the latest earlier texts with
    # the bigram, q1 and q2 (far below 0 where none). The pair is the first of its bigram in
    # texts[c : c + window] for c in [max(q1 + 1, p - window + 1), p]; that bigram is also in
    # P when moreover c <= q1 + window; and in Q when c - 1 - window <= q1 <= c - 2, or
    # c = q1 + 1 and q2 >= c - 1 - window. Each is a range of c, counted by adding 1 at its
    # start and -1 past its end
    none = -4 * window - 4
    new_code = np.empty(len(dcode), dtype=bool)
    new_code[0] = True
    np.not_equal(dcode[1:], dcode[:-1], out=new_code[1:])
    q1 = np.empty_like(dpos)
    q1[0] = none
    q1[1:] = dpos[:-1]
    q1[new_code] = none
    # a text shares a bigram with the `window` texts before it where its latest earlier text
    # with the bigram is 1 … window back (`p - q1` is >= 1, and far above `window` where none):
    # `shared`, as the pairs of equal bigrams 1 … window texts apart in the sorted keys count it
    shared = np.bincount(dpos[dpos - q1 <= window], minlength=m).tolist()
    q2 = np.empty_like(q1)
    q2[0] = none
    q2[1:] = q1[:-1]
    q2[new_code] = none
    q2[1:][new_code[:-1]] = none
    lo = np.maximum(np.maximum(q1 + 1, dpos - (window - 1)), 0)
    size = m + 2
    in_n = (np.bincount(lo, minlength=size) - np.bincount(dpos + 1, minlength=size)).cumsum()
    hi = np.minimum(dpos, q1 + window)
    ok = lo <= hi
    in_p = (np.bincount(lo[ok], minlength=size) - np.bincount(hi[ok] + 1, minlength=size)).cumsum()
    lo_q = np.maximum(lo, q1 + 2)
    hi_q = np.minimum(dpos, q1 + window + 1)
    ok = lo_q <= hi_q
    in_q = np.bincount(lo_q[ok], minlength=size) - np.bincount(hi_q[ok] + 1, minlength=size)
    at_q1 = (q1 + 1 >= dpos - (window - 1)) & (q2 >= q1 - window) & (q1 >= 0)
    in_q = in_q.cumsum() + np.bincount(q1[at_q1] + 1, minlength=size)
    return (
        shared,
        df,
        in_n[: m + 1].tolist(),
        in_p[: m + 1].tolist(),
        in_q[: m + 1].tolist(),
        np.bincount(dpos, minlength=m).tolist(),
        (dkeys, shift),
    )


def present_before(
    index: tuple[np.ndarray, int], parts: list[frozenset[int]], ats: list[int], window: int
) -> list[list[bool]]:
    """For each set of bigrams `parts[j]`, in its iteration order: is the bigram in one of the
    texts at positions ``max(0, ats[j] - window) … ats[j] - 1`` of the `page_windows` call
    that built `index`? (One search over the sorted keys for all the parts: the latest
    earlier text holding each bigram.)"""
    return present_before_and_counts(index, parts, ats, window)[0]


def present_before_and_counts(
    index: tuple[np.ndarray, int], parts: list[frozenset[int]], ats: list[int], window: int
) -> tuple[list[list[bool]], list[list[int]]]:
    """`present_before(index, parts, ats, window)`, and for each bigram of each part, in the
    same order, how many of the texts of the `page_windows` call hold it (the document
    frequency that call counts for `asked`), from the same array of the parts' bigrams."""
    keys, shift = index
    lens = [len(p) for p in parts]
    total = sum(lens)
    if not total or not len(keys):
        return [[False] * k for k in lens], [[0] * k for k in lens]
    flat = np.fromiter(chain.from_iterable(parts), dtype=np.int64, count=total)
    # (the arrays' own methods: `np.searchsorted` and `np.repeat` add a Python-level wrapper call)
    at = np.array(ats, dtype=np.int64).repeat(lens)
    idx = keys.searchsorted((flat << shift) | at) - 1  # the last key below (bigram, at)
    found = keys[np.maximum(idx, 0)]
    hit = ((found >> shift) == flat) & ((found & ((1 << shift) - 1)) >= at - window) & (idx >= 0)
    flags = hit.tolist()
    # the texts holding a bigram: its keys (one per text, as `page_windows` keeps them) lie
    # between (bigram, 0) and (bigram + 1, 0)
    lo = flat << shift
    counts = (keys.searchsorted(lo + (1 << shift)) - keys.searchsorted(lo)).tolist()
    out, out_counts = [], []
    pos = 0
    for k in lens:
        out.append(flags[pos : pos + k])
        out_counts.append(counts[pos : pos + k])
        pos += k
    return out, out_counts


def doc_freq(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """How many of `texts` have each bigram, from one sort over their bigrams: the distinct
    bigrams in ascending order and their counts, as two arrays (the document frequencies
    `Counter(chain.from_iterable(map(bigrams, texts)))` counts; a text that comes twice
    counts twice)."""
    m = len(texts)
    if not m:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    prime(texts)
    arrays = code_arrays(texts)
    lens = np.fromiter(map(len, arrays), dtype=np.int64, count=m)
    if not lens.any():
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    # (bigram, position) as one sortable int, as `page_windows` (the order of `_pairs`' keys)
    shift = m.bit_length()
    keys = (np.concatenate(arrays) << shift) | np.arange(m, dtype=np.int64).repeat(lens)
    keys.sort()
    first = np.empty(len(keys), dtype=bool)  # each (bigram, text) once
    first[0] = True
    np.not_equal(keys[1:], keys[:-1], out=first[1:])
    dkeys = keys[first]
    codes = dkeys >> shift
    # each text's number of distinct bigrams, kept for `size_of` (`_Draft.shared` asks it)
    _sizes.update(zip(texts, np.bincount(dkeys & ((1 << shift) - 1), minlength=m).tolist(), strict=True))
    new = np.empty(len(codes), dtype=bool)
    new[0] = True
    np.not_equal(codes[1:], codes[:-1], out=new[1:])
    starts = new.nonzero()[0]
    ends = np.empty_like(starts)
    ends[:-1] = starts[1:]
    ends[-1] = len(codes)
    return codes[starts], ends - starts


def _pairs(texts: list[str]) -> tuple[np.ndarray, np.ndarray, int]:
    """(bigram, position of its text) pairs of `texts` as sorted keys ``code * m + position``
    (repeats within a text kept), the concatenated code arrays' lengths, and m."""
    m = len(texts)
    prime(texts)
    arrays = code_arrays(texts)
    lens = np.fromiter(map(len, arrays), dtype=np.int64, count=m)
    keys = np.concatenate(arrays) * m + np.repeat(np.arange(m, dtype=np.int64), lens)
    keys.sort()
    return keys, lens, m


def joined_bigrams(texts: list[str]) -> frozenset[int]:
    """The bigrams of `"".join(texts)` (the same set), from each text's memoised bigrams and
    the pairs across the joins: the paragraphs under a head run are asked about again and
    again, their concatenation never."""
    parts = [t for t in texts if t]
    if len(parts) <= 1:
        return bigrams(parts[0] if parts else "")
    seams = [
        code(a[-1], b[0]) for a, b in zip(parts, parts[1:], strict=False) if is_han(a[-1]) and is_han(b[0])
    ]
    return frozenset().union(*map(bigrams, parts), seams)
