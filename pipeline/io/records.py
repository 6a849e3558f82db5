"""Article records: the one JSON object per line that other tools rely on.

One function renders them (`render_record`): the issue's identity fields, then each stage's own
`record_fields` in pipeline order (a stage declares them, see `pipeline.stages.base.Stage`), then
the provenance, which one function builds (`build_provenance`). The JSON schema is assembled the
same way (`record_schema`); `pipeline/resources/article.schema.json` is its published copy for the
built-in stages (scripts/write_default_config.py writes it, a test checks they agree).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any, Protocol

from pipeline import __version__, registry
from pipeline.document import Article, Issue

SCHEMA_NAME = "article.schema.json"

# fields every record has, whatever the stages
ISSUE_FIELDS: dict[str, dict[str, Any]] = {
    "issue_id": {"type": "string", "minLength": 1},
    "source": {"type": "string"},
    "article_index": {"type": "integer", "minimum": 0},
    "article_id": {"type": "string", "pattern": "^.+#[0-9]+$"},
}
PROVENANCE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["package", "version", "config_hash", "stages"],
    "properties": {
        "package": {"const": "newspipe"},
        "version": {"type": "string"},
        "config_hash": {"type": "string", "minLength": 8},
        "stages": {"type": "array", "items": {"type": "string"}},
        "stage_details": {"type": "object"},
        "encoding": {"type": "string"},
    },
}


class RecordStage(Protocol):
    """What rendering needs of a stage (class or instance)."""

    name: str
    provides: tuple[str, ...]
    record_fields: Mapping[str, Any]

    def record(self, article: Article) -> dict[str, Any]: ...


def build_provenance(config: Any, details: Mapping[str, Mapping[str, Any]], encoding: str | None) -> dict[str, Any]:
    """The provenance of every record of one issue: package, version, config hash, the stage list
    with what each stage describes of itself (in stage order), and the detected encoding."""
    stages = list(config.pipeline.stages)
    prov: dict[str, Any] = {
        "package": "newspipe",
        "version": __version__,
        "config_hash": config.hash(),
        "stages": stages,
        "stage_details": {name: dict(details[name]) for name in stages if name in details},
    }
    if encoding is not None:
        prov["encoding"] = encoding
    return prov


def render_record(
    issue: Issue, index: int, article: Article, stages: Sequence[RecordStage], provenance: Mapping[str, Any]
) -> dict[str, Any]:
    """The output record of one article: issue fields, each stage's fields, provenance."""
    rec: dict[str, Any] = {
        "issue_id": issue.issue_id,
        "source": issue.source,
        "article_index": index,
        "article_id": issue.article_id(index),
    }
    for stage in stages:
        rec.update(stage.record(article))
    rec["provenance"] = provenance
    return rec


def render_records(issue: Issue, stages: Sequence[RecordStage], provenance: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [render_record(issue, i, a, stages, provenance) for i, a in enumerate(issue.articles)]


def dumps(record: Mapping[str, Any]) -> str:
    """One JSONL line: UTF-8 text, no ASCII escaping, no trailing newline."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def jsonl(records: Sequence[Mapping[str, Any]]) -> bytes:
    """Records as UTF-8 JSON lines, each ending in a newline."""
    return "".join(dumps(r) + "\n" for r in records).encode("utf-8")


def record_schema(stages: Sequence[RecordStage] | None = None) -> dict[str, Any]:
    """The JSON schema of a record for `stages` (default: every registered stage, in order).

    The fields of a stage that provides `articles` are required; the others appear when their
    stage ran."""
    if stages is None:
        stages = [registry.get_stage(n) for n in registry.stage_names()]
    properties: dict[str, Any] = dict(ISSUE_FIELDS)
    required = list(ISSUE_FIELDS)
    for stage in stages:
        properties.update(stage.record_fields)
        if "articles" in stage.provides:
            required += [k for k in stage.record_fields if k not in required]
    properties["provenance"] = PROVENANCE_SCHEMA
    required.append("provenance")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://example.org/newspipe/article.schema.json",
        "title": "newspipe article record",
        "description": "One line of newspipe JSONL output: one article of one newspaper issue.",
        "type": "object",
        "required": required,
        "additionalProperties": False,
        "properties": properties,
    }


def published_schema() -> dict[str, Any]:
    """The schema file shipped in the package (built-in stages)."""
    text = resources.files("pipeline.resources").joinpath(SCHEMA_NAME).read_text(encoding="utf-8")
    return json.loads(text)


def validate_record(record: dict[str, Any]) -> None:
    """Raise jsonschema.ValidationError when a record does not match the schema of the registered
    stages (the published schema plus any stage registered since)."""
    import jsonschema

    jsonschema.validate(record, record_schema())
