"""The CTranslate2 engine (`summarizer.engine: ctranslate2`): the same summarizer, faster decoding.

CTranslate2 runs T5/mT5 and BART encoder-decoders with int8 weights on CPU and bfloat16 or
int8_bfloat16 on CUDA. Only the model call changes: `CT2Summarizer` subclasses `Seq2SeqSummarizer`,
so pooling, length-sorted token-budget batching, chunking and output cleaning are the torch engine's
own code; `generate_ids` hands each planned batch to `Translator.translate_batch`.

A model is converted once (`scripts/convert_ct2.py`, or on first use) into a directory holding the
CTranslate2 weights (`model.bin`, `config.json`, `shared_vocabulary.json`) plus `hf/`: the Hugging
Face tokenizer, config and generation config, so the directory alone is enough to run it.
First-use conversions go to a cache directory (`summarizer.ct2_cache_dir`, else
`$NEWSPIPE_CT2_CACHE`, else `~/.cache/newspipe/ct2`) keyed by model, revision (for a local directory:
its files' sizes and times) and compute type. `summarizer.model` may also name a converted directory.

`summarizer.ct2_vocab_map: zh` (opt-in) restricts the output layer to a vocabulary map, CTranslate2's
`use_vmap`: the tokens a Chinese summary is made of (`zh_token`) are always scored, every other token
only when the batch's inputs contain it. mT5's 250,112-row output projection is about half of a
decoding step on CPU, so this is a speed setting; it changes an output only where the model would
have picked a token outside the map (docs/summarizer.md). The map is written next to the conversion
cache, into a directory of links to the converted files plus `vmap.txt`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from pipeline.config import ConfigError
from pipeline.summarize.presets import ModelSpec, resolve_model_spec
from pipeline.summarize.seq2seq import (
    ModelLoadError,
    Seq2SeqSummarizer,
    batch_defaults,
    engine_settings,
    load_pretrained,
)

log = logging.getLogger("pipeline.summarize")

HF_SUBDIR = "hf"  # the Hugging Face side of a converted directory (CTranslate2 owns config.json)
META = "newspipe_ct2.json"
VOCAB_MAPS = ("none", "zh")
COMPUTE_TYPES = (
    "auto",
    "float32",
    "int8",
    "int8_float32",
    "bfloat16",
    "int8_bfloat16",
    "float16",
    "int8_float16",
)
MISSING = (
    "summarizer.engine: ctranslate2 is not installed; install it with `pip install 'newspipe[fast]'` "
    "(or `pip install ctranslate2`), or use --set summarizer.engine=torch"
)


def import_ct2() -> Any:
    """The ctranslate2 module, or a one-line ConfigError saying how to get it."""
    try:
        import ctranslate2
    except ImportError:
        raise ConfigError(MISSING) from None
    return ctranslate2


def resolve_device(name: str = "auto") -> str:
    ct2 = import_ct2()
    cuda = ct2.get_cuda_device_count() > 0
    if name == "auto":
        return "cuda" if cuda else "cpu"
    if name == "cuda" and not cuda:
        raise ModelLoadError("summarizer.device is 'cuda' but CTranslate2 sees no CUDA device", "device")
    if name not in ("cpu", "cuda"):
        raise ModelLoadError(
            f"summarizer.device '{name}': the ctranslate2 engine runs on cpu or cuda", "device"
        )
    return name


def resolve_compute_type(name: str, device: str) -> str:
    """auto: int8 on CPU, bfloat16 on CUDA (int8_bfloat16 is the smaller, slightly lossier choice)."""
    ct2 = import_ct2()
    if name == "auto":
        name = "bfloat16" if device == "cuda" else "int8"
    supported = ct2.get_supported_compute_types(device)
    if name not in supported:
        raise ModelLoadError(
            f"summarizer.compute_type '{name}' is not supported on {device} here (supported: {', '.join(sorted(supported))})",
            "device",
        )
    return name


def is_converted(path: str | Path) -> bool:
    p = Path(path)
    return (p / "model.bin").is_file() and (p / HF_SUBDIR / "config.json").is_file()


def default_cache_dir() -> Path:
    env = os.environ.get("NEWSPIPE_CT2_CACHE")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "newspipe" / "ct2"


def cache_key(spec: ModelSpec, quantization: str) -> str:
    """Model + revision + quantization; a local directory is keyed by its files' names, sizes and times
    (so a retrained model converts again)."""
    name = os.path.expanduser(spec.model)
    if os.path.isdir(name):
        root = Path(name).resolve()
        files = sorted(p for p in root.rglob("*") if p.is_file())
        ident = [str(root)] + [
            f"{p.relative_to(root)}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in files
        ]
    else:
        ident = [spec.model, spec.revision or "main"]
    digest = hashlib.sha256("\n".join([*ident, quantization]).encode()).hexdigest()[:16]
    stem = "".join(c if c.isalnum() or c in "-_." else "-" for c in Path(spec.model).name)[:48]
    return f"{stem}-{quantization}-{digest}"


def _patch_config(model: Any) -> None:
    """Attributes the converter reads that transformers v5 configs no longer carry."""
    cfg = model.config
    if getattr(cfg, "model_type", "") == "bart" and not hasattr(cfg, "normalize_before"):
        cfg.normalize_before = False  # BART is post-norm (mBART's own loader does not read this)


def convert_model(
    tokenizer: Any, model: Any, out_dir: str | Path, *, quantization: str, ref: str, source: str
) -> Path:
    """Convert a loaded (tokenizer, torch model) into `out_dir` (written whole or not at all)."""
    ct2 = import_ct2()
    from ctranslate2.converters import TransformersConverter

    class _Loaded(TransformersConverter):  # the converter reads the already-loaded objects
        def load_model(self, *args: Any, **kwargs: Any) -> Any:
            return model

        def load_tokenizer(self, *args: Any, **kwargs: Any) -> Any:
            return tokenizer

    _patch_config(model)
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        with tempfile.TemporaryDirectory() as cfg_dir:
            model.config.save_pretrained(cfg_dir)  # the converter reads AutoConfig from a path
            _Loaded(cfg_dir).convert(str(tmp / "ct2"), quantization=quantization, force=True)
        work = tmp / "ct2"
        _fix_special_tokens(work, model)
        hf = work / HF_SUBDIR
        tokenizer.save_pretrained(hf)
        model.config.save_pretrained(hf)
        model.generation_config.save_pretrained(hf)
        meta = {"ref": ref, "source": source, "quantization": quantization, "ctranslate2": ct2.__version__}
        (work / META).write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        if out.exists():
            shutil.rmtree(out)
        os.replace(work, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def _fix_special_tokens(work: Path, model: Any) -> None:
    """Start and end tokens as the torch model's generation config says (a BERT-vocabulary BART's
    tokenizer has no eos/bos token, so the converter would leave them null)."""
    vocab = _read_vocab(work)
    gc, mc = model.generation_config, model.config
    cfg = json.loads((work / "config.json").read_text(encoding="utf-8"))

    def tok(*ids: Any) -> str | None:
        for i in ids:
            if isinstance(i, list):
                i = i[0] if i else None
            if isinstance(i, int) and 0 <= i < len(vocab):
                return vocab[i]
        return None

    cfg["eos_token"] = tok(gc.eos_token_id, mc.eos_token_id) or cfg.get("eos_token")
    cfg["decoder_start_token"] = tok(gc.decoder_start_token_id, mc.decoder_start_token_id) or cfg.get(
        "decoder_start_token"
    )
    cfg["bos_token"] = (
        cfg.get("bos_token") or tok(gc.bos_token_id, mc.bos_token_id) or cfg["decoder_start_token"]
    )
    cfg["unk_token"] = cfg.get("unk_token") or cfg["eos_token"]
    (work / "config.json").write_text(json.dumps(cfg, ensure_ascii=False, indent=2), encoding="utf-8")


def _read_vocab(path: Path) -> list[str]:
    for name in ("shared_vocabulary.json", "target_vocabulary.json"):
        if (path / name).is_file():
            return json.loads((path / name).read_text(encoding="utf-8"))
    for name in ("shared_vocabulary.txt", "target_vocabulary.txt"):
        if (path / name).is_file():
            return (path / name).read_text(encoding="utf-8").split("\n")[:-1]
    raise ModelLoadError(f"no vocabulary file in the converted model directory {path.name}")


def convert_spec(
    spec: ModelSpec,
    out_dir: str | Path,
    *,
    quantization: str,
    local_files_only: bool = False,
    use_safetensors: bool | None = None,
) -> Path:
    """Load `spec`'s checkpoint (as the torch engine would: cache first, pinned revision) and convert it."""
    import torch

    tokenizer, model, ref = load_pretrained(
        spec,
        device=torch.device("cpu"),
        dtype=torch.float32,
        local_files_only=local_files_only,
        use_safetensors=use_safetensors,
    )
    try:
        return convert_model(tokenizer, model, out_dir, quantization=quantization, ref=ref, source=spec.model)
    except ConfigError:
        raise
    except Exception as exc:  # unsupported architecture, disk full, ...
        raise ModelLoadError(
            f"CTranslate2 conversion failed: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
        ) from exc


