"""Run the configured pipeline over labelled fixtures and score it against their gold.

`evaluate_dir` does the I/O (list the labelled issues, run them through the very road of
`newspipe run`); `score` does the scoring of already-processed issues and is pure, so tests can
feed it hand-made articles.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pipeline.evaluate.metrics as M
from pipeline import __version__
from pipeline.config import Config
from pipeline.document import Article, Issue
from pipeline.evaluate.gold import GOLD_SUFFIX, EvaluationError, load_gold
from pipeline.executor.base import IssueProcessor, IssueTask, tasks_from_inputs
from pipeline.io.inputs import plan_inputs, read_issues
from pipeline.io.records import build_provenance, render_records
from pipeline.runner import resolve_stages
from pipeline.summarize.faithfulness import check_summary

SCHEMA = "newspipe.eval/1"

@dataclass
class ArticleEval:
    """One row of the comparison: a gold article and its matched prediction (either may be None)."""

    issue_id: str
    gold_index: int | None
    pred_index: int | None
    gold: dict[str, Any] | None
    pred: Article | None
    match_score: float | None = None
    exact: bool | None = None
    headline_ok: bool | None = None
    byline_ok: bool | None = None
    topic_ok: bool | None = None
    top_scores: list[tuple[str, float]] = field(default_factory=list)
    rouge_char: dict[str, float] | None = None
    rouge_word: dict[str, float] | None = None
    numbers: tuple[int, int] | None = None  # (faithful, total) of the predicted summary
    unsupported: list[str] | None = None  # what the faithfulness check found unsupported in it
    lead1: str | None = None
    lead1_rouge_char: dict[str, float] | None = None

    @property
    def article_id(self) -> str:
        if self.gold_index is not None:
            return f"{self.issue_id}#{self.gold_index}"
        return f"{self.issue_id}#pred{self.pred_index}"

    @property
    def has_error(self) -> bool:
        if self.gold is None or self.pred is None:
            return True
        return any(x is False for x in (self.exact, self.headline_ok, self.byline_ok, self.topic_ok))


@dataclass
class IssueEval:
    issue_id: str
    source: str
    newspaper: str | None
    date: str | None
    articles: list[ArticleEval]
    figures: dict[str, Any]


@dataclass
class EvalResult:
    """What `evaluate_dir` returns: `metrics` is what goes to metrics.json; `records` the output
    records of the processed fixtures, as `newspipe run` writes them."""

    metrics: dict[str, Any]
    issues: list[IssueEval]
    records: list[dict[str, Any]] = field(default_factory=list)

    @property
    def article_count(self) -> int:
        return sum(len(i.articles) for i in self.issues)


# --------------------------------------------------------------------------- reading


def gold_path_for(root: Path, issue_id: str) -> Path:
    return root / f"{issue_id}{GOLD_SUFFIX}"


def find_fixtures(path: Path, config: Config) -> list[tuple[IssueTask, Path]]:
    """The labelled issues at `path`, listed exactly as `newspipe run` lists its inputs
    (`pipeline.io.inputs`: a directory recursively, page-per-file issues grouped), each with its
    gold file `ISSUE_ID.gold.json` beside it; `path` may also be one `NAME.txt`.

    A gold file without its issue is an error; an issue without gold is left out.
    """
    p = Path(path)
    if p.is_file():
        if not p.name.endswith(".txt"):
            raise EvaluationError(f"{p} is not an issue text: give NAME.txt (with NAME{GOLD_SUFFIX} beside it) or a directory")
        root = p.parent
        if not gold_path_for(root, p.name[: -len(".txt")]).is_file():
            raise EvaluationError(f"{p} has no gold file: expected {p.name[: -len('.txt')]}{GOLD_SUFFIX} beside it")
    elif p.is_dir():
        root = p
    else:
        raise EvaluationError(f"fixture file or directory not found: {p}")
    max_bytes = int(config.input.max_file_mb * 1_000_000)
    max_issue = int(config.input.max_issue_mb * 1_000_000)
    plans = plan_inputs([str(p)], max_bytes, max_issue)
    # ids relative to the directory (a file given alone: its stem)
    pairs: list[tuple[IssueTask, Path]] = []
    wanted = {plan.issue_id for plan in plans if gold_path_for(root, plan.issue_id).is_file()}
    keep = [plan for plan in plans if plan.issue_id in wanted]
    for task in tasks_from_inputs(read_issues(keep, max_bytes, max_issue)):
        pairs.append((task, gold_path_for(root, task.issue_id)))
    if p.is_dir():
        missing = [g.name for g in sorted(p.glob(f"*{GOLD_SUFFIX}")) if g.name[: -len(GOLD_SUFFIX)] not in wanted]
        if missing:
            raise EvaluationError(f"gold files without their issue text in {p}: {', '.join(missing)}")
    if not pairs:
        raise EvaluationError(f"no fixtures in {p}: expected NAME.txt + NAME{GOLD_SUFFIX} pairs")
    return pairs


# --------------------------------------------------------------------------- scoring


def pred_start_line(text: str, art: Article) -> int | None:
    """The source line where a predicted article starts.

    From `Article.span` (offsets into `Issue.text`) when set, else the smallest line of
    `Article.line_roles`, else located by its fields like a gold article.
    """
    if art.span and art.span[1] > art.span[0]:
        return M.line_of_offset(text, art.span[0])
    if art.line_roles:
        return min(n for n, _ in art.line_roles)
    lines = [M.strip_ws(x) for x in M.source_lines(text)]
    start, _ = M.locate_article_start(lines, _pred_fields(art))
    return start


def _pred_fields(art: Article) -> dict[str, Any]:
    return {
        "kicker": art.kicker,
        "headline": art.headline,
        "subheadline": art.subheadline,
        "column": art.column,
        "byline": art.byline,
        "captions": art.captions,
        "text": art.text,
    }


def score_issue(gold: Mapping[str, Any], issue: Issue) -> IssueEval:
    """Match one processed issue to its gold and score every stage that produced output."""
    golds = list(gold.get("articles") or [])
    preds = list(issue.articles)
    matches = M.match_articles([p.text for p in preds], [g.get("text", "") for g in golds])
    by_gold = {m.gold: m for m in matches}
    matched_preds = {m.pred for m in matches}
    rows: list[ArticleEval] = []
    for gi, g in enumerate(golds):
        m = by_gold.get(gi)
        p = preds[m.pred] if m else None
        row = ArticleEval(issue.issue_id, gi, m.pred if m else None, dict(g), p)
        if p is not None and m is not None:
            row.match_score = m.score
            row.exact = M.strip_ws(p.text) == M.strip_ws(g.get("text"))
            row.headline_ok = M.fields_equal(p.headline, g.get("headline"))
            row.byline_ok = M.fields_equal(p.byline, g.get("byline"))
            if p.topic is not None and g.get("topic"):
                row.topic_ok = p.topic == g.get("topic")
                row.top_scores = M.top_scores(p.topic_scores, 2)
            ref = g.get("reference_summary")
            if ref:
                row.lead1 = M.lead1(p.text)
                row.lead1_rouge_char = M.rouge(ref, row.lead1)
                if p.summary:
                    row.rouge_char = M.rouge(ref, p.summary)
                    if M.jieba_available():
                        row.rouge_word = M.rouge(ref, p.summary, M.word_tokens)
                    row.numbers = M.number_faithfulness(p.summary, p.text)
                    row.unsupported = check_summary(p.summary, p.text).unsupported
        rows.append(row)
    for pi, p in enumerate(preds):
        if pi not in matched_preds:
            rows.append(ArticleEval(issue.issue_id, None, pi, None, p))
    figures = _issue_figures(issue.text, golds, preds, matches, rows)
    return IssueEval(
        issue_id=issue.issue_id,
        source=issue.source,
        newspaper=gold.get("newspaper"),
        date=gold.get("date"),
        articles=rows,
        figures=figures,
    )


def _class_pairs(rows: Sequence[ArticleEval]) -> list[tuple[str, str | None]]:
    return [
        (r.gold["topic"], r.pred.topic)
        for r in rows
        if r.gold is not None and r.pred is not None and r.gold.get("topic") and r.pred.topic is not None
    ]


def _summary_items(rows: Sequence[ArticleEval], lead: bool) -> list[tuple[str, str, str]]:
    out = []
    for r in rows:
        if r.gold is None or r.pred is None or not r.gold.get("reference_summary"):
            continue
        if lead:
            out.append((r.gold["reference_summary"], r.lead1 or "", r.pred.text))
        elif r.pred.summary:
            out.append((r.gold["reference_summary"], r.pred.summary, r.pred.text))
    return out


def _classification(rows: Sequence[ArticleEval], with_confusion: bool) -> dict[str, Any] | None:
    pairs = _class_pairs(rows)
    if not pairs:
        return None
    fig = M.classification_figures(pairs)
    n_gold = sum(1 for r in rows if r.gold is not None and r.gold.get("topic"))
    fig["n_unscored"] = n_gold - len(pairs)  # gold articles without a matched, labelled prediction
    if not with_confusion:
        fig = {k: fig[k] for k in ("n", "n_correct", "n_unscored", "accuracy", "macro_f1")}
    else:
        fig["misclassified"] = [
            {
                "article_id": r.article_id,
                "headline": r.gold.get("headline") if r.gold else None,
                "gold": r.gold.get("topic") if r.gold else None,
                "predicted": r.pred.topic if r.pred else None,
                "top2": [[lab, score] for lab, score in r.top_scores],
            }
            for r in rows
            if r.topic_ok is False
        ]
    return fig


def _summarization(rows: Sequence[ArticleEval]) -> dict[str, Any] | None:
    lead_items = _summary_items(rows, lead=True)
    if not lead_items:
        return None
    sys_items = _summary_items(rows, lead=False)
    system = M.summary_figures(sys_items)
    lead = M.summary_figures(lead_items)
    out: dict[str, Any] = {
        "n_references": len(lead_items),
        "n_summaries": len(sys_items),
        "reference_mean_length_chars": M.mean([M.summary_length(r) for r, _, _ in lead_items]),
        "system": system,
        "lead1": lead,
    }
    if sys_items:
        out["system_minus_lead1"] = {
            k: (system["char"][k] - lead["char"][k])
            if system["char"][k] is not None and lead["char"][k] is not None
            else None
            for k in ("rouge1", "rouge2", "rougeL")
        }
    return out


def _issue_figures(
    text: str,
    golds: Sequence[Mapping[str, Any]],
    preds: Sequence[Article],
    matches: Sequence[M.Match],
    rows: Sequence[ArticleEval],
) -> dict[str, Any]:
    starts = [pred_start_line(text, p) for p in preds]
    seg = M.segmentation_figures(text, golds, starts, [_pred_fields(p) for p in preds], matches)
    return {
        "segmentation": seg,
        "classification": _classification(rows, with_confusion=False),
        "summarization": _summarization(rows),
    }


_SEG_COUNTS = (
    "n_gold",
    "n_pred",
    "n_matched",
    "n_exact",
    "n_headline_correct",
    "n_byline_correct",
    "n_lines",
    "n_gold_boundaries",
    "n_pred_boundaries",
    "n_boundaries_correct",
)


def _pool_segmentation(per_issue: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Counts summed over issues (micro P/R/F1); Pk and WindowDiff averaged over issues."""
    tot = {k: sum(int(s[k]) for s in per_issue) for k in _SEG_COUNTS}
    out: dict[str, Any] = dict(tot)
    e = M.prf(tot["n_exact"], tot["n_pred"], tot["n_gold"])
    out.update({"exact_precision": e["precision"], "exact_recall": e["recall"], "exact_f1": e["f1"]})
    out["headline_accuracy"] = M.ratio(tot["n_headline_correct"], tot["n_gold"])
    out["byline_accuracy"] = M.ratio(tot["n_byline_correct"], tot["n_gold"])
    b = M.prf(tot["n_boundaries_correct"], tot["n_pred_boundaries"], tot["n_gold_boundaries"])
    out.update({"boundary_precision": b["precision"], "boundary_recall": b["recall"], "boundary_f1": b["f1"]})
    for key in ("pk", "windowdiff"):
        vals = [s[key] for s in per_issue if s.get(key) is not None]
        out[key] = M.mean(vals)
    return out


