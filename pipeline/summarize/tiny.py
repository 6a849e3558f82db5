"""Tiny random-weight stand-ins for the real summarizers, for tests, demos and benchmarks.

- `build_tiny_mt5(dir)`: SentencePiece (unigram, trained on local text, default `nmt_nfkc`
  normaliser) wrapped as `T5Tokenizer`, and a 2-layer `MT5ForConditionalGeneration` (d_model 32):
  the same loading path as csebuetnlp/mT5_multilingual_XLSum.
- `build_tiny_bart(dir)`: a BERT character vocabulary (`[PAD] [UNK] [CLS] [SEP] [MASK]` + characters)
  as `BertTokenizer`, and a 1-layer `BartForConditionalGeneration` with fnlp/bart-base-chinese's
  id layout (pad 0, bos [CLS], eos and decoder start [SEP]): reproduces the `北 京 是` spacing.

Both are saved with `save_pretrained` (safetensors) and load through the Auto classes offline.
Their generation config sets `min_new_tokens` so random weights still write something.
Training text: what the caller passes (tests and scripts/make_tiny_models.py pass local issues),
else a few built-in paragraphs. Nothing here reads files outside the package.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from pathlib import Path

BUILTIN_TEXT = """\
本报讯（记者 林晓）3月12日，江城市2024年春季植树活动在湘江风光带举行。市直机关干部、志愿者和中小学生约1200人参加，共栽下香樟、桂花等苗木3600余株。
近年来，江城市持续推进国土绿化行动，全市森林覆盖率达到62.5%，建成区绿化覆盖率提高到41.3%。市林业局负责人介绍，今年将新建口袋公园25个，改造提升绿道48公里。
“种下一棵树，就是种下一份希望。”参加活动的志愿者王芳说，她已经连续五年参加义务植树。
本报讯（通讯员 陈明）日前，江城高新区与三家新能源企业签约，总投资约18.6亿元。项目建成后，预计年产值超过30亿元，新增就业岗位1500个。
今年1至2月，全区规模以上工业增加值同比增长9.8%，高新技术产业投资同比增长21.4%。园区将继续优化营商环境，为企业提供“一站式”服务。
市教育局近日发布通知，今年秋季全市将新增公办学位8000个，新建、改扩建中小学12所。教育部门表示，将加快推进义务教育优质均衡发展，让更多孩子在家门口上好学。
江城市第一人民医院开通智慧医疗服务平台，患者可通过手机App预约挂号、查询报告和在线缴费。平台上线一个月，累计服务患者超过5万人次，平均候诊时间缩短了20分钟。
受强降雨影响，江城河水位持续上涨。市防汛抗旱指挥部启动IV级应急响应，组织1300余名抢险人员巡堤查险，转移安置群众860人，目前全市没有人员伤亡。
第十届江城国际马拉松赛将于10月20日开跑，设全程、半程和健康跑三个项目，预计参赛选手2.5万人。组委会提醒，比赛当天部分道路将实行交通管制。
市场监管部门开展节日市场专项检查，共检查商户436家，发现问题27个，已全部督促整改。消费者如遇价格欺诈等问题，可拨打12315热线投诉。
The AI model was trained on 2048 GPU hours. Data from GDP reports in 2023 shows growth of 5.2 percent.
"""


def default_texts() -> list[str]:
    """The built-in training text (callers pass local issues for a richer vocabulary)."""
    return [BUILTIN_TEXT]


def _lines(texts: Iterable[str]) -> list[str]:
    return [line.strip() for t in texts for line in t.splitlines() if line.strip()]


def _save_quietly(model, out: Path) -> None:
    from transformers.utils import logging as hf_logging

    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        model.save_pretrained(out, safe_serialization=True)
    finally:
        if bars:
            hf_logging.enable_progress_bar()


def _untie_lm_head(model, std: float) -> None:
    """An output projection of its own, as mT5 has: with the input embedding tied to it, a random
    decoder just repeats its start token (the next token is the one most like the current)."""
    import torch

    weight = torch.randn_like(model.lm_head.weight) * std
    model.lm_head.weight = torch.nn.Parameter(weight)
    model.config.tie_word_embeddings = False


def build_tiny_mt5(out_dir: str | Path, texts: Iterable[str] | None = None, *, seed: int = 0) -> Path:
    """SentencePiece -> T5Tokenizer -> 2-layer MT5 (d_model 32), saved to `out_dir`."""
    import sentencepiece as spm
    import torch
    from transformers import GenerationConfig, MT5Config, MT5ForConditionalGeneration, T5Tokenizer

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    lines = _lines(texts if texts is not None else default_texts())
    alphabet = len(set("".join(lines)))
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus.txt"
        corpus.write_text("\n".join(lines), encoding="utf-8")
        spm.SentencePieceTrainer.train(
            input=str(corpus),
            model_prefix=str(Path(tmp) / "spiece"),
            model_type="unigram",
            vocab_size=max(800, alphabet + 64),  # every character must fit
            hard_vocab_limit=False,
            character_coverage=1.0,
            pad_id=0,
            eos_id=1,
            unk_id=2,
            bos_id=-1,
            num_threads=1,
            minloglevel=2,
        )  # the default nmt_nfkc normaliser: an empty precompiled charsmap fails to load on v5
        (corpus).unlink()
        tokenizer = T5Tokenizer.from_pretrained(tmp, extra_ids=0)
        tokenizer.save_pretrained(out)
        (out / "spiece.model").write_bytes((Path(tmp) / "spiece.model").read_bytes())
    config = MT5Config(
        vocab_size=len(tokenizer),
        d_model=32,
        d_kv=8,
        d_ff=64,
        num_layers=2,
        num_decoder_layers=2,
        num_heads=4,
        relative_attention_num_buckets=8,
        feed_forward_proj="gated-gelu",
        tie_word_embeddings=False,
        dropout_rate=0.0,
        pad_token_id=0,
        eos_token_id=1,
        decoder_start_token_id=0,
    )
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = MT5ForConditionalGeneration(config)
        _untie_lm_head(model, std=config.d_model**-0.5 * 4)
    model.generation_config = GenerationConfig(
        decoder_start_token_id=0, pad_token_id=0, eos_token_id=1, min_new_tokens=4, max_new_tokens=24
    )
    _save_quietly(model, out)
    return out


def build_tiny_bart(out_dir: str | Path, texts: Iterable[str] | None = None, *, seed: int = 0) -> Path:
    """BERT character vocab -> BertTokenizer -> 1-layer BART with fnlp-style ids, saved to `out_dir`."""
    import torch
    from transformers import BartConfig, BartForConditionalGeneration, BertTokenizer, GenerationConfig

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    chars = sorted({ch for line in _lines(texts if texts is not None else default_texts()) for ch in line.lower()})
    chars = [c for c in chars if not c.isspace()]
    pieces = [f"##{c}" for c in chars if c.isascii() and c.isalnum()]  # word pieces for Latin and digits
    vocab_list = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *chars, *pieces]
    (out / "vocab.txt").write_text("\n".join(vocab_list) + "\n", encoding="utf-8")
    tokenizer = BertTokenizer(vocab={tok: i for i, tok in enumerate(vocab_list)})
    tokenizer.save_pretrained(out)
    config = BartConfig(
        vocab_size=len(vocab_list),
        d_model=32,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=64,
        decoder_ffn_dim=64,
        max_position_embeddings=512,
        init_std=0.2,  # with BART's 0.02 a 1-layer random decoder ignores its input
        dropout=0.0,
        attention_dropout=0.0,
        activation_dropout=0.0,
        pad_token_id=0,
        bos_token_id=2,  # [CLS]
        eos_token_id=3,  # [SEP]
        decoder_start_token_id=3,  # [SEP], as fnlp/bart-base-chinese
        forced_eos_token_id=None,
        forced_bos_token_id=None,
        tie_word_embeddings=False,
    )
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = BartForConditionalGeneration(config)
        _untie_lm_head(model, std=1.0)
    model.generation_config = GenerationConfig(
        decoder_start_token_id=3, bos_token_id=2, pad_token_id=0, eos_token_id=3, min_new_tokens=4, max_new_tokens=24
    )
    _save_quietly(model, out)
    return out
