"""Segmentation: the shared sample, our own fixtures, and the invariants on arbitrary text."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, fixture_issues, load_gold, norm_ws

from pipeline.config import load_config
from pipeline.document import Issue
from pipeline.io.decode import decode_bytes
from pipeline.stages.segment import SegmentStage

FIELDS = ["kicker", "headline", "subheadline", "byline", "captions", "continued_to", "continued_from"]
BACKENDS = ["crf", "rules"]
_STAGES: dict[str, SegmentStage] = {}


def stage(backend: str = "crf") -> SegmentStage:
    if backend not in _STAGES:
        _STAGES[backend] = SegmentStage(load_config(None, [f"segmenter.backend={backend}"], ["segment"]))
    return _STAGES[backend]


def segment_text(text: str, backend: str = "crf", name: str = "t") -> Issue:
    return stage(backend).process(Issue(name, name, text))


def segment_file(path: Path, backend: str = "crf") -> Issue:
    text, enc = decode_bytes(path.read_bytes(), str(path))
    return stage(backend).process(Issue(path.stem, str(path), text, enc))


def _compare(issue: Issue, gold: dict) -> list[str]:
    problems = []
    pred = issue.articles
    gold_articles = gold["articles"]
    if len(pred) != len(gold_articles):
        problems.append(f"{len(pred)} articles, gold has {len(gold_articles)}")
    for p, g in zip(pred, gold_articles, strict=False):
        if norm_ws(p.text) != norm_ws(g["text"]):
            problems.append(f"article {g['index']} body differs: {p.text[:30]!r} vs {g['text'][:30]!r}")
        for f in FIELDS + (["column"] if "column" in g else []):
            got = getattr(p, f)
            want = g.get(f)
            if (got or None) != (want or None):
                problems.append(f"article {g['index']} {f}: {got!r} != {want!r}")
    return problems


@pytest.mark.parametrize("backend", BACKENDS)
def test_shared_sample_matches_gold(shared_sample: Path, backend: str) -> None:
    issue = segment_file(shared_sample, backend)
    gold = load_gold(shared_sample)
    assert _compare(issue, gold) == []
    assert issue.articles[1].continued_to == "04"
    assert issue.noise == []


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("path", fixture_issues(), ids=lambda p: p.stem)
def test_own_fixture_bodies_and_noise_match_gold(path: Path, backend: str) -> None:
    """Every article of every fixture comes out with exactly its gold body (the crf was
    trained on these fixtures: a regression check, not a measure of generalisation)."""
    issue = segment_file(path, backend)
    gold = load_gold(path)
    body_problems = [p for p in _compare(issue, gold) if "articles, gold has" in p or "body differs" in p]
    assert body_problems == []
    assert sorted(n.text for n in issue.noise) == sorted(gold.get("noise_lines", []))


@pytest.mark.parametrize("backend", BACKENDS)
def test_own_fixtures_head_fields_mostly_right(backend: str) -> None:
    """Kicker vs sub-headline is a judgement call even for people; demand 97% of all fields."""
    problems: list[str] = []
    n_fields = 0
    for path in fixture_issues():
        gold = load_gold(path)
        n_fields += len(gold["articles"]) * (len(FIELDS) + 1)
        problems += [f"{path.stem}: {p}" for p in _compare(segment_file(path, backend), gold) if "body" not in p]
    assert len(problems) <= 0.03 * n_fields, "\n".join(problems)


def test_fixture_set_is_varied() -> None:
    """The regression set must exercise the layouts the issue lists."""
    fixtures = fixture_issues()
    assert len(fixtures) >= 5
    golds = [load_gold(p) for p in fixtures]
    arts = [a for g in golds for a in g["articles"]]
    assert any(a.get("kicker") for a in arts)
    assert any(a.get("subheadline") for a in arts)
    assert any(a.get("headline") and " " in a["headline"] for a in arts)
    assert any(a.get("captions") for a in arts)
    assert any(a.get("column") for a in arts)
    assert any(a.get("continued_to") for a in arts)
    assert any(a.get("continued_from") for a in arts)
    assert any(a.get("headline") and not a.get("byline") for a in arts)
    assert any(g.get("noise_lines") for g in golds)
    raw = [p.read_bytes() for p in fixtures]
    not_utf8 = 0
    for data in raw:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            not_utf8 += 1
    assert not_utf8 >= 1, "one fixture must be GB18030-encoded"


def test_glued_bylines_and_authors(shared_sample: Path) -> None:
    issue = segment_file(shared_sample)
    a0 = issue.articles[0]
    assert a0.byline == "株洲日报讯(全媒体记者/任远)"
    assert a0.authors == ["任远"]
    assert a0.text.startswith("8月31日,")
    assert issue.articles[3].authors == ["周高"]
    assert issue.articles[6].authors == ["温琳", "张坚煜"]


def test_spans_cover_their_lines(shared_sample: Path) -> None:
    issue = segment_file(shared_sample)
    for a in issue.articles:
        s, e = a.span
        chunk = issue.text[s:e]
        assert a.headline is None or a.headline in chunk
        assert a.text.split("\n")[0][:10] in chunk


def test_cli_run_segment_only(shared_sample: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline", "run", str(shared_sample), "-o", str(out), "--stages", "segment"],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stderr
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 9
    recs = [json.loads(line) for line in lines]
    assert [r["article_index"] for r in recs] == list(range(9))
    assert recs[1]["continued_to"] == "04"
    assert recs[0]["article_id"] == "zhuzhou_daily_sample#0"
    assert "株洲" in lines[0]  # ensure_ascii=False: Chinese stays readable
    assert recs[0]["provenance"]["stages"] == ["segment"]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("layout", ["no_blank_lines", "single_gaps"])
def test_fixtures_survive_layout_changes(layout: str, backend: str) -> None:
    """Copy-outs differ in spacing: without blank lines, or without the wide gaps around photos,
    the same articles must come out (the segmenter may not lean on gaps alone)."""
    import re

    failures = []
    for path in fixture_issues():
        text, _ = decode_bytes(path.read_bytes(), str(path))
        if layout == "no_blank_lines":
            text = "\n".join(line for line in text.split("\n") if line.strip())
        else:
            text = re.sub(r"\n{3,}", "\n\n", text)
        issue = segment_text(text, backend, path.stem)
        gold = load_gold(path)
        got = [norm_ws(a.text) for a in issue.articles]
        want = [norm_ws(a["text"]) for a in gold["articles"]]
        if got != want:
            failures.append(path.stem)
    assert failures == []


def test_an_oral_history_credit_is_a_byline() -> None:
    from pipeline.segmentation.bylines import is_standalone_byline, parse_authors

    assert is_standalone_byline("口述 胡德顺 整理 本报记者 林佩")
    assert parse_authors("口述 骆长庚　整理 汤若曦") == ["骆长庚", "汤若曦"]
    assert not is_standalone_byline("口述历史")  # a column label
    assert not is_standalone_byline("口述史料显示，当年")


def test_an_unbracketed_dispatch_byline_takes_names_with_rare_surnames() -> None:
    from pipeline.segmentation.bylines import split_glued

    assert split_glued("本报讯 通讯员 澜法宣 记者 路晨曦 近日，江北区法院审结一起案件。") == (
        "本报讯 通讯员 澜法宣 记者 路晨曦",
        "近日，江北区法院审结一起案件。",
    )
    # a time word after the role is the body's first word, not a name
    assert split_glued("本报讯 记者 近日 从市里获悉，…")[0] == "本报讯 记者"
