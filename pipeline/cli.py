"""The `newspipe` command line (also `python -m pipeline`)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from typer.core import TyperArgument, TyperCommand

from pipeline.config import ConfigError, load_config


class _Argument(TyperArgument):
    """An argument shown by its metavar (`INPUT...`), without a Python type or braces."""

    def display_type_rich(self, ctx: object) -> str | None:
        return None

    def _usage_display_name(self) -> str:
        return self.display_name_raw if self.required else f"[{self.display_name_raw}]"


class _Command(TyperCommand):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            if type(param) is TyperArgument:
                param.__class__ = _Argument


app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: what to type, not Python type names
    help="Segment, classify and summarize raw Chinese newspaper issues into JSONL article records.",
)
command = app.command

ConfigOpt = Annotated[
    Path | None, typer.Option("--config", "-c", metavar="FILE", help="YAML config merged over the defaults")
]
SetOpt = Annotated[
    list[str] | None,
    typer.Option("--set", metavar="KEY=VALUE", help="override one key, e.g. --set summarizer.backend=extractive"),
]
StagesOpt = Annotated[
    str | None, typer.Option("--stages", metavar="STAGE,...", help="comma-separated stages, e.g. segment,classify")
]


_BIDI = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}


def printable(text: object) -> str:
    """Control characters (newlines, terminal escapes, bidi overrides) escaped: a name or reason
    read from the input can neither forge another message line nor reach the terminal raw."""
    import unicodedata

    out = []
    for ch in str(text):
        if ch in _BIDI or unicodedata.category(ch) in ("Cc", "Zl", "Zp"):
            out.append(repr(ch)[1:-1])
        else:
            out.append(ch)
    return "".join(out)


def _fail(message: str, code: int = 2) -> None:
    typer.echo(f"newspipe: error: {printable(message)}", err=True)
    raise typer.Exit(code)


def _writable_dir(path: Path, option: str) -> None:
    """Refuse a directory that cannot be created or written, before the (long) work starts."""
    if path.exists() and not path.is_dir():
        _fail(f"{option} {path} is a file; give a directory")
    probe = path
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        _fail(f"{option} {path}: cannot create it, {probe} is a file")
    if probe.exists() and not os.access(probe, os.W_OK):
        _fail(f"{option} {path}: cannot write to {probe} (permission denied)")


def _config(config: Path | None, sets: list[str] | None, stages: str | None):
    # `--stages ''` is an empty list (a config error), not "every stage"
    stage_list = [s.strip() for s in stages.split(",") if s.strip()] if stages is not None else None
    try:
        return load_config(config, sets or [], stage_list)
    except ConfigError as err:
        _fail(str(err))


@command(cls=_Command)
def run(
    inputs: Annotated[
        list[str],
        typer.Argument(
            metavar="INPUT...",
            help="issue files, directories, glob patterns, .zip/.tar/.tar.gz archives, or - for stdin",
        ),
    ],
    output: Annotated[
        Path,
        typer.Option(
            "--output", "-o", metavar="PATH", help="output JSONL file, or a directory with output.layout=per_group"
        ),
    ],
    config: ConfigOpt = None,
    set_: SetOpt = None,
    stages: StagesOpt = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers", "-j", min=1, metavar="N", help="worker processes for segment/classify (default: cores)"
        ),
    ] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="start fresh: delete the output, its manifest and errors first")
    ] = False,
    progress: Annotated[
        bool | None,
        typer.Option(
            "--progress/--no-progress",
            help="draw a progress bar on stderr (default: when stderr is a terminal and there is more than one issue)",
        ),
    ] = None,
    input_format: Annotated[
        str | None,
        typer.Option(
            "--input-format",
            metavar="FORMAT",
            help="issues (default): raw issue text; articles: JSONL with one article per line "
            "(text; headline, kicker, id, date, source optional), segmentation skipped",
        ),
    ] = None,
    engine: Annotated[
        str,
        typer.Option(
            "--engine", metavar="local|ray", help="where the work runs: this machine's processes, or a Ray cluster"
        ),
    ] = "local",
    address: Annotated[
        str | None,
        typer.Option(
            "--address",
            metavar="ADDR",
            help="--engine ray: auto (the cluster `ray start` runs here) or ray://HOST:PORT (default: a local instance)",
        ),
    ] = None,
    actors: Annotated[
        int | None,
        typer.Option("--actors", min=1, metavar="N", help="--engine ray: summarizer actors (default: one per GPU)"),
    ] = None,
) -> None:
    """Process issues into one JSONL record per article; a re-run resumes where the last one stopped."""
    from pipeline.batch import run_batch
    from pipeline.executor import make_executor
    from pipeline.runner import PipelineBuildError

    if input_format is not None:
        if input_format not in ("issues", "articles"):
            _fail(f"--input-format: expected issues or articles, got {input_format!r}")
        set_ = [*(set_ or []), f"input.format={input_format}"]
    cfg = _config(config, set_, stages)
    if engine != "ray" and (address is not None or actors is not None):
        _fail("--address and --actors apply to --engine ray")
    if engine == "ray" and workers is not None:
        _fail("--workers applies to the local engine; with --engine ray the cluster's CPUs do the work")
    try:
        executor = make_executor(engine, cfg, address=address, actors=actors) if engine != "local" else None
        summary = run_batch(
            list(inputs), output, cfg, workers=workers, overwrite=overwrite, progress=progress, executor=executor
        )
    except (ConfigError, PipelineBuildError) as err:
        _fail(str(err))
    for f in summary.failures:
        line = f"{printable(f['source'])}: {printable(f['reason'])} (stage {printable(f['stage'])})"
        typer.echo(f"newspipe: failed: {line}", err=True)
    typer.echo(summary.line(), err=True)
    if summary.interrupted:
        raise typer.Exit(143 if summary.signal == "SIGTERM" else 130)
    if summary.failed:
        raise typer.Exit(1)


@command(cls=_Command)
def evaluate(
    fixture_dir: Annotated[
        Path,
        typer.Argument(
            metavar="PATH", help="a directory of labelled issues (NAME.txt + NAME.gold.json), or one NAME.txt"
        ),
    ],
    config: ConfigOpt = None,
    set_: SetOpt = None,
    stages: StagesOpt = None,
    report: Annotated[
        Path | None, typer.Option("--report", metavar="DIR", help="write metrics.json and report.html here")
    ] = None,
    compare: Annotated[
        Path | None,
        typer.Option("--compare", metavar="FILE", help="metrics.json of an earlier run: print every figure's change"),
    ] = None,
    cross_validate: Annotated[
        bool,
        typer.Option(
            "--cross-validate",
            help="segmentation only: leave one layout family out (train the crf on the others), for both backends",
        ),
    ] = False,
) -> None:
    """Run the pipeline on labelled fixtures and score segmentation, topics and summaries."""
    import json

    if report is not None:
        _writable_dir(report, "--report")
    if cross_validate:
        _cross_validate(fixture_dir, report)
        return

    from pipeline.evaluate import runner as ev
    from pipeline.evaluate.report import compare as compare_metrics
    from pipeline.evaluate.report import format_table, write_report
    from pipeline.runner import PipelineBuildError

    cfg = _config(config, set_, stages)
    # every argument is checked before the (long) evaluation starts
    if not fixture_dir.exists():
        _fail(f"fixture file or directory not found: {fixture_dir}")
    old = None
    if compare is not None:
        try:
            old = json.loads(compare.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            _fail(f"--compare: cannot read {compare}: {getattr(err, 'strerror', None) or err}")
        if not isinstance(old, dict) or "overall" not in old:
            _fail(f"--compare: {compare} is not a metrics.json written by newspipe evaluate --report")
    try:
        result = ev.evaluate_dir(fixture_dir, cfg)
    except (ConfigError, PipelineBuildError, ev.EvaluationError) as err:
        _fail(str(err))
    typer.echo(format_table(result))
    if report is not None:
        try:
            write_report(result, report)
        except OSError as err:
            _fail(f"--report {report}: cannot write ({err.strerror or err})")
        typer.echo(f"wrote {report / 'metrics.json'} and {report / 'report.html'}")
    if old is not None:
        typer.echo(compare_metrics(old, result.metrics))


train_app = typer.Typer(no_args_is_help=True, help="Train models on your own labelled data.")
app.add_typer(train_app, name="train")


@train_app.command("segmenter", cls=_Command)
def train_segmenter(
    fixture_dirs: Annotated[
        list[Path], typer.Argument(metavar="DIR...", help="directories of NAME.txt + NAME.gold.json pairs")
    ],
    output: Annotated[Path, typer.Option("--output", "-o", metavar="DIR", help="model directory to write")],
    with_shipped: Annotated[
        bool, typer.Option("--with-shipped", help="train on the shipped corpus too (recommended for a few issues)")
    ] = False,
    augment_n: Annotated[
        int,
        typer.Option("--augment", min=0, metavar="N", help="layout variants derived from each issue (hard-wrap, no blanks…)"),
    ] = 3,
) -> None:
    """Train the crf segmenter on labelled issues; use it with --set segmenter.model=DIR."""
    from pipeline.segmentation import SHIPPED_CORPUS, shipped_path
    from pipeline.segmentation.augment import augment
    from pipeline.segmentation.crf import SegmenterModelError, train
    from pipeline.segmentation.gold import load_fixtures

    for d in fixture_dirs:
        if not d.is_dir():
            _fail(f"{d}: not a directory of labelled issues (NAME.txt + NAME.gold.json)")
    try:
        fixtures = load_fixtures(*fixture_dirs)
    except (OSError, ValueError) as err:
        _fail(f"cannot read the labelled issues: {err}")
    if not fixtures:
        _fail(f"no NAME.txt + NAME.gold.json pairs under {', '.join(map(str, fixture_dirs))}")
    own = len(fixtures)
    if with_shipped:
        fixtures = fixtures + load_fixtures(shipped_path(SHIPPED_CORPUS))
    data = fixtures + (augment(fixtures, augment_n) if augment_n else [])
    card = {"trained_on": [str(d) for d in fixture_dirs] + ([SHIPPED_CORPUS] if with_shipped else []), "augment": augment_n}
    try:
        info = train(data, output, card=card, rule_reading=True)
    except (SegmenterModelError, OSError) as err:
        _fail(str(err))
    for msg in info["training"]["skipped"]:
        typer.echo(f"newspipe: skipped (gold does not match the text): {msg}", err=True)
    typer.echo(
        f"trained on {own} labelled issues{' + the shipped corpus' if with_shipped else ''} "
        f"({info['training']['issues']} with layout variants); wrote {output}\n"
        f"use it: newspipe run ISSUE.txt -o out.jsonl --set segmenter.model={output}"
    )


@command(cls=_Command)
def annotate(
    issue_file: Annotated[Path, typer.Argument(metavar="ISSUE", help="one issue (text file)")],
    output: Annotated[
        Path, typer.Option("--output", "-o", metavar="DIR", help="directory for NAME.txt + NAME.gold.json")
    ],
    config: ConfigOpt = None,
    set_: SetOpt = None,
    family: Annotated[
        str | None, typer.Option("--family", metavar="NAME", help="layout family recorded in the gold")
    ] = None,
) -> None:
    """Write the segmenter's prediction for ISSUE as a fixture pair to correct by hand."""
    from pipeline.continuations import link_continuations
    from pipeline.io.assemble import assemble_issue
    from pipeline.io.decode import InputError
    from pipeline.segmentation.annotate import write_fixture
    from pipeline.stages.segment import SegmentStage

    cfg = _config(config, set_, None)
    if not issue_file.is_file():
        _fail(f"{issue_file}: not a file")
    try:
        data = issue_file.read_bytes()
        issue = assemble_issue([(None, str(issue_file), data)], str(issue_file), issue_file.stem, cfg.input)
        seg = SegmentStage(cfg).segmenter
    except InputError as err:
        _fail(f"{issue_file}: {err.reason}")
    except OSError as err:
        _fail(f"{issue_file}: {err.strerror}")
    except ConfigError as err:
        _fail(str(err))
    issue = link_continuations(seg.segment(issue))
    try:
        txt, gold = write_fixture(issue, output, family)
    except OSError as err:
        _fail(f"{output}: cannot write ({err.strerror})")
    typer.echo(f"wrote {txt} and {gold} ({len(issue.articles)} articles): correct the gold, then `newspipe train segmenter {output} -o MODEL`")


