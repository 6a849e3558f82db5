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
    drop = {s.pad_id, gc.decoder_start_token_id, *([gc.eos_token_id] if isinstance(gc.eos_token_id, int) else gc.eos_token_id)}
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
        SummarizeStage(load_config(overrides=[f"summarizer.model={tiny['mt5']}", "summarizer.engine=ctranslate2"]))
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
