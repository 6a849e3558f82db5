"""Score the pipeline on labelled fixtures (`newspipe evaluate`).

    result = evaluate_dir(Path("tests/fixtures"), load_config())
    print(format_table(result))
    write_report(result, Path("out/eval"))          # metrics.json + report.html
    print(compare(json.loads(old.read_text()), result.metrics))

Metric definitions and normalisation live in `pipeline.evaluate.metrics`.
"""

from pipeline.evaluate.report import compare, format_table, render_html, write_report
from pipeline.evaluate.runner import ArticleEval, EvalResult, EvaluationError, IssueEval, evaluate_dir, score

__all__ = [
    "ArticleEval",
    "EvalResult",
    "EvaluationError",
    "IssueEval",
    "compare",
    "evaluate_dir",
    "format_table",
    "render_html",
    "score",
    "write_report",
]
