"""The `summarize` stage: one summary per article, abstractive when the model loads.

The model is loaded when the stage is built, so a missing model is reported before any input is
read. A local model directory that is missing or does not load is a config error. A hub model that
cannot be fetched (offline and not cached, hub unreachable, unknown id): with
`summarizer.fallback: extractive` (the default) one warning naming it and the fixes that fit the
cause, and every record says `summary_method: extractive`, `summary_model: null`; with
`fallback: error` building the stage raises `SummarizerUnavailable`.

Faithfulness (`summarizer.faithfulness`, see `pipeline.summarize.faithfulness` and
docs/summarizer.md): every summary the abstractive model is asked for is checked against its
article (`summary_check`). `flag` keeps the model's summary and only records the verdict; `rerank`
(default) takes the beam's `num_beams` candidates and keeps the first that passes; `extractive`
checks the model's one summary. When nothing passes, the article gets the extractive summary,
`summary_method: extractive` and `summary_fallback: {"reason": "unfaithful", ...}`.

When an abstractive model loads, its licence is printed once (from the preset, else the `license:`
of a local model directory's README.md card), so non-commercial weights are never used unawares.

`pipe` pools the articles of the issues it is handed (up to `pipeline.batch_size` issues at a time)
so the model sees one large, length-sorted workload, then yields the issues in their order.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from pipeline.config import Config, ConfigError, Section
from pipeline.document import Article, Issue
from pipeline.registry import register_stage
from pipeline.stages.base import DEVELOPMENT_ISSUES, Stage
from pipeline.summarize.faithfulness import check_summary, choose
from pipeline.summarize.presets import (
    GenerationSection,
    ModelSpec,
    card_licence,
    looks_like_path,
    resolve_model_spec,
)

log = logging.getLogger("pipeline.summarize")


class SummarizerSection(Section):
    backend: Literal["abstractive", "extractive"] = "abstractive"
    preset: str | None = Field("mt5_xlsum", description="model preset: a shipped one (mt5_xlsum, t5_en_ru_zh_2048) or a YAML path")
    model: str | None = Field(None, description="hub id or local directory; overrides the preset's")
    revision: str | None = Field(None, description="hub revision (commit, tag, branch); overrides the preset's")
    prefix: str | None = Field(None, description="text put before every input; overrides the preset's")
    max_input_tokens: int | None = Field(None, ge=8, description="model input limit; overrides the preset's")
    generation: GenerationSection | None = None
    fallback: Literal["extractive", "error"] = Field(
        "extractive", description="when the model cannot be loaded: warn and go extractive, or stop"
    )
    faithfulness: Literal["flag", "rerank", "extractive"] = Field(
        "rerank",
        description="abstractive summaries unsupported by their article (numbers, dates, names, 《titles》): "
        "flag: keep and record; rerank: keep the first of the beam's candidates that passes, else extractive; "
        "extractive: the extractive summary instead",
    )
    long_input: Literal["chunk", "truncate"] = "chunk"
    device: Literal["auto", "cpu", "cuda", "mps"] = "auto"
    dtype: Literal["auto", "bfloat16", "float32"] = Field(
        "auto", description="auto: bfloat16 on CUDA, float32 elsewhere (float16 is never used: T5 overflows)"
    )
    token_budget: int | None = Field(
        None,
        ge=64,
        description="max padded input tokens (x beams) per model batch; null: 8192 on CPU, "
        "on CUDA scaled to the GPU's memory (measured on an H200, docs/summarizer.md)",
    )
    max_batch_size: int | None = Field(None, ge=1, description="null: 64 on CPU, 1024 on CUDA")
    engine: Literal["torch", "ctranslate2"] = Field(
        "torch", description="ctranslate2: converted once (cached), int8 on CPU, bfloat16 on CUDA; needs newspipe[fast]"
    )
    compute_type: Literal[
        "auto", "float32", "int8", "int8_float32", "bfloat16", "int8_bfloat16", "float16", "int8_float16"
    ] = Field("auto", description="ctranslate2 engine only; auto: int8 on CPU, bfloat16 on CUDA")
    ct2_cache_dir: str | None = Field(
        None, description="where first-use conversions go (null: $NEWSPIPE_CT2_CACHE, else ~/.cache/newspipe/ct2)"
    )
    ct2_vocab_map: Literal["none", "zh"] = Field(
        "none",
        description="ctranslate2 engine only; zh: score only the tokens a Chinese summary uses (Han, CJK "
        "punctuation, digits, short Latin pieces) plus the input's own tokens: a faster output layer "
        "(docs/summarizer.md)",
    )
    max_summary_chars: int = Field(120, ge=10)
    extractive_max_chars: int = Field(120, ge=10, description="extractive summaries never exceed this")
    extractive_min_chars: int = Field(
        60, ge=0, description="extractive: add sentences (best first) until at least this long"
    )
    local_files_only: bool = Field(False, description="never contact the hub (also on with HF_HUB_OFFLINE=1)")
    use_safetensors: bool | None = Field(
        None, description="null: prefer safetensors when the checkpoint has them; true: require them"
    )

    def named_files(self) -> list[str]:
        """The preset file; a local model directory (a hub model is pinned by its revision)."""
        from pipeline.summarize.presets import PRESET_DIR, looks_like_path

        files = []
        if self.preset:
            path_like = self.preset.startswith("pipeline:") or self.preset.endswith((".yaml", ".yml")) or "/" in self.preset
            files.append(self.preset if path_like else f"{PRESET_DIR}/{self.preset}.yaml")
        if self.backend == "abstractive" and self.model and looks_like_path(self.model):
            files.append(self.model)
        return files


class SummarizerUnavailable(ConfigError):
    """The configured summarization model cannot be loaded and `summarizer.fallback` is `error`."""


def unavailable_message(spec: ModelSpec, reason: str, falling_back: bool, cause: str = "other") -> str:
    """One line: which model, why, what happens now, and the fixes that fit the cause."""
    name = spec.model + (f"@{spec.revision}" if spec.revision else "")
    target = spec.preset if spec.model_from_preset and spec.preset else spec.model
    now = "writing extractive summaries instead" if falling_back else "stopping before any input is processed"
    if cause in ("offline", "unreachable"):
        rev = f" --revision {spec.revision}" if spec.revision else ""
        fix = (
            f"on a connected machine run `python scripts/download_model.py {target} --out DIR` (from a newspipe "
            f"checkout) or `hf download {spec.model}{rev} --local-dir DIR`, copy DIR here and use "
            "--set summarizer.model=DIR"
        )
        if cause == "offline":
            fix += ", or allow downloading here (unset HF_HUB_OFFLINE, summarizer.local_files_only=false)"
    else:
        fix = "check summarizer.model and summarizer.preset (a hub id such as org/name, or a local model directory)"
    return f"summarizer: cannot load model '{name}' ({reason}); {now}. To fix: {fix}, or choose --set summarizer.backend=extractive."


def licence_message(spec: ModelSpec, ref: str) -> str:
    """One line naming the loaded model's licence, and the commercial choice when it forbids that."""
    licence = spec.licence or card_licence(spec.model)
    if licence is None:
        return (
            f"summarizer: model {ref}: licence unknown to newspipe (no preset licence, no `license:` in its "
            "README.md card); check the model card before using its summaries"
        )
    text = f"summarizer: model {ref} is licensed {licence}"
    if "nc" in licence.lower().replace("_", "-").split("-"):
        text += (
            ": non-commercial use only; for commercial work use --set summarizer.preset=t5_en_ru_zh_2048 "
            "(Apache-2.0) or --set summarizer.backend=extractive"
        )
    return text


