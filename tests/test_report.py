"""The evaluation report: escaped self-contained HTML, one card per article, metrics.json,
the terminal table and compare(); plus the HTML opened in headless Chromium when installed."""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.config import Config
from pipeline.evaluate import compare, evaluate_dir, format_table, render_html, write_report
from pipeline.evaluate.report import flatten

sys.path.insert(0, str(Path(__file__).parent))
from eval_helpers import ARTICLES, StandInPipeline, merge, split, swap_topic, write_fixture  # noqa: E402

XSS = "<script>alert(1)</script>"
CARD_RE = re.compile(r'<article class="card[ "]')


def evaluate(tmp_path: Path, perturbations=(), articles=None):
    d, gold, places = write_fixture(tmp_path / "fx", articles=articles)
    pipe = StandInPipeline({"xiangjiang_a02": (gold, places)}, perturbations)
    return evaluate_dir(d, Config(), pipeline=pipe)


def hostile_articles():
    arts = copy.deepcopy(ARTICLES)
    arts[3]["headline"] = "老车票 " + XSS
    arts[4]["reference_summary"] = "学位8600个 & <b>加粗</b> \"引号\" 'x' " + XSS
    return arts


def test_html_escapes_all_text(tmp_path):
    result = evaluate(tmp_path, articles=hostile_articles())
    page = render_html(result)
    assert "<script" not in page.lower()
    assert "<b>加粗</b>" not in page
    assert "老车票 &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&amp; &lt;b&gt;加粗&lt;/b&gt; &quot;引号&quot; &#x27;x&#x27;" in page


def test_html_is_self_contained(tmp_path):
    page = render_html(evaluate(tmp_path))
    assert page.startswith("<!DOCTYPE html>")
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page)
    assert "<link" not in page and "@import" not in page and "url(" not in page
    assert "NFKC" in page  # the ROUGE normalisation is written into the report


@pytest.mark.parametrize(
    ("perturb", "cards", "errors"),
    [((), 6, 0), ((merge(0),), 6, 2), ((split(0),), 7, 2), ((swap_topic(2, "trade"),), 6, 1)],
)
def test_one_card_per_article(tmp_path, perturb, cards, errors):
    # one card per gold article plus one per prediction that matches no gold article
    result = evaluate(tmp_path, perturb)
    page = render_html(result)
    assert len(CARD_RE.findall(page)) == cards == result.article_count
    assert page.count('class="card has-error"') == errors


def test_error_cells_are_highlighted(tmp_path):
    page = render_html(evaluate(tmp_path, [swap_topic(2, "trade")]))
    assert re.search(r'<tr class="bad"><th>Topic</th><td>civic</td><td class="pred">trade', page)
    assert "missed: no matching prediction" in render_html(evaluate(tmp_path / "m", [merge(0)]))
    assert "spurious: matches no gold article" in render_html(evaluate(tmp_path / "s", [split(0)]))


def test_confusion_heat_map(tmp_path):
    page = render_html(evaluate(tmp_path, [swap_topic(2, "trade")]))
    heat = page[
        page.index('<table class="heat">') : page.index("</table>", page.index('<table class="heat">'))
    ]
    assert heat.count("<tr>") == 1 + 5  # header + one row per gold label
    assert 'title="gold civic, predicted trade: 1"' in heat
    assert "rgba(185,28,28" in heat and "rgba(21,128,61" in heat


def test_write_report_and_metrics_json_keys(tmp_path):
    result = evaluate(tmp_path)
    out = tmp_path / "out" / "eval"
    write_report(result, out)
    data = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert (out / "report.html").read_text(encoding="utf-8") == render_html(result)
    for key in (
        "schema",
        "version",
        "config_hash",
        "stages",
        "stage_details",
        "models",
        "fixture_dir",
        "n_issues",
        "normalisation",
        "overall",
        "issues",
    ):
        assert key in data, key
    assert data["config_hash"] == "standin0000000000"
    assert data["models"] == {"summarize": "reference-copy"}
    assert "NFKC" in data["normalisation"]["rouge_char"] and "jieba" in data["normalisation"]["rouge_word"]
    assert set(data["overall"]) == {"segmentation", "classification", "summarization"}
    assert set(data["issues"]) == {"xiangjiang_a02"}
    assert set(data["issues"]["xiangjiang_a02"]) == {"segmentation", "classification", "summarization"}
    assert data == json.loads(json.dumps(result.metrics))


def test_metrics_config_hash_defaults_to_the_config(tmp_path):
    d, gold, places = write_fixture(tmp_path / "fx")

    class Bare:  # a pipeline without provenance()
        def pipe(self, issues):
            return StandInPipeline({"xiangjiang_a02": (gold, places)}).pipe(issues)

    cfg = Config()
    result = evaluate_dir(d, cfg, pipeline=Bare())
    assert result.metrics["config_hash"] == cfg.hash()
    assert result.metrics["stages"] == ["segment", "classify", "summarize"]


@pytest.mark.parametrize("use_rich", [False, True])
def test_format_table(tmp_path, use_rich):
    if use_rich:
        pytest.importorskip("rich")
    text = format_table(evaluate(tmp_path, [merge(0)]), use_rich=use_rich)
    for needle in (
        "exact precision",
        "0.800",
        "4/5",
        "Pk (lower is better)",
        "macro-F1",
        "LEAD-1",
        "xiangjiang_a02",
    ):
        assert needle in text, needle
    assert max(len(line) for line in text.splitlines()) <= 160


def test_compare_lists_every_figure_change(tmp_path):
    old = evaluate(tmp_path / "a").metrics
    new = evaluate(tmp_path / "b", [merge(0)]).metrics
    new["overall"]["extra_figure"] = 1.5
    old["overall"]["old_only"] = 2
    text = compare(old, new)
    lines = {line.split()[0]: line for line in text.splitlines()[2:-1]}
    assert set(lines) == set(flatten(old)) | set(flatten(new))
    f1 = lines["overall.segmentation.exact_f1"].split()
    assert f1[1:] == ["1.0000", "0.7273", "-0.2727", "worse"]
    assert lines["overall.segmentation.pk"].split()[-1] == "worse"
    assert lines["overall.segmentation.n_pred"].split()[1:] == ["6", "5", "-1"]
    assert lines["overall.extra_figure"].split()[-1] == "added"
    assert lines["overall.old_only"].split()[-1] == "removed"
    assert lines["overall.classification.accuracy"].split()[-1] == "+0.0000"
    assert "overall.classification.misclassified" not in text  # lists are not figures
    assert re.fullmatch(r"\d+ of \d+ figures changed", text.splitlines()[-1])
    assert compare(old, old).splitlines()[-1].startswith("0 of ")


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(_chromium() is None, reason="chromium not installed")
def test_report_opens_in_headless_chromium(tmp_path):
    result = evaluate(tmp_path, [split(0), swap_topic(2, "trade")], articles=hostile_articles())
    out = tmp_path / "report"
    write_report(result, out)
    proc = subprocess.run(
        [
            _chromium(),
            "--headless",
            "--disable-gpu",
            "--no-sandbox",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--enable-logging=stderr",
            "--v=0",
            "--dump-dom",
            (out / "report.html").resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    console = [line for line in proc.stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]
    assert console == []  # the page has no script: any console message (CSP included) is an error
    dom = proc.stdout
    assert len(CARD_RE.findall(dom)) == result.article_count == 7
    assert "alert(1)" in dom and "<script" not in dom.lower()