def ensure_converted(
    spec: ModelSpec,
    quantization: str,
    *,
    cache_dir: str | Path | None = None,
    local_files_only: bool = False,
    use_safetensors: bool | None = None,
) -> Path:
    """The converted directory for `spec`: the model itself when it is one, else the cache entry
    (converted now when absent)."""
    name = os.path.expanduser(spec.model)
    if is_converted(name):
        return Path(name)
    if os.path.isdir(name) and (Path(name) / "model.bin").is_file():
        raise ModelLoadError(
            f"{spec.model} is a CTranslate2 directory without the Hugging Face files (hf/); convert the "
            "original checkpoint with scripts/convert_ct2.py instead"
        )
    root = Path(cache_dir).expanduser() if cache_dir else default_cache_dir()
    target = root / cache_key(spec, quantization)
    if is_converted(target):
        return target
    log.info("summarizer: converting %s for CTranslate2 (%s), once", spec.model, quantization)
    return convert_spec(
        spec,
        target,
        quantization=quantization,
        local_files_only=local_files_only,
        use_safetensors=use_safetensors,
    )


def _zh_char(c: str) -> bool:
    o = ord(c)
    return (
        0x4E00 <= o <= 0x9FFF  # CJK unified ideographs
        or 0x3400 <= o <= 0x4DBF  # extension A
        or 0xF900 <= o <= 0xFAFF  # compatibility ideographs
        or 0x3000 <= o <= 0x303F  # CJK symbols and punctuation: 。、《》「」
        or 0xFF00 <= o <= 0xFFEF  # full-width forms: ，：；（）％
        or 0x2000 <= o <= 0x206F  # general punctuation: “”‘’—…
        or o in (0xB0, 0xB7, 0xD7, 0xF7, 0x2103, 0x2116)  # ° · × ÷ ℃ №
        or (o < 0x80 and not c.isalpha() and c.isprintable())  # ASCII digits and punctuation
    )


