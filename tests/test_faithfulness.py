"""The faithfulness guard: the check itself, the three policies (failures built on purpose with a
stub generator behind the summarizer's interface), the beam-candidates hook on a tiny model,
the record fields, the licence notice and the evaluation figure."""

from __future__ import annotations

import logging

import pytest

from pipeline.config import load_config
from pipeline.document import Article, Issue
from pipeline.io.records import render_records, validate_record
from pipeline.stages import summarize as summarize_stage
from pipeline.stages.summarize import SummarizeStage
from pipeline.summarize.faithfulness import ArticleFacts, check_summary, choose, cn_value, mentions
from pipeline.summarize.seq2seq import Seq2SeqSummarizer, Summary

ARTICLE = (
    "本报讯（记者 林晓）3月12日，江城市2024年春季植树活动在湘江风光带举行。市直机关干部、志愿者和中小学生"
    "约12000人参加，共栽下香樟、桂花等苗木3600余株，三家企业捐赠树苗两千株。\n"
    "近年来，江城市森林覆盖率达到62.5%，建成区绿化覆盖率提高到30%。市林业局局长王刚介绍，"
    "今年将新建口袋公园25个，《江城市绿化条例》将于10月1日起施行，全年投入18.6亿元。"
)
GOOD = "3月12日，江城市约1.2万人参加植树，栽下苗木3600余株。"
BAD_NUMBER = "3月12日，江城市约1.5万人参加植树，栽下苗木3600余株。"
BAD_NAME = "江城市市长李明出席植树活动，约1.2万人参加。"


# ---------------------------------------------------------------- the check
@pytest.mark.parametrize(
    "text, value",
    [("两千", 2000), ("三万五千", 35000), ("一万二", 12000), ("十二", 12), ("二十", 20), ("一百零五", 105),
     ("二〇二四", 2024), ("三千五", 3500), ("一亿两千万", 120_000_000), ("十", 10)],
)  # fmt: skip
def test_chinese_numerals_are_read(text, value):
    assert cn_value(text) == value


def test_numbers_are_compared_by_value_with_units():
    facts = ArticleFacts(ARTICLE)
    supported = [
        "约1.2万人参加",  # 12000 == 1.2万
        "约一万二千人参加",  # and in Chinese numerals
        "约１２，０００人参加",  # full-width digits and comma
        "捐赠树苗2000株",  # 两千 == 2000
        "覆盖率提高到三成",  # 三成 == 30%
        "覆盖率提高到百分之三十",
        "森林覆盖率62.5％",
        "投入18.6亿元",
        "投入1,860,000,000元",
        "三家企业捐赠",
        "二〇二四年三月十二日举行",  # the date in Chinese numerals
        "2024年植树",
        "10月1日起施行",
    ]
    for s in supported:
        assert facts.check(s).ok, (s, facts.check(s))
    unsupported = {
        "约1.5万人参加": "1.5万",
        "覆盖率提高到四成": "四成",
        "覆盖率提高到30个": "30",  # 30% is a percentage, not the number 30
        "投入18.6万元": "18.6万",
        "5家企业捐赠": "5",
        "两千五百株": "两千五百",
        "3月15日举行": "3月15日",
        "2023年植树": "2023年",
        "五年来": "五",  # a number is named as written, without its measure word
    }
    for s, bad in unsupported.items():
        got = facts.check(s)
        assert not got.ok and got.unsupported == [bad], (s, got)


def test_words_with_numerals_are_not_numbers():
    facts = ArticleFacts(ARTICLE)
    for s in ("千方百计推进植树", "这一活动十分重要", "进一步推进国土绿化", "一个个志愿者", "第一批苗木"):
        assert facts.check(s).ok, (s, facts.check(s))
    assert [m.text for m in mentions("建成3千米绿道")] == ["3"]  # 千米 is a unit, not a multiplier


def test_names_and_titles():
    facts = ArticleFacts(ARTICLE)
    assert facts.check("林业局局长王刚介绍了江城市的绿化计划。").ok
    got = facts.check(BAD_NAME)
    assert not got.ok and got.unsupported == ["李明"]
    got = facts.check("《江城市绿化条例》将施行，《江城日报》报道。")
    assert got.unsupported == ["《江城日报》"]
    assert check_summary("北京举行植树活动。", ARTICLE).unsupported == ["北京"]


# ---------------------------------------------------------------- choose
def test_choose_follows_the_policy():
    bad, good = BAD_NUMBER, GOOD
    flag = choose("flag", [bad, good], ARTICLE)
    assert (flag.index, flag.check.ok, flag.check.unsupported) == (0, False, ["1.5万"])
    rerank = choose("rerank", [bad, good], ARTICLE)
    assert (rerank.index, rerank.check.ok, rerank.candidates) == (1, True, 2)
    none = choose("rerank", [BAD_NAME + BAD_NUMBER, BAD_NUMBER], ARTICLE)
    assert none.index is None and none.best == 1 and none.check.unsupported == ["1.5万"]
    ext = choose("extractive", [bad, good], ARTICLE)
    assert ext.index is None and ext.candidates == 1  # only the model's own summary is checked
    assert choose("extractive", [good, bad], ARTICLE).index == 0


