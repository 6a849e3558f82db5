"""The default offline backend: a per-label weighted lexicon scored TF-IDF style.

Scoring (documented with the lexicon in pipeline/models/lexicon/README.md):

    tf(t)    = (H * ln(1 + n_head(t)) + L * ln(1 + n_lead(t)) + ln(1 + n_body(t))) / ln 2
    S(label) = sum over terms t of  w(label, t) * idf(t) * tf(t)
    p(label) = (S(label) + prior / K) / (sum of S + prior)

n_zone(t) counts the tokens (rjieba words; lexicon phrases are added to the segmenter's
dictionary) or regex matches equal to t in the headline zone, the lead and the body; one
occurrence counts H (headline_weight, 3), L (lead_weight, 1.5) or 1, and repeats count
sublinearly. idf(t) is the term's inverse document frequency in the general-corpus table
that ships with jieba (jieba/analyse/idf.txt), divided by a reference value and clipped to
[0.5, 1.5], so that words which occur in most documents (市场, 发展) count less than
rare, specific ones (货运, 校史). The prior is a pseudo-score spread evenly over the K
labels: no probability is 0, and an article with little evidence stays near uniform, below
the confidence threshold.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.classify.base import LabelSpec, Prediction, rounded_distribution
from pipeline.classify.text import Tokenizer, Zones, article_zones, default_cut
from pipeline.config import ConfigError, read_yaml
from pipeline.document import Article
from pipeline.resources import locate, packaged_hint
from pipeline.text import has_han

if TYPE_CHECKING:  # the classify stage's config section; backends only read it
    from pipeline.stages.classify import ClassifierSection

DEFAULT_LEXICON = "pipeline:models/lexicon/default.yaml"  # shipped with the package
LN2 = math.log(2.0)
IDF_REF = 7.0  # a typical IDF of a topical noun in jieba's table (物流 7.1, 周年 7.8, 学校 5.7)
IDF_CLIP = (0.5, 1.5)

# words of a label description that say nothing about a topic
_DESCRIPTION_STOPWORDS = frozenset(
    "以及 和 与 及 等 相关 包括 方面 各类 各种 其他 有关 领域 工作 问题 情况 内容 活动 主要 一般 新闻 报道".split()
)


@dataclass
class LabelLexicon:
    name: str
    description: str
    keywords: dict[str, float]
    patterns: dict[str, float]


def load_lexicon(path: str | Path | None) -> tuple[str, dict[str, LabelLexicon], str]:
    """Read a lexicon YAML: `labels: {name: {description, keywords, patterns}}`.

    `path`: a user path, `pipeline:...` for a shipped one, or None for the default. Returns the
    name to record (as given), the labels and a digest of the file."""
    name = str(path) if path else DEFAULT_LEXICON
    p = locate(name)
    if not p.is_file():
        raise ConfigError(f"classifier.lexicon: lexicon file not found: {name}{packaged_hint(name)}")
    data = read_yaml(p, name=name)
    raw_labels = data.get("labels")
    if not isinstance(raw_labels, dict) or not raw_labels:
        raise ConfigError(f"lexicon {name}: expected a non-empty 'labels' mapping")
    labels: dict[str, LabelLexicon] = {}
    for label, spec in raw_labels.items():
        try:
            ls = LabelSpec.model_validate(spec or {})
        except Exception as exc:  # pydantic ValidationError: word it for the lexicon author
            raise ConfigError(f"lexicon {name}: label '{label}': {exc}") from None
        labels[str(label)] = LabelLexicon(
            str(label), ls.description, {str(k): float(v) for k, v in ls.keywords.items()}, dict(ls.patterns)
        )
    digest = hashlib.sha256(p.read_bytes()).hexdigest()[:16]
    return name, labels, digest


def resolve_labels(
    base: dict[str, LabelLexicon], overrides: dict[str, LabelSpec] | None
) -> list[LabelLexicon]:
    """Merge `classifier.labels` over the lexicon's labels.

    - a name that the lexicon has: description replaced when given, keywords/patterns merged
      (a weight of 0 removes a term), `enabled: false` drops the label;
    - `replaces: old`: the label takes over `old`'s lexicon (and its place) under the new name;
    - any other name: a new label, which needs keywords, patterns or a description.
    """
    order: list[str] = list(base)
    merged: dict[str, LabelLexicon] = {
        k: LabelLexicon(v.name, v.description, dict(v.keywords), dict(v.patterns)) for k, v in base.items()
    }
    disabled: set[str] = set()
    for name, spec in (overrides or {}).items():
        if spec.replaces is not None:
            if spec.replaces not in merged:
                raise ConfigError(
                    f"classifier.labels.{name}.replaces: no label '{spec.replaces}' in the lexicon "
                    f"(labels: {', '.join(order)})"
                )
            if name in merged and name != spec.replaces:
                raise ConfigError(f"classifier.labels.{name}.replaces: label '{name}' already exists")
            old = merged.pop(spec.replaces)
            merged[name] = LabelLexicon(name, old.description, old.keywords, old.patterns)
            order[order.index(spec.replaces)] = name
        elif name not in merged:
            if not (spec.keywords or spec.patterns or spec.description.strip()):
                raise ConfigError(
                    f"classifier.labels.{name}: a new label needs keywords, patterns or a description"
                )
            merged[name] = LabelLexicon(name, "", {}, {})
            order.append(name)
        lab = merged[name]
        if spec.description:
            lab.description = spec.description
        for k, w in spec.keywords.items():
            if w == 0:
                lab.keywords.pop(k, None)
            else:
                lab.keywords[k] = float(w)
        for k, w in spec.patterns.items():
            if w == 0:
                lab.patterns.pop(k, None)
            else:
                lab.patterns[k] = float(w)
        if not spec.enabled:
            disabled.add(name)
    out = [merged[n] for n in order if n not in disabled]
    if len(out) < 2:
        raise ConfigError(f"classifier.labels: at least two labels are needed, got {[x.name for x in out]}")
    return out


@lru_cache(maxsize=2)
def _idf_table(path: str) -> dict[str, float]:
    table: dict[str, float] = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) == 2:
                try:
                    table[parts[0]] = float(parts[1])
                except ValueError:
                    continue
    return table


def _package_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:  # pragma: no cover
        return "?"


def jieba_idf_path() -> Path | None:
    import importlib.util

    spec = importlib.util.find_spec("jieba")
    if spec is None or spec.origin is None:
        return None
    p = Path(spec.origin).parent / "analyse" / "idf.txt"
    return p if p.exists() else None


class BackgroundIdf:
    """IDF of a term in jieba's general-corpus table, scaled to a multiplier around 1.

    A phrase that the table lacks (跨境电商) gets the IDF of its rarest part; a term none of
    whose parts are listed is treated as rare (the table's median, as jieba.analyse does).
    """

    def __init__(self, tokenizer: Tokenizer) -> None:
        path = jieba_idf_path()
        self.source = f"jieba {_package_version('jieba')} analyse/idf.txt" if path else "none"
        self.table = _idf_table(str(path)) if path else {}
        vals = sorted(self.table.values())
        self.median = vals[len(vals) // 2] if vals else IDF_REF
        self.tokenizer = tokenizer

    def raw(self, term: str) -> float:
        if term in self.table:
            return self.table[term]
        if not has_han(term):
            return self.median
        import rjieba  # default segmentation of the phrase, without our additions

        parts = [w for w in rjieba.cut(term) if w in self.table]
        return max((self.table[w] for w in parts), default=self.median)

    def factor(self, term: str) -> float:
        lo, hi = IDF_CLIP
        return min(hi, max(lo, self.raw(term) / IDF_REF))


@dataclass
class _Pattern:
    regex: re.Pattern[str]
    source: str
    label: int
    weight: float


class LexiconClassifier:
    backend = "lexicon"

    def __init__(self, cfg: ClassifierSection) -> None:
        self.cfg = cfg
        self.path, base, self.digest = load_lexicon(cfg.lexicon)
        specs = resolve_labels(base, cfg.labels)
        self.labels = [s.name for s in specs]
        # label keywords: explicit ones, plus the words of its description at description_weight
        per_label: list[dict[str, float]] = []
        for s in specs:
            kw: dict[str, float] = {}
            if cfg.description_weight > 0:
                for w in default_cut(cfg.tokenizer, s.description):
                    if len(w) >= 2 and w not in _DESCRIPTION_STOPWORDS and (has_han(w) or w.isalpha()):
                        kw[w] = cfg.description_weight
            kw.update(s.keywords)
            per_label.append(kw)
        vocab = {t for kw in per_label for t in kw}
        self.tokenizer = Tokenizer(cfg.tokenizer, vocab)
        self.idf = BackgroundIdf(self.tokenizer) if cfg.idf == "background" else None
        # term -> [(label index, weight * idf factor)]; ASCII terms also match in other cases
        index: dict[str, list[tuple[int, float]]] = {}
        for li, kw in enumerate(per_label):
            for term, w in kw.items():
                f = self.idf.factor(term) if self.idf else 1.0
                for form in dict.fromkeys((term, term.lower(), term.upper())):
                    index.setdefault(form, []).append((li, w * f))
        self.index = index
        self.vocab = frozenset(index)
        self.patterns: list[_Pattern] = []
        for li, s in enumerate(specs):
            for src, w in s.patterns.items():
                try:
                    rx = re.compile(src)
                except re.error as exc:
                    raise ConfigError(f"classifier label '{s.name}': bad pattern {src!r}: {exc}") from None
                self.patterns.append(_Pattern(rx, src, li, float(w)))
        self.n_terms = len({t for kw in per_label for t in kw})
        self._combined = (
            re.compile("|".join(f"(?P<p{i}>{p.source})" for i, p in enumerate(self.patterns)))
            if self.patterns
            else None
        )

    # -- scoring ---------------------------------------------------------------------------
    def _zone_texts(self, zones: Zones) -> list[tuple[str, float]]:
        cfg = self.cfg
        return [
            (text, zw)
            for text, zw in (
                (zones.headline, cfg.headline_weight),
                (zones.lead, cfg.lead_weight),
                (zones.body, 1.0),
            )
            if text and zw > 0
        ]

    def term_frequencies(self, zones: Zones) -> dict[str, float]:
        """term -> zone-weighted sublinear frequency, for lexicon tokens in the article."""
        tf: dict[str, float] = {}
        vocab = self.vocab
        log1p = math.log1p
        for text, zw in self._zone_texts(zones):
            hits = [t for t in self.tokenizer.cut(text) if t in vocab]
            if hits:
                for t, n in Counter(hits).items():
                    tf[t] = tf.get(t, 0.0) + zw * log1p(n)
        return tf

    def pattern_frequencies(self, zones: Zones) -> dict[tuple[int, str], float]:
        """(pattern index, matched text) -> zone-weighted sublinear frequency.

        All patterns run as one alternation (`p0|p1|...`, named groups), so each zone is
        scanned once; where two patterns could match at the same place the first listed wins.
        """
        out: dict[tuple[int, str], float] = {}
        if self._combined is None:
            return out
        for text, zw in self._zone_texts(zones):
            counts: dict[tuple[int, str], int] = {}
            for m in self._combined.finditer(text):
                s = m.group(0)
                if s:
                    key = (int(m.lastgroup[1:]), s)  # type: ignore[index]
                    counts[key] = counts.get(key, 0) + 1
            for key, n in counts.items():
                out[key] = out.get(key, 0.0) + zw * math.log1p(n)
        return out

    def classify(self, article: Article) -> Prediction:
        zones = article_zones(article, self.cfg.lead_min_chars)
        return self.classify_zones(zones)

    def classify_many(self, articles: list[Article]) -> list[Prediction]:
        return [self.classify(a) for a in articles]

    def classify_zones(self, zones: Zones) -> Prediction:
        k = len(self.labels)
        scores = [0.0] * k
        contribs: list[tuple[float, str, int]] = []
        for term, f in self.term_frequencies(zones).items():
            v = f / LN2
            for li, w in self.index[term]:
                c = w * v
                scores[li] += c
                contribs.append((c, term, li))
        for (pi, s), f in self.pattern_frequencies(zones).items():
            pat = self.patterns[pi]
            c = pat.weight * f / LN2
            scores[pat.label] += c
            contribs.append((c, s, pat.label))
        pos = [max(0.0, s) for s in scores]
        prior = self.cfg.prior
        total = sum(pos) + prior
        probs = {lab: (pos[i] + prior / k) / total for i, lab in enumerate(self.labels)}
        top = max(range(k), key=lambda i: (pos[i], -i))
        topic = self.labels[top]
        confident = (
            probs[topic] >= self.cfg.threshold
            and zones.content_chars(self.cfg.min_chars) >= self.cfg.min_chars
        )
        return Prediction(
            topic=topic,
            scores=rounded_distribution(probs),
            evidence=self._evidence(contribs, top, pos),
            confident=confident,
        )

    def _evidence(
        self, contribs: list[tuple[float, str, int]], top: int, pos: list[float]
    ) -> list[dict[str, Any]]:
        """The winner's top terms, then the runner-up's two strongest (what it lost to)."""
        kk = self.cfg.evidence_top_k
        mine = sorted((c for c in contribs if c[2] == top and c[0] > 0), key=lambda c: (-c[0], c[1]))[:kk]
        ranked = sorted((i for i in range(len(pos)) if i != top and pos[i] > 0), key=lambda i: -pos[i])
        rival = []
        if ranked:
            r = ranked[0]
            rival = sorted((c for c in contribs if c[2] == r and c[0] > 0), key=lambda c: (-c[0], c[1]))[:2]
        return [{"term": t, "weight": round(c, 3), "label": self.labels[li]} for c, t, li in mine + rival]

    def describe(self) -> dict[str, Any]:
        return {
            "backend": "lexicon",
            "lexicon": self.path,
            "lexicon_sha256": self.digest,
            "labels": list(self.labels),
            "terms": self.n_terms,
            "patterns": len(self.patterns),
            "tokenizer": self.tokenizer.version,
            "idf": self.idf.source if self.idf else "none",
        }
