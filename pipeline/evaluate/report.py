"""Present an `EvalResult`: terminal table, metrics.json, a self-contained report.html, and
`compare` for two metrics.json files.

The HTML uses no script and no external resource (a Content-Security-Policy meta tag
forbids both), and every piece of text passes through `html.escape`.
"""

from __future__ import annotations

import html
import io
import json
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pipeline.evaluate.metrics import NO_LABEL
from pipeline.evaluate.runner import ArticleEval, EvalResult, IssueEval

LOWER_IS_BETTER = ("pk", "windowdiff")
HIGHER_IS_BETTER = ("precision", "recall", "f1", "accuracy", "rouge1", "rouge2", "rougeL", "faithfulness")


def fmt(x: Any, digits: int = 3) -> str:
    """A figure for display: None -> '–', floats with `digits` decimals."""
    if x is None:
        return "–"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, float):
        if math.isnan(x):
            return "nan"
        return f"{x:.{digits}f}"
    return str(x)


def _get(d: Mapping[str, Any] | None, *keys: str) -> Any:
    cur: Any = d
    for k in keys:
        if not isinstance(cur, Mapping):
            return None
        cur = cur.get(k)
    return cur


def plain(x: Any) -> str:
    """A value as a reader reads it: none, yes/no, lists joined with commas, no Python reprs."""
    if x is None:
        return "none"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, (list, tuple)):
        return ", ".join(plain(v) for v in x) or "none"
    if isinstance(x, Mapping):
        return "; ".join(f"{k}: {plain(v)}" for k, v in x.items()) or "none"
    return str(x)


def summary_method(metrics: Mapping[str, Any]) -> str | None:
    """How the summaries were written, in words: abstractive with which model, or extractive and why."""
    d = _get(metrics, "stage_details", "summarize")
    if not isinstance(d, Mapping):
        return None
    if d.get("backend") == "abstractive":
        return f"abstractive, model {plain(d.get('model'))}"
    if d.get("requested_backend") == "abstractive":
        why = d.get("fallback_reason") or "it could not be loaded"
        return f"extractive, because the abstractive model was unavailable ({why})"
    return "extractive (as configured)"


ERROR_KINDS = (
    ("missed", "missed articles (no matching prediction)"),
    ("spurious", "split or extra articles (a prediction matching no gold article)"),
    ("body", "bodies that differ"),
    ("headline", "wrong headlines"),
    ("byline", "wrong bylines"),
    ("topic", "misclassified"),
    ("summary", "unfaithful summaries (numbers not in the article)"),
    ("summary_check", "summaries failing the faithfulness check (numbers, dates, names, titles not in the article)"),
)


def error_index(result: EvalResult) -> dict[str, list[ArticleEval]]:
    """Every article with an error, by kind (an article can be under several)."""
    out: dict[str, list[ArticleEval]] = {k: [] for k, _ in ERROR_KINDS}
    for ie in result.issues:
        for a in ie.articles:
            if a.gold is None:
                out["spurious"].append(a)
            elif a.pred is None:
                out["missed"].append(a)
            else:
                for kind, ok in (("body", a.exact), ("headline", a.headline_ok), ("byline", a.byline_ok), ("topic", a.topic_ok)):
                    if ok is False:
                        out[kind].append(a)
                if a.numbers and a.numbers[0] < a.numbers[1]:
                    out["summary"].append(a)
                if a.unsupported:
                    out["summary_check"].append(a)
    return out


def built_on_line(metrics: Mapping[str, Any]) -> str | None:
    """What the rules and models were built on, and whether the scored issues were among them."""
    built = metrics.get("built_on") or {}
    if not built:
        return None
    fitted = metrics.get("fitted_issues") or []
    n = metrics.get("n_issues") or 0
    parts = "; ".join(f"{stage}: {what}" for stage, what in built.items())
    if fitted:
        verdict = (
            f"{len(fitted)} of the {n} issues scored here are among them, so these are fitted scores, "
            "not held-out ones"
        )
    else:
        verdict = "none of the issues scored here is among them: held-out scores"
    return f"Built on: {parts}. {verdict}."


