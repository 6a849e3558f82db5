"""The `classify` stage: gold topics, probabilities, evidence, config-driven labels, training."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from pipeline.classify.text import Zones, article_fulltext, article_zones
from pipeline.config import ConfigError, load_config
from pipeline.document import Article, Issue
from pipeline.evaluate.gold import classification_report, gold_records, record_article
from pipeline.runner import Pipeline, PipelineBuildError
from pipeline.stages.classify import ClassifyStage

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"
SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures"
SAMPLE = SHARED / "zhuzhou_daily_sample.txt"
LABELS = ["trade", "logistics", "civic", "history", "education"]

# Original short articles written for these tests (not from any fixture or the sample).
PORT_PARK = Article(
    headline="城北港口物流园吸引28家外贸企业入驻",
    paragraphs=[
        "9月2日,城北港口物流园二期仓库正式启用,新建保税仓储、冷链分拨和集装箱堆场,"
        "园区与港区码头之间的铁路专用线同步贯通。",
        "园区负责人介绍,物流园开园一年已吸引28家外贸企业入驻,企业货物从仓库装箱后直接上船,"
        "通关和转运时间缩短一半,物流成本每标箱下降约300元。",
    ],
)
SCHOOL_ANNIVERSARY = Article(
    headline="一所县城中学的七十年",
    subheadline="建校70周年 校友捐出老照片和档案",
    paragraphs=[
        "1954年秋,这所中学在一座旧祠堂里创办,首届只有两个班、86名学生。七十年来,"
        "学校先后更名三次,校址迁过两回。",
        "校庆前夕,学校校史馆征集到老校友捐赠的老照片、油印讲义和毕业证书两百余件。"
        "一位1962年毕业的校友回忆,当年教室是土砖房,夜里点煤油灯上自习。",
    ],
)
LOGISTICS_COST_COMMENTARY = Article(
    headline="降低物流成本要算好“综合账”",
    byline="李明",
    paragraphs=[
        "企业的账本上,运输、仓储和管理费用占去了不少利润。降低社会物流总费用占GDP的比重,"
        "既要修好铁路专用线和港口码头,也要让公路运输、水运和铁路货运各展所长。",
        "多式联运的关键在于“一单到底”,减少货物倒运和空驶,物流企业才有降本增效的空间。",
    ],
)
SPORT_ARTICLE = Article(
    headline="市全民健身运动会篮球比赛开赛",
    paragraphs=[
        "9月1日,市第五届全民健身运动会篮球比赛在体育中心开赛,32支球队的400余名运动员参赛。"
        "比赛采用小组循环赛制,决赛将于9月8日举行。",
    ],
)


def classify(cfg, *articles: Article) -> list[Article]:
    stage = ClassifyStage(cfg)
    issue = Issue("t", "t", "", articles=list(articles))
    return stage.process(issue).articles


@pytest.fixture(scope="module")
def default_stage() -> ClassifyStage:
    return ClassifyStage(load_config(stages=["segment", "classify"]))


def fixture_records() -> list[dict]:
    return gold_records([FIXTURES]) if FIXTURES.is_dir() else []


# ---- gold topics -------------------------------------------------------------------------------
def test_shared_sample_gets_gold_topics():
    if not SAMPLE.exists():
        pytest.skip("../shared/fixtures/zhuzhou_daily_sample.txt is absent")
    from pipeline.io.assemble import assemble_issue

    cfg = load_config(stages=["segment", "classify"])
    issue = Pipeline(cfg)(assemble_issue([(None, str(SAMPLE), SAMPLE.read_bytes())], str(SAMPLE), "sample", cfg.input))
    gold = json.loads(SAMPLE.with_name("zhuzhou_daily_sample.gold.json").read_text(encoding="utf-8"))
    got = [a.topic for a in issue.articles]
    want = [a["topic"] for a in gold["articles"]]
    assert len(got) == len(want)
    misses = [(a.headline, a.topic, w, a.topic_evidence[:3]) for a, w in zip(issue.articles, want, strict=True) if a.topic != w]
    # at most one of the nine: since the backoff learnt the segmentation corpus (newspaper registers),
    # the people's-congress 70th-anniversary retrospective (gold history) reads as civic to it in its
    # first 400 characters (meeting vocabulary); the lexicon still says history (docs/topics.md)
    assert len(misses) <= 1, misses


def test_fixture_articles_at_least_90_percent(default_stage):
    recs = fixture_records()
    if len(recs) < 30:
        pytest.skip(f"only {len(recs)} fixture articles in tests/fixtures (need 30)")
    clf = default_stage.classifier
    preds = [clf.classify(record_article(r)) for r in recs]
    acc = sum(p.topic == r["topic"] for p, r in zip(preds, recs, strict=True)) / len(recs)
    assert acc >= 0.9, "\n" + classification_report(recs, preds, clf.labels)


@pytest.mark.parametrize(
    ("article", "topic"),
    [(PORT_PARK, "logistics"), (SCHOOL_ANNIVERSARY, "history"), (LOGISTICS_COST_COMMENTARY, "logistics")],
    ids=["port-park-with-trade-firms", "school-70th-anniversary", "logistics-cost-commentary"],
)
def test_documented_ambiguity_decisions(default_stage, article, topic):
    pred = default_stage.classifier.classify(article)
    assert pred.topic == topic, pred


# ---- output fields -----------------------------------------------------------------------------
def _all_articles() -> list[Article]:
    arts = [record_article(r) for r in fixture_records()]
    if SHARED.is_dir():
        arts += [record_article(r) for r in gold_records([SHARED])]
    return arts + [PORT_PARK, SCHOOL_ANNIVERSARY, LOGISTICS_COST_COMMENTARY]


def test_scores_are_a_distribution_and_evidence_occurs_in_article(default_stage):
    arts = _all_articles()
    default_stage.process(Issue("t", "t", "", articles=arts))
    for a in arts:
        assert a.topic in LABELS
        assert list(a.topic_scores) == LABELS
        assert math.isclose(sum(a.topic_scores.values()), 1.0, abs_tol=1e-9)
        assert all(0 < v < 1 for v in a.topic_scores.values())
        assert a.topic == max(a.topic_scores, key=a.topic_scores.get)
        assert isinstance(a.topic_confident, bool)
        assert a.topic_evidence, a.headline
        text = article_fulltext(a)
        for e in a.topic_evidence:
            assert set(e) == {"term", "weight", "label", "path"}
            assert e["term"] in text, (e, a.headline)
            assert e["weight"] > 0 and e["label"] in LABELS and e["path"] in ("lexicon", "backoff")
        assert a.topic_evidence[0]["label"] == a.topic


def test_article_outside_every_label_is_decided_by_the_backoff_not_label_order(default_stage):
    clf = default_stage.classifier
    pos, _ = clf.evidence_scores(article_zones(SPORT_ARTICLE))
    assert sum(pos) == 0  # no lexicon term: the old lexicon gave a uniform tie that `trade` won
    pred = clf.classify(SPORT_ARTICLE)  # no sport label by default
    assert pred.path == "backoff" and pred.evidence
    assert all(e["path"] == "backoff" and e["label"] == pred.topic for e in pred.evidence)
    lb, _, _ = clf.backoff.log_proba(article_zones(SPORT_ARTICLE))
    assert pred.topic == clf.labels[int(np.argmax(lb))]


def test_without_backoff_a_tie_is_marked_and_never_confident():
    cfg = load_config(overrides=["classifier.backoff=null"], stages=["segment", "classify"])
    (a,) = classify(cfg, Article(**vars(SPORT_ARTICLE)))
    assert a.topic_confident is False and a.topic_evidence == []
    assert len(set(a.topic_scores.values())) == 1
    assert ClassifyStage(cfg).classifier.classify(SPORT_ARTICLE).path == "tie"


def test_other_label_takes_out_of_scope_articles():
    cfg = load_config(overrides=["classifier.other_label=other"], stages=["segment", "classify"])
    sport, port = classify(cfg, Article(**vars(SPORT_ARTICLE)), Article(**vars(PORT_PARK)))
    assert list(sport.topic_scores) == LABELS + ["other"]
    assert sport.topic == "other"
    assert port.topic == "logistics" and port.topic_scores["logistics"] >= 0.9
    assert math.isclose(sum(port.topic_scores.values()), 1.0, abs_tol=1e-9)
    with pytest.raises(ConfigError, match="other_label"):
        ClassifyStage(load_config(overrides=["classifier.other_label=trade"], stages=["segment", "classify"]))


def test_other_label_is_off_by_default(default_stage):
    assert default_stage.labels == LABELS


@pytest.mark.parametrize(
    ("text", "absent", "present"),
    [
        ("警方破获一起毒品运输案,犯罪嫌疑人用货车运输毒品。", "运输", None),
        ("该基金历史业绩优秀,基金经理讲述了投资故事。", "历史", None),
        ("市领导到红色教育基地调研。", "红色", None),
        ("公司加强货物运输管理。", "运输", "货物运输"),  # the phrase counts, shown as the phrase
        ("股市创下历史新高。", "历史", None),
        ("村支书王运输说,今年村里修了路。", "运输", None),  # a given name, not freight
        ("120台联合收割机开展跨区作业,农机手领取了作业证。", "作业", None),  # field work, not homework
    ],
)
def test_terms_count_in_context_only(default_stage, text, absent, present):
    hits = {t for t, _ in default_stage.classifier.term_hits(Zones("", text, ""))}
    assert absent not in hits
    if present:
        assert present in hits


def test_context_rules_and_names_from_config():
    text = "老师带学生参观码头,学习货运知识。扶苏帮扶苏家坳的农户。"
    base = load_config(stages=["segment", "classify"])
    hits = {t for t, _ in ClassifyStage(base).classifier.term_hits(Zones("", text, ""))}
    assert "码头" in hits
    cfg = load_config(
        overrides=["classifier.labels.logistics.context={码头: {never_with: [参观]}}", "classifier.names=[苏家坳]"],
        stages=["segment", "classify"],
    )
    hits = {t for t, _ in ClassifyStage(cfg).classifier.term_hits(Zones("", text, ""))}
    assert "码头" not in hits
    with pytest.raises(ConfigError, match="context rule"):
        ClassifyStage(load_config(overrides=["classifier.labels.civic.context={火箭: {with: [发射]}}"]))


@pytest.mark.parametrize(
    "article",
    [
        Article(),
        Article(headline="", paragraphs=[""]),
        Article(paragraphs=["  \n "]),
        Article(paragraphs=["。。。,,!"]),
        Article(headline="学校"),
        Article(paragraphs=["物流"]),
        Article(headline="简讯", paragraphs=["本报讯 天气晴。"]),
    ],
)
def test_empty_or_very_short_article_is_low_confidence(default_stage, article):
    pred = default_stage.classifier.classify(article)
    assert pred.topic in LABELS
    assert pred.confident is False
    assert math.isclose(sum(pred.scores.values()), 1.0, abs_tol=1e-9)
    assert min(pred.scores.values()) > 0


def test_threshold_is_configurable():
    cfg = load_config(overrides=["classifier.threshold=1.0"], stages=["segment", "classify"])
    (a,) = classify(cfg, Article(**vars(PORT_PARK)))
    assert a.topic == "logistics" and a.topic_confident is False


def test_describe_gives_provenance(default_stage):
    d = default_stage.describe()
    assert d["name"] == "classify" and d["backend"] == "lexicon"
    assert d["lexicon"].endswith("default.yaml") and len(d["lexicon_sha256"]) == 16
    assert d["labels"] == LABELS and d["tokenizer"].startswith("rjieba")


# ---- labels from config --------------------------------------------------------------------------
def test_rename_and_sixth_label_through_overrides():
    cfg = load_config(
        overrides=[
            "classifier.labels.commerce.replaces=trade",
            "classifier.labels.sport.description=体育:体育赛事、运动员、全民健身",
            "classifier.labels.sport.keywords={篮球: 3, 比赛: 2.5, 运动会: 3, 球队: 3, 赛事: 3}",
        ],
        stages=["segment", "classify"],
    )
    stage = ClassifyStage(cfg)
    assert stage.labels == ["commerce", "logistics", "civic", "history", "education", "sport"]
    trade_like = Article(
        headline="跨境电商选品会吸引百余家采购商",
        paragraphs=["选品会上,外贸企业与海外采购商现场洽谈,签约订单金额超过两亿元。"],
    )
    sport, commerce = classify(cfg, Article(**vars(SPORT_ARTICLE)), trade_like)
    assert sport.topic == "sport" and sport.topic_confident
    assert commerce.topic == "commerce"
    assert set(commerce.topic_scores) == set(stage.labels)
    assert "体育" in stage.classifier.index  # description words count as keywords too


def test_labels_from_a_yaml_file(tmp_path):
    conf = tmp_path / "labels.yaml"
    conf.write_text(
        "classifier:\n"
        "  labels:\n"
        "    history: {enabled: false}\n"
        "    culture:\n"
        "      description: 文化:文艺演出、展览、非遗、图书阅读\n"
        "      keywords: {演出: 3, 文艺: 3, 剧院: 3, 展览: 2}\n"
        "      patterns: {'第[一二三四五六七八九十]+届.{0,6}艺术节': 3}\n",
        encoding="utf-8",
    )
    cfg = load_config(conf, stages=["segment", "classify"])
    show = Article(
        headline="第三届湘江艺术节开幕 20场演出走进剧院",
        paragraphs=["艺术节期间,话剧、花鼓戏等20场文艺演出将在市大剧院上演。"],
    )
    stage = ClassifyStage(cfg)
    assert stage.labels == ["trade", "logistics", "civic", "education", "culture"]
    (a,) = classify(cfg, show)
    assert a.topic == "culture"
    assert any(e["term"].startswith("第三届") for e in a.topic_evidence)


def test_bad_label_config_is_a_clear_error():
    with pytest.raises(ConfigError, match="replaces"):
        ClassifyStage(
            load_config(overrides=["classifier.labels.x.replaces=nosuch"], stages=["segment", "classify"])
        )
    with pytest.raises(ConfigError, match="needs keywords"):
        ClassifyStage(
            load_config(overrides=["classifier.labels.empty.enabled=true"], stages=["segment", "classify"])
        )
    with pytest.raises(ConfigError, match="bad pattern"):
        ClassifyStage(
            load_config(
                overrides=["classifier.labels.civic.patterns={'(': 1}"], stages=["segment", "classify"]
            )
        )


# ---- tokenizer, pipeline order ---------------------------------------------------------------------
def test_rjieba_gives_the_same_words_as_jieba():
    import jieba
    import rjieba

    from pipeline.classify.text import Tokenizer

    texts = [article_fulltext(a) for a in _all_articles()][:40]
    assert [rjieba.cut(t) for t in texts] == [jieba.lcut(t) for t in texts]
    words = ["多式联运", "铁水联运", "跨境电商", "适老化", "建校"]
    fast, slow = Tokenizer("rjieba", words), Tokenizer("jieba", words)
    assert [fast.cut(t) for t in texts] == [slow.cut(t) for t in texts]
    assert "多式联运" in fast.cut("开展多式联运示范工程")


def test_classify_before_segment_fails_at_build_time():
    with pytest.raises(PipelineBuildError, match=r"stage 'classify' requires 'articles'.*'segment'"):
        Pipeline(load_config(stages=["classify", "segment"]))


# ---- trainable backend ------------------------------------------------------------------------------
def test_training_script_end_to_end_and_linear_backend(tmp_path):
    import importlib.util

    recs = fixture_records()
    if len({r["issue_id"] for r in recs}) < 3 or len({r["topic"] for r in recs}) < 5:
        pytest.skip("need fixture issues covering all five labels")
    spec = importlib.util.spec_from_file_location(
        "train_classifier", REPO / "scripts" / "train_classifier.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    data = tmp_path / "fixtures.jsonl"
    assert mod.main(["--from-fixtures", str(FIXTURES), "--export", str(data)]) == 0
    rows = [json.loads(line) for line in data.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == len(recs) and {"text", "headline", "topic"} <= set(rows[0])
    out = tmp_path / "linear"
    assert mod.main(["--data", str(data), "--out", str(out), "--C", "10"]) == 0
    assert {p.name for p in out.iterdir()} == {"model.json", "weights.safetensors", "README.md"}
    card = (out / "README.md").read_text(encoding="utf-8")
    assert "accuracy" in card and "Held-out" in card

    cfg = load_config(
        overrides=["classifier.backend=linear", f"classifier.model_path={out}"],
        stages=["segment", "classify"],
    )
    stage = ClassifyStage(cfg)
    assert stage.describe()["backend"] == "linear"
    arts = [record_article(r) for r in recs]
    stage.process(Issue("t", "t", "", articles=arts))
    assert sum(a.topic == r["topic"] for a, r in zip(arts, recs, strict=True)) / len(recs) >= 0.9  # seen data
    for a in arts[:10]:
        assert math.isclose(sum(a.topic_scores.values()), 1.0, abs_tol=1e-9)
        assert all(e["term"] in article_fulltext(a) for e in a.topic_evidence)
    (empty,) = classify(cfg, Article())
    assert empty.topic_confident is False
    # renaming works for a trained model too
    cfg2 = load_config(
        overrides=[
            "classifier.backend=linear",
            f"classifier.model_path={out}",
            "classifier.labels.commerce.replaces=trade",
        ],
        stages=["segment", "classify"],
    )
    assert "commerce" in ClassifyStage(cfg2).labels


def test_linear_backend_without_model_path_is_a_clear_error():
    with pytest.raises(ConfigError, match="model_path"):
        ClassifyStage(load_config(overrides=["classifier.backend=linear"], stages=["segment", "classify"]))


def _tiny_bert(path: Path, texts: list[str]) -> Path:
    """A 1-layer, 32-wide BERT with a character vocabulary of `texts`, built locally."""
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizer

    chars = sorted({c for t in texts for c in t if not c.isspace()})
    vocab = {w: i for i, w in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *chars])}
    tok = BertTokenizer(vocab=vocab, do_lower_case=False)
    cfg = BertConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=256,
        num_labels=2,
    )
    BertForSequenceClassification(cfg).save_pretrained(path)
    tok.save_pretrained(path)
    return path


def test_transformers_fine_tune_on_a_tiny_local_bert(tmp_path):
    import importlib.util

    import torch

    recs = fixture_records()
    if len({r["issue_id"] for r in recs}) < 3 or len({r["topic"] for r in recs}) < 5:
        pytest.skip("need fixture issues covering all five labels")
    torch.manual_seed(0)
    base = _tiny_bert(tmp_path / "tiny-bert", [(r["headline"] or "") + r["text"] for r in recs])
    spec = importlib.util.spec_from_file_location("train_classifier", REPO / "scripts" / "train_classifier.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    out = tmp_path / "tx"
    args = ["--from-fixtures", str(FIXTURES), "--out", str(out), "--backend", "transformers"]
    args += ["--base-model", str(base), "--epochs", "2", "--max-length", "128", "--batch-size", "16", "--device", "cpu"]
    assert mod.main(args) == 0
    assert (out / "model.safetensors").exists() and (out / "newspipe.json").exists()
    assert "Held-out" in (out / "README.md").read_text(encoding="utf-8")

    cfg = load_config(
        overrides=["classifier.backend=transformers", f"classifier.model_path={out}", "classifier.batch_size=4"],
        stages=["segment", "classify"],
    )
    stage = ClassifyStage(cfg)
    assert stage.labels == sorted(LABELS)
    arts = [record_article(r) for r in recs[:6]] + [Article()]
    stage.process(Issue("t", "t", "", articles=arts))
    for a in arts:
        assert a.topic in LABELS
        assert math.isclose(sum(a.topic_scores.values()), 1.0, abs_tol=1e-9)
        assert all(e["term"] in article_fulltext(a) for e in a.topic_evidence)
    assert any(a.topic_evidence for a in arts[:6])
    assert arts[-1].topic_confident is False
    assert stage.describe()["backend"] == "transformers"


def test_shipped_resources_are_named_by_package_name(tmp_path):
    """Issue 11, items 1-2: the shipped lexicon and linear model are read from the package and
    recorded as `pipeline:...`; a user path is recorded as given."""
    d = ClassifyStage(load_config(stages=["segment", "classify"])).describe()
    assert d["lexicon"] == "pipeline:models/lexicon/default.yaml"
    cfg = load_config(
        overrides=["classifier.backend=linear", "classifier.model_path=pipeline:models/linear"],
        stages=["segment", "classify"],
    )
    d = ClassifyStage(cfg).describe()
    assert d["model_path"] == "pipeline:models/linear" and d["backend"] == "linear"
    with pytest.raises(ConfigError, match="the shipped one is named pipeline:models/linear"):
        ClassifyStage(load_config(overrides=["classifier.backend=linear", "classifier.model_path=models/linear"]))
    lex = tmp_path / "lex.yaml"
    lex.write_text("labels:\n  a: {keywords: {货运: 1}}\n  b: {keywords: {学校: 1}}\n", encoding="utf-8")
    d = ClassifyStage(load_config(overrides=[f"classifier.lexicon={lex}"])).describe()
    assert d["lexicon"] == str(lex)


# ---- backoff, calibration, speed paths -----------------------------------------------------------
def test_backoff_fast_features_equal_the_model_features(default_stage):
    backoff = default_stage.classifier.backoff
    assert backoff.fast
    for a in _all_articles()[:20]:
        z = article_zones(a)
        i1, v1 = backoff.features(z)
        i2, v2 = backoff.model.vectorizer.transform_one(backoff.model.features(z))
        assert (i1 == i2).all() and np.allclose(v1, v2)


def test_pattern_lookahead_finds_the_same_matches(default_stage):
    import re

    clf = default_stage.classifier
    plain = re.compile("|".join(f"(?P<p{i}>{p.source})" for i, p in enumerate(clf.patterns)))
    assert clf._combined.pattern.startswith("(?=[")
    texts = [article_zones(a).full for a in _all_articles()] + ["1958年建校,上世纪80年代,3年级,5万吨级,TEU"]
    for t in texts:
        assert [m.span() for m in clf._combined.finditer(t)] == [m.span() for m in plain.finditer(t)]


def test_first_chars_gives_up_where_it_cannot_know():
    from pipeline.classify.lexicon import first_chars

    assert first_chars("(?<![0-9])1[6-9]年|上世纪") == {"1", "上"}
    assert first_chars("a?b") is None and first_chars(r"\d+年") is None and first_chars("(?i)teu") is None


def test_shipped_backoff_has_a_card_and_no_pickle():
    d = REPO / "pipeline" / "models" / "backoff"
    assert {p.name for p in d.iterdir()} == {"README.md", "model.json", "weights.safetensors"}
    meta = json.loads((d / "model.json").read_text(encoding="utf-8"))["meta"]
    assert {"closed", "open"} <= set(meta["calibration"]) and meta["n"] >= 400
    assert "data/topics" in (d / "README.md").read_text(encoding="utf-8")
