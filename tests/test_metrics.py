"""Metric functions against hand-computed values, nltk and brute force; and the end-to-end
scoring of a perfect stand-in prediction and of perturbed ones."""

from __future__ import annotations

import itertools
import json
import random
import sys
from pathlib import Path

import pytest

from pipeline.config import Config
from pipeline.evaluate import EvaluationError, evaluate_dir
from pipeline.evaluate import metrics as M
from pipeline.evaluate.report import flatten
from pipeline.evaluate.runner import find_fixtures, load_gold

sys.path.insert(0, str(Path(__file__).parent))
from eval_helpers import (  # noqa: E402
    StandInPipeline,
    drop_byline,
    merge,
    split,
    swap_topic,
    write_fixture,
)

SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "fixtures"

# --------------------------------------------------------------------------- normalisation


def test_strip_ws_removes_every_kind_of_whitespace():
    assert M.strip_ws(" 株洲\u3000日报\n今天\t好 ") == "株洲日报今天好"
    assert M.strip_ws(None) == ""


def test_norm_field_collapses_whitespace_and_blank_is_none():
    assert M.norm_field("  株洲人大诞生时的样子   藏着株洲 ") == "株洲人大诞生时的样子 藏着株洲"
    assert M.norm_field("   ") is None
    assert M.fields_equal(None, "") and not M.fields_equal("a b", "ab")


# --------------------------------------------------------------------------- matching


def test_overlap_score_is_bigram_dice():
    # bigrams ab bc cd vs ab bc ce: 2 shared of 3 + 3
    assert M.overlap_score("abcd", "abce") == pytest.approx(4 / 6)
    assert M.overlap_score("a b\ncd", "abcd") == 1.0
    assert M.overlap_score("", "") == 0.0


def _brute_best(scores):
    rows, cols = len(scores), len(scores[0])
    best = -1.0
    if rows <= cols:
        for perm in itertools.permutations(range(cols), rows):
            best = max(best, sum(scores[i][j] for i, j in enumerate(perm)))
    else:
        for perm in itertools.permutations(range(rows), cols):
            best = max(best, sum(scores[i][j] for j, i in enumerate(perm)))
    return best


def test_assign_max_is_optimal_against_brute_force():
    rng = random.Random(7)
    for _ in range(60):
        r, c = rng.randint(1, 5), rng.randint(1, 5)
        scores = [[round(rng.random(), 3) for _ in range(c)] for _ in range(r)]
        pairs = M.assign_max(scores)
        assert len(pairs) == min(r, c)
        assert len({i for i, _ in pairs}) == len(pairs) == len({j for _, j in pairs})
        assert sum(scores[i][j] for i, j in pairs) == pytest.approx(_brute_best(scores))
    assert M.assign_max([]) == []


def test_assign_max_beats_greedy():
    # greedy would take (0,0)=0.9 and then (1,1)=0.1; the optimum is 0.8 + 0.8
    assert M.assign_max([[0.9, 0.8], [0.8, 0.1]]) == [(0, 1), (1, 0)]


def test_match_articles_merge_matches_larger_and_drops_weak_pairs():
    a = "株洲跨境电商特色产业带招商推介会在长沙举行。" * 3
    b = "岳阳港新开两条集装箱航线。"
    matches = M.match_articles([a + b, "完全无关的内容"], [a, b])
    assert [(m.pred, m.gold) for m in matches] == [(0, 0)]  # the second prediction shares nothing


# --------------------------------------------------------------------------- P/R/F1


def test_prf_hand_values():
    out = M.prf(3, 4, 5)
    assert out["precision"] == 0.75 and out["recall"] == 0.6
    assert out["f1"] == pytest.approx(2 * 0.75 * 0.6 / 1.35)
    assert M.prf(0, 0, 0) == {"precision": None, "recall": None, "f1": None}
    assert M.prf(0, 2, 2)["f1"] == 0.0


# --------------------------------------------------------------------------- boundaries


def test_boundary_string_over_nonblank_lines():
    text = "a\n\nb\nc\n\n\nd"  # non-blank lines 0, 2, 3, 6
    assert M.boundary_string(text, [0, 3]) == "1010"
    assert M.boundary_string(text, [1, None]) == "0100"  # a blank line moves to the next one


