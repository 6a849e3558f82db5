"""The lexicon's backoff: a character n-gram model that always has a signal, and the calibration
that turns lexicon evidence and backoff probabilities into one calibrated distribution.

Why: a lexicon article with no matching term used to come out uniform and the first label won
the tie. Here the lexicon's evidence shares `p_lex` and the backoff's probabilities `p_back`
combine as a weighted product (a product of experts, weights fitted on held-out folds):

    lexicon only:  p = softmax(a0 * log p_lex)                  (when its top p >= gate)
    combined:      p = softmax(a * log p_lex + b * log p_back)

The lexicon-only form is used when it is already sure (calibrated top probability >= `gate`):
the backoff is then not computed, which keeps the default backend fast. Otherwise both count,
and the path whose log-ratio gave the winner more of its margin over the runner-up is named
as the decider (`topic_evidence[*].path`). With `classifier.other_label` set, the lexicon gives
the out-of-scope label a pseudo-score `s_o` (p_lex(other) = s_o / (E + prior + s_o), E the
total lexicon evidence) and the backoff has an `other` class of its own; the parameters of that
mode are fitted separately. All parameters live in the backoff model's `model.json`
(`meta.calibration`), written by scripts/train_topics.py.

The model itself is a `newspipe-linear/1` directory (JSON + safetensors, no pickle) with
character features only (`features.words: false`), so it needs no word segmentation.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from pipeline.classify.linear import LinearModel, feature_term, softmax
from pipeline.classify.text import Zones
from pipeline.config import ConfigError

DEFAULT_BACKOFF = "pipeline:models/backoff"
OTHER_CLASS = "other"  # the backoff's out-of-scope class, whatever classifier.other_label calls it


@dataclass
class ModeCalibration:
    """Fitted on out-of-fold predictions (scripts/train_topics.py)."""

    lex_temp: float = 1.0  # a0
    lex_weight: float = 1.0  # a
    backoff_weight: float = 1.0  # b
    other_prior: float = 2.0  # s_o (out-of-scope mode only)
    gate: float = 1.01  # lexicon-only decision at or above this calibrated top probability (>1: never)
    threshold: float = 0.5  # suggested classifier.threshold: confident predictions right >= 0.95 in CV
    other_bias: float = 0.0  # added to the out-of-scope label's logit (out-of-scope mode only)


@dataclass
class Calibration:
    closed: ModeCalibration = field(default_factory=ModeCalibration)  # the lexicon's labels only
    open: ModeCalibration = field(default_factory=ModeCalibration)  # plus classifier.other_label

    @classmethod
    def from_meta(cls, meta: dict[str, Any]) -> Calibration:
        raw = meta.get("calibration") or {}
        return cls(ModeCalibration(**raw.get("closed", {})), ModeCalibration(**raw.get("open", {})))

    def to_meta(self) -> dict[str, Any]:
        return {"closed": asdict(self.closed), "open": asdict(self.open)}


def lexicon_distribution(pos: np.ndarray, prior: float, other_prior: float | None) -> np.ndarray:
    """The lexicon's evidence shares. With `other_prior`, `pos` ends with the out-of-scope label's
    own evidence (the lexicon's `out_of_scope` words), and that label also gets `other_prior`."""
    if other_prior is None:
        k = len(pos)
        return (pos + prior / k) / (float(pos.sum()) + prior)
    k = len(pos) - 1
    inside, s_out = pos[:k], float(pos[k])
    denom = float(inside.sum()) + s_out + prior + other_prior
    return np.append((inside + prior / k) / denom, (s_out + other_prior) / denom)


def combine(lp: np.ndarray, lb: np.ndarray | None, cal: ModeCalibration) -> tuple[np.ndarray, bool]:
    """(probabilities, lexicon_only) from log p_lex and, when given, log p_back."""
    z0 = cal.lex_temp * lp
    if cal.other_bias:
        z0[-1] += cal.other_bias
    p0 = softmax(z0)
    if lb is None or p0.max() >= cal.gate:
        return p0, True
    z = cal.lex_weight * lp + cal.backoff_weight * lb
    if cal.other_bias:
        z[-1] += cal.other_bias
    return softmax(z), False


def deciding_path(lp: np.ndarray, lb: np.ndarray, cal: ModeCalibration, top: int, runner: int) -> str:
    """Which of the two gave the winner more of its margin over the runner-up."""
    lex = cal.lex_weight * (lp[top] - lp[runner])
    back = cal.backoff_weight * (lb[top] - lb[runner])
    return "lexicon" if lex > back else "backoff"


class Backoff:
    """The shipped (or a user's) character n-gram model, mapped onto the classifier's labels.

    `labels` are the classifier's labels (renamed by `classifier.labels.X.replaces` where the model
    knows the old name); labels the model does not know get a neutral log-probability (the mean of
    the others), so they are decided by the lexicon alone.
    """

    def __init__(
        self, model: LinearModel, path: str, labels: list[str], renames: dict[str, str], other: str | None
    ):
        self.model = model
        self.path = path
        self.calibration = Calibration.from_meta(model.meta)
        if model.spec.words:
            raise ConfigError(
                f"classifier.backoff: {path} uses word features; a backoff model has character n-grams only"
            )
        src = {v: k for k, v in renames.items()}  # new name -> model's name
        self.cols: list[int | None] = []
        for lab in labels:
            name = OTHER_CLASS if (other is not None and lab == other) else src.get(lab, lab)
            self.cols.append(model.labels.index(name) if name in model.labels else None)
        self.known = np.array([c is not None for c in self.cols])
        self.idx = np.array([c if c is not None else 0 for c in self.cols])
        # n-gram -> feature index, per family (`c:` whole article, `hc:` headline zone again)
        self.families: dict[str, dict[str, int]] = {}
        for i, f in enumerate(model.vectorizer.vocabulary):
            fam, _, gram = f.partition(":")
            self.families.setdefault(fam, {})[gram] = i
        spec = model.spec
        lo, hi = spec.char_ngram_min, spec.char_ngram_max
        # the fast path's one sorted table: an n-gram as one integer, the dense ids (1..N) of its
        # characters `bits` bits each, first one highest (so n-grams of different n never meet),
        # plus one bit above them all for the `hc` family; id N + 1 stands for any other character
        grams = [(fam, g, i) for fam, t in self.families.items() for g, i in t.items() if lo <= len(g) <= hi]
        chars = sorted({ch for _, g, _ in grams for ch in g})
        self.bits = (len(chars) + 1).bit_length()
        self.hc_bit = 1 << (self.bits * hi)
        self.fast = (
            set(self.families) <= {"c", "hc"}
            and (spec.headline_chars or "hc" not in self.families)
            and bool(chars)
            and hi >= lo >= 1
            and self.bits * hi + 1 <= 63  # a non-negative int64
            and "\x00" not in chars  # what the fast path puts between the article and its headline
        )
        self.chars = np.array([ord(ch) for ch in chars], dtype=np.int64)
        ids = {ch: k + 1 for k, ch in enumerate(chars)}
        keys: list[int] = []
        for fam, g, _ in grams:
            code = 0
            for ch in g:
                code = (code << self.bits) | ids[ch]
            keys.append(code | (self.hc_bit if fam == "hc" else 0))
        order = np.argsort(np.array(keys, dtype=np.int64), kind="stable")
        self.keys = np.array(keys, dtype=np.int64)[order]
        self.key_index = np.array([i for _, _, i in grams], dtype=np.int64)[order]
        # a character's id by code point, in one gather (the last entry: any code point above)
        self.char_ids = np.full(int(self.chars.max()) + 2 if len(chars) else 1, len(chars) + 1, dtype=np.int64)
        self.char_ids[self.chars] = np.arange(1, len(chars) + 1)

    def features(self, zones: Zones) -> tuple[np.ndarray, np.ndarray]:
        """(sorted feature indices, L2-normalised tf-idf values): the same numbers as
        `LinearModel`'s featurize + transform_one, computed with numpy: the article (cut to
        max_chars) and, after a separator, its headline become arrays of character ids; every
        n-gram of both is one integer (the headline's with the `hc` bit), looked up in one sorted
        table with one `searchsorted`, and the feature indices found are counted."""
        m = self.model
        if not self.fast:
            return m.vectorizer.transform_one(m.features(zones))
        spec = m.spec
        lo, hi, bits = spec.char_ngram_min, spec.char_ngram_max, self.bits
        full = zones.full[: spec.max_chars] if spec.max_chars else zones.full
        head = zones.headline if spec.headline_chars and "hc" in self.families else ""
        text = full + "\x00" + head if head else full
        if not text:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        # n-grams over the whole text: one that spans a non-CJK character (or the separator) holds an
        # id in no table (the model's are CJK runs only), so this counts exactly what featurize counts
        cps = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")
        table = self.char_ids
        ids = table[np.minimum(cps, len(table) - 1)]
        fam = np.zeros(len(ids), dtype=np.int64)
        if head:
            fam[len(full) + 1 :] = self.hc_bit
        n_all = len(ids)
        codes = []
        for n in range(lo, hi + 1):
            if n_all < n:
                break
            code = ids[: n_all - n + 1].copy()
            for k in range(1, n):
                code <<= bits
                code |= ids[k : n_all - n + 1 + k]
            code |= fam[: n_all - n + 1]
            codes.append(code)
        if not codes:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        code = np.concatenate(codes)
        # sorted queries: each binary search starts where the last one ended, in memory just read
        # (about 2x faster than unsorted ones); the order of `feats` does not matter, it is sorted next
        code.sort()
        keys = self.keys
        at = np.searchsorted(keys, code)
        at[at == len(keys)] = 0
        feats = self.key_index[at[keys[at] == code]]
        if not len(feats):
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        feats.sort()
        first = np.empty(len(feats), dtype=bool)  # where each run of one feature index starts
        first[0] = True
        np.not_equal(feats[1:], feats[:-1], out=first[1:])
        starts = np.flatnonzero(first)
        ind = feats[starts]
        cnt = np.diff(np.append(starts, len(feats))).astype(np.float64)
        val = (1.0 + np.log(cnt)) * m.vectorizer.idf[ind]
        norm = float(np.sqrt(np.dot(val, val)))
        return ind, (val / norm if norm > 0 else val)

    def log_proba(self, zones: Zones) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(log p over the classifier's labels, active feature indices, their values)."""
        m = self.model
        ind, val = self.features(zones)
        z = m.decision(ind, val)[self.idx]
        if not self.known.all():
            z = np.where(self.known, z, z[self.known].mean() if self.known.any() else 0.0)
        p = softmax(z)
        return np.log(p), ind, val

    def terms(self, label: int, ind: np.ndarray, val: np.ndarray, k: int) -> list[tuple[float, str]]:
        """The n-grams that pushed `label` up the most: (contribution, n-gram)."""
        col = self.cols[label]
        if col is None or not len(ind):
            return []
        row = self.model.coef[col, ind] * val
        best = np.argsort(-row)[: 4 * k + 8]
        vocabulary = self.model.vectorizer.vocabulary
        by_term: dict[str, float] = {}
        for c, f in zip(row[best].tolist(), ind[best].tolist(), strict=True):  # Python numbers, read once
            if c <= 0:
                break
            t = feature_term(vocabulary[f])
            by_term[t] = by_term.get(t, 0.0) + c
        return [(c, t) for t, c in sorted(by_term.items(), key=lambda kv: -kv[1])[:k]]

    def describe(self) -> dict[str, Any]:
        return {
            "backoff": self.path,
            "backoff_labels": list(self.model.labels),
            "backoff_features": len(self.model.vectorizer.vocabulary),
            "backoff_data_sha256": self.model.meta.get("data_sha256"),
        }


def safe_log(p: np.ndarray) -> np.ndarray:
    return np.log(np.maximum(p, 1e-12))


LN2 = math.log(2.0)
