"""The CTranslate2 engine: both tiny models convert, greedy float32 output equals torch's token for
token, the cache is reused, the CLI runs end to end, and a missing ctranslate2 is one config line."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from conftest import REPO, local_texts

from pipeline.config import ConfigError, load_config
from pipeline.stages.summarize import SummarizeStage
from pipeline.summarize.tiny import BUILTIN_TEXT, build_tiny_bart, build_tiny_mt5

ct2 = pytest.importorskip("ctranslate2")

PARAS = [line for line in BUILTIN_TEXT.splitlines() if re.search("[\u4e00-\u9fff]", line)]
ARTICLES = ["\n".join(PARAS[i : i + 1 + i % 4]) for i in range(len(PARAS))]
GREEDY = ["summarizer.generation.num_beams=1", "summarizer.generation.max_new_tokens=16"]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("ct2-tiny")
    texts = local_texts()
    return {"mt5": str(build_tiny_mt5(root / "mt5", texts)), "bart": str(build_tiny_bart(root / "bart", texts)),
            "cache": str(root / "cache")}  # fmt: skip


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def _content(ids, s):
    """Token ids without decoder start, end and padding tokens."""
    gc = s.generation_config
    drop = {
        s.pad_id,
        gc.decoder_start_token_id,
        *([gc.eos_token_id] if isinstance(gc.eos_token_id, int) else gc.eos_token_id),
    }
    return [i for i in ids if i not in drop]


@pytest.mark.parametrize("kind", ["mt5", "bart"])
def test_greedy_float32_equals_torch_token_for_token(tiny, kind):
    base = [f"summarizer.model={tiny[kind]}", *GREEDY, f"summarizer.ct2_cache_dir={tiny['cache']}"]
    torch_s = SummarizeStage(load_config(overrides=base)).abstractive
    fast = SummarizeStage(
        load_config(overrides=[*base, "summarizer.engine=ctranslate2", "summarizer.compute_type=float32"])
    ).abstractive
    assert type(fast).__name__ == "CT2Summarizer"
    assert fast.describe()["engine"] == "ctranslate2" and fast.describe()["dtype"] == "float32"
    rows = torch_s._encode(ARTICLES)
    want = torch_s.generate_ids(rows)
    got = fast.generate_ids(rows)
    assert fast.stats["batches"] >= 1 and fast.stats["inputs"] == len(rows)
    assert [_content(g, fast) for g in got] == [_content(w, torch_s) for w in want]
    assert len({tuple(g) for g in got}) > 1  # the model reads its input
    # and the texts, through the shared chunking and cleaning, are identical too
    assert [s.text for s in fast.summarize(ARTICLES)] == [s.text for s in torch_s.summarize(ARTICLES)]
    assert fast.ref == tiny[kind]


def test_conversion_is_cached_and_int8_runs(tiny, tmp_path):
    from pipeline.summarize.ct2 import is_converted

    cache = tmp_path / "cache"
    over = [f"summarizer.model={tiny['mt5']}", *GREEDY, "summarizer.engine=ctranslate2",
            f"summarizer.ct2_cache_dir={cache}", "summarizer.compute_type=int8"]  # fmt: skip
    first = SummarizeStage(load_config(overrides=over)).abstractive
    entries = [p for p in cache.iterdir() if not p.name.startswith(".")]
    assert len(entries) == 1 and is_converted(entries[0]) and "int8" in entries[0].name
    stamp = (entries[0] / "model.bin").stat().st_mtime_ns
    second = SummarizeStage(load_config(overrides=over)).abstractive  # no second conversion
    assert (entries[0] / "model.bin").stat().st_mtime_ns == stamp
    assert [p.name for p in cache.iterdir()] == [entries[0].name]
    out = second.summarize(ARTICLES[:3])
    assert all(s.text for s in out) and first.compute_type == "int8"
    # beam candidates (num_return_sequences -> num_hypotheses), best first, for a reranker
    second.options.update(beam_size=3, num_hypotheses=3)
    cands = second.generate_candidates(second._encode(ARTICLES[:2]))
    assert [len(c) for c in cands] == [3, 3] and all(len({tuple(h) for h in c}) == 3 for c in cands)
    # a converted directory is itself a model
    direct = SummarizeStage(load_config(overrides=[f"summarizer.model={entries[0]}", *GREEDY,
                                                   "summarizer.engine=ctranslate2"]))  # fmt: skip
    assert direct.abstractive.summarize(ARTICLES[:1])[0].text


def test_missing_ctranslate2_is_one_config_line(tiny, monkeypatch):
    monkeypatch.setitem(sys.modules, "ctranslate2", None)  # import fails
    with pytest.raises(ConfigError) as err:
        SummarizeStage(
            load_config(overrides=[f"summarizer.model={tiny['mt5']}", "summarizer.engine=ctranslate2"])
        )
    msg = str(err.value)
    assert "\n" not in msg and "pip install" in msg and "summarizer.engine=torch" in msg


def test_cli_end_to_end(tiny, tmp_path):
    out = tmp_path / "o.jsonl"
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline", "run", str(REPO / "examples" / "sample_issue.txt"), "-o", str(out),
         "--set", f"summarizer.model={tiny['mt5']}", "--set", "summarizer.engine=ctranslate2",
         "--set", f"summarizer.ct2_cache_dir={tmp_path / 'cache'}", "--set", "summarizer.generation.num_beams=2",
         "--set", "summarizer.generation.max_new_tokens=12",
         "--set", "summarizer.faithfulness=flag"],
        capture_output=True, text=True, timeout=300, cwd=REPO,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert records and all(r["summary_method"] == "abstractive" and r["summary"] for r in records)
    assert all(r["summary_model"] == tiny["mt5"] for r in records)
    assert all(isinstance(r["summary_check"]["ok"], bool) for r in records)  # the guard saw every summary


def test_rerank_candidates_come_from_the_ct2_beam(tiny, tmp_path):
    """The faithfulness guard's rerank asks for n candidates: CTranslate2 returns the beam's n
    hypotheses per input, the first being the summary it gives when asked for one."""
    from pipeline.summarize.ct2 import CT2Summarizer

    cfg = load_config(overrides=[f"summarizer.model={tiny['mt5']}", "summarizer.engine=ctranslate2",
                                 f"summarizer.ct2_cache_dir={tmp_path / 'cache'}",
                                 "summarizer.generation.num_beams=3", "summarizer.generation.max_new_tokens=10"])  # fmt: skip
    s = CT2Summarizer.from_settings(cfg.summarizer)
    texts = ["8月31日，推介会在长沙举行，吸引200余家企业参加。", "近年来，全市推动跨境电商综试区建设。"]
    many = s.summarize(texts, candidates=3)
    one = s.summarize(texts)
    assert [len(x.candidates) for x in many] == [3, 3]
    assert [x.text for x in many] == [x.text for x in one] == [x.candidates[0] for x in many]


def test_zh_token_keeps_what_chinese_summaries_are_made_of():
    from pipeline.summarize.ct2 import vocab_map_text, zh_token

    for tok in ["▁中国", "。", "，", "“", "2024", "▁3.5", "%", "℃", "▁A", "GD", "▁", "##市", "《"]:
        assert zh_token(tok), tok
    for tok in ["▁hello", "GDP", "こんにちは", "▁Москва", "한국", "▁café"]:
        assert not zh_token(tok), tok
    vocab = ["<pad>", "</s>", "<unk>", "▁中国", "▁hello", "a b", "▁world"]
    text, n = vocab_map_text(vocab, zh_token, always=[0, 1])
    lines = text.splitlines()
    assert lines[0] == "\t<pad> </s> ▁中国" and n == 3  # always scored
    # every other usable token is scored when an input holds it; a token with a space cannot be mapped
    assert lines[1:] == ["<unk>\t<unk>", "▁hello\t▁hello", "▁world\t▁world"]


def test_vocab_map_restricts_ct2_output_and_a_full_map_changes_nothing(tiny, tmp_path):
    from pipeline.summarize.ct2 import CT2Summarizer, ensure_converted, open_translator, with_vocab_map
    from pipeline.summarize.presets import resolve_model_spec

    over = [f"summarizer.model={tiny['mt5']}", *GREEDY, f"summarizer.ct2_cache_dir={tmp_path / 'cache'}",
            "summarizer.engine=ctranslate2", "summarizer.compute_type=float32"]  # fmt: skip
    cfg = load_config(overrides=over).summarizer
    plain = CT2Summarizer.from_settings(cfg)
    rows = plain._encode(ARTICLES)
    want = plain.generate_ids(rows)
    path = ensure_converted(resolve_model_spec(cfg), "float32", cache_dir=tmp_path / "cache")
    specials = {plain.pad_id, plain.eos_id, plain.start_id}

    def through(text):
        s = CT2Summarizer.open(path, resolve_model_spec(cfg), compute_type="float32")
        s.translator = open_translator(with_vocab_map(path, text, tmp_path / "cache"), "cpu", "float32")
        s.use_vocab_map("test", 0)
        return s.generate_ids(rows)

    # a map that always scores every token: output identical, token for token
    assert through("\t" + " ".join(plain.vocab) + "\n") == want
    # a map without any token the unrestricted model chose (and no input tokens): none of them appears
    used = {t for ids in want for t in ids} - specials
    allowed = [t for i, t in enumerate(plain.vocab) if i not in used and " " not in t]
    got = through("\t" + " ".join(allowed) + "\n")
    assert got != want and all(len(g) > 1 for g in got)
    assert not ({t for ids in got for t in ids} & used)
    assert not (path / "vmap.txt").exists()  # the converted directory itself is left alone


def test_zh_vocab_map_setting_end_to_end(tiny, tmp_path):
    from pipeline.summarize.ct2 import zh_token

    over = [f"summarizer.model={tiny['mt5']}", *GREEDY, f"summarizer.ct2_cache_dir={tmp_path / 'cache'}",
            "summarizer.engine=ctranslate2", "summarizer.compute_type=float32"]  # fmt: skip
    plain = SummarizeStage(load_config(overrides=over)).abstractive
    mapped = SummarizeStage(load_config(overrides=[*over, "summarizer.ct2_vocab_map=zh"])).abstractive
    assert plain.describe()["vocab_map"] == "none" and "use_vmap" not in plain.options
    assert mapped.describe()["vocab_map"] == "zh" and mapped.options["use_vmap"] is True
    assert 0 < mapped.vocab_map_size < len(mapped.vocab)
    rows = mapped._encode(ARTICLES)
    got = mapped.generate_ids(rows)
    specials = {mapped.pad_id, mapped.eos_id, mapped.start_id, *mapped.tokenizer.all_special_ids}
    inputs = {t for r in rows for t in r}
    # every output token is one a Chinese summary is made of, a special token, or one the batch's inputs hold
    assert all(zh_token(mapped.vocab[t]) or t in specials or t in inputs for ids in got for t in ids)
    want = plain.generate_ids(rows)
    for g, w in zip(got, want, strict=True):  # where the model stayed inside the map, nothing changed
        if all(zh_token(plain.vocab[t]) or t in specials or t in inputs for t in w):
            assert g == w
    assert all(s.text for s in mapped.summarize(ARTICLES[:3]))
    # a second load reuses the map's directory
    again = SummarizeStage(load_config(overrides=[*over, "summarizer.ct2_vocab_map=zh"])).abstractive
    assert again.generate_ids(rows) == got
    assert len([p for p in (tmp_path / "cache").iterdir() if "-vmap-" in p.name]) == 1