def test_default_k_is_half_mean_segment_length():
    assert M.default_k("100000100000") == 3  # 2 segments of 6
    assert M.default_k("0100000") == 2  # leading run counts: 2 segments, 7 / 4 = 1.75
    assert M.default_k("1") == 1


def test_pk_windowdiff_hand_computed():
    # windows of 2 over "1000100" vs "1001000": errors at i=2 and i=4 of 6 windows
    assert M.pk("1000100", "1001000", 2) == pytest.approx(1 / 3)
    assert M.windowdiff("1000100", "1001000", 2) == pytest.approx(1 / 3)
    assert M.windowdiff("000100000010", "000010000100", 3) == pytest.approx(0.3)
    assert M.windowdiff("000010000100", "100000010000", 3) == pytest.approx(0.8)
    assert f"{M.pk('0100' * 100, '1' * 400, 2):.2f}" == "0.50"  # nltk's doctest
    assert M.pk("0101", "0101", 2) == 0.0
    with pytest.raises(ValueError):
        M.pk("01", "010", 1)


def test_pk_windowdiff_match_nltk_on_random_cases():
    seg = pytest.importorskip("nltk.metrics.segmentation")
    rng = random.Random(11)
    for _ in range(200):
        n = rng.randint(2, 60)
        p = rng.choice([0.05, 0.15, 0.3])
        ref = "".join("1" if rng.random() < p else "0" for _ in range(n))
        hyp = "".join("1" if rng.random() < p else "0" for _ in range(n))
        k = rng.randint(1, n)
        assert M.pk(ref, hyp, k) == pytest.approx(seg.pk(ref, hyp, k))
        assert M.windowdiff(ref, hyp, k) == pytest.approx(seg.windowdiff(ref, hyp, k))
        assert M.windowdiff(ref, hyp, k, weighted=True) == pytest.approx(
            seg.windowdiff(ref, hyp, k, weighted=True)
        )
        if "1" in ref and int(round(n / (ref.count("1") * 2.0))) >= 1:  # nltk's default k
            assert M.pk(ref, hyp) == pytest.approx(seg.pk(ref, hyp))


def test_gold_start_lines_on_synthetic_fixture(tmp_path):
    d, gold, places = write_fixture(tmp_path)
    text = (d / "xiangjiang_a02.txt").read_text(encoding="utf-8")
    assert M.gold_start_lines(text, gold["articles"]) == [p["start"] for p in places]


@pytest.mark.skipif(not (SAMPLE / "zhuzhou_daily_sample.txt").exists(), reason="shared sample absent")
def test_gold_start_lines_on_shared_sample():
    text = (SAMPLE / "zhuzhou_daily_sample.txt").read_text(encoding="utf-8")
    gold = json.loads((SAMPLE / "zhuzhou_daily_sample.gold.json").read_text(encoding="utf-8"))
    # 1-based lines checked by hand: headline lines, and the kicker above article 2's headline
    assert [s + 1 for s in M.gold_start_lines(text, gold["articles"])] == [
        5,
        19,
        67,
        87,
        111,
        151,
        161,
        177,
        193,
    ]


def test_locate_start_uses_glued_byline_and_captions_above():
    lines = [
        M.strip_ws(x)
        for x in ["旧文章结尾。", "", "图为现场。记者 王某 摄", "", "本报讯(记者 王某) 8月31日,某事发生。"]
    ]
    art = {
        "headline": None,
        "byline": "本报讯(记者 王某)",
        "captions": ["图为现场。记者 王某 摄"],
        "text": "8月31日,某事发生。",
    }
    assert M.locate_article_start(lines, art) == (2, 4)
    assert M.locate_article_start(lines, {"headline": "不存在", "text": "也不存在"}) == (None, None)


def test_short_byline_must_be_whole_line():
    lines = ["周高兴地说", "周高", "正文第一段"]
    assert M.locate_article_start(lines, {"byline": "周高", "text": "别的"})[0] == 1


# --------------------------------------------------------------------------- classification


PAIRS = [("trade", "trade"), ("trade", "civic"), ("civic", "civic"), ("history", "trade")]


