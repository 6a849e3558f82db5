"""`scripts/bench.py summarize`: the batched summarizer against a per-article `generate()` loop.

Both paths run the same model in the same process on the same synthetic articles (token ids of
`--min-tokens`..`--max-tokens` length, uniform), greedy, with `min_new_tokens = max_new_tokens` so
every article costs exactly the same decoding work in both. The batched path is the production
one (`Seq2SeqSummarizer.generate_ids`: length sort, token budget, dynamic padding,
inference_mode); the naive path is the loop users write: one `model.generate()` per article.
The naive loop may be timed on the first `--naive-limit` articles only; both figures are
articles per second, so the ratio needs no extrapolation beyond that.

With ctranslate2 installed (`--ct2`, default auto: int8 on CPU, bfloat16 on CUDA) the same model is
then converted in memory and the same articles run through the CTranslate2 engine
(`CT2Summarizer.generate_ids`: the same batch plan), after the torch model is freed. Every phase
reports its peak memory: resident set size on CPU (sampled), allocated GPU memory on CUDA.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

TINY = ("mt5", "bart")


def add_arguments(p: argparse.ArgumentParser) -> None:
    src = p.add_mutually_exclusive_group()
    src.add_argument("--model", help="local seq2seq model directory (default: build a tiny one)")
    src.add_argument("--tiny", choices=TINY, default="mt5", help="which tiny stand-in to build (default mt5)")
    src.add_argument(
        "--random-mt5-base",
        action="store_true",
        help="mT5-base-sized model (12+12 layers, d768, vocab 250112) with random weights, built on the device",
    )
    p.add_argument("--articles", type=int, default=256, help="synthetic articles (default 256)")
    p.add_argument("--min-tokens", type=int, default=200)
    p.add_argument("--max-tokens", type=int, default=512)
    p.add_argument("--new-tokens", type=int, default=64, help="min_new_tokens = max_new_tokens (default 64)")
    p.add_argument(
        "--naive-limit",
        type=int,
        default=None,
        help="time the per-article loop on this many articles (default all)",
    )
    p.add_argument("--device", choices=["auto", "cpu", "cuda", "mps"], default="auto")
    p.add_argument("--dtype", choices=["auto", "float32", "bfloat16"], default="auto")
    p.add_argument(
        "--token-budget",
        type=int,
        default=None,
        help="padded input tokens per batch (default: rows x --max-tokens)",
    )
    p.add_argument(
        "--max-batch-size",
        default="64",
        help="rows per batch; a list (512,1024,2048) measures each (default 64)",
    )
    p.add_argument(
        "--encoder-batch-size", type=int, default=None, help="encode batches in slices of this many rows"
    )
    p.add_argument("--pad-to-multiple-of", type=int, default=None, help="round batch width up (fewer shapes)")
    p.add_argument("--static-cache", action="store_true", help="generate with a static KV cache")
    p.add_argument(
        "--compile", action="store_true", help="torch.compile the decoding step (implies --static-cache)"
    )
    p.add_argument(
        "--cuda-graphs",
        action="store_true",
        help="replay the decoding step as CUDA graphs: torch.compile mode reduce-overhead (implies --compile)",
    )
    p.add_argument(
        "--compile-mode", default=None, help="torch.compile mode (default: default, or reduce-overhead)"
    )
    p.add_argument("--repeats", type=int, default=2, help="best of this many timed runs, for both paths")
    p.add_argument(
        "--warmup",
        type=int,
        default=None,
        help="warm-up batches use this many articles (default: one full batch)",
    )
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--profile",
        type=int,
        default=0,
        help="after timing, profile one batch of this many rows (torch.profiler): CPU vs device time, top ops",
    )
    p.add_argument("--check", action="store_true", help="also check batched output == naive output")
    p.add_argument(
        "--time-limit",
        type=float,
        default=None,
        help="skip remaining batch sizes once this many seconds have passed",
    )
    p.add_argument(
        "--ct2",
        default="auto",
        help="also measure the CTranslate2 engine with this compute type (int8, int8_float32, float32, "
        "bfloat16, int8_bfloat16); auto: int8 on CPU, bfloat16 on CUDA when ctranslate2 is installed; none: skip",
    )
    p.add_argument(
        "--ct2-vmap-size",
        default=None,
        help="also measure CTranslate2 through a vocabulary map (summarizer.ct2_vocab_map) that always scores "
        "this many tokens (a list 20000,40000 measures each); the default engine is measured first",
    )


class PeakRSS:
    """Peak resident set size (GiB) while the block runs, sampled every 10 ms from /proc (CPU memory)."""

    def __init__(self) -> None:
        self.start = self.peak = _rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, _rss())

    def __enter__(self) -> PeakRSS:
        self.start = self.peak = _rss()
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss())


def _rss() -> float:
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**30
    except (OSError, ValueError, IndexError):
        return 0.0


class _VocabOnly:
    """What the CTranslate2 converter reads from a tokenizer, for a model built without one."""

    pad_token, eos_token, unk_token = "<pad>", "</s>", "<unk>"

    def __init__(self, size: int) -> None:
        self.tokens = ["<pad>", "</s>", "<unk>"] + [f"t{i}" for i in range(3, size)]

    def get_vocab(self) -> dict[str, int]:
        return {t: i for i, t in enumerate(self.tokens)}

    def convert_ids_to_tokens(self, i: int) -> str:
        return self.tokens[i]

    def save_pretrained(self, *args: Any, **kwargs: Any) -> None:
        pass


def _build_model(args: argparse.Namespace, device: Any, dtype: Any) -> tuple[Any, Any, str]:
    """(model, tokenizer or None, description)."""
    import torch
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    if args.random_mt5_base:
        from transformers import GenerationConfig, MT5Config, MT5ForConditionalGeneration

        config = MT5Config(
            vocab_size=250112,
            d_model=768,
            d_kv=64,
            d_ff=2048,
            num_layers=12,
            num_decoder_layers=12,
            num_heads=12,
            feed_forward_proj="gated-gelu",
            dropout_rate=0.0,
        )
        config.tie_word_embeddings = (
            False  # mT5's output projection is its own (transformers 5 ties it on init)
        )
        torch.manual_seed(args.seed)
        with torch.device(device):
            model = MT5ForConditionalGeneration(config)
        model.encoder.embed_tokens = model.decoder.embed_tokens = (
            model.shared
        )  # one input embedding, as mT5's
        model.to(dtype)
        model.generation_config = GenerationConfig(decoder_start_token_id=0, pad_token_id=0, eos_token_id=1)
        n = sum(p.numel() for p in model.parameters())
        return model.eval(), None, f"random mT5-base ({n / 1e6:.0f}M params)"
    path = args.model
    if path is None:
        from pipeline.summarize.tiny import build_tiny_bart, build_tiny_mt5

        path = tempfile.mkdtemp(prefix=f"tiny-{args.tiny}-")
        (build_tiny_mt5 if args.tiny == "mt5" else build_tiny_bart)(path)
    tok = AutoTokenizer.from_pretrained(path, local_files_only=True)
    model = AutoModelForSeq2SeqLM.from_pretrained(path, local_files_only=True, dtype=dtype).to(device).eval()
    n = sum(p.numel() for p in model.parameters())
    return model, tok, f"{type(model).__name__} from {path} ({n / 1e6:.2f}M params)"


def _articles(args: argparse.Namespace, vocab: int, specials: set[int], eos: int) -> list[list[int]]:
    rng = random.Random(args.seed)
    pool = [i for i in range(vocab) if i not in specials]
    out = []
    for _ in range(args.articles):
        n = rng.randint(args.min_tokens, args.max_tokens)
        out.append([rng.choice(pool) for _ in range(n - 1)] + [eos])
    return out


def _sync(device: Any) -> None:
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize()


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--max-batch-size: expected N or N,N,...; got {text!r}") from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError("--max-batch-size: sizes must be >= 1")
    return sizes


def run(args: argparse.Namespace) -> dict[str, float]:
    import torch

    from pipeline.summarize.presets import ModelSpec
    from pipeline.summarize.seq2seq import Seq2SeqSummarizer, resolve_device, resolve_dtype

    started = time.perf_counter()
    args.compile = args.compile or args.cuda_graphs
    args.static_cache = args.static_cache or args.compile
    args.compile_mode = args.compile_mode or ("reduce-overhead" if args.cuda_graphs else "default")
    if args.threads:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    dtype = resolve_dtype(args.dtype, device)
    model, tok, what = _build_model(args, device, dtype)
    print(
        f"model:    {what} on {device} in {str(dtype).replace('torch.', '')}; "
        f"ready after {time.perf_counter() - started:.1f}s",
        flush=True,
    )
    new = args.new_tokens
    spec = ModelSpec(
        model="bench",
        max_input_tokens=max(args.max_tokens, 8),
        generation={"num_beams": 1, "max_new_tokens": new, "min_new_tokens": new, "no_repeat_ngram_size": 0},
    )
    sizes = _sizes(args.max_batch_size)
    summarizer = Seq2SeqSummarizer(
        tok,
        model,
        spec,
        encoder_batch_size=args.encoder_batch_size,
        pad_to_multiple_of=args.pad_to_multiple_of,
        static_cache=args.static_cache,
        compile=args.compile,
        compile_mode=args.compile_mode,
    )
    cfg = model.config
    specials = {
        x for x in (cfg.pad_token_id, cfg.eos_token_id, cfg.decoder_start_token_id, 2, 3, 4) if x is not None
    }
    eos = cfg.eos_token_id if isinstance(cfg.eos_token_id, int) else 1
    articles = _articles(args, cfg.vocab_size, specials, eos)
    lengths = [len(a) for a in articles]
    print(
        f"inputs:   {len(articles)} synthetic articles, {min(lengths)}-{max(lengths)} tokens "
        f"(mean {sum(lengths) / len(lengths):.0f}); greedy, min_new_tokens = max_new_tokens = {new}; "
        f"static cache {'on' if args.static_cache else 'off'}, "
        f"compile {args.compile_mode if args.compile else 'off'}",
        flush=True,
    )
    naive_n = min(len(articles), args.naive_limit or len(articles))
    naive_gc = summarizer._generation_config(spec.generation, False, False, "")  # the plain user loop

    def naive(items: list[list[int]]) -> list[list[int]]:
        outs = []
        for ids in items:
            x = torch.tensor([ids], device=device)
            outs.append(
                model.generate(input_ids=x, attention_mask=torch.ones_like(x), generation_config=naive_gc)[0]
            )
        return [o.tolist() for o in outs]

    naive(articles[:1])  # warm-up: CUDA context, kernels
    warm: dict[int, float] = {}
    for size in sizes:  # warm-up per size: allocator (and with --compile, every batch shape compiles)
        if warm and args.time_limit and time.perf_counter() - started > args.time_limit:
            print(f"batch {size}: skipped, past --time-limit {args.time_limit:.0f}s", flush=True)
            continue
        summarizer.max_batch_size = size
        summarizer.token_budget = args.token_budget or size * args.max_tokens
        t0 = time.perf_counter()
        try:
            summarizer.generate_ids(articles if args.static_cache else articles[: args.warmup or size])
        except torch.OutOfMemoryError:
            print(f"batch {size}: out of memory", flush=True)
            if device.type == "cuda":
                torch.cuda.empty_cache()
            continue
        _sync(device)
        warm[size] = time.perf_counter() - t0

    # timed runs, naive and batched interleaved so that both see the same machine; best of N
    naive_s = float("inf")
    timed: dict[int, tuple[float, dict[str, int], float, list[list[int]]]] = {}
    naive_out: list[list[int]] = []
    naive_mem = 0.0
    naive_cpu = float("inf")
    cpu_of: dict[int, float] = {}
    for rep in range(max(1, args.repeats)):
        _sync(device)
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats()
        with PeakRSS() as rss:
            t0, c0 = time.perf_counter(), time.process_time()
            naive_out = naive(articles[:naive_n])
            _sync(device)
            naive_s = min(naive_s, time.perf_counter() - t0)
            naive_cpu = min(naive_cpu, (time.process_time() - c0) / naive_n)
        naive_mem = max(
            naive_mem, torch.cuda.max_memory_allocated() / 2**30 if device.type == "cuda" else rss.peak
        )
        for size in warm:
            if rep and args.time_limit and time.perf_counter() - started > args.time_limit:
                break
            summarizer.max_batch_size = size
            summarizer.token_budget = args.token_budget or size * args.max_tokens
            summarizer.stats = dict.fromkeys(summarizer.stats, 0)
            if device.type == "cuda":
                torch.cuda.reset_peak_memory_stats()
            _sync(device)
            with PeakRSS() as rss:
                t0, c0 = time.perf_counter(), time.process_time()
                out = summarizer.generate_ids(articles)
                _sync(device)
                took = time.perf_counter() - t0
            cpu_of[size] = min(cpu_of.get(size, float("inf")), (time.process_time() - c0) / len(articles))
            mem = torch.cuda.max_memory_allocated() / 2**30 if device.type == "cuda" else rss.peak
            if size not in timed or took < timed[size][0]:
                timed[size] = (took, dict(summarizer.stats), mem, out)
    naive_rate = naive_n / naive_s
    best = f", best of {args.repeats}" if args.repeats > 1 else ""
    memory = "GPU memory allocated" if device.type == "cuda" else "resident set"
    print(
        f"naive:    {naive_rate:10.2f} articles/s  ({naive_n} articles in {naive_s:.2f}s{best}; "
        f"one generate() per article; {naive_cpu:.2f} CPU-s/article; peak {naive_mem:.2f} GiB {memory})",
        flush=True,
    )
    result = {"naive": naive_rate, "batched": 0.0, "ratio": 0.0, "naive_cpu": naive_cpu, "batched_cpu": 0.0}
    for size, (took, st, mem, out) in timed.items():
        rate = len(articles) / took
        peak = f", {cpu_of[size]:.2f} CPU-s/article, peak {mem:.2f} GiB {memory}"
        print(
            f"batched:  {rate:10.2f} articles/s  ({len(articles)} in {took:.2f}s{best}; "
            f"max {size} rows, {st['batches']} batches, padding efficiency "
            f"{st['real_tokens'] / max(1, st['padded_tokens']):.0%}, warm-up {warm[size]:.1f}s{peak})"
            f"  -> {rate / naive_rate:.1f}x naive",
            flush=True,
        )
        if args.check:
            same = sum(
                1 for a, b in zip(out[:naive_n], naive_out, strict=True) if _strip(a, cfg) == _strip(b, cfg)
            )
            print(f"check:    {same}/{naive_n} batched outputs identical to the naive loop's", flush=True)
        if rate > result["batched"]:
            result.update(batched=rate, ratio=rate / naive_rate, batched_cpu=cpu_of[size])
    if args.profile:
        _profile(summarizer, articles[: args.profile], device)
    print(
        f"best:     {result['batched']:.2f} articles/s batched vs {naive_rate:.2f} naive = {result['ratio']:.1f}x "
        f"(total {time.perf_counter() - started:.0f}s)",
        flush=True,
    )
    ctype = _ct2_type(args.ct2, device)
    if ctype:
        tmp = tempfile.TemporaryDirectory(prefix="bench-ct2-")
        t0 = time.perf_counter()
        ct2_dir = _convert(model, tok, device, ctype, Path(tmp.name) / "model")
        convert_s = time.perf_counter() - t0
        gen_config = model.generation_config
        torch_out = [timed[k][3] for k in timed][-1] if timed else naive_out
        # free the torch model first, so that the CTranslate2 phase's memory is its own
        del naive, model
        summarizer.model = None
        timed.clear()
        gc.collect()
        if device.type == "cuda":
            torch.cuda.empty_cache()
        try:
            result.update(_bench_ct2(args, ct2_dir, convert_s, tok, cfg, gen_config, spec, sizes, articles, ctype,
                                     result, torch_out))  # fmt: skip
        finally:
            tmp.cleanup()
    if device.type == "cpu" and not args.random_mt5_base:
        print(f"target (CPU, tiny model): >= 1.5x -> {'PASS' if result['ratio'] >= 1.5 else 'FAIL'}")
    elif device.type == "cuda" and args.random_mt5_base:
        ok = result["ratio"] >= 100 and result["batched"] >= 250
        print(f"target (H100, mT5-base): >= 100x and >= 250 articles/s -> {'PASS' if ok else 'FAIL'}")
    return result


def _profile(summarizer: Any, rows: list[list[int]], device: Any) -> None:
    """What bounds decoding: wall time against the time the device was busy, and the top ops."""
    from torch.profiler import ProfilerActivity, profile

    summarizer.max_batch_size = len(rows)
    summarizer.token_budget = len(rows) * max(len(r) for r in rows)
    acts = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device.type == "cuda" else [])
    _sync(device)
    with profile(activities=acts) as prof:
        t0 = time.perf_counter()
        summarizer.generate_ids(rows)
        _sync(device)
        wall = time.perf_counter() - t0
    events = prof.key_averages()
    dev_us = sum(getattr(e, "self_device_time_total", 0) or 0 for e in events)
    launches = sum(e.count for e in events if e.key.startswith(("cudaLaunchKernel", "cuLaunchKernel")))
    print(
        f"profile:  one batch of {len(rows)} rows: wall {wall * 1e3:.0f} ms, device busy {dev_us / 1e3:.0f} ms "
        f"({dev_us / 1e6 / wall:.0%} of wall), {launches} kernel launches",
        flush=True,
    )
    sort = "self_device_time_total" if device.type == "cuda" else "self_cpu_time_total"
    print(events.table(sort_by=sort, row_limit=15, max_name_column_width=60), flush=True)


def _ct2_type(choice: str, device: Any) -> str | None:
    if choice == "none":
        return None
    try:
        import ctranslate2  # noqa: F401
    except ImportError:
        if choice != "auto":
            raise SystemExit("--ct2: ctranslate2 is not installed (pip install 'newspipe[fast]')") from None
        print("ct2:      skipped (ctranslate2 is not installed; pip install 'newspipe[fast]')")
        return None
    if choice == "auto":
        return "bfloat16" if device.type == "cuda" else "int8"
    return choice


def _convert(model: Any, tok: Any, device: Any, ctype: str, out: Path) -> Path:
    """The benchmark's torch model, converted in memory (a float32 CPU copy when it lives elsewhere)."""
    import copy

    import torch

    from pipeline.summarize.ct2 import convert_model

    src = model
    if device.type != "cpu" or next(model.parameters()).dtype != torch.float32:
        src = copy.deepcopy(model).to("cpu", torch.float32)
    vocab = tok if tok is not None else _VocabOnly(model.config.vocab_size)
    return convert_model(vocab, src, out, quantization=ctype, ref="bench", source="bench")