def zh_token(token: str) -> bool:
    """Can a Chinese summary use this vocabulary token without having seen it in its input? Han
    characters, CJK and ASCII punctuation, digits, and Latin pieces of at most two letters (so any
    Latin name can still be spelled); a word-start mark (SentencePiece's ▁, WordPiece's ##) is
    ignored. Longer Latin words, kana, Hangul, Cyrillic, ... are scored only when the input has them."""
    body = token.replace("\u2581", "").removeprefix("##")
    letters = 0
    for c in body:
        if c.isascii() and c.isalpha():
            letters += 1
        elif not _zh_char(c):
            return False
    return letters <= 2


def _mappable(token: str) -> bool:
    return bool(token) and not any(c in token for c in " \t\n\r")  # vmap.txt separates tokens by these


def vocab_map_text(vocab: Sequence[str], keep: Any, always: Sequence[int] = ()) -> tuple[str, int]:
    """The text of a CTranslate2 `vmap.txt` and the number of tokens it always scores: one line with
    an empty source listing the kept tokens (`keep(token)` true, or their id in `always`), then one
    line `token<TAB>token` per other token, so that a token in a batch's input is scored too."""
    ids = set(always)
    fixed = [t for i, t in enumerate(vocab) if _mappable(t) and (i in ids or keep(t))]
    seen = set(fixed)
    lines = ["\t" + " ".join(fixed)]
    for t in vocab:
        if t not in seen and _mappable(t):
            seen.add(t)
            lines.append(f"{t}\t{t}")
    return "\n".join(lines) + "\n", len(fixed)