# ---------------------------------------------------------------- the stage, with a stub generator
class StubGenerator:
    """Behind the Seq2SeqSummarizer interface: writes the scripted candidates for each article."""

    def __init__(
        self, script: dict[str, list[str]], num_beams: int = 4, ref: str = "stub/model@0000"
    ) -> None:
        self.script, self.num_beams, self.ref = script, num_beams, ref
        self.asked: list[int] = []

    def summarize(self, texts, candidates: int = 1):
        self.asked.append(candidates)
        out = []
        for t in texts:
            cands = self.script[t][: max(1, min(candidates, self.num_beams))]
            out.append(Summary(cands[0], "full", cands if candidates > 1 else []))
        return out

    def describe(self):
        return {"model": self.ref, "licence": None}


@pytest.fixture()
def stub_stage(monkeypatch):
    """A summarize stage whose abstractive backend is the stub (no model is loaded)."""
    made: list[StubGenerator] = []

    def build(policy: str, script: dict[str, list[str]], **kw):
        gen = StubGenerator(script, **kw)
        made.append(gen)
        monkeypatch.setattr(Seq2SeqSummarizer, "from_settings", classmethod(lambda cls, cfg: gen))
        return SummarizeStage(
            load_config(overrides=["summarizer.model=stub/model", f"summarizer.faithfulness={policy}"])
        )

    return build


OTHER = "市场监管部门开展节日市场专项检查，共检查商户436家，发现问题27个，已全部督促整改。"


def _run(st, texts):
    issue = Issue("t", "t.txt", "", articles=[Article(paragraphs=[t]) for t in texts])
    (out,) = list(st.pipe([issue]))
    records = render_records(
        out, [st], {"package": "newspipe", "version": "0", "config_hash": "x" * 8, "stages": []}
    )
    return out.articles, records


def test_policy_flag_keeps_and_records(stub_stage):
    st = stub_stage("flag", {ARTICLE: [BAD_NUMBER, GOOD], OTHER: ["检查商户436家，发现问题27个。"]})
    (a, b), records = _run(st, [ARTICLE, OTHER])
    assert st.abstractive.asked == [1]  # flag needs one summary, not the beam's candidates
    assert (
        a.summary == BAD_NUMBER and a.summary_method == "abstractive" and a.summary_model == "stub/model@0000"
    )
    assert records[0]["summary_check"] == {"ok": False, "unsupported": ["1.5万"]}
    assert records[0]["summary_fallback"] is None
    assert records[1]["summary_check"] == {"ok": True, "unsupported": []}


def test_policy_rerank_keeps_the_first_that_passes_else_extractive(stub_stage):
    st = stub_stage(
        "rerank",
        {ARTICLE: [BAD_NUMBER, BAD_NAME, GOOD, BAD_NUMBER], OTHER: ["检查商户500家。", "检查商户43家。"]},
    )
    (a, b), records = _run(st, [ARTICLE, OTHER])
    assert st.abstractive.asked == [4]  # num_beams candidates
    assert a.summary == GOOD and a.summary_method == "abstractive"
    assert (
        records[0]["summary_check"] == {"ok": True, "unsupported": []}
        and records[0]["summary_fallback"] is None
    )
    # no candidate passes: the extractive summary, and the record says why
    assert b.summary_method == "extractive" and b.summary_model is None
    assert b.summary and b.summary in OTHER.replace("。", "") + "。"
    fb = records[1]["summary_fallback"]
    assert fb == {
        "reason": "unfaithful",
        "candidates": 2,
        "rejected": "检查商户500家。",
        "unsupported": ["500"],
    }
    assert records[1]["summary_check"] == {"ok": True, "unsupported": []}  # of the extractive summary it has
    for rec in records:
        validate_record({**rec, **_identity()})


def test_policy_extractive_replaces_an_unfaithful_summary(stub_stage):
    st = stub_stage("extractive", {ARTICLE: [BAD_NUMBER, GOOD], OTHER: ["检查商户436家。", "x"]})
    (a, b), records = _run(st, [ARTICLE, OTHER])
    assert st.abstractive.asked == [1]
    assert a.summary_method == "extractive" and records[0]["summary_fallback"]["reason"] == "unfaithful"
    assert records[0]["summary_fallback"]["rejected"] == BAD_NUMBER
    assert b.summary == "检查商户436家。" and b.summary_method == "abstractive"


