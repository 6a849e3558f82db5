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
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import accumulate
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from pipeline.classify.backoff import Backoff, ModeCalibration, combine, deciding_path
from pipeline.classify.base import ContextRule, LabelSpec, Prediction, round_to, rounded_distribution
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
    context: dict[str, ContextRule] = field(default_factory=dict)


@dataclass
class LexiconExtras:
    """Top-level lexicon lists: phrases that count for no label, and protected person names."""

    neutral: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    out_of_scope: dict[str, float] = field(default_factory=dict)  # evidence for classifier.other_label


def load_lexicon(path: str | Path | None) -> tuple[str, dict[str, LabelLexicon], str]:
    """Read a lexicon YAML: `labels: {name: {description, keywords, patterns, context}}`, and
    optional top-level `neutral:` and `names:` lists (see `lexicon_extras`).

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
            str(label),
            ls.description,
            {str(k): float(v) for k, v in ls.keywords.items()},
            dict(ls.patterns),
            dict(ls.context),
        )
    digest = hashlib.sha256(p.read_bytes()).hexdigest()[:16]
    return name, labels, digest


def lexicon_extras(path: str | Path | None) -> LexiconExtras:
    """`neutral:` phrases (毒品运输, 历史业绩) outrank their parts and count for no label;
    `names:` are person names kept whole, so no evidence word is cut out of them."""
    name = str(path) if path else DEFAULT_LEXICON
    data = read_yaml(locate(name), name=name)
    out = LexiconExtras()
    for key in ("neutral", "names"):
        raw = data.get(key) or []
        if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
            raise ConfigError(f"lexicon {name}: '{key}' must be a list of strings")
        setattr(out, key, [x for x in raw if x.strip()])
    oos = data.get("out_of_scope") or {}
    kw = oos.get("keywords") if isinstance(oos, dict) else None
    if oos and (not isinstance(kw, dict) or not all(isinstance(v, (int, float)) for v in kw.values())):
        raise ConfigError(f"lexicon {name}: 'out_of_scope' must be {{keywords: {{word: weight}}}}")
    out.out_of_scope = {str(k): float(v) for k, v in (kw or {}).items()}
    return out


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
        k: LabelLexicon(v.name, v.description, dict(v.keywords), dict(v.patterns), dict(v.context))
        for k, v in base.items()
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
            merged[name] = LabelLexicon(name, old.description, old.keywords, old.patterns, old.context)
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
        lab.context.update(spec.context)
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


_SENTENCE_END = re.compile(r"[。！？!?；;\n]")
_LAST_SENTENCE_END = re.compile(r".*[。！？!?；;\n]", re.DOTALL)  # up to the last one (before endpos)
_NAME_TAGS = ("nr",)  # jieba's person-name tags: nr, nrfg, nrt
# common one-character surnames, and what follows a name in news copy
# (not those that are also everyday one-character words: 于 向 万 高 方 石 金 白 江 ...)
_SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴徐孙朱胡郭罗郑梁谢宋唐许韩冯邓曹彭曾肖董袁潘蒋蔡杜程苏魏吕沈姚卢姜崔钟谭陆汪范廖贾韦邹孟熊秦邱尹薛闫段侯陶黎贺顾郝龚邵覃戴"
)
_NAME_CUES = ("说", "表示", "介绍", "告诉", "认为", "今年", "同志", "先生", "女士", "老师", "等人", "：", ":")


class LexiconClassifier:
    """The default backend: the lexicon decides when its evidence is strong; otherwise the
    character n-gram backoff (pipeline/classify/backoff.py) and the lexicon decide together."""

    backend = "lexicon"

    def __init__(self, cfg: ClassifierSection) -> None:
        self.cfg = cfg
        self.path, base, self.digest = load_lexicon(cfg.lexicon)
        extras = lexicon_extras(cfg.lexicon)
        specs = resolve_labels(base, cfg.labels)
        self.lex_labels = [s.name for s in specs]
        self.other = cfg.other_label
        if self.other is not None and self.other in self.lex_labels:
            raise ConfigError(
                f"classifier.other_label: '{self.other}' is already a label; name the out-of-scope label differently"
            )
        self.labels = self.lex_labels + ([self.other] if self.other else [])
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
        # out-of-scope words are always in the segmenter's dictionary (the same words in both modes);
        # they count, for the out-of-scope label, only when classifier.other_label is set
        vocab = {t for kw in per_label for t in kw} | set(extras.out_of_scope)
        if self.other:
            per_label.append(dict(extras.out_of_scope))
        self.names = frozenset(extras.names + list(cfg.names))
        self.neutral = frozenset(extras.neutral)
        self.tokenizer = Tokenizer(cfg.tokenizer, vocab | self.neutral, strong=self.names)
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
        # (term, label index) -> its context rule
        self.rules: dict[tuple[str, int], ContextRule] = {}
        for li, s in enumerate(specs):
            for term, rule in s.context.items():
                if term not in per_label[li]:
                    raise ConfigError(
                        f"classifier label '{s.name}': context rule for '{term}', which is not one of its keywords"
                    )
                self.rules[(term, li)] = rule
        self.ruled = frozenset(t for t, _ in self.rules)
        self._watched = self.vocab | _SURNAMES  # the tokens term_hits looks at
        # what the hot loop looks up, computed once: a term's label indices (as `index` lists them,
        # a label twice where two case forms of its keywords meet) and each (term, label)'s weights
        self._term_labels: dict[str, tuple[int, ...]] = {
            t: tuple(li for li, _ in e) for t, e in index.items()
        }
        # term -> ((term, label index), how many times index lists that label), labels in order
        self._term_keys: dict[str, tuple[tuple[tuple[str, int], int], ...]] = {
            t: tuple(((t, li), lis.count(li)) for li in dict.fromkeys(lis))
            for t, lis in self._term_labels.items()
        }
        self._weights: dict[tuple[str, int], tuple[float, ...]] = {
            (t, li): tuple(w for lj, w in e if lj == li)
            for t, e in index.items()
            for li in {li for li, _ in e}
        }
        self.patterns: list[_Pattern] = []
        for li, s in enumerate(specs):
            for src, w in s.patterns.items():
                try:
                    rx = re.compile(src)
                except re.error as exc:
                    raise ConfigError(f"classifier label '{s.name}': bad pattern {src!r}: {exc}") from None
                self.patterns.append(_Pattern(rx, src, li, float(w)))
        self.n_terms = len({t for kw in per_label for t in kw})
        self._combined = None
        self._scan = None
        if self.patterns:
            alternation = "|".join(f"(?P<p{i}>{p.source})" for i, p in enumerate(self.patterns))
            starts = first_chars(alternation)
            if starts:  # a lookahead on the possible first characters lets re skip ahead ~30x faster
                first = "[" + "".join(re.escape(c) for c in sorted(starts)) + "]"
                if min_width(alternation):
                    # the same, with the first character consumed by a class, which re scans for in a
                    # tight C loop; the patterns then run at that character, inside a lookbehind
                    # (where re refuses group references: those keep the plain scan)
                    try:
                        self._scan = re.compile(first + "(?<=(?=(?:" + alternation + "))[\\s\\S])")
                    except re.error:
                        self._scan = None
                alternation = "(?=" + first + ")(?:" + alternation + ")"
            self._combined = re.compile(alternation)
        self.backoff = self._load_backoff(cfg, specs)
        self.cal: ModeCalibration = (
            (self.backoff.calibration.open if self.other else self.backoff.calibration.closed)
            if self.backoff
            else ModeCalibration(gate=0.0)
        )
        self.threshold = (
            cfg.threshold if cfg.threshold is not None else (self.cal.threshold if self.backoff else 0.5)
        )

    def _load_backoff(self, cfg: ClassifierSection, specs: list[LabelLexicon]) -> Backoff | None:
        if not cfg.backoff:
            return None
        from pipeline.classify.linear import LinearModel

        renames = {
            spec.replaces: name for name, spec in (cfg.labels or {}).items() if spec.replaces is not None
        }
        try:
            model = LinearModel.load(cfg.backoff)
        except ConfigError as err:
            raise ConfigError(str(err).replace("classifier.model_path", "classifier.backoff")) from None
        return Backoff(model, cfg.backoff, self.labels, renames, self.other)

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

    def term_hits(self, zones: Zones) -> dict[tuple[str, int], float]:
        """(term, label index) -> zone-weighted sublinear frequency of the lexicon tokens that count.

        The same dictionary as `term_hits_plain` (same keys, same order, same floats), with less
        Python per token: the lexicon tokens are picked out by a C-level `filter`, and only the
        positions of the tokens that a rule looks at (lone surnames, ruled terms) are found, with
        `list.index`, instead of walking every token.
        """
        tf: dict[tuple[str, int], float] = {}
        vocab, ruled, rules, term_labels = self.vocab, self.ruled, self.rules, self._term_labels
        term_keys = self._term_keys
        in_vocab, watched = vocab.__contains__, self._watched.__contains__
        log1p = math.log1p
        cut = self.tokenizer.cut
        for text, zw in self._zone_texts(zones):
            tokens = cut(text)
            seen = list(filter(watched, tokens))  # what either path below looks at, in one C-level pass
            if not seen:
                continue
            surnames = _SURNAMES.intersection(seen)  # = _SURNAMES.intersection(tokens)
            hits = list(filter(in_vocab, seen)) if surnames else seen
            if not hits:
                continue
            plain = dict.fromkeys(hits, 0)  # a Counter, in order of first occurrence
            for t in hits:
                plain[t] += 1
            checked: dict[tuple[str, int], int] = {}
            with_rules = ruled.intersection(plain) if ruled else ()
            if surnames or with_rules:
                for t in with_rules:
                    del plain[t]
                at, at_char = 0, 0  # a token index and where it starts in the text (positions ascend)
                n_tok = len(tokens)
                for i in _positions(tokens, surnames.union(with_rules)):
                    t = tokens[i]
                    if t in with_rules:
                        j = i
                    elif i + 1 < n_tok and tokens[i + 1] in vocab and len(tokens[i + 1]) >= 2:
                        j = i + 1
                    else:
                        continue
                    term = tokens[j]
                    at_char += len("".join(tokens[at:j]))  # the lengths of the tokens before it
                    at = j
                    start, end = at_char, at_char + len(term)
                    if self._given_name(tokens, j, surnames, text, start, end):
                        if term not in with_rules:
                            plain[term] -= 1
                        continue
                    if term in with_rules and j == i:
                        for li in term_labels[term]:
                            rule = rules.get((term, li))
                            if rule is None or _context_ok_fast(text, start, end, rule):
                                checked[(term, li)] = checked.get((term, li), 0) + 1
            # the ruled terms that counted, then the others: keys of the two never meet, so each
            # (term, label)'s count is final here (a label listed twice for a term counts twice)
            for key, n in checked.items():
                tf[key] = tf.get(key, 0.0) + zw * log1p(n)
            for t, n in plain.items():
                if n > 0:
                    for key, times in term_keys[t]:
                        tf[key] = tf.get(key, 0.0) + zw * log1p(n * times)
        return tf

    def term_hits_plain(self, zones: Zones) -> dict[tuple[str, int], float]:
        """(term, label index) -> zone-weighted sublinear frequency of the lexicon tokens that count.

        A token counts for a label unless a context rule of that label rules it out, and never when
        it is a given name after a lone surname (see `_inside_name`). Neutral phrases and names are
        tokens of their own (added to the segmenter's dictionary), so their parts never count. Only
        zones with a ruled term or a lone surname are walked token by token; the rest are counted in
        bulk (this is the default backend's hot loop).
        """
        tf: dict[tuple[str, int], float] = {}
        vocab, ruled, index, rules = self.vocab, self.ruled, self.index, self.rules
        log1p = math.log1p
        for text, zw in self._zone_texts(zones):
            tokens = self.tokenizer.cut(text)
            hits = [t for t in tokens if t in vocab]
            if not hits:
                continue
            plain = Counter(hits)
            checked: Counter[tuple[str, int]] = Counter()
            surnames = _SURNAMES.intersection(tokens)
            with_rules = ruled.intersection(plain)
            if surnames or with_rules:  # look only at the tokens that need it
                for t in with_rules:
                    del plain[t]
                watch = surnames | with_rules
                offsets: list[int] | None = None
                n_tok = len(tokens)
                for i in [i for i, t in enumerate(tokens) if t in watch]:
                    t = tokens[i]
                    if t in with_rules:
                        j = i  # a ruled term (maybe also after a surname)
                    elif i + 1 < n_tok and tokens[i + 1] in vocab and len(tokens[i + 1]) >= 2:
                        j = i + 1  # a term right after a lone surname
                    else:
                        continue
                    term = tokens[j]
                    if offsets is None:
                        offsets = [0, *accumulate(map(len, tokens))]
                    start, end = offsets[j], offsets[j + 1]
                    if self._given_name(tokens, j, surnames, text, start, end):
                        if term not in with_rules:
                            plain[term] -= 1
                        continue
                    if term in with_rules and j == i:
                        for li, _ in index[term]:
                            rule = rules.get((term, li))
                            if rule is None or _context_ok(text, start, end, rule):
                                checked[(term, li)] += 1
            for t, n in plain.items():
                if n > 0:
                    for li, _ in index[t]:
                        checked[(t, li)] += n
            for key, n in checked.items():
                tf[key] = tf.get(key, 0.0) + zw * log1p(n)
        return tf

    def _given_name(
        self, tokens: list[str], j: int, surnames: Any, text: str, start: int, end: int
    ) -> bool:
        """Token j (at text[start:end]) is a given name after a lone surname, never evidence:
        the one decision the fast and the plain counting share."""
        return (
            j > 0
            and tokens[j - 1] in surnames
            and len(tokens[j]) >= 2
            and (_surname_before(tokens, j) or self._inside_name(text, start, end))
        )

    def _inside_name(self, text: str, start: int, end: int) -> bool:
        """jieba's POS tagger, on a few characters around the term, reads it as (part of) a person
        name: a name token (nr) overlaps it without being it (帮扶 cut out of ...扶苏), or a lone
        surname tagged nr stands right before it (王 + 运输 in "村支书王运输说": a given name)."""
        lo = max(0, start - 4)
        window = text[lo : end + 2]
        for _tok, a, b, tag in _tag_spans(window):
            a, b = a + lo, b + lo
            if not tag.startswith(_NAME_TAGS):
                continue
            if a < end and b > start and (a, b) != (start, end):
                return True
            if b == start and b - a == 1:
                return True
        return False

    def pattern_frequencies(self, zones: Zones) -> dict[tuple[int, str], float]:
        """(pattern index, matched text) -> zone-weighted sublinear frequency.

        All patterns run as one alternation (`p0|p1|...`, named groups), so each zone is
        scanned once; where two patterns could match at the same place the first listed wins.
        """
        if self._scan is None:
            return self.pattern_frequencies_plain(zones)
        out: dict[tuple[int, str], float] = {}
        for text, zw in self._zone_texts(zones):
            counts: dict[tuple[int, str], int] = {}
            # `_scan` reports the patterns' match at every possible first character, overlapping
            # ones too (it consumes only that character); the matches `finditer` gives are those
            # that start at or after the end of the previous one taken. No pattern matches empty.
            last = 0
            for m in self._scan.finditer(text):
                g: str = m.lastgroup  # type: ignore[assignment]
                a = m.start(g)
                if a < last:
                    continue
                last = m.end(g)
                key = (int(g[1:]), m.group(g))
                counts[key] = counts.get(key, 0) + 1
            for key, n in counts.items():
                out[key] = out.get(key, 0.0) + zw * math.log1p(n)
        return out

    def pattern_frequencies_plain(self, zones: Zones) -> dict[tuple[int, str], float]:
        """`pattern_frequencies` with the lookahead alternation's own `finditer`."""
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

    def evidence_scores(self, zones: Zones) -> tuple[list[float], list[tuple[float, str, int]]]:
        """Per-label lexicon scores S (>= 0) and every (contribution, term, label) behind them."""
        pos, contribs, _ = self._scores(zones)
        return pos, contribs

    def _scores(
        self, zones: Zones
    ) -> tuple[list[float], list[tuple[float, str, int]], list[list[tuple[float, str]]]]:
        """`evidence_scores`, plus each label's positive contributions as (-c, term), in order (what
        `_evidence` sorts), gathered in the same pass."""
        scores = [0.0] * len(self.labels)
        contribs: list[tuple[float, str, int]] = []
        by_label: list[list[tuple[float, str]]] = [[] for _ in scores]
        weights = self._weights
        for key, f in self.term_hits(zones).items():
            v = f / LN2
            term, li = key
            for w in weights[key]:
                c = w * v
                scores[li] += c
                contribs.append((c, term, li))
                if c > 0:
                    by_label[li].append((-c, term))
        if self._combined is not None:
            for (pi, s), f in self.pattern_frequencies(zones).items():
                pat = self.patterns[pi]
                c = pat.weight * f / LN2
                scores[pat.label] += c
                contribs.append((c, s, pat.label))
                if c > 0:
                    by_label[pat.label].append((-c, s))
        return [s if s > 0.0 else 0.0 for s in scores], contribs, by_label

    def classify(self, article: Article) -> Prediction:
        zones = article_zones(article, self.cfg.lead_min_chars)
        return self.classify_zones(zones)

    def classify_many(self, articles: list[Article]) -> list[Prediction]:
        return [self.classify(a) for a in articles]

    def classify_zones(self, zones: Zones) -> Prediction:
        pos, contribs, by_label = self._scores(zones)
        cal, prior = self.cal, self.cfg.prior
        # the lexicon's evidence shares (pipeline.classify.backoff.lexicon_distribution), in plain
        # Python: five or six numbers, where numpy's per-call cost would dominate
        if self.other:
            inside, s_out = pos[:-1], pos[-1]
            k = len(inside)
            denom = sum(inside) + s_out + prior + cal.other_prior
            p_lex = [(x + prior / k) / denom for x in inside] + [(s_out + cal.other_prior) / denom]
        else:
            k = len(pos)
            denom = sum(pos) + prior
            p_lex = [(x + prior / k) / denom for x in pos]
        lp = [math.log(x) for x in p_lex]
        lb = ind = val = None
        if self.backoff is None:
            probs, lexicon_only = p_lex, True
        else:
            z0 = [cal.lex_temp * x for x in lp]
            if self.other and cal.other_bias:
                z0[-1] += cal.other_bias
            m = max(z0)
            e = [math.exp(x - m) for x in z0]
            total = sum(e)
            if 1.0 / total >= cal.gate:  # the lexicon alone is sure: no backoff needed
                probs, lexicon_only = [x / total for x in e], True
            else:
                lb, ind, val = self.backoff.log_proba(zones)
                arr, lexicon_only = combine(np.array(lp), lb, cal)
                probs = arr.tolist()
        probs = [x if x > 1e-6 else 1e-6 for x in probs]  # no label is ever exactly impossible
        total = sum(probs)
        probs = [x / total for x in probs]
        order = sorted(range(len(probs)), key=lambda i: -probs[i])
        top, runner = order[0], order[1]
        if probs[top] - probs[runner] <= 1e-12:
            path = "tie"  # no signal at all (backoff off, nothing matched): never a confident label
            if self.other is not None:
                top = len(self.labels) - 1
        elif lexicon_only or lb is None:
            path = "lexicon"
        else:
            path = deciding_path(np.array(lp), lb, cal, top, runner)
        topic = self.labels[top]
        confident = (
            path != "tie"
            and float(probs[top]) >= self.threshold
            and zones.content_chars(self.cfg.min_chars) >= self.cfg.min_chars
        )
        evidence = self._evidence(contribs, top, runner, pos, path, ind, val, by_label)
        return Prediction(
            topic=topic,
            scores=rounded_distribution(dict(zip(self.labels, probs, strict=True))),
            evidence=evidence,
            confident=confident,
            path=path,
        )

    def _evidence(
        self,
        contribs: list[tuple[float, str, int]],
        top: int,
        runner: int,
        pos: list[float],
        path: str,
        ind: np.ndarray | None,
        val: np.ndarray | None,
        by_label: list[list[tuple[float, str]]] | None = None,
    ) -> list[dict[str, Any]]:
        """The deciding path's strongest terms for the winner first, then the other path's two
        strongest for it, then the runner-up's two strongest lexicon terms (what it lost to).
        `by_label`: what `_scores` gathered from `contribs` (computed here when not given)."""
        kk = self.cfg.evidence_top_k

        # each label's positive contributions as (-c, term): sorted, strongest first, then by term
        # (equal pairs keep their order: the sort is stable), as sorting by (-c, term) would
        if by_label is None:
            by_label = [[] for _ in self.labels]
            for c, t, li in contribs:
                if c > 0:
                    by_label[li].append((-c, t))

        def lex_terms(label: int, k: int) -> list[dict[str, Any]]:
            best = sorted(by_label[label])[:k]
            name = self.labels[label]
            return [{"term": t, "weight": round_to(-nc, 3), "label": name, "path": "lexicon"} for nc, t in best]

        def back_terms(label: int, k: int) -> list[dict[str, Any]]:
            if self.backoff is None or ind is None or val is None:
                return []
            return [
                {"term": t, "weight": round_to(c, 3), "label": self.labels[label], "path": "backoff"}
                for c, t in self.backoff.terms(label, ind, val, k)
            ]

        if path == "backoff":
            out = back_terms(top, kk) + lex_terms(top, 2)
        else:
            out = lex_terms(top, kk) + back_terms(top, 2)
        if pos[runner] > 0:
            out += lex_terms(runner, 2)
        return out

    def describe(self) -> dict[str, Any]:
        out = {
            "backend": "lexicon",
            "lexicon": self.path,
            "lexicon_sha256": self.digest,
            "labels": list(self.labels),
            "terms": self.n_terms,
            "patterns": len(self.patterns),
            "context_rules": len(self.rules),
            "tokenizer": self.tokenizer.version,
            "idf": self.idf.source if self.idf else "none",
        }
        if self.other:
            out["other_label"] = self.other
        if self.backoff is not None:
            out.update(self.backoff.describe())
            out["gate"] = self.cal.gate
        return out


def first_chars(pattern: str) -> set[str] | None:
    """Every character a match of `pattern` can start with, or None when that is not simple to
    know (a class with a category, an optional first element, ...): then no lookahead is added."""
    try:
        from re import _constants as c  # type: ignore[attr-defined]
        from re import _parser as sre_parse  # type: ignore[attr-defined]
    except ImportError:  # pragma: no cover - before Python 3.11
        import sre_constants as c
        import sre_parse
    try:
        tree = sre_parse.parse(pattern)
    except Exception:
        return None
    if tree.state.flags & (c.SRE_FLAG_IGNORECASE | c.SRE_FLAG_VERBOSE):
        return None

    def seq(items) -> set[str] | None:
        for op, av in items:
            if op in (c.ASSERT_NOT, c.ASSERT) and av[0] == -1:
                continue  # a lookbehind consumes nothing
            if op is c.AT:
                continue
            return one(op, av)
        return None

    def one(op, av) -> set[str] | None:
        if op is c.LITERAL:
            return {chr(av)}
        if op is c.IN:
            out: set[str] = set()
            for iop, iav in av:
                if iop is c.LITERAL:
                    out.add(chr(iav))
                elif iop is c.RANGE and iav[1] - iav[0] < 2000:
                    out.update(chr(x) for x in range(iav[0], iav[1] + 1))
                else:
                    return None
            return out
        if op is c.SUBPATTERN:
            return seq(av[-1])
        if op is c.BRANCH:
            out = set()
            for branch in av[1]:
                first = seq(branch)
                if first is None:
                    return None
                out |= first
            return out
        if op in (c.MAX_REPEAT, c.MIN_REPEAT) and av[0] >= 1:
            return seq(av[2])
        return None

    return seq(tree)


def min_width(pattern: str) -> int:
    """The fewest characters a match of `pattern` can have (0 when that is not simple to know)."""
    try:
        from re import _parser as sre_parse  # type: ignore[attr-defined]
    except ImportError:  # pragma: no cover - before Python 3.11
        import sre_parse
    try:
        return int(sre_parse.parse(pattern).getwidth()[0])
    except Exception:
        return 0


def softmax_max(z: np.ndarray) -> float:
    e = np.exp(z - z.max())
    return float(1.0 / e.sum())


def _positions(tokens: list[str], words: Iterable[str]) -> list[int]:
    """Every index of `tokens` that holds one of `words` (distinct), in order (C-level scans)."""
    out: list[int] = []
    for w in words:
        i = -1
        for _ in range(tokens.count(w)):
            i = tokens.index(w, i + 1)
            out.append(i)
    out.sort()
    return out


def _surname_before(tokens: list[str], i: int) -> bool:
    """A lone common surname before the term and a name cue after it: "王运输说" is a person."""
    if i == 0 or tokens[i - 1] not in _SURNAMES or i + 1 >= len(tokens):
        return False
    return tokens[i + 1].startswith(_NAME_CUES)


def _context_ok(text: str, start: int, end: int, rule: ContextRule) -> bool:
    if rule.window is not None:
        near = text[max(0, start - rule.window) : start] + "\x00" + text[end : end + rule.window]
    else:
        a = start
        while a > 0 and not _SENTENCE_END.match(text, a - 1):
            a -= 1
        m = _SENTENCE_END.search(text, end)
        near = text[a:start] + "\x00" + text[end : m.start() if m else len(text)]
    if rule.never_with and any(w in near for w in rule.never_with):
        return False
    return not rule.with_ or any(w in near for w in rule.with_)


def _context_ok_fast(text: str, start: int, end: int, rule: ContextRule) -> bool:
    """`_context_ok` with the sentence's start found by one regex match (a greedy `.*` up to the
    term, backing off to the last sentence end) instead of a walk back one character at a time."""
    if rule.window is not None:
        near = text[max(0, start - rule.window) : start] + "\x00" + text[end : end + rule.window]
    else:
        m = _LAST_SENTENCE_END.match(text, 0, start)
        a = m.end() if m else 0
        m = _SENTENCE_END.search(text, end)
        near = text[a:start] + "\x00" + text[end : m.start() if m else len(text)]
    if rule.never_with and any(w in near for w in rule.never_with):
        return False
    return not rule.with_ or any(w in near for w in rule.with_)


@lru_cache(maxsize=4096)
def _tag_spans(window: str) -> list[tuple[str, int, int, str]]:
    import rjieba

    out, n = [], 0
    for tok, tag in rjieba.tag(window):
        out.append((tok, n, n + len(tok), tag))
        n += len(tok)
    return out