def with_vocab_map(model_dir: str | Path, text: str, cache_dir: str | Path | None = None) -> Path:
    """A directory holding `model_dir`'s files (linked, else copied) plus `vmap.txt` with `text`,
    in the conversion cache (the converted directory itself is left as it is)."""
    src = Path(model_dir).resolve()
    stamp = src / "model.bin"
    ident = f"{src}\n{stamp.stat().st_size}:{stamp.stat().st_mtime_ns}\n{text}"
    digest = hashlib.sha256(ident.encode("utf-8")).hexdigest()[:16]
    root = Path(cache_dir).expanduser() if cache_dir else default_cache_dir()
    stem = "".join(c if c.isalnum() or c in "-_." else "-" for c in src.name)[:48]
    target = root / f"{stem}-vmap-{digest}"
    if (target / "vmap.txt").is_file() and is_converted(target):
        return target
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=root))
    try:
        for entry in src.iterdir():
            if entry.name == "vmap.txt":
                continue
            try:
                os.symlink(entry, tmp / entry.name, target_is_directory=entry.is_dir())
            except OSError:  # no links here: copy
                (shutil.copytree if entry.is_dir() else shutil.copy2)(entry, tmp / entry.name)
        (tmp / "vmap.txt").write_text(text, encoding="utf-8")
        if target.exists():
            shutil.rmtree(target)  # a stale entry (its links broken)
        os.replace(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def open_translator(path: str | Path, device: str, compute_type: str, threads: int | None = None) -> Any:
    """A `ctranslate2.Translator` as the engine runs it: one batch at a time (inter_threads=1) on all
    the CPUs this process may use (measured: two half-size batches in parallel on one thread each
    cost 25% more CPU time per article than one batch on two threads)."""
    ct2 = import_ct2()
    if threads is None:
        threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return ct2.Translator(
        str(path), device=device, compute_type=compute_type, inter_threads=1, intra_threads=threads
    )


def _decode_options(gc: Any, max_len: int) -> dict[str, Any]:
    """Hugging Face generation settings as translate_batch arguments (greedy or beam, no sampling)."""
    opts: dict[str, Any] = {
        "beam_size": max(1, int(gc.num_beams or 1)),
        "max_decoding_length": max_len,
        "min_decoding_length": int(gc.min_new_tokens or 0),
        "no_repeat_ngram_size": int(gc.no_repeat_ngram_size or 0),
        "repetition_penalty": float(gc.repetition_penalty or 1.0),
        "length_penalty": float(gc.length_penalty if gc.length_penalty is not None else 1.0),
        "num_hypotheses": max(1, int(getattr(gc, "num_return_sequences", None) or 1)),
        "max_input_length": 0,  # our own limits apply (chunking/truncation happen before)
        "return_scores": False,  # nothing reads them (measured: no cost either way on CPU)
    }
    if opts["num_hypotheses"] > opts["beam_size"]:
        opts["num_hypotheses"] = opts["beam_size"]
    return opts


class CT2Summarizer(Seq2SeqSummarizer):
    """`Seq2SeqSummarizer` with CTranslate2 doing the generation."""

    def __init__(
        self,
        tokenizer: Any,
        translator: Any,
        hf_config: Any,
        generation_config: Any,
        vocab: list[str],
        spec: ModelSpec,
        *,
        ref: str | None = None,
        device: str = "cpu",
        compute_type: str = "int8",
        **options: Any,
    ) -> None:
        shim = SimpleNamespace(config=hf_config, generation_config=generation_config, device=device)
        for key in ("static_cache", "compile", "compile_mode", "encoder_batch_size"):
            options.pop(key, None)  # torch-only settings
        super().__init__(tokenizer, shim, spec, ref=ref, **options)
        self.translator = translator
        self.vocab = vocab
        self.index: dict[str, int] = {}
        for i, tok in enumerate(vocab):
            self.index.setdefault(tok, i)
        self.device = device
        self.compute_type = compute_type
        gc = self.generation_config
        self.eos_id = gc.eos_token_id[0] if isinstance(gc.eos_token_id, list) else gc.eos_token_id
        self.start_id = gc.decoder_start_token_id
        if self.start_id is None:
            self.start_id = hf_config.decoder_start_token_id
        self.options = _decode_options(gc, int(gc.max_new_tokens))
        ends = gc.eos_token_id if isinstance(gc.eos_token_id, list) else []
        if len(ends) > 1:  # several end tokens (the converted config holds one)
            self.options["end_token"] = [vocab[i] for i in ends if 0 <= i < len(vocab)]
        forced = getattr(gc, "forced_bos_token_id", None)
        self.target_prefix = (
            [vocab[forced]] if isinstance(forced, int) else None
        )  # mBART-style language token
        self.vocab_map = "none"
        self.vocab_map_size = 0

    def use_vocab_map(self, name: str, size: int) -> None:
        """Decode through the translator's vmap.txt (`size` tokens always scored)."""
        self.vocab_map, self.vocab_map_size = name, size
        self.options["use_vmap"] = True

    @classmethod
    def open(
        cls,
        path: str | Path,
        spec: ModelSpec,
        *,
        device: str = "cpu",
        compute_type: str = "int8",
        ref: str | None = None,
        threads: int | None = None,
        vocab_map: str = "none",
        cache_dir: str | Path | None = None,
        **options: Any,
    ) -> CT2Summarizer:
        """Load a converted directory (with `vocab_map: zh`, through a vocabulary map: see `zh_token`)."""
        import_ct2()
        from transformers import AutoConfig, AutoTokenizer, GenerationConfig

        path = Path(path)
        hf = path / HF_SUBDIR
        try:
            tokenizer = AutoTokenizer.from_pretrained(hf, local_files_only=True, trust_remote_code=False)
            config = AutoConfig.from_pretrained(hf, local_files_only=True, trust_remote_code=False)
            try:
                gen = GenerationConfig.from_pretrained(hf, local_files_only=True)
            except OSError:
                gen = GenerationConfig.from_model_config(config)
            vocab = _read_vocab(path)
            load, mapped = path, 0
            if vocab_map == "zh":
                specials = set(getattr(tokenizer, "all_special_ids", None) or [])
                specials |= {
                    i
                    for i in (gen.decoder_start_token_id, getattr(gen, "forced_bos_token_id", None))
                    if isinstance(i, int)
                }
                specials |= set(
                    gen.eos_token_id if isinstance(gen.eos_token_id, list) else [gen.eos_token_id]
                )
                if sum(1 for t in vocab if any(0x4E00 <= ord(c) <= 0x9FFF for c in t)) < 100:
                    raise ModelLoadError(
                        "summarizer.ct2_vocab_map: zh needs a vocabulary that spells Chinese characters as text; "
                        "this model's does not (byte-level BPE?): use ct2_vocab_map: none",
                        "other",
                    )
                text, mapped = vocab_map_text(
                    vocab, zh_token, sorted(i for i in specials if isinstance(i, int))
                )
                load = with_vocab_map(path, text, cache_dir)
                log.info(
                    "summarizer: vocabulary map %s: %d of %d tokens always scored",
                    vocab_map,
                    mapped,
                    len(vocab),
                )
            elif vocab_map != "none":
                raise ModelLoadError(
                    f"summarizer.ct2_vocab_map '{vocab_map}': expected one of {', '.join(VOCAB_MAPS)}"
                )
            translator = open_translator(load, device, compute_type, threads)
        except ModelLoadError:
            raise
        except Exception as exc:
            raise ModelLoadError(
                f"cannot open the CTranslate2 model: {str(exc).splitlines()[0] if str(exc) else exc!r}"
            ) from exc
        if ref is None:
            meta = path / META
            ref = json.loads(meta.read_text(encoding="utf-8")).get("ref") if meta.is_file() else None
        made = cls(tokenizer, translator, config, gen, vocab, spec, ref=ref or spec.model, device=device,
                   compute_type=compute_type, **options)  # fmt: skip
        if vocab_map != "none":
            made.use_vocab_map(vocab_map, mapped)
        return made

    @classmethod
    def load(  # type: ignore[override]
        cls,
        spec: ModelSpec,
        *,
        device: str = "auto",
        compute_type: str = "auto",
        cache_dir: str | Path | None = None,
        local_files_only: bool = False,
        use_safetensors: bool | None = None,
        **options: Any,
    ) -> CT2Summarizer:
        import_ct2()
        dev = resolve_device(device)
        ctype = resolve_compute_type(compute_type, dev)
        for key, value in batch_defaults(dev).items():
            if key in ("token_budget", "max_batch_size") and options.get(key) is None:
                options[key] = value
        path = ensure_converted(
            spec,
            ctype,
            cache_dir=cache_dir,
            local_files_only=local_files_only,
            use_safetensors=use_safetensors,
        )
        name = os.path.expanduser(spec.model)
        ref = (
            spec.model if os.path.isdir(name) else None
        )  # local: the path as given; hub: id@commit from the meta
        return cls.open(path, spec, device=dev, compute_type=ctype, ref=ref, cache_dir=cache_dir, **options)

    @classmethod
    def from_settings(cls, cfg: Any) -> CT2Summarizer:  # type: ignore[override]
        return cls.load(
            resolve_model_spec(cfg),
            compute_type=getattr(cfg, "compute_type", "auto"),
            cache_dir=getattr(cfg, "ct2_cache_dir", None),
            vocab_map=getattr(cfg, "ct2_vocab_map", "none"),
            **engine_settings(cfg),
        )

    def describe(self) -> dict[str, Any]:
        gc = self.generation_config
        return {
            "model": self.ref,
            "revision": self.spec.revision,
            "preset": self.spec.preset,
            "licence": self.spec.licence,
            "engine": "ctranslate2",
            "device": self.device,
            "dtype": self.compute_type,
            "vocab_map": self.vocab_map,
            "max_input_tokens": self.input_limit,
            "generation": {
                k: getattr(gc, k)
                for k in (
                    "num_beams",
                    "max_new_tokens",
                    "min_new_tokens",
                    "no_repeat_ngram_size",
                    "length_penalty",
                )
            },
        }

    # ---------------------------------------------------------------- generation
    def generate_candidates(self, inputs: Sequence[Sequence[int]]) -> list[list[list[int]]]:
        """Every returned hypothesis (`num_return_sequences`, best first) per input, as token ids laid
        out as the torch engine's: decoder start, tokens, end token when the model stopped."""
        out: list[list[list[int]]] = [[] for _ in inputs]
        lengths = [len(x) for x in inputs]
        max_len = self.options["max_decoding_length"]
        for batch in self.plan_batches(lengths):
            source = [[self.vocab[t] for t in inputs[i]] for i in batch]
            prefix = [self.target_prefix] * len(batch) if self.target_prefix else None
            results = self.translator.translate_batch(
                source, target_prefix=prefix, max_batch_size=0, **self.options
            )
            width = self._padded(max(lengths[i] for i in batch))
            self.stats["batches"] += 1
            self.stats["inputs"] += len(batch)
            self.stats["padded_tokens"] += width * len(batch)
            self.stats["real_tokens"] += sum(lengths[i] for i in batch)
            for i, res in zip(batch, results, strict=True):
                hyps = []
                for tokens in res.hypotheses:
                    ids = [self.index.get(t, 0) for t in tokens]
                    stopped = len(ids) < max_len and self.eos_id is not None
                    hyps.append([self.start_id, *ids, *([self.eos_id] if stopped else [])])
                out[i] = hyps
        return out

    def generate_ids(self, inputs: Sequence[Sequence[int]]) -> list[list[int]]:
        """The torch engine's interface: the best hypothesis per input, in input order; with the
        generation config's `num_return_sequences` n > 1 (the faithfulness guard's rerank), n per
        input, input by input (a short list is padded with its last hypothesis)."""
        n = max(1, int(getattr(self.generation_config, "num_return_sequences", None) or 1))
        saved = self.options["num_hypotheses"]
        self.options["num_hypotheses"] = min(n, self.options["beam_size"])
        try:
            found = self.generate_candidates(inputs)
        finally:
            self.options["num_hypotheses"] = saved
        if n == 1:
            return [c[0] if c else [] for c in found]
        return [hyps[min(k, len(hyps) - 1)] if hyps else [] for hyps in found for k in range(n)]