def _bench_ct2(
    args, ct2_dir, convert_s, tok, cfg, gen_config, spec, sizes, articles, ctype, result, torch_out
):
    """CTranslate2 phase: same articles, same batch plan, the translator opened as the engine opens it
    (`open_translator`: its thread settings); best of --repeats; peak memory. Then, per
    `--ct2-vmap-size`, the same through a vocabulary map of that many always-scored tokens."""
    import random

    import torch

    from pipeline.summarize.ct2 import (
        CT2Summarizer,
        _read_vocab,
        open_translator,
        vocab_map_text,
        with_vocab_map,
    )

    device = (
        "cuda" if args.device == "cuda" or (args.device == "auto" and torch.cuda.is_available()) else "cpu"
    )
    size_mib = sum(p.stat().st_size for p in ct2_dir.rglob("*") if p.is_file()) / 2**20
    vocab = _read_vocab(ct2_dir)
    out: dict[str, float] = {}
    for vmap in [0, *_vmap_sizes(args.ct2_vmap_size)]:
        load, label = ct2_dir, ctype
        if vmap:
            # stand-in for a language's map (the benchmark's model has no real tokenizer): `vmap` tokens
            # drawn at random are always scored, every other one when an input holds it, as with `zh`
            keep = set(random.Random(args.seed).sample(range(len(vocab)), min(vmap, len(vocab))))
            specials = {cfg.pad_token_id, cfg.eos_token_id, cfg.decoder_start_token_id}
            text, _ = vocab_map_text(
                vocab, lambda t: False, sorted(keep | {i for i in specials if i is not None})
            )
            load, label = with_vocab_map(ct2_dir, text, ct2_dir.parent / "vmap"), f"{ctype} + vmap {vmap}"
        with PeakRSS() as load_rss:
            translator = open_translator(load, device, ctype, args.threads)
        s = CT2Summarizer(tok, translator, cfg, gen_config, vocab, spec, ref="bench", device=device,
                          compute_type=ctype)  # fmt: skip
        if vmap:
            s.use_vocab_map(f"random-{vmap}", vmap)
        threads = args.threads or (
            len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        )
        print(f"ct2:      converted to {ctype} in {convert_s:.0f}s ({size_mib:.0f} MiB on disk); "
              f"loaded on {device} ({threads} threads) as {label}, resident {load_rss.peak:.2f} GiB", flush=True)  # fmt: skip
        figures = _time_ct2(args, s, sizes, articles, label, result, torch_out, cfg, device)
        key = "ct2" if not vmap else f"ct2_vmap{vmap}"
        out.update({key if k == "ct2" else k.replace("ct2", key, 1): v for k, v in figures.items()})
        del s, translator
        gc.collect()
    return out


