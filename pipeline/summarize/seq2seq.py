"""Abstractive summaries from any Hugging Face seq2seq checkpoint, batched.

Loading: `AutoTokenizer` + `AutoModelForSeq2SeqLM` by hub id or local directory, with `revision`,
`trust_remote_code=False`, safetensors preferred, the local cache tried before the network (and
only the cache when `local_files_only` or `HF_HUB_OFFLINE=1`). bfloat16 on CUDA, float32
elsewhere; float16 is never used (T5 overflows to NaN in it).

Batching: every input of a call (articles from many issues, chunks of long articles) is tokenized
once, sorted by token length (longest first), cut into batches whose padded size x beams stays
under a token budget, padded to the batch's own longest input only, generated under
`torch.inference_mode()`, and put back in the original order. Under greedy decoding in float32 the
result equals one-at-a-time generation (tests check it).

Long input: an article over the input limit is split at sentence boundaries (then clause, then
character windows for run-on text) into chunks within the limit; the chunks are summarized, their
summaries joined and summarized again (repeated if still too long). `long_input: truncate` keeps
the first `max_input_tokens` tokens instead. Either way the record says so in `summary_input`.
"""

from __future__ import annotations

import copy
import logging
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from pipeline.summarize.postprocess import clean_summary
from pipeline.summarize.presets import ModelSpec, looks_like_path, resolve_model_spec
from pipeline.summarize.sentences import split_clauses, split_sentences

MAX_ROUNDS = 3  # chunk -> summarize -> join rounds before the last round truncates
_NO_TRIM = 10**9


class ModelLoadError(RuntimeError):
    """The configured model could not be loaded. `cause`: "offline" (not cached and downloading is
    forbidden), "unreachable" (not cached and the hub does not answer), "missing_path" (a local path
    with no directory), "device", or "other" (unknown repo, broken files, ...)."""

    def __init__(self, message: str, cause: str = "other") -> None:
        super().__init__(message)
        self.cause = cause


def hub_offline() -> bool:
    """True when the environment forbids the hub (read at call time, unlike huggingface_hub's constant)."""
    return any(
        os.environ.get(var, "").strip().upper() in {"1", "ON", "YES", "TRUE"}
        for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    )


def resolve_device(name: str = "auto") -> torch.device:
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ModelLoadError("summarizer.device is 'cuda' but torch sees no CUDA device", "device")
    if name == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise ModelLoadError("summarizer.device is 'mps' but torch sees no MPS device", "device")
    return torch.device(name)


def resolve_dtype(name: str, device: torch.device) -> torch.dtype:
    if name == "float32":
        return torch.float32
    if name == "bfloat16":
        return torch.bfloat16
    if device.type == "cuda" and torch.cuda.is_bf16_supported():
        return torch.bfloat16
    return torch.float32  # CPU, MPS and pre-Ampere GPUs: float16 would overflow T5 activations


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    line = text[0] if text else type(exc).__name__
    return (line[:240] + "…") if len(line) > 240 else line


def hub_reachable(timeout: float = 3.0) -> bool:
    """Can a TCP connection to the hub endpoint be opened? (Avoids ~50 s of retries when offline.)"""
    import socket
    from urllib.parse import urlparse

    try:
        from huggingface_hub import constants

        endpoint = constants.ENDPOINT
    except Exception:  # pragma: no cover - huggingface_hub always has it
        endpoint = "https://huggingface.co"
    url = urlparse(os.environ.get("HF_ENDPOINT", endpoint))
    host, port = url.hostname or "huggingface.co", url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _not_cached(exc: BaseException) -> bool:
    text = str(exc).lower()
    return any(s in text for s in ("cached files", "couldn't connect", "offline mode", "local_files_only"))


def _from_pretrained(name: str, revision: str | None, cache_only: bool, dtype: torch.dtype, use_safetensors: bool | None):
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()  # no "Loading weights" bar in the pipeline's stderr
    # v5 forces tie_word_embeddings on MT5Config, then warns for every mT5 checkpoint (whose output
    # projection is rightly its own) that it loads the two untied: true and harmless, so not shown
    modeling_log = logging.getLogger("transformers.modeling_utils")
    modeling_log.addFilter(_drop_tied_weights_notice)
    try:
        tokenizer = AutoTokenizer.from_pretrained(
            name, revision=revision, local_files_only=cache_only, trust_remote_code=False
        )
        model = AutoModelForSeq2SeqLM.from_pretrained(
            name,
            revision=revision,
            local_files_only=cache_only,
            trust_remote_code=False,
            use_safetensors=use_safetensors,
            dtype=dtype,
        )
    finally:
        modeling_log.removeFilter(_drop_tied_weights_notice)
        if bars:
            hf_logging.enable_progress_bar()
    return tokenizer, model


