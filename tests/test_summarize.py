"""The summarize stage: tiny local seq2seq models, batching, long input, cleaning, extractive, fallback."""

from __future__ import annotations

import logging
import os
import re

import pytest
from conftest import local_texts

from pipeline.config import ConfigError, load_config
from pipeline.document import Article, Issue
from pipeline.stages.summarize import SummarizerUnavailable, SummarizeStage
from pipeline.summarize.extractive import ExtractiveSummarizer
from pipeline.summarize.postprocess import clean_summary, fix_spacing, normalize_punctuation, trim
from pipeline.summarize.presets import load_preset, resolve_model_spec
from pipeline.summarize.sentences import split_sentences
from pipeline.summarize.tiny import BUILTIN_TEXT, build_tiny_bart, build_tiny_mt5

CJK = "\u4e00-\u9fff"
PARAS = [line for line in BUILTIN_TEXT.splitlines() if re.search(f"[{CJK}]", line)]
# articles of different lengths, built from the built-in paragraphs
ARTICLES = [PARAS[i : i + 1 + i % 4] for i in range(len(PARAS))]
# generation mechanics: random tiny models write unsupported numbers, so the guard only flags here
FAST = ["summarizer.generation.num_beams=1", "summarizer.generation.max_new_tokens=12", "summarizer.faithfulness=flag"]


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny-models")
    texts = local_texts()
    return {"mt5": str(build_tiny_mt5(root / "mt5", texts)), "bart": str(build_tiny_bart(root / "bart", texts))}


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def make_issue(paragraph_lists, issue_id="t"):
    return Issue(issue_id, f"{issue_id}.txt", "", articles=[Article(paragraphs=list(p)) for p in paragraph_lists])


def stage(*overrides):
    return SummarizeStage(load_config(overrides=list(overrides)))


# ---------------------------------------------------------------- abstractive, tiny models
@pytest.mark.parametrize(
    "kind, model_cls, tok_cls",
    [("mt5", "MT5ForConditionalGeneration", "T5Tokenizer"), ("bart", "BartForConditionalGeneration", "BertTokenizer")],
)
def test_tiny_model_loads_offline_through_auto_classes(tiny_models, kind, model_cls, tok_cls):
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    st = stage(f"summarizer.model={tiny_models[kind]}", *FAST)
    assert type(st.abstractive.model).__name__ == model_cls
    assert type(st.abstractive.tokenizer).__name__ == tok_cls
    issue = make_issue(ARTICLES[:4] + [[]])
    (out,) = list(st.pipe([issue]))
    assert out is issue
    for art in out.articles[:4]:
        assert art.summary, "random tiny models must still write something (min_new_tokens)"
        assert art.summary_method == "abstractive"
        assert art.summary_model == tiny_models[kind]
        assert art.summary_input == "full"
        assert len(art.summary) <= 120
    empty = out.articles[4]
    assert empty.summary == "" and empty.summary_input == "full"
    info = st.describe()
    assert info["backend"] == "abstractive" and info["model"] == tiny_models[kind]
    assert info["dtype"] == "float32" and info["device"] == "cpu"


@pytest.mark.parametrize("kind", ["mt5", "bart"])
def test_batched_equals_one_at_a_time_under_greedy(tiny_models, kind):
    import torch

    texts = ["\n".join(p) for p in ARTICLES]
    assert len({len(t) for t in texts}) > 5  # different lengths, so padding matters
    batched = stage(f"summarizer.model={tiny_models[kind]}", *FAST, "summarizer.max_batch_size=64").abstractive
    single = stage(f"summarizer.model={tiny_models[kind]}", *FAST, "summarizer.max_batch_size=1").abstractive
    torch.manual_seed(0)
    got = batched.summarize(texts)
    assert batched.stats["batches"] == 1
    want = single.summarize(texts)
    assert single.stats["batches"] == len(texts)
    assert [g.text for g in got] == [w.text for w in want]
    assert len({g.text for g in got}) > 1  # the model does read its input
    # and both equal a plain per-article generate() on the same token ids
    m, tok = single.model, single.tokenizer
    for text, g in zip(texts[:3], got[:3], strict=True):
        enc = tok([text], return_tensors="pt", return_token_type_ids=False)
        ids = m.generate(**enc, generation_config=single.generation_config)[0]
        plain = clean_summary(tok.decode(ids, skip_special_tokens=True), 120, single.all_special)
        assert plain == g.text


def test_batches_respect_budget_and_sort_by_length(tiny_models):
    s = stage(f"summarizer.model={tiny_models['mt5']}", *FAST, "summarizer.token_budget=1000").abstractive
    lengths = [30, 400, 120, 250, 90, 600, 10]
    batches = s.plan_batches(lengths)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    flat = [lengths[i] for b in batches for i in b]
    assert flat == sorted(lengths, reverse=True)
    for b in batches:
        assert len(b) == 1 or len(b) * max(lengths[i] for i in b) <= 1000


