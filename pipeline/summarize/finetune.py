"""Fine-tune a seq2seq summarizer on one's own (article, reference summary) pairs.

Used by `scripts/train_summarizer.py`. Data: labelled fixtures (`*.gold.json`, articles with
`reference_summary`) and/or JSONL files (`{"article": ..., "summary": ...}`; `text`/`reference`/
`reference_summary` are accepted too), read with `datasets`. A held-out split is taken by issue
(or by JSONL `group`, else by record) so no issue is both trained and scored on. Training: AdamW
with linear warm-up and decay, gradient clipping, length-bucketed batches. Every `eval_every`
steps the held-out articles are summarized through the pipeline's own `Seq2SeqSummarizer`
(same prefix, limits, decoding and cleaning as `newspipe run`) and scored with character ROUGE-L
F1 (`pipeline.evaluate.metrics.rouge`); training stops after `patience` evaluations without a
gain, and the best checkpoint is written with `save_pretrained` (safetensors) plus a model card
(README.md) and `newspipe_training.json`, so `--set summarizer.model=DIR` runs it.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import logging
import math
import os
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger("pipeline.summarize.finetune")

ARTICLE_KEYS = ("article", "text", "document")
SUMMARY_KEYS = ("summary", "reference", "reference_summary", "target")


class DataError(ValueError):
    """Training data that cannot be used; the message names the file and what to do."""


@dataclass
class TrainOptions:
    base: str
    out: Path
    data: list[Path]
    revision: str | None = None
    prefix: str = ""
    max_input_tokens: int = 512
    max_target_tokens: int = 84
    holdout: float = 0.2
    epochs: float = 10.0
    max_steps: int | None = None
    batch_size: int = 4
    learning_rate: float = 3e-4
    weight_decay: float = 0.01
    warmup_steps: int = 0
    eval_every: int = 50
    patience: int = 3
    eval_beams: int = 1
    eval_max_new_tokens: int = 84
    eval_long_input: str = "chunk"  # as the pipeline does; "truncate" is quicker
    max_summary_chars: int = 120
    device: str = "auto"
    seed: int = 0
    local_files_only: bool = False
    licence: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class TrainResult:
    out: Path
    steps: int
    best_step: int
    baseline_rouge_l: float
    best_rouge_l: float
    losses: list[float]
    evaluations: list[dict[str, float]]
    train_pairs: int
    heldout_pairs: int
    seconds: float


# ---------------------------------------------------------------- data
def _pick(row: dict[str, Any], keys: Sequence[str]) -> str | None:
    for k in keys:
        v = row.get(k)
        if isinstance(v, str) and v.strip():
            return v.strip()
    return None


def _gold_rows(path: Path) -> list[dict[str, str]]:
    try:
        gold = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(f"{path}: not a readable gold JSON file ({exc}); fix or remove it") from None
    rows = []
    for art in gold.get("articles", []) if isinstance(gold, dict) else []:
        text, ref = _pick(art, ("text",)), _pick(art, ("reference_summary",))
        if text and ref:
            rows.append({"article": text, "summary": ref, "group": gold.get("issue_id") or path.name})
    return rows


def _jsonl_rows(path: Path) -> list[dict[str, str]]:
    from datasets import load_dataset

    try:
        ds = load_dataset("json", data_files=str(path), split="train")
    except Exception as exc:  # pyarrow/datasets parse errors
        raise DataError(f"{path}: cannot read as JSONL ({str(exc).splitlines()[0]}); one JSON object per line") from None
    rows = []
    for k, row in enumerate(ds):
        text, ref = _pick(row, ARTICLE_KEYS), _pick(row, SUMMARY_KEYS)
        if text and ref:
            group = row.get("group") or row.get("issue_id")
            rows.append({"article": text, "summary": ref, "group": str(group) if group else f"{path.name}:{k}"})
    if not rows:
        raise DataError(f"{path}: no rows with both an article ({'/'.join(ARTICLE_KEYS)}) and a summary "
                        f"({'/'.join(SUMMARY_KEYS)})")  # fmt: skip
    return rows


def load_pairs(paths: Sequence[Path]) -> Any:
    """A `datasets.Dataset` of {article, summary, group} from gold files, directories of them, and JSONL."""
    from datasets import Dataset

    rows: list[dict[str, str]] = []
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            found = sorted(p.glob("*.gold.json")) + sorted(p.glob("*.jsonl"))
            if not found:
                raise DataError(f"{p}: no *.gold.json or *.jsonl files in this directory")
            files += found
        elif p.is_file():
            files.append(p)
        else:
            raise DataError(f"{p}: no such file or directory")
    for f in files:
        rows += _jsonl_rows(f) if f.suffix == ".jsonl" else _gold_rows(f)
    if len(rows) < 2:
        raise DataError("fewer than 2 (article, reference summary) pairs in the data given; add references")
    return Dataset.from_list(rows)


def split_heldout(ds: Any, fraction: float, seed: int) -> tuple[Any, Any]:
    """Hold out whole groups (issues) until `fraction` of the pairs are held out (at least one pair)."""
    groups = sorted(set(ds["group"]))
    rng = random.Random(seed)
    rng.shuffle(groups)
    want = max(1, round(len(ds) * fraction))
    held: set[str] = set()
    count = 0
    sizes = {g: 0 for g in groups}
    for g in ds["group"]:
        sizes[g] += 1
    for g in groups:
        if count >= want or len(held) == len(groups) - 1:
            break
        held.add(g)
        count += sizes[g]
    idx_held = [i for i, g in enumerate(ds["group"]) if g in held]
    idx_train = [i for i, g in enumerate(ds["group"]) if g not in held]
    if not idx_train or not idx_held:  # one group only: split by record
        order = list(range(len(ds)))
        rng.shuffle(order)
        idx_held, idx_train = sorted(order[:want]), sorted(order[want:])
    return ds.select(idx_train), ds.select(idx_held)


def data_digest(paths: Sequence[Path]) -> str:
    h = hashlib.sha256()
    for p in sorted(paths):
        for f in sorted(p.rglob("*")) if p.is_dir() else [p]:
            if f.is_file() and (f.name.endswith(".gold.json") or f.suffix == ".jsonl"):
                h.update(f.name.encode())
                h.update(f.read_bytes())
    return h.hexdigest()[:16]


# ---------------------------------------------------------------- scoring
def heldout_rouge_l(model: Any, tokenizer: Any, spec: Any, articles: list[str], refs: list[str], opts: TrainOptions
                    ) -> tuple[float, list[str]]:  # fmt: skip
    """Mean character ROUGE-L F1 of the pipeline's own summaries of the held-out articles."""
    from pipeline.evaluate.metrics import rouge
    from pipeline.summarize.seq2seq import Seq2SeqSummarizer

    was_training = model.training
    model.eval()
    s = Seq2SeqSummarizer(tokenizer, model, spec, max_summary_chars=opts.max_summary_chars,
                          long_input=opts.eval_long_input)  # fmt: skip
    hyps = [x.text for x in s.summarize(articles)]
    if was_training:
        model.train()
    scores = [rouge(r, h)["rougeL"] for r, h in zip(refs, hyps, strict=True)]
    return (sum(scores) / len(scores) if scores else 0.0), hyps