def _drop_tied_weights_notice(record: logging.LogRecord) -> bool:
    return "tied weights mapping" not in record.getMessage()


def load_pretrained(
    spec: ModelSpec,
    *,
    device: torch.device,
    dtype: torch.dtype,
    local_files_only: bool = False,
    use_safetensors: bool | None = None,
) -> tuple[Any, Any, str]:
    """(tokenizer, model, reference) where reference is `id@commit` or the local directory.

    A local directory is read as is. A hub id is looked up in the local cache first (no network);
    only if it is not there, and neither `local_files_only` nor HF_HUB_OFFLINE forbids it, and the
    hub answers a quick connection probe, is it downloaded.
    """
    name = os.path.expanduser(spec.model)
    local = os.path.isdir(name)
    if not local and looks_like_path(spec.model):
        raise ModelLoadError(f"no model directory at {spec.model}", "missing_path")
    revision = None if local else spec.revision
    try:
        tokenizer, model = _from_pretrained(name, revision, True, dtype, use_safetensors)
    except Exception as exc:  # hub, file-system and format errors all mean "cannot load"
        if local or not _not_cached(exc):
            raise ModelLoadError(_first_line(exc)) from exc
        if local_files_only or hub_offline():
            why = "local_files_only is set" if local_files_only else "HF_HUB_OFFLINE=1"
            raise ModelLoadError(
                f"not in the local Hugging Face cache, and {why} forbids downloading", "offline"
            ) from exc
        if not hub_reachable():
            raise ModelLoadError(
                "not in the local Hugging Face cache, and the hub cannot be reached", "unreachable"
            ) from exc
        try:
            tokenizer, model = _from_pretrained(name, revision, False, dtype, use_safetensors)
        except Exception as exc2:
            raise ModelLoadError(_first_line(exc2)) from exc2
    if not getattr(model.config, "is_encoder_decoder", False):
        raise ModelLoadError(f"{spec.model} is not an encoder-decoder (seq2seq) model")
    model.to(device)
    model.eval()
    if local:
        ref = spec.model  # the path as the user gave it: records never carry a machine path
    else:
        commit = getattr(model.config, "_commit_hash", None) or spec.revision or "main"
        ref = f"{spec.model}@{commit}"
    return tokenizer, model, ref


@dataclass
class Summary:
    text: str
    input: str  # "full" | "truncated" | "chunked"
    # the beam's cleaned candidates, best first (`text` is the first); only when asked for several
    candidates: list[str] = field(default_factory=list)


# Measured on an NVIDIA H200 (bfloat16, mT5-base, 200-512 tokens in, greedy 64 out; see
# docs/summarizer.md): batches of 1,024-2,048 rows gave 427-445 articles/s against 306/s at 512
# rows, with the encoder run in slices of 512 rows; 1,024 rows of up to 512 tokens peaked at
# 27 GiB. The CUDA budget keeps half that ratio of tokens per GiB of the card, so smaller cards
# get proportionally smaller batches; an out-of-memory batch is halved and retried.
_CUDA_TOKENS_PER_GIB = 1024 * 512 // 27 // 2


def engine_settings(cfg: Any) -> dict[str, Any]:
    """The summarizer section's settings every engine's `load` takes (the engine adds its own)."""
    return {
        "device": cfg.device,
        "local_files_only": cfg.local_files_only,
        "use_safetensors": cfg.use_safetensors,
        "max_summary_chars": cfg.max_summary_chars,
        "long_input": cfg.long_input,
        "token_budget": cfg.token_budget,
        "max_batch_size": cfg.max_batch_size,
    }


def batch_defaults(device: Any) -> dict[str, int]:
    """Batch limits for a device when the config leaves them unset (null)."""
    if getattr(device, "type", str(device)) == "cuda":
        total_gib = torch.cuda.get_device_properties(device).total_memory / 2**30
        return {
            "token_budget": max(8192, int(total_gib * _CUDA_TOKENS_PER_GIB)),
            "max_batch_size": 1024,
            "encoder_batch_size": 512,
        }
    return {"token_budget": 8192, "max_batch_size": 64}


