"""Validated run configuration.

A config is a set of sections. Three belong to the run itself (`pipeline`, `input`, `output`,
defined here); every other section belongs to a stage, which declares it next to its code
(`config_section` / `config_model` on the stage class, see `pipeline.registry`). Defaults live in
the pydantic models; `configs/default.yaml` is generated from them for users to read.

A YAML file (`--config`) and dotted overrides (`--set a.b=c`) are merged on top and the result is
validated once; an unknown key or a bad value raises `ConfigError` naming the key.

The config hash (in every record and manifest) covers the content of every file the config
names (a section lists them in `named_files`: lexicon, model directories, preset files), so an
edited lexicon or a retrained model never passes for the old config.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import InitErrorDetails

from pipeline import registry


class ConfigError(ValueError):
    """A configuration problem, worded for the person who wrote the config."""


class Section(BaseModel):
    """Base of every config section: unknown keys are errors, assignments are validated."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    def named_files(self) -> list[str]:
        """Files or directories (paths or `pipeline:` names) whose content this section's
        settings stand for: their content goes into the config hash."""
        return []


class PipelineSection(Section):
    stages: list[str] = Field(default_factory=lambda: ["segment", "classify", "summarize"])
    batch_size: int = Field(64, ge=1, description="issues handed to each stage's pipe() at once")

    @field_validator("stages")
    @classmethod
    def _not_empty(cls, v: list[str]) -> list[str]:
        if not v:
            raise ValueError("pipeline.stages is empty: name at least one stage (e.g. [segment])")
        return v


class InputSection(Section):
    format: Literal["issues", "articles"] = Field(
        "issues",
        description="issues: raw issue text, segmented into articles; articles: JSONL, one article "
        "record per line (text; headline, kicker, id, date, source optional), segmentation skipped",
    )
    max_file_mb: float = Field(50.0, gt=0, description="refuse inputs or archive members larger than this")
    max_issue_mb: float = Field(
        50.0, gt=0, description="refuse an issue whose files (all its pages) add up to more than this"
    )
    traditional_to_simplified: bool = False
    encodings: list[str] = Field(
        default_factory=lambda: ["utf-8", "gb18030", "big5", "utf-16"],
        description="encodings tried, in order, when detection is unsure",
    )


class OutputSection(Section):
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


def section_models() -> dict[str, type[Section]]:
    """Every config section in order: `pipeline`, the registered stages' sections, `input`, `output`."""
    return {
        "pipeline": PipelineSection,
        **registry.stage_sections(),
        "input": InputSection,
        "output": OutputSection,
    }


def _nested_errors(section: str, err: ValidationError) -> list[InitErrorDetails]:
    out: list[InitErrorDetails] = []
    for e in err.errors():
        detail = InitErrorDetails(type=e["type"], loc=(section, *e["loc"]), input=e.get("input"))
        if "ctx" in e:
            detail["ctx"] = e["ctx"]
        out.append(detail)
    return out


class Config(BaseModel):
    """The effective configuration: one validated model per section, read as attributes
    (`config.pipeline.stages`, `config.classifier.threshold`)."""

    model_config = ConfigDict(extra="allow", validate_assignment=True)

    @model_validator(mode="wrap")
    @classmethod
    def _sections(cls, data: Any, handler: Any) -> Any:
        if not isinstance(data, dict):
            return handler(data)
        models = section_models()
        errors: list[InitErrorDetails] = [
            InitErrorDetails(type="extra_forbidden", loc=(str(key),), input=value)
            for key, value in data.items()
            if key not in models
        ]
        sections: dict[str, Any] = {}
        for name, model in models.items():
            raw = data.get(name)
            if isinstance(raw, model):
                sections[name] = raw
                continue
            try:
                sections[name] = model.model_validate({} if raw is None else raw)
            except ValidationError as err:
                errors.extend(_nested_errors(name, err))
        if errors:
            raise ValidationError.from_exception_data("Config", errors)
        return handler(sections)

    def sections(self) -> dict[str, Section]:
        """Section name -> its validated model, in `section_models()` order."""
        return dict(self.__pydantic_extra__ or {})

    def hash(self) -> str:
        """Short stable hash of the effective config and of the content of the files it names:
        it goes into every record."""
        h = hashlib.sha256(json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False).encode("utf-8"))
        for name, section in self.sections().items():
            for ref in section.named_files():
                h.update(f"\0{name}:{ref}\0".encode())
                h.update(content_digest(ref).encode())
        return h.hexdigest()[:16]


_DIGESTS: dict[tuple[str, int, int, int], str] = {}
_SAMPLE = 1 << 20  # files over 32 MiB (model weights) are hashed by size and three 1 MiB samples


def _file_digest(path: str) -> str:
    st = os.stat(path)
    key = (path, st.st_size, st.st_mtime_ns, st.st_ino)
    if key not in _DIGESTS:
        h = hashlib.sha256(str(st.st_size).encode())
        with open(path, "rb") as fh:
            if st.st_size <= 32 * _SAMPLE:
                for block in iter(lambda: fh.read(_SAMPLE), b""):
                    h.update(block)
            else:
                for at in (0, st.st_size // 2, st.st_size - _SAMPLE):
                    fh.seek(at)
                    h.update(fh.read(_SAMPLE))
        _DIGESTS[key] = h.hexdigest()
    return _DIGESTS[key]


def content_digest(ref: str) -> str:
    """sha256 of a named file, or of a directory's file names and contents; `missing` when there
    is nothing there (the stage reports that when it is built). Cached by size and mtime."""
    from pipeline.resources import filesystem_path, is_packaged

    try:
        path = filesystem_path(ref) if is_packaged(ref) else Path(ref).expanduser()
        if path.is_file():
            return _file_digest(str(path))
        if path.is_dir():
            h = hashlib.sha256()
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for f in sorted(files):
                    full = os.path.join(root, f)
                    h.update(os.path.relpath(full, path).encode("utf-8", "surrogateescape") + b"\0")
                    h.update(_file_digest(full).encode())
            return h.hexdigest()
    except (OSError, ValueError):
        pass
    return "missing"


def _format_validation_error(err: ValidationError, origin: str) -> str:
    lines = []
    for e in err.errors():
        key = ".".join(str(p) for p in e["loc"]) or "(top level)"
        if e["type"] == "extra_forbidden":
            lines.append(f"unknown key '{key}' in {origin}: check the spelling (`newspipe config` prints every key)")
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


def read_yaml(path: Any, *, name: str | None = None) -> dict[str, Any]:
    """Read a YAML mapping safely, with errors that name the file.

    `path`: a filesystem path, or anything with `read_text` (a packaged resource); `name`: how
    messages call it (default: the path as given)."""
    p = Path(path) if isinstance(path, str) else path
    shown = name or str(path)
    try:
        raw = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {shown}") from None
    except (UnicodeDecodeError, OSError) as exc:
        raise ConfigError(f"cannot read config file {shown}: {exc}") from None
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(
            f"malformed YAML in {shown}{where}: fix the syntax ({getattr(exc, 'problem', exc)})"
        ) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"config file {shown} must hold a mapping of sections, not {type(data).__name__}")
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