def _vmap_sizes(text: str | None) -> list[int]:
    return [int(x) for x in (text or "").split(",") if x.strip()]


def _time_ct2(args, s, sizes, articles, label, result, torch_out, cfg, device):
    best_rate, best_size, best_mem, best_cpu, out = 0.0, 0, 0.0, 0.0, []
    for size in sizes:
        s.max_batch_size = size
        s.token_budget = args.token_budget or size * args.max_tokens
        s.generate_ids(articles[: args.warmup or size])  # warm-up
        for _ in range(max(1, args.repeats)):
            s.stats = dict.fromkeys(s.stats, 0)
            with PeakRSS() as rss:
                t0, c0 = time.perf_counter(), time.process_time()
                got = s.generate_ids(articles)
                took = time.perf_counter() - t0
            cpu = (time.process_time() - c0) / len(articles)
            rate = len(articles) / took
            if rate > best_rate:
                best_rate, best_size, best_mem, best_cpu, out = rate, size, rss.peak, cpu, got
    ratio = best_rate / result["batched"] if result["batched"] else 0.0
    mem = "" if device == "cuda" else f", {best_cpu:.2f} CPU-s/article, peak {best_mem:.2f} GiB resident set"
    cpu_ratio = result["batched_cpu"] / best_cpu if best_cpu and result["batched_cpu"] else 0.0
    print(f"ct2:      {best_rate:10.2f} articles/s  ({len(articles)} in {len(articles) / best_rate:.2f}s, best of "
          f"{args.repeats}; max {best_size} rows{mem}; {label})  -> {ratio:.1f}x torch batched, "
          f"{best_rate / result['naive']:.1f}x naive", flush=True)  # fmt: skip
    if device == "cpu":
        print(f"ct2:      CPU time per article: torch batched / ct2 = {cpu_ratio:.1f}x (steadier than wall time "
              f"when other processes share the CPU; load average now {_loadavg()})", flush=True)  # fmt: skip
    same = sum(1 for a, b in zip(out, torch_out, strict=False) if _strip(a, cfg)[1:] == _strip(b, cfg)[1:])
    print(
        f"ct2:      {same}/{len(out)} outputs identical to torch's ({label}; only float32 is expected to match)"
    )
    if device == "cpu" and args.random_mt5_base:
        print(f"target (CPU, mT5-base): CTranslate2 {label} batched >= 3x torch float32 batched -> "
              f"{'PASS' if ratio >= 3 else 'FAIL'} ({ratio:.2f}x wall, {cpu_ratio:.2f}x CPU time)")  # fmt: skip
    return {"ct2": best_rate, "ct2_ratio": ratio, "ct2_cpu": best_cpu, "ct2_cpu_ratio": cpu_ratio}


def _loadavg() -> str:
    try:
        with open("/proc/loadavg") as fh:
            return " ".join(fh.read().split()[:3])
    except OSError:
        return "n/a"


def _strip(seq: list[int], cfg: Any) -> list[int]:
    pad = cfg.pad_token_id
    out = list(seq)
    while out and out[-1] == pad:
        out.pop()
    return out
