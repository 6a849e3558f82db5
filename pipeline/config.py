"""Validated run configuration.

Defaults live in the pydantic models; `configs/default.yaml` spells the same values out for
users. A YAML file (`--config`) and dotted overrides (`--set a.b=c`) are merged on top and the
result is validated; an unknown key or a bad value raises `ConfigError` naming the key.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

REPO_ROOT = Path(__file__).resolve().parents[1]
CONFIG_DIR = REPO_ROOT / "configs"


class ConfigError(ValueError):
    """A configuration problem, worded for the person who wrote the config."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class PipelineSection(_Section):
    stages: list[str] = Field(default_factory=lambda: ["segment", "classify", "summarize"])
    batch_size: int = Field(64, ge=1, description="issues handed to each stage's pipe() at once")


class SegmenterSection(_Section):
    backend: Literal["crf", "rules"] = Field(
        "crf",
        description="crf: trained line tagger (models/segmenter, retrain with `newspipe train segmenter`); "
        "rules: the hand-written segmenter",
    )
    model: str | None = Field(
        None, description="crf model directory (null = the shipped model); build one with `newspipe train segmenter`"
    )
    max_headline_chars: int = Field(40, ge=4, description="longest line that can be a headline")
    max_byline_chars: int = Field(60, ge=4)
    column_label_patterns: list[str] = Field(
        default_factory=list, description="extra regexes for column-label lines"
    )
    noise_patterns: list[str] = Field(
        default_factory=list, description="extra regexes for page-header or other noise lines"
    )
    paper_names: list[str] = Field(
        default_factory=list, description="extra newspaper names that start bylines (株洲日报…)"
    )


class LabelSpec(_Section):
    """One topic label: merged over the lexicon's label of the same name (or the one it `replaces`)."""

    description: str = Field("", description="what the label covers; its words also count as weak keywords")
    keywords: dict[str, float] = Field(
        default_factory=dict, description="word or phrase -> weight (merged over the lexicon's; 0 removes one)"
    )
    patterns: dict[str, float] = Field(
        default_factory=dict, description="regex -> weight; each match counts as a term (e.g. old years)"
    )
    replaces: str | None = Field(
        None, description="rename: take over this shipped label's lexicon and drop the old name"
    )
    enabled: bool = Field(True, description="false drops the label from the label set")


class ClassifierSection(_Section):
    backend: Literal["lexicon", "linear", "transformers"] = Field(
        "lexicon",
        description="lexicon: shipped weighted lexicon, offline; linear / transformers: a trained model directory",
    )
    labels: dict[str, LabelSpec] | None = Field(
        None,
        description="label -> description/keywords/patterns, merged over the lexicon's labels; a new name adds a label",
    )
    lexicon: str | None = Field(None, description="path of a lexicon YAML; null = models/lexicon/default.yaml")
    model_path: str | None = Field(None, description="trained model directory (backend: linear or transformers)")
    tokenizer: Literal["rjieba", "jieba"] = Field(
        "rjieba", description="word segmenter: rjieba (Rust, same words as jieba) or jieba (pure Python)"
    )
    idf: Literal["background", "none"] = Field(
        "background", description="background: scale term weights by jieba's shipped general-corpus IDF"
    )
    threshold: float = Field(0.4, ge=0.0, le=1.0, description="below this top score: topic_confident false")
    headline_weight: float = Field(3.0, ge=0.0, description="weight of one headline/kicker/column occurrence")
    lead_weight: float = Field(1.5, ge=0.0, description="weight of one occurrence in the lead paragraph")
    lead_min_chars: int = Field(60, ge=0, description="the lead takes paragraphs until it has this many chars")
    description_weight: float = Field(1.0, ge=0.0, description="keyword weight of words from a label description")
    prior: float = Field(
        2.0, gt=0.0, description="pseudo-score spread evenly over labels: no label is 0, thin evidence stays flat"
    )
    min_chars: int = Field(10, ge=0, description="articles with fewer text characters are never confident")
    evidence_top_k: int = Field(5, ge=1)
    max_input_tokens: int | None = Field(None, ge=8, description="transformers: input limit (null: the model's)")
    batch_size: int = Field(16, ge=1, description="transformers: articles per forward pass")
    device: Literal["auto", "cpu", "cuda", "mps"] = Field("cpu", description="transformers: where to run")


class GenerationSection(_Section):
    """Generation settings; a field left null takes the preset's value, then the model's default."""

    num_beams: int | None = Field(None, ge=1)
    max_new_tokens: int | None = Field(None, ge=1)
    min_new_tokens: int | None = Field(None, ge=0)
    no_repeat_ngram_size: int | None = Field(None, ge=0)
    length_penalty: float | None = None