# --------------------------------------------------------------------------- metrics.json


def metrics_json(result: EvalResult) -> str:
    return json.dumps(result.metrics, ensure_ascii=False, indent=2, allow_nan=False) + "\n"


def write_report(result: EvalResult, out_dir: Path) -> None:
    """Write ``metrics.json`` and ``report.html`` into `out_dir` (created when missing)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.json").write_text(metrics_json(result), encoding="utf-8")
    (out / "report.html").write_text(render_html(result), encoding="utf-8")


# --------------------------------------------------------------------------- terminal table


def _rich_available() -> bool:
    try:
        import rich  # noqa: F401
    except ImportError:
        return False
    return True


def _plain_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [len(h) for h in headers]
    for r in rows:
        widths = [max(w, len(c)) for w, c in zip(widths, r, strict=True)]

    def line(cells: Sequence[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = [c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True)]
        return "  ".join([first, *rest]).rstrip()

    sep = "  ".join("-" * w for w in widths)
    return "\n".join([title, line(headers), sep, *(line(r) for r in rows)])


def _rich_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    from rich import box
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left", pad_edge=False)
    for i, h in enumerate(headers):
        table.add_column(h, justify="left" if i == 0 else "right", no_wrap=True)
    for r in rows:
        table.add_row(*r)
    buf = io.StringIO()
    Console(file=buf, width=160, color_system=None, force_terminal=False, highlight=False).print(table)
    return buf.getvalue().rstrip()


def _table(title: str, headers: Sequence[str], rows: Sequence[Sequence[str]], use_rich: bool) -> str:
    return (_rich_table if use_rich else _plain_table)(title, headers, rows)


def format_table(result: EvalResult, use_rich: bool | None = None) -> str:
    """A compact summary for the terminal (rich tables when rich is installed, else plain)."""
    if use_rich is None:
        use_rich = _rich_available()
    m = result.metrics
    seg = _get(m, "overall", "segmentation") or {}
    cls = _get(m, "overall", "classification")
    summ = _get(m, "overall", "summarization")
    parts = [
        f"newspipe evaluate: {m.get('n_issues')} issue(s), {seg.get('n_gold')} gold articles, "
        f"config {m.get('config_hash')}, stages {', '.join(m.get('stages') or [])}"
    ]
    method = summary_method(m)
    if method:
        parts[0] += f"\nsummaries: {method}"
    line = built_on_line(m)
    if line:
        parts[0] += f"\n{line}"
    errors = error_index(result)
    counts = [f"{len(errors[k])} {label.split(' (')[0]}" for k, label in ERROR_KINDS if errors[k]]
    parts[0] += "\nerrors: " + (", ".join(counts) if counts else "none")
    parts.append(
        _table(
            "Segmentation",
            ["figure", "value", "count"],
            [
                [
                    "exact precision",
                    fmt(seg.get("exact_precision")),
                    f"{seg.get('n_exact')}/{seg.get('n_pred')}",
                ],
                ["exact recall", fmt(seg.get("exact_recall")), f"{seg.get('n_exact')}/{seg.get('n_gold')}"],
                ["exact F1", fmt(seg.get("exact_f1")), ""],
                [
                    "headline accuracy",
                    fmt(seg.get("headline_accuracy")),
                    f"{seg.get('n_headline_correct')}/{seg.get('n_gold')}",
                ],
                [
                    "byline accuracy",
                    fmt(seg.get("byline_accuracy")),
                    f"{seg.get('n_byline_correct')}/{seg.get('n_gold')}",
                ],
                [
                    "boundary F1",
                    fmt(seg.get("boundary_f1")),
                    f"{seg.get('n_boundaries_correct')}/{seg.get('n_gold_boundaries')}",
                ],
                ["Pk (lower is better)", fmt(seg.get("pk")), ""],
                ["WindowDiff (lower is better)", fmt(seg.get("windowdiff")), ""],
            ],
            use_rich,
        )
    )
    if cls:
        rows = [
            ["accuracy", fmt(cls.get("accuracy")), f"{cls.get('n_correct')}/{cls.get('n')}"],
            ["macro-F1", fmt(cls.get("macro_f1")), ""],
        ]
        for lab, d in (cls.get("per_label") or {}).items():
            rows.append(
                [
                    f"  {lab} P/R/F1",
                    f"{fmt(d['precision'], 2)}/{fmt(d['recall'], 2)}/{fmt(d['f1'], 2)}",
                    str(d["support"]),
                ]
            )
        parts.append(
            _table(
                f"Classification ({len(cls.get('misclassified') or [])} misclassified)",
                ["figure", "value", "support"],
                rows,
                use_rich,
            )
        )
    if summ:
        rows = []
        for name, key in (("system", "system"), ("LEAD-1", "lead1")):
            s = summ.get(key) or {}
            if not s.get("n"):
                continue
            rows.append(
                [
                    name,
                    *(fmt(_get(s, "char", k)) for k in ("rouge1", "rouge2", "rougeL")),
                    *(fmt(_get(s, "word", k)) for k in ("rouge1", "rouge2", "rougeL")),
                    fmt(s.get("mean_length_chars"), 1),
                    fmt(s.get("number_faithfulness")),
                    fmt(s.get("check_pass_rate")),
                    str(s.get("n")),
                ]
            )
        parts.append(
            _table(
                f"Summarization (ROUGE F1; char is primary; reference mean length "
                f"{fmt(summ.get('reference_mean_length_chars'), 1)} chars)",
                [
                    "",
                    "char R1",
                    "char R2",
                    "char RL",
                    "word R1",
                    "word R2",
                    "word RL",
                    "len",
                    "num-faith",
                    "check",
                    "n",
                ],
                rows,
                use_rich,
            )
        )
    rows = []
    for ie in result.issues:
        f = ie.figures
        s = f.get("segmentation") or {}
        rows.append(
            [
                ie.issue_id,
                f"{s.get('n_exact')}/{s.get('n_gold')}",
                fmt(s.get("headline_accuracy"), 2),
                fmt(s.get("pk"), 2),
                fmt(_get(f, "classification", "accuracy"), 2),
                fmt(_get(f, "summarization", "system", "char", "rougeL"), 2),
                fmt(_get(f, "summarization", "lead1", "char", "rougeL"), 2),
            ]
        )
    parts.append(
        _table(
            "Per issue",
            ["issue", "exact", "headline", "Pk", "topic acc", "char RL", "LEAD-1 RL"],
            rows,
            use_rich,
        )
    )
    return "\n\n".join(parts)


# --------------------------------------------------------------------------- compare


def flatten(d: Any, prefix: str = "") -> dict[str, float]:
    """Numeric leaves of nested dicts as ``{"a.b.c": value}`` (lists and booleans skipped)."""
    out: dict[str, float] = {}
    if isinstance(d, Mapping):
        for k, v in d.items():
            key = f"{prefix}.{k}" if prefix else str(k)
            out.update(flatten(v, key))
    elif isinstance(d, (int, float)) and not isinstance(d, bool):
        out[prefix] = d
    return out


def _direction(key: str, delta: float) -> str:
    last = key.rsplit(".", 1)[-1]
    if delta == 0:
        return ""
    if last in LOWER_IS_BETTER:
        return "better" if delta < 0 else "worse"
    if any(last == h or last.endswith("_" + h) for h in HIGHER_IS_BETTER):
        return "better" if delta > 0 else "worse"
    return ""


def compare(old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    """Every numeric figure of two metrics dicts, with its change, one per line.

    Keys are flattened with dots (``overall.segmentation.exact_f1``); figures only in one
    of them are listed as added or removed. Lower-is-better figures (Pk, WindowDiff) and
    higher-is-better ones are marked ``better``/``worse``.
    """
    fo, fn = flatten(old), flatten(new)
    keys = [k for k in fn] + [k for k in fo if k not in fn]
    width = max([len(k) for k in keys] + [6])
    lines = [
        f"compare: config {old.get('config_hash')} -> {new.get('config_hash')}",
        f"{'figure'.ljust(width)}  {'old':>10}  {'new':>10}  {'change':>10}",
    ]
    changed = 0
    for k in keys:
        a, b = fo.get(k), fn.get(k)
        if a is None:
            lines.append(f"{k.ljust(width)}  {'–':>10}  {fmt(b, 4):>10}  {'added':>10}")
            continue
        if b is None:
            lines.append(f"{k.ljust(width)}  {fmt(a, 4):>10}  {'–':>10}  {'removed':>10}")
            continue
        delta = b - a
        changed += delta != 0
        note = _direction(k, delta)
        sign = f"{delta:+.4f}" if isinstance(delta, float) else f"{delta:+d}"
        lines.append(f"{k.ljust(width)}  {fmt(a, 4):>10}  {fmt(b, 4):>10}  {sign:>10}  {note}".rstrip())
    lines.append(f"{changed} of {len(keys)} figures changed")
    return "\n".join(lines)


# --------------------------------------------------------------------------- HTML

_CSS = """
:root{--ok:#15803d;--bad:#b91c1c;--muted:#6b7280;--line:#e5e7eb}
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif;
margin:0 auto;max-width:1200px;padding:1rem 1.5rem;color:#111827;line-height:1.45}
h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:1.2rem;margin:1.6rem 0 .5rem;border-bottom:2px solid var(--line)}
h3{font-size:1rem;margin:0 0 .4rem}
.meta{color:var(--muted);font-size:.85rem}.meta code{color:#111827}
table{border-collapse:collapse;margin:.4rem 0 1rem;font-size:.9rem}
th,td{border:1px solid var(--line);padding:.25rem .5rem;vertical-align:top;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.grid{display:flex;flex-wrap:wrap;gap:1.5rem}
.heat td{text-align:center;min-width:3.2rem}.heat th.corner{color:var(--muted);font-weight:normal}
.cards{display:grid;grid-template-columns:1fr;gap:.8rem}
.card{border:1px solid var(--line);border-left:5px solid var(--ok);border-radius:6px;padding:.6rem .8rem}
.card.has-error{border-left-color:var(--bad)}
.card table{width:100%;margin:.3rem 0 0}.card th{width:7rem;color:var(--muted);font-weight:normal}
.card td{width:45%}
tr.bad td{background:#fef2f2}tr.bad td.pred{color:var(--bad);font-weight:600}
tr.warn td.pred{background:#fffbeb}
.badge{display:inline-block;font-size:.75rem;padding:0 .4rem;border-radius:9px;margin-right:.3rem;
background:#f3f4f6;color:#374151}
.badge.bad{background:#fee2e2;color:var(--bad)}.badge.ok{background:#dcfce7;color:var(--ok)}
.small{font-size:.8rem;color:var(--muted)}
ul.headline{list-style:none;padding:.5rem .8rem;margin:.8rem 0;border:1px solid var(--line);border-radius:6px}
ul.headline li{margin:.2rem 0}ul.headline li.warn{color:#92400e}
#errors ul{margin:.2rem 0 .6rem;padding-left:1.2rem;font-size:.9rem}
dl.notes dt{font-weight:600;margin-top:.4rem}dl.notes dd{margin:0 0 0 1rem;font-size:.85rem}
"""


def esc(x: Any) -> str:
    return html.escape("" if x is None else str(x), quote=True)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-") or "x"


def _html_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], cls: str = "") -> str:
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = []
    for r in rows:
        cells = []
        for i, c in enumerate(r):
            if i == 0:
                cells.append(f"<th>{esc(c)}</th>")
            else:
                num = isinstance(c, (int, float)) and not isinstance(c, bool)
                cells.append(f'<td class="num">{esc(fmt(c))}</td>' if num else f"<td>{esc(fmt(c))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    c = f' class="{esc(cls)}"' if cls else ""
    return f"<table{c}><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _segmentation_html(seg: Mapping[str, Any]) -> str:
    rows = [
        ["exact precision", seg.get("exact_precision"), f"{seg.get('n_exact')}/{seg.get('n_pred')}"],
        ["exact recall", seg.get("exact_recall"), f"{seg.get('n_exact')}/{seg.get('n_gold')}"],
        ["exact F1", seg.get("exact_f1"), ""],
        [
            "headline accuracy",
            seg.get("headline_accuracy"),
            f"{seg.get('n_headline_correct')}/{seg.get('n_gold')}",
        ],
        ["byline accuracy", seg.get("byline_accuracy"), f"{seg.get('n_byline_correct')}/{seg.get('n_gold')}"],
        [
            "boundary precision",
            seg.get("boundary_precision"),
            f"{seg.get('n_boundaries_correct')}/{seg.get('n_pred_boundaries')}",
        ],
        [
            "boundary recall",
            seg.get("boundary_recall"),
            f"{seg.get('n_boundaries_correct')}/{seg.get('n_gold_boundaries')}",
        ],
        ["boundary F1", seg.get("boundary_f1"), ""],
        ["Pk (lower is better)", seg.get("pk"), ""],
        ["WindowDiff (lower is better)", seg.get("windowdiff"), ""],
    ]
    return "<div><h3>Segmentation</h3>" + _html_table(["figure", "value", "count"], rows) + "</div>"


def _classification_html(cls: Mapping[str, Any] | None) -> str:
    if not cls:
        return '<div><h3>Classification</h3><p class="small">no predicted topics</p></div>'
    rows: list[list[Any]] = [
        ["accuracy", cls.get("accuracy"), f"{cls.get('n_correct')}/{cls.get('n')}"],
        ["macro-F1", cls.get("macro_f1"), ""],
        ["unscored gold articles", cls.get("n_unscored"), ""],
    ]
    per = [
        [lab, d["precision"], d["recall"], d["f1"], d["support"]]
        for lab, d in (cls.get("per_label") or {}).items()
    ]
    return (
        "<div><h3>Classification</h3>"
        + _html_table(["figure", "value", "count"], rows)
        + _html_table(["label", "precision", "recall", "F1", "support"], per)
        + "</div>"
    )


def _summarization_html(summ: Mapping[str, Any] | None) -> str:
    if not summ:
        return '<div><h3>Summarization</h3><p class="small">no reference summaries</p></div>'
    rows = []
    for name, key in (("system", "system"), ("LEAD-1 baseline", "lead1")):
        s = summ.get(key) or {}
        rows.append(
            [
                name,
                *(_get(s, "char", k) for k in ("rouge1", "rouge2", "rougeL")),
                *(_get(s, "word", k) for k in ("rouge1", "rouge2", "rougeL")),
                s.get("mean_length_chars"),
                s.get("number_faithfulness"),
                s.get("check_pass_rate"),
                s.get("n"),
            ]
        )
    return (
        "<div><h3>Summarization</h3>"
        + _html_table(
            [
                "",
                "char R-1",
                "char R-2",
                "char R-L",
                "word R-1",
                "word R-2",
                "word R-L",
                "mean length",
                "number faithfulness",
                "passes the faithfulness check",
                "n",
            ],
            rows,
        )
        + '<p class="small">ROUGE F1; character ROUGE is primary. The faithfulness check is the summarizer\'s '
        "own guard: every number, date, name and 《title》 of the summary found in the article. "
        f"Reference mean length {esc(fmt(summ.get('reference_mean_length_chars'), 1))} characters.</p></div>"
    )


def _heatmap_html(cls: Mapping[str, Any] | None) -> str:
    if not cls or not cls.get("confusion"):
        return ""
    cm: Mapping[str, Mapping[str, int]] = cls["confusion"]
    cols = list(cls.get("labels") or [])
    for row in cm.values():
        for c in row:
            if c not in cols:
                cols.append(c)
    peak = max([v for row in cm.values() for v in row.values()] + [1])
    head = '<th class="corner">gold \\ predicted</th>' + "".join(f"<th>{esc(c)}</th>" for c in cols)
    body = []
    for g, row in cm.items():
        cells = [f"<th>{esc(g)}</th>"]
        for c in cols:
            v = int(row.get(c, 0))
            alpha = 0.0 if v == 0 else 0.15 + 0.75 * v / peak
            rgb = "21,128,61" if g == c else "185,28,28"
            color = "#fff" if alpha > 0.55 else "#111827"
            title = f"gold {g}, predicted {c}: {v}"
            cells.append(
                f'<td style="background:rgba({rgb},{alpha:.2f});color:{color}" title="{esc(title)}">{v}</td>'
            )
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        '<section id="confusion"><h2>Confusion matrix</h2>'
        f'<table class="heat"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'
        f'<p class="small">Rows: gold topic; columns: predicted topic'
        f"{esc('; ' + NO_LABEL + ' = no prediction') if NO_LABEL in cols else ''}. "
        "Green: agreement, red: confusion; darker = more articles.</p></section>"
    )


def _misclassified_html(cls: Mapping[str, Any] | None) -> str:
    items = (cls or {}).get("misclassified") or []
    if not cls:
        return ""
    if not items:
        return '<section id="misclassified"><h2>Misclassified articles</h2><p>None.</p></section>'
    rows = []
    for it in items:
        top = "; ".join(f"{lab} {fmt(s)}" for lab, s in it.get("top2") or []) or "–"
        rows.append(
            f'<tr><td><a href="#{esc(_slug(it["article_id"]))}">{esc(it["article_id"])}</a></td>'
            f"<td>{esc(it.get('headline') or '–')}</td><td>{esc(it.get('gold'))}</td>"
            f"<td>{esc(it.get('predicted'))}</td><td>{esc(top)}</td></tr>"
        )
    return (
        '<section id="misclassified"><h2>Misclassified articles</h2><table><thead><tr>'
        "<th>article</th><th>gold headline</th><th>gold</th><th>predicted</th><th>top-2 scores</th>"
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table></section>"
    )


def _headline_html(result: EvalResult) -> str:
    """The figures a reader must not miss: how summaries were made, and fitted vs held-out."""
    m = result.metrics
    items = []
    method = summary_method(m)
    if method:
        cls = "warn" if "unavailable" in method else ""
        items.append(f'<li class="{cls}"><b>Summaries:</b> {esc(method)}</li>')
    line = built_on_line(m)
    if line:
        cls = "warn" if m.get("fitted_issues") else ""
        items.append(f'<li class="{cls}"><b>{esc(line.split(":", 1)[0])}:</b>{esc(line.split(":", 1)[1])}</li>')
    return f'<section id="headline"><ul class="headline">{"".join(items)}</ul></section>' if items else ""


def _error_index_html(result: EvalResult) -> str:
    errors = error_index(result)
    total = len({a.article_id for arts in errors.values() for a in arts})
    groups = []
    for kind, label in ERROR_KINDS:
        arts = errors[kind]
        if not arts:
            continue
        links = []
        for a in arts:
            head = (a.gold or {}).get("headline") if a.gold is not None else (a.pred.headline if a.pred else None)
            detail = ""
            if kind == "topic" and a.gold is not None and a.pred is not None:
                detail = f" ({a.gold.get('topic')} → {a.pred.topic})"
            elif kind == "summary" and a.numbers:
                detail = f" ({a.numbers[0]}/{a.numbers[1]} numbers in the article)"
            elif kind == "summary_check" and a.unsupported:
                detail = f" (not in the article: {'、'.join(a.unsupported)})"
            links.append(
                f'<li><a href="#{esc(_slug(a.article_id))}">{esc(a.article_id)}</a> '
                f"{esc(head or '(no headline)')}{esc(detail)}</li>"
            )
        groups.append(f"<h3>{esc(label)} ({len(arts)})</h3><ul>{''.join(links)}</ul>")
    body = "".join(groups) if groups else "<p>None: every gold article was matched exactly and scored right.</p>"
    return f'<section id="errors"><h2>Errors ({total} article{"" if total == 1 else "s"})</h2>{body}</section>'


def _snippet(text: str | None, head: int = 40, tail: int = 30) -> str:
    """Start and end of a body with its length: where a merge or split shows."""
    t = " ".join((text or "").split())
    n = len("".join(t.split()))
    if len(t) > head + tail + 5:
        t = f"{t[:head]} … {t[-tail:]}"
    return f"{t} ({n} chars)"


def _row(label: str, gold: Any, pred: Any, state: str = "") -> str:
    cls = f' class="{state}"' if state else ""
    return f'<tr{cls}><th>{esc(label)}</th><td>{gold}</td><td class="pred">{pred}</td></tr>'


def _state(ok: bool | None) -> str:
    return "bad" if ok is False else ""


def _card(a: ArticleEval) -> str:
    g = a.gold or {}
    p = a.pred
    if a.gold is None:
        title = f"unmatched prediction #{a.pred_index}"
    else:
        title = f"#{a.gold_index} {g.get('headline') or '(no headline)'}"
    badges = []
    if a.gold is None:
        badges.append('<span class="badge bad">spurious: matches no gold article</span>')
    elif p is None:
        badges.append('<span class="badge bad">missed: no matching prediction</span>')
    else:
        badges.append(
            f'<span class="badge {"ok" if a.exact else "bad"}">body {"exact" if a.exact else "differs"}</span>'
        )
        badges.append(f'<span class="badge">overlap {esc(fmt(a.match_score, 2))}</span>')
    rows = []
    dash = '<span class="small">–</span>'

    def val(x: Any) -> str:
        return esc(x) if x not in (None, "") else dash

    rows.append(
        _row("Headline", val(g.get("headline")), val(p.headline if p else None), _state(a.headline_ok))
    )
    if g.get("kicker") or (p and p.kicker):
        rows.append(_row("Kicker", val(g.get("kicker")), val(p.kicker if p else None)))
    rows.append(_row("Byline", val(g.get("byline")), val(p.byline if p else None), _state(a.byline_ok)))
    if p is not None and p.topic is not None:
        top = "; ".join(f"{lab} {fmt(s, 2)}" for lab, s in a.top_scores)
        pred_topic = esc(p.topic) + (f' <span class="small">({esc(top)})</span>' if top else "")
    else:
        pred_topic = dash
    rows.append(_row("Topic", val(g.get("topic")), pred_topic, _state(a.topic_ok)))
    if g.get("reference_summary") or (p and p.summary):
        extra = ""
        state = ""
        if a.rouge_char:
            extra = (
                f'<br><span class="small">char ROUGE-1/2/L {esc(fmt(a.rouge_char["rouge1"], 2))}/'
                f"{esc(fmt(a.rouge_char['rouge2'], 2))}/{esc(fmt(a.rouge_char['rougeL'], 2))}"
            )
            if a.numbers and a.numbers[1]:
                extra += f"; numbers in article {a.numbers[0]}/{a.numbers[1]}"
            extra += "</span>"
            if a.numbers and a.numbers[0] < a.numbers[1]:
                state = "bad"
            elif a.lead1_rouge_char and a.rouge_char["rougeL"] < a.lead1_rouge_char["rougeL"]:
                state = "warn"
        rows.append(
            _row("Summary", val(g.get("reference_summary")), val(p.summary if p else None) + extra, state)
        )
        if a.lead1 is not None:
            lead_extra = ""
            if a.lead1_rouge_char:
                lead_extra = (
                    f'<br><span class="small">char ROUGE-L {esc(fmt(a.lead1_rouge_char["rougeL"], 2))}</span>'
                )
            rows.append(_row("LEAD-1", dash, val(a.lead1) + lead_extra))
    g_body = f"{esc(_snippet(g.get('text')))}" if a.gold is not None else dash
    p_body = f"{esc(_snippet(p.text))}" if p is not None else dash
    rows.append(_row("Body", g_body, p_body, "bad" if a.exact is False else ""))
    cls = "card has-error" if a.has_error else "card"
    return (
        f'<article class="{cls}" id="{esc(_slug(a.article_id))}"><h3>{esc(title)}</h3>'
        f"<div>{''.join(badges)}</div>"
        "<table><thead><tr><th></th><th>gold</th><th>predicted</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></article>"
    )


def _issue_html(ie: IssueEval) -> str:
    f = ie.figures
    s = f.get("segmentation") or {}
    figs = [
        ["exact articles", f"{s.get('n_exact')}/{s.get('n_gold')} gold, {s.get('n_pred')} predicted"],
        [
            "headline / byline accuracy",
            f"{fmt(s.get('headline_accuracy'))} / {fmt(s.get('byline_accuracy'))}",
        ],
        ["Pk / WindowDiff (k)", f"{fmt(s.get('pk'))} / {fmt(s.get('windowdiff'))} ({fmt(s.get('k'))})"],
        ["topic accuracy", fmt(_get(f, "classification", "accuracy"))],
        [
            "char ROUGE-L: system / LEAD-1",
            f"{fmt(_get(f, 'summarization', 'system', 'char', 'rougeL'))} / "
            f"{fmt(_get(f, 'summarization', 'lead1', 'char', 'rougeL'))}",
        ],
    ]
    head = " · ".join(x for x in (ie.newspaper, ie.date) if x)
    return (
        f'<section class="issue" id="issue-{esc(_slug(ie.issue_id))}">'
        f"<h2>{esc(ie.issue_id)}{' — ' + esc(head) if head else ''}</h2>"
        f'<p class="meta">source <code>{esc(ie.source)}</code></p>'
        + _html_table(["figure", "value"], figs)
        + '<div class="cards">'
        + "".join(_card(a) for a in ie.articles)
        + "</div></section>"
    )


def render_html(result: EvalResult) -> str:
    """The whole report as one self-contained HTML page."""
    m = result.metrics
    overall = m.get("overall") or {}
    cls = overall.get("classification")
    models = m.get("models") or {}
    stage_bits = []
    for name, d in (m.get("stage_details") or {}).items():
        desc = (
            "; ".join(f"{k}: {plain(v)}" for k, v in d.items() if k != "name") if isinstance(d, Mapping) else plain(d)
        )
        stage_bits.append(f"<li><b>{esc(name)}</b> {esc(desc)}</li>")
    notes = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in (m.get("normalisation") or {}).items())
    toc = " · ".join(
        f'<a href="#issue-{esc(_slug(ie.issue_id))}">{esc(ie.issue_id)}</a>' for ie in result.issues
    )
    return (
        '<!DOCTYPE html>\n<html lang="zh-Hans"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; img-src data:\">"
        "<title>newspipe evaluation</title>"
        f"<style>{_CSS}</style></head><body>"
        "<header><h1>newspipe evaluation</h1>"
        f'<p class="meta">{esc(m.get("n_issues"))} issue(s), {esc(result.article_count)} article cards · '
        f"config <code>{esc(m.get('config_hash'))}</code> · stages <code>{esc(', '.join(m.get('stages') or []))}</code>"
        f" · version <code>{esc(m.get('version'))}</code>"
        f"{' · fixtures <code>' + esc(m.get('fixture_dir')) + '</code>' if m.get('fixture_dir') else ''}</p>"
        + (
            f'<p class="meta">models: {esc(", ".join(f"{k}: {plain(v)}" for k, v in models.items()))}</p>'
            if models
            else ""
        )
        + (f'<ul class="meta">{"".join(stage_bits)}</ul>' if stage_bits else "")
        + f'<p class="meta">issues: {toc}</p></header>'
        + _headline_html(result)
        + _error_index_html(result)
        + '<section id="overall"><h2>Overall</h2><div class="grid">'
        + _segmentation_html(overall.get("segmentation") or {})
        + _classification_html(cls)
        + "</div>"
        + _summarization_html(overall.get("summarization"))
        + "</section>"
        + _heatmap_html(cls)
        + _misclassified_html(cls)
        + "".join(_issue_html(ie) for ie in result.issues)
        + f'<section id="notes"><h2>How the figures are computed</h2><dl class="notes">{notes}</dl></section>'
        + "</body></html>\n"
    )
