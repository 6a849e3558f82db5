"""Model presets: which checkpoint, at which revision, with which prefix, input limit and
generation settings. `resolve_model_spec(config.summarizer)` merges a preset with the
`summarizer.model/revision/prefix/max_input_tokens/generation` overrides into one `ModelSpec`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pipeline.config import ConfigError, Section, read_yaml
from pipeline.resources import is_packaged, packaged

if TYPE_CHECKING:  # the section is the summarize stage's; this module only reads it
    from pipeline.stages.summarize import SummarizerSection

PRESET_DIR = "pipeline:presets"  # shipped presets, NAME.yaml each
DEFAULT_MAX_INPUT_TOKENS = 512


class GenerationSection(Section):
    """Generation settings; a field left null takes the preset's value, then the model's default."""

    num_beams: int | None = Field(None, ge=1)
    max_new_tokens: int | None = Field(None, ge=1)
    min_new_tokens: int | None = Field(None, ge=0)
    no_repeat_ngram_size: int | None = Field(None, ge=0)
    length_penalty: float | None = None


class Preset(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str
    revision: str | None = None
    prefix: str = ""
    max_input_tokens: int = Field(DEFAULT_MAX_INPUT_TOKENS, ge=8)
    licence: str | None = None
    generation: GenerationSection = Field(default_factory=GenerationSection)


@dataclass
class ModelSpec:
    """Everything needed to load and run one seq2seq summarizer."""

    model: str
    revision: str | None = None
    prefix: str = ""
    max_input_tokens: int = DEFAULT_MAX_INPUT_TOKENS
    generation: dict[str, Any] = field(default_factory=dict)
    preset: str | None = None
    licence: str | None = None
    model_from_preset: bool = False  # the model is the preset's own (so its revision and licence apply)


def looks_like_path(name: str) -> bool:
    """Does `summarizer.model` name a local directory rather than a hub id (`org/name`)?"""
    return (
        name.startswith(("/", "./", "../", "~", "."))
        or "\\" in name
        or name.count("/") > 1
        or Path(name).expanduser().exists()
    )


def available_presets() -> list[str]:
    return sorted(p.name[: -len(".yaml")] for p in packaged(PRESET_DIR).iterdir() if p.name.endswith(".yaml"))


def load_preset(name: str) -> Preset:
    """A shipped preset by name (`mt5_xlsum`: pipeline/presets/mt5_xlsum.yaml, also
    `pipeline:presets/mt5_xlsum.yaml`) or a preset YAML file by path."""
    shown = name
    if is_packaged(name):
        path: Any = packaged(name)
    elif name.endswith((".yaml", ".yml")) or "/" in name or "\\" in name:
        path = Path(name).expanduser()
    else:
        shown = f"{PRESET_DIR}/{name}.yaml"
        path = packaged(shown)
    if not path.is_file():
        raise ConfigError(
            f"unknown summarizer.preset '{name}': choose one of {', '.join(available_presets())} "
            f"(shipped in {PRESET_DIR}/) or give the path of a preset YAML file"
        )
    try:
        return Preset.model_validate(read_yaml(path, name=shown))
    except ValidationError as err:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in err.errors())
        raise ConfigError(f"bad preset file {shown}: {problems}") from None


def _generation_overrides(section: GenerationSection | None) -> dict[str, Any]:
    if section is None:
        return {}
    return {k: v for k, v in section.model_dump().items() if v is not None}


def resolve_model_spec(cfg: SummarizerSection) -> ModelSpec:
    """Preset values, overridden field by field by the summarizer section."""
    preset = load_preset(cfg.preset) if cfg.preset else None
    if preset is None and not cfg.model:
        raise ConfigError("summarizer: set summarizer.preset or summarizer.model (a hub id or a local directory)")
    model = cfg.model or preset.model  # type: ignore[union-attr]
    # a preset's pinned revision belongs to the preset's model, not to a model that replaces it
    revision = cfg.revision
    if revision is None and preset is not None and model == preset.model:
        revision = preset.revision
    generation = _generation_overrides(preset.generation) if preset else {}
    generation.update(_generation_overrides(cfg.generation))
    return ModelSpec(
        model=model,
        revision=revision,
        prefix=cfg.prefix if cfg.prefix is not None else (preset.prefix if preset else ""),
        max_input_tokens=cfg.max_input_tokens
        or (preset.max_input_tokens if preset else DEFAULT_MAX_INPUT_TOKENS),
        generation=generation,
        preset=cfg.preset,
        licence=preset.licence if preset and model == preset.model else None,
        model_from_preset=bool(preset and model == preset.model),
    )


def card_licence(model: str) -> str | None:
    """The `license:` of a local model directory's model card (README.md front matter), if any.

    Hub cards carry it (`license: cc-by-nc-sa-4.0`); scripts/download_model.py copies the card."""
    path = Path(model).expanduser() / "README.md"
    if not looks_like_path(model) or not path.is_file():
        return None
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    if not text.startswith("---"):
        return None
    head = text[3:].split("\n---", 1)[0]
    for line in head.splitlines():
        key, _, value = line.partition(":")
        if key.strip().lower() in ("license", "licence") and value.strip():
            return value.strip().strip("'\"")
    return None