class SummarizerSection(_Section):
    backend: Literal["abstractive", "extractive"] = "abstractive"
    preset: str | None = Field("mt5_xlsum", description="model preset: a name in configs/presets/ or a YAML path")
    model: str | None = Field(None, description="hub id or local directory; overrides the preset's")
    revision: str | None = Field(None, description="hub revision (commit, tag, branch); overrides the preset's")
    prefix: str | None = Field(None, description="text put before every input; overrides the preset's")
    max_input_tokens: int | None = Field(None, ge=8, description="model input limit; overrides the preset's")
    generation: GenerationSection | None = None
    fallback: Literal["extractive", "error"] = Field(
        "extractive", description="when the model cannot be loaded: warn and go extractive, or stop"
    )
    long_input: Literal["chunk", "truncate"] = "chunk"
    device: Literal["auto", "cpu", "cuda", "mps"] = "auto"
    dtype: Literal["auto", "bfloat16", "float32"] = Field(
        "auto", description="auto: bfloat16 on CUDA, float32 elsewhere (float16 is never used: T5 overflows)"
    )
    token_budget: int = Field(8192, ge=64, description="max padded input tokens (x beams) per model batch")
    max_batch_size: int = Field(64, ge=1)
    max_summary_chars: int = Field(120, ge=10)
    extractive_max_chars: int = Field(120, ge=10, description="extractive summaries never exceed this")
    extractive_min_chars: int = Field(
        60, ge=0, description="extractive: add sentences (best first) until at least this long"
    )
    local_files_only: bool = Field(False, description="never contact the hub (also on with HF_HUB_OFFLINE=1)")
    use_safetensors: bool | None = Field(
        None, description="null: prefer safetensors when the checkpoint has them; true: require them"
    )


class InputSection(_Section):
    max_file_mb: float = Field(50.0, gt=0, description="refuse inputs or archive members larger than this")
    traditional_to_simplified: bool = False
    encodings: list[str] = Field(
        default_factory=lambda: ["utf-8", "gb18030", "big5", "utf-16"],
        description="encodings tried, in order, when detection is unsure",
    )


class OutputSection(_Section):
    """Where records go. `--workers` is a command-line option, not config: it must not change the
    config hash that every record carries and that resuming checks."""

    layout: Literal["single", "per_group"] = Field(
        "single", description="single: -o FILE.jsonl; per_group: -o DIR with one JSONL per input group"
    )
    group_by: Literal["input", "year"] = Field(
        "input",
        description="per_group: 'input' = the archive, top-level directory, or parent directory an issue "
        "came from; 'year' = the year in the issue's date (path or name), else 'undated'",
    )


class Config(_Section):
    pipeline: PipelineSection = Field(default_factory=PipelineSection)
    segmenter: SegmenterSection = Field(default_factory=SegmenterSection)
    classifier: ClassifierSection = Field(default_factory=ClassifierSection)
    summarizer: SummarizerSection = Field(default_factory=SummarizerSection)
    input: InputSection = Field(default_factory=InputSection)
    output: OutputSection = Field(default_factory=OutputSection)

    @field_validator("pipeline")
    @classmethod
    def _stages_not_empty(cls, v: PipelineSection) -> PipelineSection:
        if not v.stages:
            raise ValueError("pipeline.stages is empty: name at least one stage (e.g. [segment])")
        return v

    def hash(self) -> str:
        """Short stable hash of the effective config: it goes into every record."""
        blob = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def _format_validation_error(err: ValidationError, origin: str) -> str:
    lines = []
    for e in err.errors():
        key = ".".join(str(p) for p in e["loc"]) or "(top level)"
        if e["type"] == "extra_forbidden":
            lines.append(f"unknown key '{key}' in {origin}: check the spelling (see configs/default.yaml)")
        else:
            lines.append(f"bad value for '{key}' in {origin}: {e['msg']} (got {e.get('input')!r})")
    return "; ".join(lines)


def _deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in extra.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _deep_merge(out[k], v)
        else:
            out[k] = v
    return out


def read_yaml(path: str | Path) -> dict[str, Any]:
    """Read a YAML mapping safely, with errors that name the file."""
    p = Path(path)
    try:
        raw = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {p}") from None
    except (UnicodeDecodeError, OSError) as exc:
        raise ConfigError(f"cannot read config file {p}: {exc}") from None
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(f"malformed YAML in {p}{where}: fix the syntax ({getattr(exc, 'problem', exc)})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"config file {p} must hold a mapping of sections, not {type(data).__name__}")
    return data


def parse_override(item: str) -> tuple[list[str], Any]:
    """`summarizer.model=foo` -> (['summarizer', 'model'], 'foo'); the value is parsed as YAML."""
    if "=" not in item:
        raise ConfigError(f"--set {item!r}: expected dotted.key=value")
    key, _, value = item.partition("=")
    parts = [p for p in key.strip().split(".") if p]
    if not parts:
        raise ConfigError(f"--set {item!r}: empty key")
    try:
        parsed = yaml.safe_load(value) if value.strip() else None
    except yaml.YAMLError:
        parsed = value
    return parts, parsed


def _apply_override(data: dict[str, Any], parts: list[str], value: Any) -> None:
    node = data
    for p in parts[:-1]:
        nxt = node.get(p)
        if nxt is None:
            nxt = {}
            node[p] = nxt
        if not isinstance(nxt, dict):
            raise ConfigError(f"--set {'.'.join(parts)}: '{p}' is not a section")
        node = nxt
    node[parts[-1]] = value


def load_config(
    path: str | Path | None = None,
    overrides: list[str] | tuple[str, ...] = (),
    stages: list[str] | None = None,
) -> Config:
    """Defaults, then the YAML file, then `--set` overrides, then `--stages`; validated once."""
    data: dict[str, Any] = Config().model_dump(mode="json")
    origin = "the defaults"
    if path is not None:
        data = _deep_merge(data, read_yaml(path))
        origin = str(path)
    for item in overrides:
        parts, value = parse_override(item)
        _apply_override(data, parts, value)
        origin = f"{origin} with --set overrides" if "--set" not in origin else origin
    if stages is not None:
        data.setdefault("pipeline", {})["stages"] = stages
    try:
        return Config.model_validate(data)
    except ValidationError as err:
        raise ConfigError(_format_validation_error(err, origin)) from None