def test_default_policy_is_rerank_and_unavailable_model_says_so(caplog):
    assert load_config().summarizer.faithfulness == "rerank"
    with caplog.at_level(logging.WARNING):
        st = SummarizeStage(load_config(overrides=["summarizer.model=no-such-org/no-such-model-xyz"]))
    (a,), records = _run(st, [OTHER])
    assert a.summary_method == "extractive"
    assert (
        records[0]["summary_fallback"] == {"reason": "model_unavailable"}
        and records[0]["summary_check"] is None
    )
    st = SummarizeStage(load_config(overrides=["summarizer.backend=extractive"]))
    (_,), records = _run(st, [OTHER])
    assert records[0]["summary_fallback"] is None and records[0]["summary_check"] is None


def _identity():
    return {
        "kicker": None, "headline": None, "subheadline": None, "column": None, "byline": None, "authors": [],
        "captions": [], "text": "", "span": [0, 0], "continued_to": None, "continued_from": None, "page": None,
    }  # fmt: skip


# ---------------------------------------------------------------- licence
def test_licence_printed_once_when_a_model_loads(stub_stage, monkeypatch, caplog):
    monkeypatch.setattr(summarize_stage, "_LICENCES_SHOWN", set())
    gen = StubGenerator({}, ref="csebuetnlp/mT5_multilingual_XLSum@2437a52")
    monkeypatch.setattr(Seq2SeqSummarizer, "from_settings", classmethod(lambda cls, cfg: gen))
    with caplog.at_level(logging.WARNING):
        SummarizeStage(load_config())  # the default preset, its model "loaded"
        SummarizeStage(load_config())
    lines = [r.getMessage() for r in caplog.records if "licen" in r.getMessage()]
    assert len(lines) == 1
    assert "CC-BY-NC-SA-4.0" in lines[0] and "non-commercial" in lines[0] and "t5_en_ru_zh_2048" in lines[0]


def test_licence_of_a_local_model_comes_from_its_card(tmp_path, monkeypatch, caplog):
    from pipeline.stages.summarize import licence_message
    from pipeline.summarize.presets import ModelSpec, card_licence

    (tmp_path / "README.md").write_text(
        "---\nlanguage: zh\nlicense: apache-2.0\n---\n# card\n", encoding="utf-8"
    )
    assert card_licence(str(tmp_path)) == "apache-2.0"
    msg = licence_message(ModelSpec(model=str(tmp_path)), "models/x")
    assert msg == "summarizer: model models/x is licensed apache-2.0"
    (tmp_path / "README.md").write_text("# no front matter\n", encoding="utf-8")
    assert "licence unknown" in licence_message(ModelSpec(model=str(tmp_path)), "models/x")


# ---------------------------------------------------------------- the real hook, tiny model
def test_tiny_model_returns_the_beams_candidates(tmp_path):
    from pipeline.summarize.tiny import build_tiny_mt5

    model = build_tiny_mt5(tmp_path / "mt5")  # the built-in text: a vocabulary in a fraction of a second
    base = [
        "summarizer.generation.num_beams=3",
        "summarizer.generation.max_new_tokens=10",
        f"summarizer.model={model}",
    ]
    s = SummarizeStage(load_config(overrides=[*base, "summarizer.faithfulness=flag"])).abstractive
    texts = [ARTICLE, OTHER, ""]
    one = s.summarize(texts)
    many = s.summarize(texts, candidates=3)
    assert [r.text for r in one] == [r.text for r in many]  # the best beam is the same summary
    assert [len(r.candidates) for r in many] == [3, 3, 0] and many[0].candidates[0] == many[0].text
    assert s.generation_config.num_return_sequences in (None, 1)  # restored
    assert s.summarize(texts, candidates=9)[0].candidates.__len__() == 3  # never more than the beams
    # end to end under rerank: every record carries the check, and a kept summary passes it
    st = SummarizeStage(load_config(overrides=base))
    arts, records = _run(st, [ARTICLE, OTHER])
    for art, rec in zip(arts, records, strict=True):
        assert rec["summary_check"] is not None
        if art.summary_method == "abstractive":
            assert rec["summary_check"]["ok"] and rec["summary_fallback"] is None
        else:
            assert (
                rec["summary_fallback"]["reason"] == "unfaithful"
                and rec["summary_fallback"]["candidates"] == 3
            )


# ---------------------------------------------------------------- evaluation figure
def test_evaluate_reports_the_check_pass_rate():
    import pipeline.evaluate.metrics as M

    out = M.summary_figures([("ref", GOOD, ARTICLE), ("ref", BAD_NAME, ARTICLE)], word_rouge=False)
    assert (out["checks_passed"], out["check_pass_rate"]) == (1, 0.5)
    assert out["numbers_total"] == 5  # the number figure is still there, next to the check
    assert M.summary_figures([], word_rouge=False)["check_pass_rate"] is None