def test_confusion_matrix_hand_values():
    cm = M.confusion_matrix(PAIRS)
    assert list(cm) == ["trade", "civic", "history"]
    assert cm["trade"] == {"trade": 1, "civic": 1, "history": 0}
    assert cm["civic"]["civic"] == 1 and cm["history"]["trade"] == 1
    assert sum(sum(r.values()) for r in cm.values()) == 4


def test_classification_figures_hand_values():
    out = M.classification_figures(PAIRS)
    assert out["accuracy"] == 0.5
    assert out["per_label"]["trade"]["precision"] == 0.5 and out["per_label"]["trade"]["recall"] == 0.5
    assert out["per_label"]["civic"]["f1"] == pytest.approx(2 / 3)
    assert out["per_label"]["history"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert out["macro_f1"] == pytest.approx((0.5 + 2 / 3 + 0) / 3)


def test_classification_matches_sklearn():
    metrics = pytest.importorskip("sklearn.metrics")
    rng = random.Random(3)
    labs = list(M.DEFAULT_LABELS)
    for _ in range(20):
        pairs = [(rng.choice(labs), rng.choice(labs)) for _ in range(rng.randint(1, 30))]
        g, p = zip(*pairs, strict=True)
        out = M.classification_figures(pairs)
        assert out["accuracy"] == pytest.approx(metrics.accuracy_score(g, p))
        assert out["macro_f1"] == pytest.approx(metrics.f1_score(g, p, average="macro", zero_division=0))


def test_missing_prediction_counts_wrong_without_a_label():
    out = M.classification_figures([("trade", None), ("trade", "trade")])
    assert out["accuracy"] == 0.5 and out["per_label"]["trade"]["recall"] == 0.5
    assert "(none)" not in out["per_label"] and out["confusion"]["trade"]["(none)"] == 1


def test_top_scores():
    assert M.top_scores({"civic": 0.2, "trade": 0.7, "history": 0.1}) == [("trade", 0.7), ("civic", 0.2)]
    assert M.top_scores(None) == []


# --------------------------------------------------------------------------- ROUGE


def test_char_tokens_normalisation():
    assert M.char_tokens("ＧＤＰ增长3.5%，株洲！") == ["gdp", "增", "长", "3", "5", "株", "洲"]
    assert M.char_tokens("“Hello 2024”年") == ["hello", "2024", "年"]
    assert M.char_tokens(" ，。！") == []


def test_rouge_on_hand_counted_pair():
    # 今天天气很好 / 今天天气不好: 5 of 6 characters shared; bigrams 今天 天天 天气 shared (3 of 5);
    # LCS 今天天气好 = 5
    r = M.rouge("今天天气很好。", "今天天气不好!")
    assert r["rouge1"] == pytest.approx(5 / 6)
    assert r["rouge2"] == pytest.approx(3 / 5)
    assert r["rougeL"] == pytest.approx(5 / 6)


def test_rouge_unequal_lengths_and_clipping():
    # ref 株洲日报 (4), hyp 株洲晚报社 (5): unigrams 株洲报 shared -> P 3/5, R 3/4
    r = M.rouge("株洲日报", "株洲晚报社")
    assert r["rouge1"] == pytest.approx(2 / 3)
    assert r["rouge2"] == pytest.approx(2 / 7)  # 株洲 only: P 1/4, R 1/3
    assert r["rougeL"] == pytest.approx(2 / 3)
    # clipping: hyp 好好好 against ref 好 counts one match
    s = M.rouge_n(["好"], ["好", "好", "好"], 1)
    assert (s.precision, s.recall) == (pytest.approx(1 / 3), 1.0)
    assert M.rouge("", "好") == {"rouge1": 0.0, "rouge2": 0.0, "rougeL": 0.0}


def test_lcs_length():
    assert M.lcs_length(list("ABCBDAB"), list("BDCABA")) == 4
    assert M.lcs_length([], list("abc")) == 0


def test_word_tokens_cover_the_same_characters():
    pytest.importorskip("jieba")
    s = "株洲市一季度GDP增长3.5%,外贸进出口总额140.6亿元。"
    words = M.word_tokens(s)
    # same characters as the character tokens, except that a number stays one word (3.5%)
    assert "".join(M.char_tokens("".join(words))) == "".join(M.char_tokens(s))
    assert "3.5%" in words and "140.6" in words
    assert not {",", "。", "%", "."} & set(words)
    assert M.rouge(s, s, M.word_tokens)["rougeL"] == 1.0


# --------------------------------------------------------------------------- numbers, LEAD-1, length


def test_extract_numbers():
    assert M.extract_numbers("增长35.7%，达1，200亿元，共3个") == ["35.7%", "1,200", "3"]
    assert M.extract_numbers("１９５４年6月26日") == ["1954", "6", "26"]
    assert M.number_value("15.20%") == "15.2" and M.number_value("1,200") == "1200"


def test_number_faithfulness_hand_values():
    article = "出口58.1亿元,增长15.2%;全市有412家企业。"
    assert M.number_faithfulness("出口58.1亿元,增长15.20%,共412家和99家", article) == (3, 4)
    assert M.number_faithfulness("没有数字的摘要", article) == (0, 0)
    # 3 must not be found inside 35.7
    assert M.number_faithfulness("增长3%", "增长35.7%") == (0, 1)


def test_lead1_first_sentence():
    assert M.lead1("“市州专门就物流业召开招商大会,在湖南开了先河。”\n8月28日,大会召开。") == (
        "“市州专门就物流业召开招商大会,在湖南开了先河。”"
    )
    assert M.lead1("今年1至7月,总额140.6亿元!同比增长35.7%。") == "今年1至7月,总额140.6亿元!"
    assert M.lead1("没有句末标点的第一段\n第二段。") == "没有句末标点的第一段"
    assert M.lead1("整合资源……推出服务。") == "整合资源……"
    assert M.lead1("") == ""
    assert M.split_sentences("一。二?!三") == ["一。", "二?!", "三"]


def test_summary_length_and_figures():
    assert M.summary_length(" 株洲 日报\n") == 4
    items = [
        ("今天天气很好", "今天天气不好", "今天天气不好,气温25度"),
        ("增长12.5%", "增长12.5%", "同比增长12.5%"),
    ]
    out = M.summary_figures(items, word_rouge=False)
    assert out["n"] == 2
    assert out["char"]["rouge1"] == pytest.approx((5 / 6 + 1) / 2)
    assert out["word"]["rouge1"] is None
    assert out["mean_length_chars"] == pytest.approx((6 + 7) / 2)
    assert (out["numbers_faithful"], out["numbers_total"], out["number_faithfulness"]) == (1, 1, 1.0)
    empty = M.summary_figures([], word_rouge=False)
    assert empty["char"]["rouge1"] is None and empty["number_faithfulness"] is None


# --------------------------------------------------------------------------- reading fixtures


def test_fixture_errors(tmp_path):
    cfg = Config()
    with pytest.raises(EvaluationError, match="no fixtures"):
        find_fixtures(tmp_path, cfg)
    (tmp_path / "x.gold.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(EvaluationError, match="without their issue text"):
        find_fixtures(tmp_path, cfg)
    with pytest.raises(EvaluationError, match="not valid JSON"):
        load_gold(tmp_path / "x.gold.json")
    (tmp_path / "x.gold.json").write_text('{"articles": [{"headline": "x"}]}', encoding="utf-8")
    with pytest.raises(EvaluationError, match="needs a 'text'"):
        load_gold(tmp_path / "x.gold.json")
    with pytest.raises(EvaluationError, match="not found"):
        find_fixtures(tmp_path / "nope", cfg)


# --------------------------------------------------------------------------- perfect and perturbed


def run(tmp_path, perturbations=(), **kw):
    d, gold, places = write_fixture(tmp_path / "fx")
    pipe = StandInPipeline({"xiangjiang_a02": (gold, places)}, perturbations, **kw)
    return evaluate_dir(d, Config(), pipeline=pipe)


SEG = [
    "segmentation.exact_precision",
    "segmentation.exact_recall",
    "segmentation.exact_f1",
    "segmentation.headline_accuracy",
    "segmentation.byline_accuracy",
    "segmentation.boundary_precision",
    "segmentation.boundary_recall",
    "segmentation.boundary_f1",
]
ERRORS = ["segmentation.pk", "segmentation.windowdiff"]  # lower is better
CLS = ["classification.accuracy", "classification.macro_f1"]
SUM = [f"summarization.system.{t}.{r}" for t in ("char", "word") for r in ("rouge1", "rouge2", "rougeL")]
SUM.append("summarization.system.number_faithfulness")
WATCHED = SEG + CLS + SUM


def _worse(base: dict, new: dict) -> set[str]:
    fb, fn = flatten(base["overall"]), flatten(new["overall"])
    out = {k for k in WATCHED if fn[k] < fb[k] - 1e-12}
    out |= {k for k in ERRORS if fn[k] > fb[k] + 1e-12}
    better = {k for k in WATCHED if fn[k] > fb[k] + 1e-12} | {k for k in ERRORS if fn[k] < fb[k] - 1e-12}
    assert not better, f"a perturbation improved {better}"
    return out


@pytest.fixture(scope="module")
def perfect(tmp_path_factory):
    return run(tmp_path_factory.mktemp("perfect")).metrics


def test_perfect_prediction_scores_one_everywhere(perfect):
    flat = flatten(perfect["overall"])
    for key in WATCHED:
        assert flat[key] == pytest.approx(1.0), key
    for key in ERRORS:
        assert flat[key] == 0.0, key
    for lab, row in perfect["overall"]["classification"]["per_label"].items():
        assert row["precision"] == row["recall"] == row["f1"] == 1.0, lab
    assert perfect["overall"]["classification"]["misclassified"] == []
    # LEAD-1 is computed on the same articles and is below the (perfect) system
    lead = perfect["overall"]["summarization"]["lead1"]
    assert lead["n"] == 6 and 0 < lead["char"]["rougeL"] < 1
    assert all(v > 0 for v in perfect["overall"]["summarization"]["system_minus_lead1"].values())
    seg = perfect["issues"]["xiangjiang_a02"]["segmentation"]
    assert seg["n_exact"] == seg["n_gold"] == seg["n_pred"] == 6


def test_merge_lowers_only_segmentation(tmp_path, perfect):
    m = run(tmp_path, [merge(0)]).metrics
    assert _worse(perfect, m) == set(SEG) - {"segmentation.boundary_precision"} | set(ERRORS)
    seg = m["overall"]["segmentation"]
    assert seg["exact_precision"] == pytest.approx(4 / 5) and seg["exact_recall"] == pytest.approx(4 / 6)
    assert seg["headline_accuracy"] == pytest.approx(5 / 6)
    assert m["overall"]["classification"]["n_unscored"] == 1


def test_split_lowers_exact_and_boundary_precision_not_headlines(tmp_path, perfect):
    m = run(tmp_path, [split(0)]).metrics
    assert _worse(perfect, m) == {
        "segmentation.exact_precision",
        "segmentation.exact_recall",
        "segmentation.exact_f1",
        "segmentation.boundary_precision",
        "segmentation.boundary_f1",
        *ERRORS,
    }
    seg = m["overall"]["segmentation"]
    assert (seg["n_pred"], seg["n_exact"]) == (7, 5)


def test_topic_swap_lowers_only_classification(tmp_path, perfect):
    m = run(tmp_path, [swap_topic(2, "trade")]).metrics
    assert _worse(perfect, m) == set(CLS)
    cls = m["overall"]["classification"]
    assert cls["accuracy"] == pytest.approx(5 / 6)
    assert cls["confusion"]["civic"]["trade"] == 1
    (wrong,) = cls["misclassified"]
    assert wrong["gold"] == "civic" and wrong["predicted"] == "trade"
    assert wrong["top2"] == [["trade", 0.8], ["logistics", 0.12]]


def test_dropped_byline_lowers_only_byline_accuracy(tmp_path, perfect):
    m = run(tmp_path, [drop_byline(3)]).metrics
    assert _worse(perfect, m) == {"segmentation.byline_accuracy"}


def test_without_summaries_or_topics(tmp_path):
    m = run(tmp_path, summaries=False, topics=False).metrics
    assert m["overall"]["classification"] is None
    summ = m["overall"]["summarization"]
    assert summ["n_summaries"] == 0 and summ["system"]["char"]["rouge1"] is None
    assert summ["lead1"]["n"] == 6 and "system_minus_lead1" not in summ