def normalisation_notes() -> dict[str, str]:
    return {
        "body": M.BODY_NORMALISATION,
        "matching": (
            "predicted and gold articles matched one-to-one maximising the summed Dice "
            f"overlap of character-bigram multisets (whitespace removed); pairs under "
            f"{M.MIN_MATCH_SCORE} are unmatched"
        ),
        "headline_byline": "compared after stripping and collapsing whitespace runs to one space",
        "boundaries": (
            "one position per non-blank source line, '1' where an article starts; "
            "Pk/WindowDiff as nltk.metrics.segmentation, k = half the mean gold segment "
            "length; 0 is perfect; overall = mean over issues"
        ),
        "classification": (
            "over gold articles with a matched prediction that has a topic; n_unscored counts the rest"
        ),
        "rouge_char": M.ROUGE_CHAR_NORMALISATION,
        "rouge_word": M.ROUGE_WORD_NORMALISATION,
        "numbers": M.NUMBER_NORMALISATION,
        "faithfulness_check": M.FAITHFULNESS_CHECK,
        "lead1": M.LEAD1_DESCRIPTION,
    }


def score(
    golds: Sequence[Mapping[str, Any]],
    issues: Sequence[Issue],
    provenance: Mapping[str, Any] | None = None,
    fixture_dir: str | Path | None = None,
    built_on: Mapping[str, Mapping[str, Any]] | None = None,
) -> EvalResult:
    """Score processed issues against their gold (paired by issue id, else by position).

    `built_on`: stage -> what its rules or model were built on (`Stage.built_on`); the metrics
    then say which scored issues were among them (`fitted_issues`): fitted, not held-out."""
    by_id = {i.issue_id: i for i in issues}
    evals: list[IssueEval] = []
    for n, g in enumerate(golds):
        gid = str(g.get("issue_id") or "")
        issue = by_id.get(gid) or (issues[n] if n < len(issues) else None)
        if issue is None:
            raise EvaluationError(f"no processed issue for gold '{gid}'")
        evals.append(score_issue(g, issue))
    all_rows = [r for e in evals for r in e.articles]
    prov = dict(provenance or {})
    details = prov.get("stage_details") or {}
    models = {
        name: d.get("model")
        for name, d in details.items()
        if isinstance(d, Mapping) and d.get("model") is not None
    }
    metrics: dict[str, Any] = {
        "schema": SCHEMA,
        "package": "newspipe",
        "version": prov.get("version", __version__),
        "config_hash": prov.get("config_hash"),
        "stages": prov.get("stages"),
        "stage_details": details,
        "models": models,
        "fixture_dir": str(fixture_dir) if fixture_dir is not None else None,
        "n_issues": len(evals),
        "built_on": {name: b["what"] for name, b in (built_on or {}).items()},
        "fitted_issues": sorted(
            {e.issue_id for e in evals for b in (built_on or {}).values() if e.issue_id in b.get("issues", ())}
        ),
        "normalisation": normalisation_notes(),
        "overall": {
            "segmentation": _pool_segmentation([e.figures["segmentation"] for e in evals]),
            "classification": _classification(all_rows, with_confusion=True),
            "summarization": _summarization(all_rows),
        },
        "issues": {e.issue_id: e.figures for e in evals},
    }
    return EvalResult(metrics=metrics, issues=evals)


