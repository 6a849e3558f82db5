"""What a user sees (issue 11, items 8-10): the command line, the evaluation report, the docs."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

from conftest import FIXTURES, REPO
from eval_helpers import StandInPipeline, merge, swap_topic, write_fixture

from pipeline.config import Config, load_config
from pipeline.evaluate import evaluate_dir, format_table, render_html
from pipeline.evaluate.report import error_index

SAMPLE = REPO / "examples" / "sample_issue.txt"


def cli(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipeline", *args], capture_output=True, text=True, cwd=cwd, timeout=300
    )


# ---- item 8: the command line --------------------------------------------------------------------
def test_no_progress_bar_in_logs(tmp_path: Path) -> None:
    """stderr is a pipe here (a log): no bar, only the summary line."""
    files = [str(SAMPLE), str(FIXTURES / "fx01_xiangjiang_evening.txt")]
    proc = cli("run", *files, "-o", str(tmp_path / "o.jsonl"), "--stages", "segment")
    assert proc.returncode == 0, proc.stderr
    assert "\r" not in proc.stderr and "issue/s]" not in proc.stderr and "%|" not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith("issues done 2")
    forced = cli("run", *files, "-o", str(tmp_path / "p.jsonl"), "--stages", "segment", "--progress")
    assert "%|" in forced.stderr  # asked for: drawn anyway


def test_stages_are_listed_in_pipeline_order() -> None:
    proc = cli("stages")
    assert [line.split()[0] for line in proc.stdout.splitlines()] == ["segment", "classify", "summarize"]


def test_help_shows_what_to_type_not_python_types() -> None:
    for command in ("run", "evaluate", "show", "config"):
        text = cli(command, "--help").stdout
        for python_ism in ("<bool>", "<list[str]>", "<str>", "<path>", "{"):
            assert python_ism not in text, (command, python_ism)
    run_help = cli("run", "--help").stdout
    assert "run [OPTIONS] INPUT...\n" in run_help
    assert re.search(r"--progress / --no-progress\s+\S", run_help)  # the option says what it does
    assert "--set KEY=VALUE" in run_help


def test_evaluate_takes_a_file_and_checks_arguments_first(tmp_path: Path) -> None:
    proc = cli("evaluate", str(FIXTURES / "fx02_hengyang_daily.txt"), "--stages", "segment")
    assert proc.returncode == 0, proc.stderr
    assert "Segmentation" in proc.stdout and "1 issue(s)" in proc.stdout
    start = time.monotonic()
    proc = cli("evaluate", str(FIXTURES), "--compare", str(tmp_path / "nope.json"), "--report", str(tmp_path / "r"))
    assert proc.returncode == 2 and "--compare" in proc.stderr and "nope.json" in proc.stderr
    assert "Segmentation" not in proc.stdout and not (tmp_path / "r").exists()
    assert time.monotonic() - start < 30  # refused before evaluating
    (tmp_path / "notmetrics.json").write_text("[1, 2]", encoding="utf-8")
    proc = cli("evaluate", str(FIXTURES), "--compare", str(tmp_path / "notmetrics.json"))
    assert proc.returncode == 2 and "not a metrics.json" in proc.stderr
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    proc = cli("evaluate", str(FIXTURES), "--report", str(tmp_path / "afile"))
    assert proc.returncode == 2 and "--report" in proc.stderr
    proc = cli("evaluate", str(tmp_path / "missing"))
    assert proc.returncode == 2 and "not found" in proc.stderr


# ---- item 9: the evaluation report ----------------------------------------------------------------
def test_report_opens_with_an_index_of_errors_linking_to_cards(tmp_path: Path) -> None:
    d, gold, places = write_fixture(tmp_path / "fx")
    pipe = StandInPipeline({"xiangjiang_a02": (gold, places)}, [merge(0), swap_topic(2, "trade")])
    result = evaluate_dir(d, Config(), pipeline=pipe)
    page = render_html(result)
    index = page[page.index('<section id="errors">') : page.index('<section id="overall">')]
    assert page.index('<section id="errors">') < page.index('<section id="overall">')
    errors = error_index(result)
    assert errors["missed"] and errors["topic"]
    for kind in ("missed", "topic"):
        for a in errors[kind]:
            anchor = re.sub(r"[^A-Za-z0-9_-]+", "-", a.article_id).strip("-")
            assert f'href="#{anchor}"' in index and f'id="{anchor}"' in page
    assert "misclassified (1)" in index and re.search(r"\(\w+ → trade\)", index)
    assert "errors: " in format_table(result, use_rich=False)


def test_report_headline_says_how_summaries_were_made_and_what_was_fitted(tmp_path: Path) -> None:
    one = FIXTURES / "fx03_changde_news.txt"
    result = evaluate_dir(one, load_config(overrides=["summarizer.model=no-such-org/no-model"]))
    page = render_html(result)
    headline = page[page.index('<section id="headline">') : page.index('<section id="errors">')]
    assert "extractive, because the abstractive model was unavailable" in headline
    assert "fitted scores, not held-out" in headline and "tests/fixtures" in headline
    assert result.metrics["fitted_issues"] == ["fx03_changde_news"]
    table = format_table(result, use_rich=False)
    assert "summaries: extractive, because" in table.splitlines()[1]
    # values as a reader reads them: no Python reprs in the stage list
    assert "=None" not in page and "[&#x27;" not in page and "model: none" in page
    held_out = tmp_path / "elsewhere.txt"
    held_out.write_bytes(one.read_bytes())
    (tmp_path / "elsewhere.gold.json").write_bytes(one.with_name("fx03_changde_news.gold.json").read_bytes())
    other = evaluate_dir(held_out, load_config(overrides=["summarizer.backend=extractive"]))
    assert other.metrics["fitted_issues"] == [] and "held-out scores" in render_html(other)
    assert "extractive (as configured)" in render_html(other)


# ---- item 10: the docs ---------------------------------------------------------------------------
def test_readme_layout_lists_every_module() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    layout = readme[readme.index("## Layout") :]
    layout = layout[: layout.index("\n## ", 5)]
    listed = set(re.findall(r"[\w/]+\.py|[\w]+/", layout))
    pkg = REPO / "pipeline"
    missing = []
    for path in sorted(pkg.rglob("*.py")):
        rel = path.relative_to(pkg)
        if rel.name == "__init__.py":
            if rel.parent != Path(".") and f"{rel.parent.name}/" not in listed:
                missing.append(str(rel.parent) + "/")
            continue
        if rel.name not in listed and str(rel) not in listed:
            missing.append(str(rel))
    assert not missing, f"README layout does not list: {missing}"


def test_makefile_explains_the_torch_pin() -> None:
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    pin = makefile.index("install -q torch==")
    assert "TORCH_INDEX" in makefile[pin : pin + 120]
    comment = makefile[max(0, pin - 900) : pin]
    assert "CPU" in comment and "GPU" in comment and "download.pytorch.org/whl/cu" in comment
