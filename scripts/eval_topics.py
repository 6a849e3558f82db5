#!/usr/bin/env python
"""Score the topic classifier on labelled article JSONL, through the same road as `newspipe run
--input-format articles` (decode the line -> segment passes it through -> classify).

    python scripts/eval_topics.py data/topics/education.jsonl
    python scripts/eval_topics.py FILE.jsonl [FILE2.jsonl ...] --set classifier.other_label=other

Each line: `label` (or `topic`) and `text`; `headline`, `kicker`, `id`, `register` optional.
Out-of-scope articles are labelled `other` (or whatever `classifier.other_label` is).

Prints, for the articles whose label is one of the classifier's labels: accuracy, macro-F1,
the share marked confident and the accuracy of those; then how many out-of-scope articles
(label == other) went to the out-of-scope label; per-register accuracy when records carry one;
and every label the predictions were decided by (`topic_evidence[*].path`).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pipeline.config import ConfigError, load_config  # noqa: E402
from pipeline.evaluate.metrics import classification_figures, format_confusion  # noqa: E402
from pipeline.executor.base import IssueProcessor, tasks_from_inputs  # noqa: E402
from pipeline.io.articles import plan_article_files, read_article_lines  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="+", help="labelled article JSONL")
    ap.add_argument("--config", "-c", type=Path, help="YAML config merged over the defaults")
    ap.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--other", default="other", help="the label that marks out-of-scope articles in the data")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    ap.add_argument("--misses", action="store_true", help="list every wrong prediction")
    ap.add_argument(
        "--label-key", help="the record key that holds the gold label (default: `label`, else `topic`)"
    )
    args = ap.parse_args(argv)
    try:
        cfg = load_config(args.config, [*args.sets, "input.format=articles"], ["segment", "classify"])
    except ConfigError as err:
        sys.exit(f"eval_topics: {err}")
    gold: dict[str, tuple[str, str, str]] = {}  # task source -> (label, register, headline)
    for f in args.files:
        with open(f, encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError:
                    continue  # the road reports it as a failure below
                label = rec.get(args.label_key) if args.label_key else rec.get("label") or rec.get("topic")
                gold[f"{f}:{lineno}"] = (str(label), str(rec.get("register") or ""), str(rec.get("headline") or ""))
    from pipeline.registry import get_stage

    proc = IssueProcessor(cfg, [(n, get_stage(n)) for n in cfg.pipeline.stages], render=False)
    tasks = list(tasks_from_inputs(read_article_lines(plan_article_files(args.files, None), None)))
    labels = list(proc.pipeline.stages[-1].labels)
    other_label = cfg.classifier.other_label
    rows = []  # (gold, pred, confident, path, register, headline)
    failed = 0
    for task, (issue, failure) in zip(tasks, proc.issues(tasks), strict=True):
        if issue is None or task.source not in gold:
            failed += 1
            print(f"eval_topics: skipped {task.source}: {failure[1] if failure else 'no label'}", file=sys.stderr)
            continue
        a = issue.articles[0]
        paths = [e.get("path") for e in a.topic_evidence or []]
        g, reg, head = gold[task.source]
        rows.append((g, a.topic, bool(a.topic_confident), paths[0] if paths else "none", reg, head))

    def in_labels(g: str) -> bool:
        return g in labels and g != other_label

    inside = [r for r in rows if in_labels(r[0])]
    out_scope = [r for r in rows if r[0] == args.other]
    fig: dict = {"articles": len(rows), "failed": failed, "labels": labels, "other_label": other_label}
    print(f"articles {len(rows)} (failed {failed}); labels {', '.join(labels)}")
    if inside:
        f = classification_figures([(r[0], r[1]) for r in inside], [x for x in labels if x != other_label])
        conf = [r for r in inside if r[2]]
        fig.update(
            in_scope=len(inside),
            accuracy=f["accuracy"],
            macro_f1=f["macro_f1"],
            share_confident=len(conf) / len(inside),
            confident_accuracy=(sum(r[0] == r[1] for r in conf) / len(conf)) if conf else None,
        )
        print(
            f"in scope ({len(inside)}): accuracy {f['accuracy']:.3f}  macro-F1 {f['macro_f1']:.3f}  "
            f"confident {fig['share_confident']:.3f} (right {fig['confident_accuracy'] or 0:.3f})"
        )
        if other_label:
            sent = sum(r[1] == other_label for r in inside) / len(inside)
            fig["in_scope_sent_to_other"] = sent
            print(f"in-scope articles sent to '{other_label}': {sent:.3f}")
        print(format_confusion(f["confusion"], sorted({r[0] for r in inside} | {r[1] for r in inside})))
    if out_scope:
        share = sum(r[1] == other_label for r in out_scope) / len(out_scope) if other_label else 0.0
        fig.update(out_of_scope=len(out_scope), other_recall=share)
        print(
            f"out of scope ({len(out_scope)}): predicted as other {share:.3f}"
            + ("" if other_label else "  (classifier.other_label is off: --set classifier.other_label=other)")
        )
        print(f"  their predictions: {dict(Counter(r[1] for r in out_scope).most_common())}")
    by_reg: dict[str, list[int]] = defaultdict(list)
    for r in inside:
        if r[4]:
            by_reg[r[4]].append(int(r[0] == r[1]))
    if by_reg:
        fig["by_register"] = {k: sum(v) / len(v) for k, v in sorted(by_reg.items())}
        print("by register: " + ", ".join(f"{k} {sum(v) / len(v):.2f} ({len(v)})" for k, v in sorted(by_reg.items())))
    fig["decided_by"] = dict(Counter(r[3] for r in rows))
    print(f"decided by: {fig['decided_by']}")
    if args.misses:
        for r in rows:
            if r[0] != r[1]:
                print(f"  miss: gold {r[0]} pred {r[1]} ({r[3]}{', confident' if r[2] else ''}) {r[5][:40]}")
    if args.json:
        args.json.write_text(json.dumps(fig, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
