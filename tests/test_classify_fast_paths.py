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


def test_context_by_one_match_is_the_walked_context() -> None:
    from pipeline.classify.base import ContextRule
    from pipeline.classify.lexicon import _context_ok, _context_ok_fast

    rng = random.Random(4)
    pool = ["运输", "毒品", "公司", "。", "；", "\n", "！", "?", "港", "的", "走私", "\r\n", ";", "!", "．", "…"]
    rules = [
        ContextRule(never_with=["毒品", "走私"]),
        ContextRule(**{"with": ["公司"]}),
        ContextRule(**{"with": ["公司"], "never_with": ["毒品"], "window": 3}),
        ContextRule(never_with=["。港"], window=1),
        ContextRule(never_with=["\n"]),
    ]
    for _ in range(5000):
        text = "".join(rng.choice(pool) for _ in range(rng.randint(1, 25)))
        start = rng.randrange(len(text))
        end = rng.randint(start + 1, len(text))
        for rule in rules:
            assert _context_ok_fast(text, start, end, rule) == _context_ok(text, start, end, rule), (
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


# ---- the whole prediction against the slow reference path ---------------------------------------
# Varied text beyond the labelled articles: person names (protected, and a given name after a lone
# surname), Latin letters and digits inside and next to CJK runs, full-width letters, digits and
# punctuation, CJK extension characters, line breaks of both kinds, tabs, NUL.
VARIED = [
    Zones("扶苏帮扶村里的学校", "王运输说，运输公司今年扩建码头。", "村支书王运输：物流园区明年投用。"),
    Zones("RCEP协定生效", "RCEP和rcep与Rcep：外贸企业出口增长12345万元，TEU吞吐量创新高。", "拨打12345热线"),
    Zones("１９５８年建校", "（记者　张三）２０２４年９月，ＡＢＣ港口物流园“开园”！", "《历史》、【故事】；红色……革命？"),
    Zones("", "毒品运输案宣判\r\n被告人运输毒品", "基金历史业绩\t理财故事\x00历史"),
    Zones("𠀋㐀港口", "港口物流3.5万吨级泊位、20万标箱、1960年、三十周年、上世纪80年代、三年级", "2023级新生"),
    Zones("领导调研红色教育基地", "考察革命博物馆", "博物馆开放日，市民参观博物馆。"),
    Zones("", "", ""),
    Zones("a", "1", "，"),
]


def _reference(clf: LexiconClassifier):
    """The classifier with every shortcut swapped for the plain computation it stands in for."""
    import pipeline.classify.base as base_mod
    import pipeline.classify.lexicon as lex_mod
    from pipeline.classify.lexicon import LN2

    class Reference(type(clf)):  # type: ignore[misc]
        def term_hits(self, zones):
            return self.term_hits_plain(zones)

        def _scores(self, zones):  # the contributions loop as it was, evidence lists left to _evidence
            scores = [0.0] * len(self.labels)
            contribs = []
            for (term, li), f in self.term_hits(zones).items():
                for lj, w in self.index[term]:
                    if lj == li:
                        c = w * (f / LN2)
                        scores[li] += c
                        contribs.append((c, term, li))
            for (pi, s), f in self.pattern_frequencies_plain(zones).items():
                pat = self.patterns[pi]
                c = pat.weight * f / LN2
                scores[pat.label] += c
                contribs.append((c, s, pat.label))
            return [s if s > 0.0 else 0.0 for s in scores], contribs, None

    ref = object.__new__(Reference)
    ref.__dict__.update(clf.__dict__)
    if clf.backoff is not None:
        import copy

        ref.backoff = copy.copy(clf.backoff)
        m = clf.backoff.model
        ref.backoff.features = lambda z: m.vectorizer.transform_one(m.features(z))  # type: ignore[method-assign]
        cols = clf.backoff.cols

        def terms(label, ind, val, k):  # numpy scalars read one at a time, as it was
            from pipeline.classify.linear import feature_term

            if cols[label] is None or not len(ind):
                return []
            row = m.coef[cols[label], ind] * val
            by_term: dict[str, float] = {}
            for j in np.argsort(-row)[: 4 * k + 8]:
                c = float(row[j])
                if c <= 0:
                    break
                t = feature_term(m.vectorizer.vocabulary[int(ind[j])])
                by_term[t] = by_term.get(t, 0.0) + c
            return [(c, t) for t, c in sorted(by_term.items(), key=lambda kv: -kv[1])[:k]]

        ref.backoff.terms = terms  # type: ignore[method-assign]

    def predict(zones):
        saved = lex_mod.round_to, base_mod.round_to
        lex_mod.round_to = base_mod.round_to = round  # type: ignore[assignment]
        try:
            return ref.classify_zones(zones)
        finally:
            lex_mod.round_to, base_mod.round_to = saved

    return predict


@pytest.mark.parametrize("name", ["default", "rules", "open", "no_backoff", "jieba"])
def test_predictions_equal_the_reference_path(classifiers, name: str) -> None:
    if name in ("open", "no_backoff"):
        update = {"other_label": "other"} if name == "open" else {"backoff": None}
        clf = LexiconClassifier(classifiers["rules"].cfg.model_copy(update=update))
    else:
        clf = classifiers[name]
    reference = _reference(clf)
    zones = VARIED + _fuzz(clf, 150 if name == "jieba" else 600, seed=13)
    if name != "jieba":
        zones += _records()
    paths: dict[str, int] = {}
    for z in zones:
        fast, slow = clf.classify_zones(z), reference(z)
        assert fast == slow, z
        paths[fast.path] = paths.get(fast.path, 0) + 1
    if name != "no_backoff":
        assert paths.get("backoff", 0) > 5 and paths.get("lexicon", 0) > 5, paths  # both paths exercised


def test_round_to_is_round_bit_for_bit() -> None:
    import struct

    from pipeline.classify.base import round_to

    rng = random.Random(3)
    values = [0.0, -0.0, 1e-7, 5e-7, 4.9999995e-7, 0.0005, 0.0015, 0.0025, 2.675, 1.0005, 0.1234565, 1e300]
    values += [-1.5, float("inf"), float("-inf"), 999999.9995, 1e9 / 1e6, 123456.0005, 1, 2, True]
    for _ in range(200_000):
        nd = rng.choice([0, 3, 4, 6, 9])
        k = rng.random()
        values.append(
            rng.choice(
                [
                    k,
                    k * 1000,
                    k * 1e-5,
                    rng.randint(0, 10**7) / 10**nd,  # near-ties and exact decimals
                    (2 * rng.randint(0, 10**6) + 1) / (2 * 10**nd),  # halfway, as near as a double gets
                    struct.unpack("d", struct.pack("Q", rng.getrandbits(64)))[0],  # any double
                ]
            )
        )
    for i, x in enumerate(values):
        if x != x:
            continue  # NaN: round gives NaN, which equals nothing
        for nd in (i % 10, 3, 6):
            a, b = round_to(x, nd), round(x, nd)
            assert type(a) is type(b) and struct.pack("d", a) == struct.pack("d", b), (x, nd, a, b)


# patterns a lexicon author might add: overlapping starts, lookbehinds, shared prefixes, lazy and
# bounded repeats, a capturing group, Latin letters
EXTRA_PATTERNS = {
    "[一二三四五六七八九十百]+周年庆": 1.0,
    "(?<![0-9])[12][0-9]{3}年(?:[0-9]{1,2}月)?": 1.0,
    "第[0-9一二三四五六七八九十]+届|第[0-9]+期": 1.0,
    "[0-9]+?万人次": 1.0,
    "(?:港|站)(口|点)(?:建成|投用)?": 1.0,
    "TEU|teu|[0-9]{2,}标箱": 1.0,
}


def _pattern_zones() -> list[Zones]:
    rng = random.Random(21)
    pool = list("0123456789.一二三四五六七八九十百上世纪年代级周吨万标箱月届期第人次庆港站口点TEUteu，。 \n")
    pool += ["1958年", "三十周年", "80年代", "3年级", "2023级新生", "5万吨级", "20万标箱", "2024年9月", "第十届"]
    fuzz = ["".join(rng.choice(pool) for _ in range(rng.randint(0, 40))) for _ in range(4000)]
    return VARIED + [Zones(fuzz[i], fuzz[i + 1], fuzz[i + 2]) for i in range(0, len(fuzz) - 2, 3)] + _records()


@pytest.mark.parametrize("extra", [False, True])
def test_pattern_scan_finds_what_the_lookahead_finds(extra: bool) -> None:
    cfg = ClassifierSection()
    if extra:
        over = load_config(
            overrides=[f"classifier.labels.history.patterns={json.dumps(EXTRA_PATTERNS, ensure_ascii=False)}"],
            stages=["segment", "classify"],
        )
        cfg = over.classifier
    clf = LexiconClassifier(cfg)
    assert clf._scan is not None and len(clf.patterns) >= (11 if extra else 5)
    found = 0
    for z in _pattern_zones():
        fast, plain = clf.pattern_frequencies(z), clf.pattern_frequencies_plain(z)
        assert list(fast.items()) == list(plain.items()), z
        found += len(plain)
    assert found > 3000


@pytest.mark.parametrize(
    "pattern",
    [
        "[0-9]*年代",  # can match empty (and its first character is not known either)
        "上世纪(?:[0-9]+年代)?|x*",  # a branch that can match empty
        "(港|站)口\\1?",  # a group reference: re refuses it inside a lookbehind
    ],
)
def test_patterns_the_scan_cannot_take_keep_the_plain_one(pattern: str) -> None:
    over = load_config(
        overrides=[f"classifier.labels.history.patterns={json.dumps({pattern: 1.0}, ensure_ascii=False)}"],
        stages=["segment", "classify"],
    )
    clf = LexiconClassifier(over.classifier)
    assert clf._scan is None
    for z in VARIED + [Zones("", "上世纪80年代和年代，港口站口港口港", "")]:
        assert clf.pattern_frequencies(z) == clf.pattern_frequencies_plain(z)