# --------------------------------------------------------------------------- the entry point


def evaluate_dir(fixture_dir: Path, config: Config, *, pipeline: Any = None) -> EvalResult:
    """Run the configured pipeline on every labelled issue at `fixture_dir` (a directory, or one
    `NAME.txt`) and score it.

    The issues go the road `newspipe run` takes: listed by `pipeline.io.inputs`, assembled and
    decoded with the `input` config, every stage run by `IssueProcessor`, and the same failures
    (undecodable, no articles, a stage raising) stop the evaluation with the reason.
    `pipeline` (anything with `.pipe(issues)` and optionally `.provenance()`) replaces the
    configured stages; tests use it to score stand-in stages.
    """
    pairs = find_fixtures(Path(fixture_dir), config)
    golds = [load_gold(gold_path) for _, gold_path in pairs]
    tasks = [task for task, _ in pairs]
    for task, gold in zip(tasks, golds, strict=True):
        gold["issue_id"] = task.issue_id
        if task.failure is not None:
            raise EvaluationError(f"fixture {task.source}: {task.failure[1]} (stage {task.failure[0]})")
    stages = resolve_stages(config)
    processor = IssueProcessor(config, [(cls.name, cls) for cls in stages], render=False, override=pipeline)
    processed: list[Issue] = []
    for task, (issue, failure) in zip(tasks, processor.issues(tasks), strict=True):
        if issue is None:
            assert failure is not None
            raise EvaluationError(f"fixture {task.source}: {failure[1]} (stage {failure[0]})")
        processed.append(issue)
    built_on: dict[str, dict[str, Any]] = {}
    if pipeline is None:
        built_on = {s.name: b for s in processor.pipeline.stages if (b := s.built_on()) is not None}
        details = processor.pipeline.details()
        prov = build_provenance(config, details, None)
        records = [
            r
            for issue in processed
            for r in render_records(issue, processor.pipeline.stages, build_provenance(config, details, issue.encoding))
        ]
    else:
        prov = dict(pipeline.provenance()) if hasattr(pipeline, "provenance") else {}
        prov.setdefault("config_hash", config.hash())
        prov.setdefault("stages", list(config.pipeline.stages))
        records = []
    result = score(golds, processed, prov, fixture_dir, built_on)
    result.records = records
    return result