_LICENCES_SHOWN: set[str] = set()  # a model's licence is printed once per process


def missing_model_message(model: str) -> str:
    return (
        f"summarizer.model: no model directory at {model} (a local path is read from the working directory); "
        "fix the path, name a hub model (org/name), or choose --set summarizer.backend=extractive"
    )


@register_stage("summarize")
class SummarizeStage(Stage):
    requires = ("articles",)
    provides = ("summary",)
    main_process_only = True
    config_section = "summarizer"
    config_model = SummarizerSection
    backends = {
        "abstractive": "pipeline.summarize.seq2seq:Seq2SeqSummarizer.from_settings",
        "extractive": "pipeline.summarize.extractive:ExtractiveSummarizer.from_settings",
    }
    record_fields = {
        "summary": {"type": "string"},
        "summary_method": {"enum": ["abstractive", "extractive"]},
        "summary_model": {"type": ["string", "null"]},
        "summary_input": {"enum": ["full", "truncated", "chunked"]},
        # on every record whose summary an abstractive model was asked for; null otherwise
        "summary_check": {
            "type": ["object", "null"],
            "required": ["ok", "unsupported"],
            "properties": {"ok": {"type": "boolean"}, "unsupported": {"type": "array", "items": {"type": "string"}}},
        },
        # why a summary is extractive although the abstractive backend was asked for; null otherwise
        "summary_fallback": {
            "type": ["object", "null"],
            "required": ["reason"],
            "properties": {
                "reason": {"enum": ["unfaithful", "model_unavailable"]},
                "candidates": {"type": "integer", "minimum": 1},
                "rejected": {"type": "string"},
                "unsupported": {"type": "array", "items": {"type": "string"}},
            },
        },
    }

    def __init__(self, config: Config) -> None:
        super().__init__(config)
        cfg = self.settings
        self.extractive = self.build_backend("extractive")  # also the fallback
        self.abstractive: Any = None  # a Seq2SeqSummarizer once loaded
        self.spec: ModelSpec | None = None
        self.fallback_reason: str | None = None
        if cfg.backend == "abstractive":
            self.spec = resolve_model_spec(cfg)  # a bad preset is a config error, never a fallback
            # so is a local model that is not there or does not load: the fallback is for hub models
            local = looks_like_path(self.spec.model)
            if local and not Path(self.spec.model).expanduser().is_dir():
                raise ConfigError(missing_model_message(self.spec.model))
            from pipeline.summarize.seq2seq import ModelLoadError

            try:
                self.abstractive = self.build_backend()
            except ModelLoadError as exc:
                reason = str(exc)
                if local:
                    raise ConfigError(f"summarizer.model: cannot load the model directory {self.spec.model} ({reason})") from None
                if cfg.fallback == "error":
                    raise SummarizerUnavailable(unavailable_message(self.spec, reason, False, exc.cause)) from None
                self.fallback_reason = reason
                log.warning(unavailable_message(self.spec, reason, True, exc.cause))
            else:
                ref = str(getattr(self.abstractive, "ref", self.spec.model))
                if ref not in _LICENCES_SHOWN:
                    _LICENCES_SHOWN.add(ref)
                    log.warning(licence_message(self.spec, ref))

    @property
    def method(self) -> str:
        return "abstractive" if self.abstractive is not None else "extractive"

    @property
    def model_ref(self) -> str | None:
        return self.abstractive.ref if self.abstractive is not None else None

    def describe(self) -> dict[str, object]:
        cfg = self.settings
        info: dict[str, object] = {
            "name": self.name,
            "backend": self.method,
            "requested_backend": cfg.backend,
            "model": self.model_ref,
            "revision": self.spec.revision if self.abstractive is not None and self.spec else None,
        }
        if self.abstractive is not None:
            info.update(self.abstractive.describe())
            if self.spec is not None and not info.get("licence"):
                info["licence"] = card_licence(self.spec.model)
            info["faithfulness"] = cfg.faithfulness
        elif self.fallback_reason is not None:
            info["fallback_reason"] = self.fallback_reason
        return info

    def built_on(self) -> dict[str, Any] | None:
        if self.abstractive is not None:
            return None  # a pretrained model: what it saw is in its own card
        return {
            "what": "the extractive summarizer's lead bias and length limits were set while checking tests/fixtures",
            "issues": list(DEVELOPMENT_ISSUES),
        }

    # ---------------------------------------------------------------- processing
    def summarize_articles(self, articles: list[Article]) -> None:
        """Fill the summary fields of `articles`, batching all of them together."""
        texts = [a.text for a in articles]
        if self.abstractive is not None:
            policy = self.settings.faithfulness
            wanted = getattr(self.abstractive, "num_beams", 1) if policy == "rerank" else 1
            # an engine's summarize(texts, candidates=n) returns the beam's n best in Summary.candidates
            results = self.abstractive.summarize(texts, candidates=wanted) if wanted > 1 else self.abstractive.summarize(texts)
            for article, text, res in zip(articles, texts, results, strict=True):
                cands = res.candidates or [res.text]
                choice = choose(policy, cands, text)
                if choice.index is not None:
                    article.summary = cands[choice.index]
                    article.summary_input = res.input
                    article.summary_method = "abstractive"
                    article.summary_model = self.abstractive.ref
                    article.ext["summary_check"] = choice.check.as_record()
                    article.ext["summary_fallback"] = None
                    continue
                self._extractive(article, text)
                article.ext["summary_check"] = check_summary(article.summary or "", text).as_record()
                article.ext["summary_fallback"] = {
                    "reason": "unfaithful",
                    "candidates": choice.candidates,
                    "rejected": cands[choice.best],
                    "unsupported": list(choice.check.unsupported),
                }
            return
        for article, text in zip(articles, texts, strict=True):
            self._extractive(article, text)
            article.ext["summary_check"] = None
            unavailable = self.settings.backend == "abstractive"
            article.ext["summary_fallback"] = {"reason": "model_unavailable"} if unavailable else None

    def _extractive(self, article: Article, text: str) -> None:
        article.summary = self.extractive.summarize(text)
        article.summary_input = "full"
        article.summary_method = "extractive"
        article.summary_model = None

    def process(self, issue: Issue) -> Issue:
        self.summarize_articles(issue.articles)
        return issue

    def pipe(self, issues: Iterable[Issue]) -> Iterator[Issue]:
        it = iter(issues)
        window = max(1, self.config.pipeline.batch_size)
        while group := list(islice(it, window)):
            self.summarize_articles([a for issue in group for a in issue.articles])
            yield from group
