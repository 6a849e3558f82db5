"""The lexicon classifier's fast paths answer exactly as the plain computations they stand in for.

`term_hits` (lexicon tokens picked out by a C-level filter, rule positions found by `list.index`)
against `term_hits_plain` (every token walked), and the backoff's numpy n-gram features against
the model's own featurize + transform_one: same keys in the same order and the same floats, bit
for bit, on every labelled article we have and on strings built from the words the rules look
at (surnames, name cues, ruled terms and their context words, neutral phrases, protected names).
`scripts/classify_fingerprint.py` checks the whole output; these say which shortcut broke.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

from pipeline.classify.lexicon import _NAME_CUES, _SURNAMES, LexiconClassifier, _positions
from pipeline.classify.text import Zones, zones_from_record
from pipeline.config import load_config
from pipeline.stages.classify import ClassifierSection

REPO = Path(__file__).resolve().parents[1]
DATA = sorted((REPO / "data" / "topics").glob("*.jsonl")) + sorted(
    (REPO / "data" / "heldout" / "topics").glob("*.jsonl")
)

RULES = [
    "classifier.labels.logistics.context={码头: {never_with: [参观]}, 货运: {with: [公司, 物流], window: 6}}",
    "classifier.labels.trade.keywords={ABC: 2.0, abc: 1.0, 外贸: 2.5}",
    "classifier.labels.trade.context={外贸: {with: [企业], never_with: [骗局]}}",
    "classifier.names=[苏家坳, 王运输]",
]


def _records() -> list[Zones]:
    out = []
    for f in DATA:
        with open(f, encoding="utf-8") as fh:
            out += [zones_from_record(json.loads(line)) for line in fh if line.strip()]
    return out


def _words(clf: LexiconClassifier) -> list[str]:
    rng = random.Random(11)
    terms = sorted(clf.vocab)
    ruled = sorted(clf.ruled)
    near = sorted({w for r in clf.rules.values() for w in [*r.with_, *r.never_with]})
    return [
        *rng.sample(terms, min(120, len(terms))),
        *ruled * 4,
        *near * 2,
        *sorted(clf.neutral),
        *sorted(clf.names),
        *sorted(_SURNAMES)[:40],
        *_NAME_CUES,
        *"的在是了和村支书今年他们一个公司".split(),
        *["，", "。", "\n", "：", "；", " ", "ABC", "abc", "TEU", "1958年", "3年级", "王", "李", "𠀋"],
    ]


def _fuzz(clf: LexiconClassifier, n: int, seed: int = 5) -> list[Zones]:
    rng = random.Random(seed)
    words = _words(clf)

    def text(k: int) -> str:
        return "".join(rng.choice(words) for _ in range(rng.randint(0, k)))

    return [Zones(text(6), text(25), text(80)) for _ in range(n)]


@pytest.fixture(scope="module")
def classifiers() -> dict[str, LexiconClassifier]:
    ruled = load_config(overrides=RULES, stages=["segment", "classify"]).classifier
    return {
        "default": LexiconClassifier(ClassifierSection()),
        "rules": LexiconClassifier(ruled),
        "jieba": LexiconClassifier(ruled.model_copy(update={"tokenizer": "jieba"})),
    }


def test_there_is_data_to_compare_on() -> None:
    assert len(_records()) > 300


@pytest.mark.parametrize("name", ["default", "rules", "jieba"])
def test_term_hits_equal_the_plain_walk(classifiers, name: str) -> None:
    clf = classifiers[name]
    zones = _fuzz(clf, 600 if name == "jieba" else 1500)
    if name != "jieba":  # jieba (pure Python) is slow; the fuzz strings carry the rules
        zones += _records()
    named = ruled = 0
    for z in zones:
        fast, plain = clf.term_hits(z), clf.term_hits_plain(z)
        assert list(fast.items()) == list(plain.items()), z
        named += any(s in z.body for s in ("王运输", "扶苏"))
        ruled += any(t in z.body for t in clf.ruled)
    assert named > 20 and ruled > 100  # the rules were exercised


def test_a_keyword_in_two_cases_counts_as_before(classifiers) -> None:
    """`ABC` and `abc` keywords of one label: the lowercase form is listed twice for that label."""
    clf = classifiers["rules"]
    z = Zones("abc", "abc和ABC", "abc")
    hits = clf.term_hits(z)
    assert hits == clf.term_hits_plain(z) and ("abc", clf.labels.index("trade")) in hits
    assert clf.evidence_scores(z)[0][clf.labels.index("trade")] > 0


def test_positions_are_the_enumerated_ones() -> None:
    rng = random.Random(2)
    pool = ["王", "李", "运输", "历史", "，", "的", "王运输"]
    for _ in range(500):
        tokens = [rng.choice(pool) for _ in range(rng.randint(0, 30))]
        words = set(rng.sample(pool, rng.randint(0, 3)))
        assert _positions(tokens, words) == [i for i, t in enumerate(tokens) if t in words]


def test_backoff_features_equal_the_model_features_bit_for_bit(classifiers) -> None:
    backoff = classifiers["default"].backoff
    assert backoff is not None and backoff.fast
    odd = [
        Zones("", "", ""),
        Zones("港", "", ""),
        Zones("", "a", "𠀋𠀋港口"),
        Zones("港\udc80口", "\x00港口", "物\x00流"),
        Zones("港口物流\n", "1958年", "TEU abc"),
    ]
    for z in _records() + _fuzz(classifiers["default"], 300, seed=9) + odd:
        i1, v1 = backoff.features(z)
        i2, v2 = backoff.model.vectorizer.transform_one(backoff.model.features(z))
        assert i1.dtype == i2.dtype and np.array_equal(i1, i2) and np.array_equal(v1, v2), z


def test_context_by_bisection_is_the_walked_context() -> None:
    from pipeline.classify.base import ContextRule
    from pipeline.classify.lexicon import _SENTENCE_END, _context_ok, _context_ok_at

    rng = random.Random(4)
    pool = ["运输", "毒品", "公司", "。", "；", "\n", "！", "?", "港", "的", "走私"]
    rules = [
        ContextRule(never_with=["毒品", "走私"]),
        ContextRule(**{"with": ["公司"]}),
        ContextRule(**{"with": ["公司"], "never_with": ["毒品"], "window": 3}),
        ContextRule(never_with=["。港"], window=1),
    ]
    for _ in range(3000):
        text = "".join(rng.choice(pool) for _ in range(rng.randint(1, 25)))
        ends = [m.start() for m in _SENTENCE_END.finditer(text)]
        start = rng.randrange(len(text))
        end = rng.randint(start + 1, len(text))
        for rule in rules:
            assert _context_ok_at(text, start, end, rule, ends) == _context_ok(text, start, end, rule), (
                text,
                start,
                end,
            )


def test_evidence_terms_are_the_key_sorted_ones(classifiers) -> None:
    """Strongest first, ties by term, equal (weight, term) pairs in their order: as sorting the
    contributions by (-weight, term) gives."""
    clf = classifiers["default"]
    rng = random.Random(6)
    terms = ["港口", "物流", "学校", "历史", "abc"]
    for _ in range(500):
        contribs = [
            (rng.choice([0.0, -1.0, 0.5, 1.0, 2.25, rng.random()]), rng.choice(terms), rng.randrange(3))
            for _ in range(rng.randint(0, 12))
        ]
        pos = [1.0, 1.0, 1.0, 0.0, 0.0]
        got = clf._evidence(contribs, 0, 1, pos, "lexicon", None, None)
        want = []
        for label, k in ((0, clf.cfg.evidence_top_k), (1, 2)):
            best = sorted((c for c in contribs if c[2] == label and c[0] > 0), key=lambda c: (-c[0], c[1]))[
                :k
            ]
            want += [
                {"term": t, "weight": round(c, 3), "label": clf.labels[li], "path": "lexicon"}
                for c, t, li in best
            ]
        assert got == want, contribs