class Seq2SeqSummarizer:
    """Batched summaries from one loaded seq2seq model."""

    def __init__(
        self,
        tokenizer: Any,
        model: Any,
        spec: ModelSpec,
        *,
        ref: str | None = None,
        max_summary_chars: int = 120,
        long_input: str = "chunk",
        token_budget: int = 8192,
        max_batch_size: int = 64,
        encoder_batch_size: int | None = None,
        pad_to_multiple_of: int | None = None,
        static_cache: bool = False,
        compile: bool = False,
        compile_mode: str = "reduce-overhead",
    ) -> None:
        self.tokenizer = tokenizer
        self.model = model
        self.spec = spec
        self.ref = ref or spec.model
        self.max_summary_chars = max_summary_chars
        self.long_input = long_input
        self.token_budget = token_budget
        self.max_batch_size = max_batch_size
        self.encoder_batch_size = encoder_batch_size
        self.pad_to_multiple_of = pad_to_multiple_of
        limit = spec.max_input_tokens
        positions = getattr(model.config, "max_position_embeddings", None)
        if isinstance(positions, int) and positions > 0:  # learned positions (BART, Pegasus) cap the input
            limit = min(limit, positions)
        self.input_limit = limit
        self.pad_id = model.config.pad_token_id if model.config.pad_token_id is not None else 0
        self.generation_config = self._generation_config(spec.generation, static_cache, compile, compile_mode)
        self.num_beams = max(1, int(self.generation_config.num_beams or 1))
        self.prefix_tokens = self.special_tokens = 0
        self.all_special: list[str] = []
        if tokenizer is not None:  # (the benchmark drives generate_ids() with token ids and no tokenizer)
            tokenizer.model_max_length = 10**9  # lengths are ours to check; silence the tokenizer's warning
            self.prefix_tokens = len(self._encode([spec.prefix], specials=False)[0]) if spec.prefix else 0
            self.special_tokens = len(self._encode(["a"])[0]) - len(self._encode(["a"], specials=False)[0])
            self.all_special = list(getattr(tokenizer, "all_special_tokens", []))
        self.stats = {"batches": 0, "inputs": 0, "padded_tokens": 0, "real_tokens": 0}

    @classmethod
    def load(
        cls,
        spec: ModelSpec,
        *,
        device: str = "auto",
        dtype: str = "auto",
        local_files_only: bool = False,
        use_safetensors: bool | None = None,
        **options: Any,
    ) -> Seq2SeqSummarizer:
        dev = resolve_device(device)
        for key, value in batch_defaults(dev).items():
            if options.get(key) is None:
                options[key] = value
        tokenizer, model, ref = load_pretrained(
            spec,
            device=dev,
            dtype=resolve_dtype(dtype, dev),
            local_files_only=local_files_only,
            use_safetensors=use_safetensors,
        )
        return cls(tokenizer, model, spec, ref=ref, **options)

    @classmethod
    def from_settings(cls, cfg: Any) -> Seq2SeqSummarizer:
        """The `abstractive` backend of the summarize stage: the preset/model the section names.

        Raises `ModelLoadError` when the model cannot be loaded (the stage decides on fallback).
        `summarizer.engine: ctranslate2` hands the same settings to the CTranslate2 engine."""
        if getattr(cfg, "engine", "torch") == "ctranslate2":
            from pipeline.summarize.ct2 import CT2Summarizer

            return CT2Summarizer.from_settings(cfg)
        return cls.load(resolve_model_spec(cfg), dtype=cfg.dtype, **engine_settings(cfg))

    # ---------------------------------------------------------------- generation settings
    def _generation_config(self, settings: dict[str, Any], static_cache: bool, compile: bool, mode: str) -> Any:
        gc = copy.deepcopy(self.model.generation_config)
        gc.do_sample = False
        for key in ("temperature", "top_p", "top_k"):  # sampling settings from a hub config are moot
            if hasattr(gc, key):
                setattr(gc, key, None)
        for key, value in settings.items():
            setattr(gc, key, value)
        if not gc.num_beams or gc.num_beams <= 1:
            gc.num_beams = 1
            gc.length_penalty = 1.0
            gc.early_stopping = False
        if gc.max_new_tokens is None:
            gc.max_new_tokens = 84
        if static_cache or compile:
            from transformers import CompileConfig

            gc.cache_implementation = "static"
            if compile:
                gc.compile_config = CompileConfig(mode=mode)
                gc.compile_config._compile_all_devices = True  # also on CPU, where generate would skip it
                gc.disable_compile = False
            else:
                gc.disable_compile = True
        return gc

    def describe(self) -> dict[str, Any]:
        return {
            "model": self.ref,
            "revision": self.spec.revision,
            "preset": self.spec.preset,
            "licence": self.spec.licence,
            "device": str(self.model.device),
            "dtype": str(self.model.dtype).replace("torch.", ""),
            "max_input_tokens": self.input_limit,
            "generation": {
                k: getattr(self.generation_config, k)
                for k in ("num_beams", "max_new_tokens", "min_new_tokens", "no_repeat_ngram_size", "length_penalty")
            },
        }

    # ---------------------------------------------------------------- tokens
    def _encode(self, texts: Sequence[str], *, specials: bool = True, truncate: bool = False) -> list[list[int]]:
        if not texts:
            return []
        kwargs: dict[str, Any] = {"add_special_tokens": specials}
        if truncate:
            kwargs.update(truncation=True, max_length=self.input_limit)
        return list(self.tokenizer(list(texts), **kwargs)["input_ids"])

    def _chunks(self, text: str) -> list[str]:
        """Split at sentence (then clause, then character) boundaries into pieces within the limit."""
        margin = max(4, self.input_limit // 50)  # tokens of a piece alone differ slightly from in context
        budget = max(8, self.input_limit - self.special_tokens - self.prefix_tokens - margin)
        sentences = split_sentences(text)
        units: list[tuple[str, int]] = []
        for sent, n in zip(sentences, map(len, self._encode(sentences, specials=False)), strict=True):
            if n <= budget:
                units.append((sent, n))
                continue
            clauses = split_clauses(sent)
            for clause, m in zip(clauses, map(len, self._encode(clauses, specials=False)), strict=True):
                if m <= budget:
                    units.append((clause, m))
                    continue
                pieces = math.ceil(m / budget)
                step = math.ceil(len(clause) / pieces)
                for k in range(0, len(clause), step):  # run-on text: even character windows
                    part = clause[k : k + step]
                    units.append((part, math.ceil(m * len(part) / len(clause))))
        chunks: list[str] = []
        cur, cur_n = "", 0
        for unit, n in units:
            if cur and cur_n + n > budget:
                chunks.append(cur)
                cur, cur_n = "", 0
            cur = _join(cur, unit)
            cur_n += n
        if cur:
            chunks.append(cur)
        return chunks

    # ---------------------------------------------------------------- batching
    def plan_batches(self, lengths: Sequence[int]) -> list[list[int]]:
        """Indices sorted longest first, cut so that rows x padded length x beams <= token budget."""
        order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
        batches: list[list[int]] = []
        cur: list[int] = []
        for i in order:
            width = self._padded(lengths[cur[0]] if cur else lengths[i])
            if cur and (
                len(cur) >= self.max_batch_size or (len(cur) + 1) * width * self.num_beams > self.token_budget
            ):
                batches.append(cur)
                cur = []
            cur.append(i)
        if cur:
            batches.append(cur)
        return batches

    def _padded(self, n: int) -> int:
        m = self.pad_to_multiple_of
        return n if not m else -(-n // m) * m

    def _collate(self, rows: Sequence[Sequence[int]]) -> tuple[torch.Tensor, torch.Tensor]:
        width = self._padded(max(len(r) for r in rows))
        ids = torch.full((len(rows), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for k, row in enumerate(rows):  # right padding: fine for encoder-decoder models
            ids[k, : len(row)] = torch.tensor(row, dtype=torch.long)
            mask[k, : len(row)] = 1
        return ids.to(self.model.device), mask.to(self.model.device)

    def _generate(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        eb = self.encoder_batch_size
        if eb and ids.shape[0] > eb:
            # encode in slices (the encoder's attention is the memory peak), decode all rows at once
            from transformers.modeling_outputs import BaseModelOutput

            encoder = self.model.get_encoder()
            hidden = torch.cat(
                [
                    encoder(input_ids=ids[s : s + eb], attention_mask=mask[s : s + eb]).last_hidden_state
                    for s in range(0, ids.shape[0], eb)
                ]
            )
            return self.model.generate(
                encoder_outputs=BaseModelOutput(last_hidden_state=hidden),
                attention_mask=mask,
                generation_config=self.generation_config,
            )
        return self.model.generate(input_ids=ids, attention_mask=mask, generation_config=self.generation_config)

    def generate_ids(self, inputs: Sequence[Sequence[int]]) -> list[list[int]]:
        """Output token ids for each input (token ids), in input order, batched. With the generation
        config's `num_return_sequences` n > 1: n sequences per input, input by input (n*len(inputs))."""
        n = max(1, int(getattr(self.generation_config, "num_return_sequences", None) or 1))
        out: list[list[int]] = [[] for _ in range(len(inputs) * n)]
        lengths = [len(x) for x in inputs]
        with torch.inference_mode():
            pending = list(reversed(self.plan_batches(lengths)))
            while pending:
                batch = pending.pop()
                ids, mask = self._collate([inputs[i] for i in batch])
                try:
                    seqs = self._generate(ids, mask).tolist()
                except torch.cuda.OutOfMemoryError:
                    if len(batch) == 1:
                        raise
                    # the budget was too generous for this device: halve the batch and the limits
                    del ids, mask
                    torch.cuda.empty_cache()
                    half = len(batch) // 2
                    self.max_batch_size = max(1, min(self.max_batch_size, half))
                    self.token_budget = max(64, self.token_budget // 2)
                    pending.extend([batch[half:], batch[:half]])
                    continue
                self.stats["batches"] += 1
                self.stats["inputs"] += len(batch)
                self.stats["padded_tokens"] += ids.numel()
                self.stats["real_tokens"] += int(mask.sum())
                if len(seqs) != len(batch) * n:
                    raise RuntimeError(f"generate returned {len(seqs)} sequences for {len(batch)} inputs x {n}")
                for j, i in enumerate(batch):
                    out[i * n : (i + 1) * n] = seqs[j * n : (j + 1) * n]
        return out

    # ---------------------------------------------------------------- texts
    def summarize(self, texts: Sequence[str], candidates: int = 1) -> list[Summary]:
        """One cleaned summary per text, in order; empty text gives an empty summary.

        `candidates` > 1 (at most `num_beams`): each `Summary.candidates` holds that many of the
        beam's finished hypotheses, best first, for the faithfulness check to choose from (a
        chunked article's candidates are those of its last round; earlier rounds keep the best)."""
        n = max(1, min(int(candidates), self.num_beams))
        if n == 1:
            return self._summarize(texts, 1)
        saved = getattr(self.generation_config, "num_return_sequences", None)
        self.generation_config.num_return_sequences = n
        try:
            return self._summarize(texts, n)
        finally:
            self.generation_config.num_return_sequences = saved

    def _summarize(self, texts: Sequence[str], n: int) -> list[Summary]:
        results: list[Summary | None] = [None] * len(texts)
        kinds = ["full"] * len(texts)
        pending = {i: t for i, t in enumerate(texts) if t and t.strip()}
        for i in range(len(texts)):
            if i not in pending:
                results[i] = Summary("", "full")
        rounds = 0
        while pending:
            rounds += 1
            owners: list[int] = []
            rows: list[list[int]] = []
            keys = list(pending)
            full = self._encode([self.spec.prefix + pending[i] for i in keys])
            too_long: list[int] = []
            for i, ids in zip(keys, full, strict=True):
                if len(ids) <= self.input_limit:
                    owners.append(i)
                    rows.append(ids)
                elif self.long_input == "chunk" and rounds <= MAX_ROUNDS:
                    kinds[i] = "chunked"
                    chunks = self._chunks(pending[i])
                    owners.extend([i] * len(chunks))
                    rows.extend(self._encode([self.spec.prefix + c for c in chunks], truncate=True))
                else:
                    too_long.append(i)
            if too_long:
                for i in too_long:
                    kinds[i] = "truncated" if kinds[i] == "full" else kinds[i]
                owners.extend(too_long)
                rows.extend(self._encode([self.spec.prefix + pending[i] for i in too_long], truncate=True))
            decoded = self.tokenizer.batch_decode(self.generate_ids(rows), skip_special_tokens=True)
            parts: dict[int, list[str]] = {}
            alternatives: dict[int, list[str]] = {}  # an unchunked input's n candidates
            for r, i in enumerate(owners):
                texts_r = [clean_summary(t, _NO_TRIM, self.all_special) for t in decoded[r * n : (r + 1) * n]]
                parts.setdefault(i, []).append(texts_r[0])
                alternatives[i] = texts_r
            pending = {}
            for i, pieces in parts.items():
                if len(pieces) > 1:  # chunk summaries: summarize their concatenation next round
                    joined = "\n".join(p for p in pieces if p)
                    if joined:
                        pending[i] = joined
                        continue
                if len(pieces) != 1:  # chunks whose summaries were all empty
                    results[i] = Summary("", kinds[i])
                    continue
                final = [clean_summary(t, self.max_summary_chars, self.all_special) for t in alternatives[i]]
                results[i] = Summary(final[0], kinds[i], final if n > 1 else [])
        return [r if r is not None else Summary("", "full") for r in results]


def _join(left: str, right: str) -> str:
    """Concatenate two pieces of text: no space in Chinese, one between Latin words."""
    if not left:
        return right
    latin = left[-1].isascii() and not left[-1].isspace() and right[0].isascii() and right[0].isalnum()
    return f"{left} {right}" if latin else left + right
