"""Article records: the one JSON object per line that other tools rely on."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

from pipeline.document import Article, Issue

SCHEMA_NAME = "article.schema.json"


def article_record(issue: Issue, index: int, article: Article, provenance: dict[str, Any]) -> dict[str, Any]:
    """The output record of one article, fields in a fixed order."""
    rec: dict[str, Any] = {
        "issue_id": issue.issue_id,
        "source": issue.source,
        "article_index": index,
        "article_id": issue.article_id(index),
        "page": article.page,
        "kicker": article.kicker,
        "headline": article.headline,
        "subheadline": article.subheadline,
        "column": article.column,
        "byline": article.byline,
        "authors": list(article.authors),
        "captions": list(article.captions),
        "text": article.text,
        "span": [article.span[0], article.span[1]],
        "continued_to": article.continued_to,
        "continued_from": article.continued_from,
    }
    if article.topic is not None:
        rec["topic"] = article.topic
        rec["topic_scores"] = article.topic_scores
        rec["topic_evidence"] = article.topic_evidence
        rec["topic_confident"] = article.topic_confident
    if article.summary_method is not None:
        rec["summary"] = article.summary
        rec["summary_method"] = article.summary_method
        rec["summary_model"] = article.summary_model
        rec["summary_input"] = article.summary_input
    rec["provenance"] = provenance
    return rec


def issue_records(issue: Issue, provenance: dict[str, Any]) -> list[dict[str, Any]]:
    return [article_record(issue, i, a, provenance) for i, a in enumerate(issue.articles)]


def dumps(record: dict[str, Any]) -> str:
    """One JSONL line: UTF-8 text, no ASCII escaping, no trailing newline."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


@lru_cache(maxsize=1)
def load_schema() -> dict[str, Any]:
    text = resources.files("pipeline.resources").joinpath(SCHEMA_NAME).read_text(encoding="utf-8")
    return json.loads(text)


def validate_record(record: dict[str, Any]) -> None:
    """Raise jsonschema.ValidationError when a record does not match the published schema."""
    import jsonschema

    jsonschema.validate(record, load_schema())