# ---------------------------------------------------------------- training
def _batches(lengths: list[int], size: int, rng: random.Random) -> list[list[int]]:
    """Shuffled batches of similar length (less padding), in shuffled order."""
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], rng.random()))
    batches = [order[i : i + size] for i in range(0, len(order), size)]
    rng.shuffle(batches)
    return batches


def train(opts: TrainOptions, progress: Callable[[str], None] = print) -> TrainResult:
    import torch

    from pipeline.summarize.presets import ModelSpec
    from pipeline.summarize.seq2seq import load_pretrained, resolve_device

    started = time.perf_counter()
    random.seed(opts.seed)
    torch.manual_seed(opts.seed)
    ds = load_pairs(opts.data)
    train_ds, held_ds = split_heldout(ds, opts.holdout, opts.seed)
    device = resolve_device(opts.device)
    spec = ModelSpec(model=opts.base, revision=opts.revision, prefix=opts.prefix, max_input_tokens=opts.max_input_tokens,
                     generation={"num_beams": opts.eval_beams, "max_new_tokens": opts.eval_max_new_tokens})  # fmt: skip
    tokenizer, model, base_ref = load_pretrained(spec, device=device, dtype=torch.float32,
                                                 local_files_only=opts.local_files_only)  # fmt: skip
    progress(f"base:     {base_ref} ({sum(p.numel() for p in model.parameters()) / 1e6:.1f}M params) on {device}")
    progress(f"data:     {len(ds)} pairs -> {len(train_ds)} train, {len(held_ds)} held out "
             f"({len(set(held_ds['group']))} groups)")  # fmt: skip
    enc = tokenizer([opts.prefix + a for a in train_ds["article"]], max_length=opts.max_input_tokens, truncation=True)
    tgt = tokenizer(text_target=list(train_ds["summary"]), max_length=opts.max_target_tokens, truncation=True)
    inputs, labels = enc["input_ids"], tgt["input_ids"]
    pad = model.config.pad_token_id if model.config.pad_token_id is not None else 0
    held_articles, held_refs = list(held_ds["article"]), list(held_ds["summary"])

    per_epoch = math.ceil(len(inputs) / opts.batch_size)
    total = opts.max_steps or max(1, int(per_epoch * opts.epochs))
    no_decay = ("bias", "layer_norm", "layernorm", "LayerNorm")
    params = [
        {"params": [p for n, p in model.named_parameters() if not any(k in n for k in no_decay)],
         "weight_decay": opts.weight_decay},
        {"params": [p for n, p in model.named_parameters() if any(k in n for k in no_decay)], "weight_decay": 0.0},
    ]  # fmt: skip
    optim = torch.optim.AdamW(params, lr=opts.learning_rate)
    warm = opts.warmup_steps
    sched = torch.optim.lr_scheduler.LambdaLR(
        optim, lambda s: min((s + 1) / warm if warm else 1.0, max(0.0, (total - s) / max(1, total - warm)))
    )

    baseline, _ = heldout_rouge_l(model, tokenizer, spec, held_articles, held_refs, opts)
    progress(f"step 0:   held-out char ROUGE-L {baseline:.4f} (the base model)")
    best, best_step, best_state = baseline, 0, None
    evaluations = [{"step": 0, "rougeL": baseline}]
    losses: list[float] = []
    stale, step = 0, 0
    rng = random.Random(opts.seed)
    model.train()
    while step < total and stale < opts.patience:
        for batch in _batches([len(x) for x in inputs], opts.batch_size, rng):
            width = max(len(inputs[i]) for i in batch)
            lw = max(len(labels[i]) for i in batch)
            ids = torch.full((len(batch), width), pad, dtype=torch.long)
            mask = torch.zeros_like(ids)
            lab = torch.full((len(batch), lw), -100, dtype=torch.long)
            for k, i in enumerate(batch):
                ids[k, : len(inputs[i])] = torch.tensor(inputs[i])
                mask[k, : len(inputs[i])] = 1
                lab[k, : len(labels[i])] = torch.tensor(labels[i])
            loss = model(input_ids=ids.to(device), attention_mask=mask.to(device), labels=lab.to(device)).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optim.step()
            sched.step()
            optim.zero_grad(set_to_none=True)
            losses.append(float(loss.detach()))
            step += 1
            if step % opts.eval_every == 0 or step == total:
                score, _ = heldout_rouge_l(model, tokenizer, spec, held_articles, held_refs, opts)
                recent = losses[-opts.eval_every :]
                evaluations.append({"step": step, "rougeL": score, "train_loss": sum(recent) / len(recent)})
                gained = score > best
                if gained:
                    best, best_step, stale = score, step, 0
                    best_state = {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}
                else:
                    stale += 1
                progress(f"step {step}: loss {sum(recent) / len(recent):.4f}, held-out char ROUGE-L {score:.4f}"
                         + (" (best)" if gained else f" (no gain {stale}/{opts.patience})"))  # fmt: skip
            if step >= total or stale >= opts.patience:
                break
    if best_state is not None:
        model.load_state_dict(best_state)
    else:
        progress("no evaluation beat the base model; writing the last weights (the card says so)")
    model.eval()
    result = TrainResult(
        out=opts.out, steps=step, best_step=best_step, baseline_rouge_l=baseline, best_rouge_l=best, losses=losses,
        evaluations=evaluations, train_pairs=len(train_ds), heldout_pairs=len(held_ds),
        seconds=time.perf_counter() - started,
    )  # fmt: skip
    save(model, tokenizer, opts, result, base_ref, held_ds)
    return result


