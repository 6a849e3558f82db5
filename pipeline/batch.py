"""Run a pipeline over many inputs: decode, process, write records, isolate failures."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from pipeline.config import Config
from pipeline.document import Issue
from pipeline.io.decode import InputError, decode_bytes, to_simplified
from pipeline.io.inputs import iter_inputs
from pipeline.io.records import dumps, issue_records
from pipeline.runner import Pipeline


@dataclass
class BatchSummary:
    done: int = 0
    skipped: int = 0
    failed: int = 0
    articles: int = 0
    elapsed: float = 0.0
    failures: list[dict[str, str]] = field(default_factory=list)

    def line(self) -> str:
        rate = self.done / self.elapsed if self.elapsed > 0 else 0.0
        return (
            f"issues done {self.done}, skipped {self.skipped}, failed {self.failed}; "
            f"articles written {self.articles}; {self.elapsed:.1f}s ({rate:.1f} issues/s)"
        )


def decode_input(data: bytes, source: str, issue_id: str, config: Config) -> Issue:
    max_bytes = int(config.input.max_file_mb * 1_000_000)
    text, encoding = decode_bytes(data, source, tuple(config.input.encodings), max_bytes=max_bytes)
    if config.input.traditional_to_simplified:
        text = to_simplified(text)
    return Issue(issue_id=issue_id, source=source, text=text, encoding=encoding)


def run_batch(
    inputs: list[str],
    output: Path,
    config: Config,
    *,
    progress: bool | None = None,
) -> BatchSummary:
    pipeline = Pipeline(config)
    summary = BatchSummary()
    start = time.perf_counter()
    output.parent.mkdir(parents=True, exist_ok=True)
    errors_path = output.with_name("errors.jsonl")
    raws = list(iter_inputs(inputs, int(config.input.max_file_mb * 1_000_000)))
    show = progress if progress is not None else len(raws) > 1
    with output.open("w", encoding="utf-8") as out, tqdm(
        total=len(raws), disable=not show, unit="issue", file=sys.stderr
    ) as bar:
        for raw in raws:
            try:
                if raw.error is not None:
                    raise raw.error
                assert raw.data is not None
                issue = decode_input(raw.data, raw.source, raw.issue_id, config)
                issue = pipeline(issue)
                if not issue.articles:
                    raise InputError(raw.source, "no articles found", "segment")
                for rec in issue_records(issue, pipeline.provenance(issue)):
                    out.write(dumps(rec) + "\n")
                    summary.articles += 1
                summary.done += 1
            except InputError as err:
                summary.failed += 1
                summary.failures.append({"source": err.source, "stage": err.stage, "reason": err.reason})
            bar.update(1)
    if summary.failures:
        with errors_path.open("w", encoding="utf-8") as fh:
            for f in summary.failures:
                fh.write(json.dumps(f, ensure_ascii=False) + "\n")
    summary.elapsed = time.perf_counter() - start
    return summary
