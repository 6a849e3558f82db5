"""scripts/train_summarizer.py: the tiny mT5 fine-tunes on fixture references (loss falls), the
written directory has a model card and loads in the pipeline, which writes abstractive summaries."""

from __future__ import annotations

import json

import pytest
from conftest import FIXTURES, local_texts

from pipeline.config import load_config
from pipeline.document import Article, Issue
from pipeline.stages.summarize import SummarizeStage
from pipeline.summarize.finetune import DataError, TrainOptions, load_pairs, split_heldout, train
from pipeline.summarize.tiny import build_tiny_mt5


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def test_finetune_tiny_mt5_loss_falls_and_the_pipeline_uses_it(tmp_path):
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny matrices: one thread is faster, and steady on a shared machine
    try:
        _finetune(tmp_path)
    finally:
        torch.set_num_threads(threads)


def _finetune(tmp_path):
    base = build_tiny_mt5(tmp_path / "base", local_texts())
    data = sorted(FIXTURES.glob("*.gold.json"))[:3]
    out = tmp_path / "tuned"
    res = train(TrainOptions(
        base=str(base), out=out, data=data, max_steps=12, batch_size=8, learning_rate=3e-3, eval_every=6,
        patience=5, eval_max_new_tokens=16, holdout=0.2, seed=0, max_input_tokens=128, eval_long_input="truncate",
    ), progress=lambda _: None)  # fmt: skip
    assert res.steps == 12 and len(res.losses) == 12
    first, last = sum(res.losses[:3]) / 3, sum(res.losses[-3:]) / 3
    assert last < first * 0.8, res.losses
    assert res.heldout_pairs >= 1 and res.train_pairs > res.heldout_pairs
    assert (out / "model.safetensors").is_file() and (out / "README.md").is_file()
    meta = json.loads((out / "newspipe_training.json").read_text(encoding="utf-8"))
    assert meta["steps"] == 12 and meta["base_model"] == base.name  # an absolute path is shown by its name and len(meta["evaluations"]) == 3
    assert meta["heldout_char_rouge_l"]["best"] >= meta["heldout_char_rouge_l"]["base"]
    card = (out / "README.md").read_text(encoding="utf-8")
    assert "Base model" in card and "ROUGE-L" in card and "Steps" in card and str(tmp_path) not in card

    st = SummarizeStage(load_config(overrides=[f"summarizer.model={out}", "summarizer.generation.num_beams=1",
                                               "summarizer.generation.max_new_tokens=16",
                                               "summarizer.faithfulness=flag"]))  # fmt: skip
    gold = json.loads(data[0].read_text(encoding="utf-8"))
    issue = Issue("t", "t.txt", "", articles=[Article(paragraphs=a["text"].split("\n")) for a in gold["articles"][:3]])
    (done,) = list(st.pipe([issue]))
    for art in done.articles:
        assert art.summary and art.summary_method == "abstractive" and art.summary_model == str(out)


def test_data_jsonl_groups_and_errors(tmp_path):
    rows = [{"article": f"第{i}篇文章正文。" * 3, "summary": f"摘要{i}", "group": f"g{i // 2}"} for i in range(10)]
    path = tmp_path / "pairs.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    ds = load_pairs([path])
    assert len(ds) == 10
    train_ds, held = split_heldout(ds, 0.2, seed=0)
    assert len(held) == 2 and not set(held["group"]) & set(train_ds["group"])  # a group stays together
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"title": "x"}\n', encoding="utf-8")
    with pytest.raises(DataError, match="bad.jsonl"):
        load_pairs([bad])
    with pytest.raises(DataError, match="no such file"):
        load_pairs([tmp_path / "missing.jsonl"])