def save(model: Any, tokenizer: Any, opts: TrainOptions, result: TrainResult, base_ref: str, held_ds: Any) -> None:
    from transformers.utils import logging as hf_logging

    out = opts.out
    out.mkdir(parents=True, exist_ok=True)
    gc = copy.deepcopy(model.generation_config)
    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        model.save_pretrained(out, safe_serialization=True)
        tokenizer.save_pretrained(out)
        gc.save_pretrained(out)
    finally:
        if bars:
            hf_logging.enable_progress_bar()
    data = [_shown(p) for p in opts.data]  # no machine paths in the card
    meta = {
        "base_model": _shown(Path(base_ref)) if os.path.isdir(os.path.expanduser(opts.base)) else base_ref,
        "base_revision": opts.revision,
        "data": data,
        "data_sha256_16": data_digest(opts.data),
        "train_pairs": result.train_pairs,
        "heldout_pairs": result.heldout_pairs,
        "heldout_groups": sorted(set(held_ds["group"])),
        "steps": result.steps,
        "best_step": result.best_step,
        "heldout_char_rouge_l": {"base": round(result.baseline_rouge_l, 4), "best": round(result.best_rouge_l, 4)},
        "evaluations": [{k: round(v, 4) if isinstance(v, float) else v for k, v in e.items()} for e in result.evaluations],
        "first_loss": round(result.losses[0], 4) if result.losses else None,
        "last_loss": round(result.losses[-1], 4) if result.losses else None,
        "options": {k: v for k, v in asdict(opts).items() if k not in ("out", "data", "base", "extra")},
        "licence": opts.licence,
        "trained": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "seconds": round(result.seconds, 1),
    }
    (out / "newspipe_training.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    (out / "README.md").write_text(model_card(meta, opts), encoding="utf-8")


def _shown(path: Path) -> str:
    """A path as the user gave it when relative; an absolute one by its name only."""
    return path.name if path.is_absolute() else str(path)


def model_card(meta: dict[str, Any], opts: TrainOptions) -> str:
    lic = meta["licence"] or "the base model's licence (check its card)"
    scores = meta["heldout_char_rouge_l"]
    rows = "\n".join(
        f"| {e['step']} | {e.get('train_loss', '')} | {e['rougeL']} |" for e in meta["evaluations"]
    )
    hub = "@" in meta["base_model"]  # id@commit: a hub model
    front = f"base_model: {meta['base_model'].split('@')[0]}\n" if hub else ""
    return f"""---
{front}library_name: transformers
pipeline_tag: summarization
tags: [newspipe, summarization, zh]
---
# Fine-tuned summarizer ({meta['base_model']})

Fine-tuned with newspipe's `scripts/train_summarizer.py` on (article, reference summary) pairs.

- **Base model**: `{meta['base_model']}` (revision {meta['base_revision'] or 'as loaded'})
- **Licence**: {lic}; a fine-tuned model carries its base model's licence terms.
- **Data**: {', '.join(meta['data'])} (sha256/16 `{meta['data_sha256_16']}`): {meta['train_pairs']} training pairs,
  {meta['heldout_pairs']} held out (whole issues: {', '.join(meta['heldout_groups'])}).
- **Steps**: {meta['steps']} (batch {opts.batch_size}, learning rate {opts.learning_rate}); best at step
  {meta['best_step']}; early stopping after {opts.patience} evaluations without a gain.
- **Held-out character ROUGE-L F1** (the pipeline's own decoding: {opts.eval_beams} beam(s), prefix
  {f'`{opts.prefix}`' if opts.prefix else 'none'}, cleaned summaries): base {scores['base']} -> fine-tuned {scores['best']}.
  These pairs are few; the figure is indicative, not a benchmark.
- **Loss**: first batch {meta['first_loss']}, last batch {meta['last_loss']}.

| step | train loss | held-out char ROUGE-L |
|---:|---:|---:|
{rows}

Use: `newspipe run ISSUE.txt -o out.jsonl --set summarizer.model=DIR`
{('(with `--set summarizer.prefix="' + opts.prefix + '"`)') if opts.prefix else ''}
Evaluate: `newspipe evaluate FIXTURES --set summarizer.model=DIR --report out/eval`.
"""