def test_stage_pools_articles_across_issues(tiny_models):
    st = stage(f"summarizer.model={tiny_models['mt5']}", *FAST)
    issues = [make_issue(ARTICLES[:3], "a"), make_issue([], "b"), make_issue(ARTICLES[3:6], "c")]
    out = list(st.pipe(issues))
    assert [i.issue_id for i in out] == ["a", "b", "c"]
    assert st.abstractive.stats["batches"] == 1 and st.abstractive.stats["inputs"] == 6
    assert all(a.summary for i in out for a in i.articles)


@pytest.mark.parametrize("mode, recorded", [("chunk", "chunked"), ("truncate", "truncated")])
def test_long_input_is_chunked_or_truncated(tiny_models, mode, recorded):
    long_text = "\n".join(PARAS * 3)  # ~1,700 characters: far over a 64-token limit
    run_on = re.sub(r"[，。！？、；：“”]", "", long_text.replace("\n", ""))  # no sentence boundary at all
    st = stage(
        f"summarizer.model={tiny_models['mt5']}",
        *FAST,
        "summarizer.max_input_tokens=64",
        f"summarizer.long_input={mode}",
    )
    issue = make_issue([[long_text], [run_on], [PARAS[-2][:20]]])
    (out,) = list(st.pipe([issue]))
    assert [a.summary_input for a in out.articles] == [recorded, recorded, "full"]
    assert all(a.summary for a in out.articles)
    if mode == "chunk":
        chunks = st.abstractive._chunks(long_text)
        assert len(chunks) > 3
        assert all(len(ids) <= 64 for ids in st.abstractive._encode(chunks, truncate=False))


def test_bart_bert_vocab_output_has_no_spaces_between_cjk(tiny_models):
    st = stage(f"summarizer.model={tiny_models['bart']}", *FAST)
    s = st.abstractive
    raw = s.tokenizer.batch_decode(s.generate_ids(s._encode(["\n".join(p) for p in ARTICLES[:4]])), skip_special_tokens=True)
    assert any(re.search(f"[{CJK}] [{CJK}]", r) for r in raw), "the BERT-vocab decoder spaces CJK out"
    (out,) = list(st.pipe([make_issue(ARTICLES[:4])]))
    for art in out.articles:
        assert art.summary
        assert not re.search(rf"[{CJK}，。、；：！？（）]\s+[{CJK}，。、；：！？（）]", art.summary)


# ---------------------------------------------------------------- fallback
def test_unfetchable_model_warns_once_and_goes_extractive(caplog):
    with caplog.at_level(logging.WARNING):
        st = stage("summarizer.model=no-such-org/no-such-model-xyz")
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING and r.name.startswith("pipeline")]
    assert len(warnings) == 1
    msg = warnings[0].getMessage()
    assert "\n" not in msg
    assert "no-such-org/no-such-model-xyz" in msg
    assert "scripts/download_model.py" in msg and "summarizer.model" in msg
    assert "--set summarizer.backend=extractive" in msg
    (out,) = list(st.pipe([make_issue(ARTICLES[:3])]))
    for art in out.articles:
        assert art.summary and art.summary_method == "extractive" and art.summary_model is None
    assert st.describe()["backend"] == "extractive"


def test_default_preset_offline_falls_back(caplog):
    with caplog.at_level(logging.WARNING):
        st = stage()
    assert st.method == "extractive"
    assert "csebuetnlp/mT5_multilingual_XLSum" in caplog.text


def test_fallback_error_stops_at_construction():
    with pytest.raises(SummarizerUnavailable) as err:
        stage("summarizer.model=no-such-org/no-such-model-xyz", "summarizer.fallback=error")
    assert isinstance(err.value, ConfigError)
    assert "no-such-org/no-such-model-xyz" in str(err.value) and "download_model.py" in str(err.value)
    assert "stopping before any input" in str(err.value)


@pytest.mark.parametrize("fallback", ["extractive", "error"])
@pytest.mark.parametrize("path", ["./no/such/model-dir", "/wrong/path", "~/no-such-model-dir-xyz"])
def test_mistyped_local_model_path_is_a_config_error(path, fallback, caplog):
    """Issue 11, item 3: a path that looks local and is not there never falls back."""
    with pytest.raises(ConfigError) as err, caplog.at_level(logging.WARNING):
        stage(f"summarizer.model={path}", f"summarizer.fallback={fallback}")
    msg = str(err.value)
    assert msg.startswith("summarizer.model: no model directory at " + path)
    assert "download_model.py" not in msg  # downloading cannot fix a typo
    assert not caplog.records  # no warning about falling back