def _cross_validate(fixture_dir: Path, report: Path | None) -> None:
    import json

    from pipeline.segmentation.augment import augment
    from pipeline.segmentation.crossval import format_lofo, leave_one_family_out
    from pipeline.segmentation.gold import load_fixtures

    if not fixture_dir.is_dir():
        _fail(f"{fixture_dir}: not a directory of labelled issues")
    fixtures = load_fixtures(fixture_dir)
    if len({fx.family for fx in fixtures}) < 2:
        _fail(f"{fixture_dir}: --cross-validate needs issues from at least two layout families (gold 'family')")
    result = leave_one_family_out(
        fixtures, augment=augment, progress=lambda fam: typer.echo(f"… {fam}", err=True)
    )
    typer.echo(format_lofo(result))
    if report is not None:
        try:
            report.mkdir(parents=True, exist_ok=True)
            (report / "crossval.json").write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        except OSError as err:
            _fail(f"--report {report}: cannot write ({err.strerror or err})")
        typer.echo(f"wrote {report / 'crossval.json'}")


@command(cls=_Command)
def show(
    records: Annotated[Path, typer.Argument(metavar="FILE", help="a JSONL file written by `newspipe run`")],
    width: Annotated[int, typer.Option("--width", metavar="N", help="characters of summary to show")] = 60,
) -> None:
    """Print one line per article record: id, topic, headline and the start of its summary."""
    import json

    try:
        lines = records.read_text(encoding="utf-8").splitlines()
    except OSError as err:
        _fail(f"cannot read {records}: {err.strerror}")
    except UnicodeDecodeError as err:
        _fail(f"{records} is not UTF-8 text (byte {err.start}); give a JSONL file written by `newspipe run`")
    for n, line in enumerate(lines, 1):
        try:
            rec = json.loads(line)
        except ValueError:
            _fail(f"{records}:{n} is not a JSON record")
        if not isinstance(rec, dict) or not isinstance(rec.get("article_id"), str):
            _fail(f"{records}:{n} is not an article record (no article_id); give a JSONL file written by `newspipe run`")
        topic = str(rec.get("topic") or "-")
        if rec.get("topic_confident") is False:
            topic += "?"
        summary = (rec.get("summary") or "").replace("\n", " ")
        typer.echo(printable(f"{rec['article_id']:<28} {topic:<10} {rec.get('headline') or '(no headline)'}"))
        if summary:
            more = "…" if len(summary) > width else ""
            typer.echo(printable(f"{'':<28} {rec.get('summary_method', ''):<10} {summary[:width]}{more}"))


@command("stages", cls=_Command)
def list_stages() -> None:
    """List the registered stages in pipeline order, with what they require and provide."""
    from pipeline import registry

    for name in registry.stage_names():
        cls = registry.get_stage(name)
        section = f" config={cls.config_section}" if cls.config_section else ""
        typer.echo(f"{name:10s} requires={list(cls.requires)} provides={list(cls.provides)}{section}")


@command("config", cls=_Command)
def show_config(config: ConfigOpt = None, set_: SetOpt = None, stages: StagesOpt = None) -> None:
    """Print the effective configuration (defaults + file + overrides) and its hash."""
    import yaml

    cfg = _config(config, set_, stages)
    typer.echo(yaml.safe_dump(cfg.model_dump(mode="json"), allow_unicode=True, sort_keys=False))
    typer.echo(f"# config hash: {cfg.hash()}")


def main() -> None:  # pragma: no cover - console entry point
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