def test_broken_local_model_directory_is_a_config_error(tmp_path):
    (tmp_path / "config.json").write_text("{}", encoding="utf-8")
    with pytest.raises(ConfigError, match="cannot load the model directory"):
        stage(f"summarizer.model={tmp_path}")


def test_cli_mistyped_model_path_exits_2(tmp_path):
    import subprocess
    import sys

    from conftest import REPO

    proc = subprocess.run(
        [sys.executable, "-m", "pipeline", "run", str(REPO / "examples" / "sample_issue.txt"), "-o",
         str(tmp_path / "o.jsonl"), "--set", "summarizer.model=/wrong/path"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert "no model directory at /wrong/path" in proc.stderr and "download_model.py" not in proc.stderr
    assert not (tmp_path / "o.jsonl").exists()


def test_unfetchable_hub_model_advice_fits_the_cause(monkeypatch):
    from pipeline.stages.summarize import unavailable_message
    from pipeline.summarize.presets import ModelSpec

    spec = ModelSpec(model="org/name", revision="abc")
    offline = unavailable_message(spec, "not cached", True, "offline")
    assert "hf download org/name --revision abc --local-dir DIR" in offline and "HF_HUB_OFFLINE" in offline
    assert "HF_HUB_OFFLINE" not in unavailable_message(spec, "hub cannot be reached", True, "unreachable")
    other = unavailable_message(spec, "404 Repository Not Found", True, "other")
    assert "download" not in other and "check summarizer.model" in other


def test_extractive_backend_never_loads_a_model(caplog):
    with caplog.at_level(logging.WARNING):
        st = stage("summarizer.backend=extractive")
    assert st.abstractive is None and not caplog.records
    (out,) = list(st.pipe([make_issue(ARTICLES[:2])]))
    assert out.articles[0].summary_method == "extractive"


# ---------------------------------------------------------------- presets
def test_presets():
    xlsum = load_preset("mt5_xlsum")
    assert xlsum.model == "csebuetnlp/mT5_multilingual_XLSum"
    assert re.fullmatch(r"[0-9a-f]{40}", xlsum.revision)
    assert xlsum.prefix == "" and xlsum.max_input_tokens == 512
    g = xlsum.generation
    assert (g.num_beams, g.no_repeat_ngram_size, g.length_penalty, g.max_new_tokens) == (4, 2, 0.6, 84)
    t5 = load_preset("t5_en_ru_zh_2048")
    assert t5.prefix == "summary: " and t5.max_input_tokens == 2048 and t5.licence == "Apache-2.0"

    spec = resolve_model_spec(load_config().summarizer)
    assert spec.revision == xlsum.revision and spec.generation["num_beams"] == 4
    spec = resolve_model_spec(
        load_config(overrides=["summarizer.model=/x/y", "summarizer.generation.num_beams=2"]).summarizer
    )
    assert spec.model == "/x/y" and spec.revision is None  # the pin belongs to the preset's model
    assert spec.generation["num_beams"] == 2 and spec.generation["max_new_tokens"] == 84
    with pytest.raises(ConfigError, match="unknown summarizer.preset"):
        stage("summarizer.preset=nope")


# ---------------------------------------------------------------- extractive
NEWS = (
    "本报讯（记者 林晓）3月12日，江城市2024年春季植树活动在湘江风光带举行。市直机关干部、志愿者和中小学生约1200人参加，"
    "共栽下香樟、桂花等苗木3600余株。\n"
    "近年来，江城市持续推进国土绿化行动，全市森林覆盖率达到62.5%。市林业局负责人介绍，今年将新建口袋公园25个。\n"
    "绿化行动\n"
    "“种下一棵树，就是种下一份希望。”参加植树活动的志愿者王芳说，她已经连续五年参加义务植树活动。\n"
    "据了解，江城市今年计划完成植树造林1.8万亩，春季植树活动将持续到4月底。"
)


def _numbers(text):
    return re.findall(r"\d+(?:\.\d+)?", text)


@pytest.mark.parametrize("budget", [40, 60, 120, 200])
def test_extractive_whole_sentences_budget_numbers(budget):
    ex = ExtractiveSummarizer(max_chars=budget, min_chars=60)
    summary = ex.summarize(NEWS)
    assert summary and len(summary) <= budget
    for sent in split_sentences(summary):
        assert sent in NEWS or sent.rstrip("。") in NEWS
    assert all(n in NEWS for n in _numbers(summary))
    assert "本报讯" not in summary and "绿化行动" not in summary.replace("国土绿化行动", "")
    assert ex.summarize(NEWS) == summary  # deterministic
    assert ExtractiveSummarizer(max_chars=budget, min_chars=60).summarize(NEWS) == summary


def test_extractive_prefers_the_lead_and_keeps_article_order():
    summary = ExtractiveSummarizer(max_chars=120, min_chars=60).summarize(NEWS)
    assert summary.startswith("3月12日，江城市2024年春季植树活动")
    sents = split_sentences(summary)
    assert [NEWS.index(s) for s in sents] == sorted(NEWS.index(s) for s in sents)


def test_extractive_edge_cases():
    ex = ExtractiveSummarizer(max_chars=30, min_chars=10)
    assert ex.summarize("") == "" and ex.summarize("  \n ") == ""
    long_sentence = "江城市今年将新建口袋公园25个，改造提升绿道48公里，新增公办学位8000个，新建中小学12所，全面提升城市品质。"
    out = ex.summarize(long_sentence)  # no sentence fits: leading clauses, cut at a clause boundary
    assert out and len(out) <= 30 and long_sentence.startswith(out.rstrip("。"))
    assert all(n in long_sentence for n in _numbers(out))


def test_extractive_numbers_property():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    sentences = [s for p in PARAS for s in split_sentences(p)]

    @settings(max_examples=30, deadline=None)
    @given(st.lists(st.sampled_from(sentences), min_size=1, max_size=8), st.integers(20, 200))
    def check(picked, budget):
        text = "".join(picked)
        summary = ExtractiveSummarizer(max_chars=budget).summarize(text)
        assert len(summary) <= budget
        assert all(n in text for n in _numbers(summary))

    check()


# ---------------------------------------------------------------- postprocess
def test_cjk_spacing_removed_latin_kept():
    assert fix_spacing("北 京 是 中 国 的 首 都") == "北京是中国的首都"
    assert fix_spacing("使 用 iPhone 15 Pro 拍 摄") == "使用iPhone 15 Pro拍摄"
    assert fix_spacing("增 长 35 . 7 % ， 达 到 1 , 200 亿 元") == "增长35.7%，达到1,200亿元"
    assert fix_spacing("The GDP grew  by 5.2 percent") == "The GDP grew by 5.2 percent"


def test_special_tokens_dropped():
    assert clean_summary("[CLS] 北 京 [UNK] 是 首 都 [SEP] [PAD]", 50) == "北京是首都。"
    assert clean_summary("<pad> 江城 <extra_id_0> 举行活动</s>", 50) == "江城举行活动。"


def test_punctuation_normalised_to_house_style():
    assert normalize_punctuation("今年1至7月,全市总额140.6亿元,增长35.7%.") == "今年1至7月，全市总额140.6亿元，增长35.7%。"
    assert normalize_punctuation("会议(江城)召开:大家说\"很好\"!对吗?") == "会议（江城）召开：大家说“很好”！对吗？"
    assert normalize_punctuation("在10:30开会...") == "在10:30开会……"
    assert normalize_punctuation("Hello, world. Version 2.0 is out!") == "Hello, world. Version 2.0 is out!"
    assert normalize_punctuation("１２３ＡＢＣ，，好。。") == "123ABC，好。"


def test_trim_at_sentence_or_clause_boundary():
    text = "江城市召开会议。研究部署今年的植树工作，要求各地抓好落实，确保取得实效。"
    assert trim(text, 12) == "江城市召开会议。"
    clause = "江城市召开会议研究部署工作，要求各地抓好落实，确保取得实效。"
    assert trim(clause, 22) == "江城市召开会议研究部署工作。"
    assert trim("江城市召开会议研究部署今年的植树工作要求各地抓好落实", 10) == "江城市召开会议研究…"
    assert trim("短句。", 10) == "短句。"
    assert len(clean_summary("，".join(["江城市召开会议"] * 30), 50)) <= 50


def test_batch_limits_follow_the_device_and_an_oom_batch_is_halved(tiny_models, monkeypatch):
    """Unset limits take the device's defaults; a batch the device cannot hold is split and
    retried with smaller limits, and every input still gets its own output."""
    import torch

    from pipeline.summarize.seq2seq import batch_defaults

    assert batch_defaults(torch.device("cpu")) == {"token_budget": 8192, "max_batch_size": 64}
    s = stage(f"summarizer.model={tiny_models['mt5']}", *FAST).abstractive
    assert (s.token_budget, s.max_batch_size) == (8192, 64)
    real = s._generate
    seen = []

    def small_device(ids, mask):
        seen.append(ids.shape[0])
        if ids.shape[0] > 2:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory")
        return real(ids, mask)

    rows = [[5 + k % 7] * (3 + k) for k in range(7)]
    want = [real(*s._collate([r]))[0].tolist() for r in rows]
    monkeypatch.setattr(s, "_generate", small_device)
    got = s.generate_ids(rows)
    assert seen[0] == 7 and sorted(n for n in seen if n <= 2) and len(seen) < 10
    assert s.max_batch_size <= 3
    strip = [[t for t in g if t != s.pad_id] for g in got]
    assert strip == [[t for t in w if t != s.pad_id] for w in want]
