"""Leave-one-family-out evaluation of the segmenter backends.

A score on the issues a model was trained on, or a rule set was written against, says
little about a layout nobody has seen. So the corpus is grouped by layout family (the
gold's ``family``: city e-paper, PDF hard-wrap, OCR without blank lines …); for each
family the `crf` backend is trained on every other family and tested on this one, and
the `rules` backend (which trains on nothing) is scored on the same issues. The figure
to quote is the mean over families of exact-article F1.
"""

from __future__ import annotations

import tempfile
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from pipeline.document import Issue
from pipeline.evaluate import metrics as M
from pipeline.segmentation.gold import Fixture


@dataclass
class SegCounts:
    n_gold: int = 0
    n_pred: int = 0
    n_exact: int = 0
    n_headline: int = 0
    n_empty: int = 0
    misses: list[str] = field(default_factory=list)

    def add(self, other: SegCounts) -> None:
        self.n_gold += other.n_gold
        self.n_pred += other.n_pred
        self.n_exact += other.n_exact
        self.n_headline += other.n_headline
        self.n_empty += other.n_empty
        self.misses += other.misses

    def figures(self) -> dict[str, Any]:
        e = M.prf(self.n_exact, self.n_pred, self.n_gold)
        return {
            "issues_gold_articles": self.n_gold,
            "predicted": self.n_pred,
            "exact": self.n_exact,
            "precision": e["precision"],
            "recall": e["recall"],
            "f1": e["f1"],
            "headline_accuracy": M.ratio(self.n_headline, self.n_gold),
            "empty_text": self.n_empty,
        }


def score_issue(segment: Callable[[Issue], Issue], fx: Fixture) -> SegCounts:
    """Exact-article and headline counts of one labelled issue, on the segment stage's road
    (segment, join jumped parts, drop articles without body text), as `newspipe evaluate`."""
    from pipeline.continuations import link_continuations
    from pipeline.segmentation.assemble import drop_bodiless

    issue = Issue(issue_id=fx.name, source=fx.path or fx.name, text=fx.text.replace("\r\n", "\n"))
    issue = drop_bodiless(link_continuations(segment(issue)))
    golds = fx.gold.get("articles") or []
    preds = issue.articles
    matches = M.match_articles([p.text for p in preds], [g.get("text", "") for g in golds])
    c = SegCounts(n_gold=len(golds), n_pred=len(preds))
    c.n_empty = sum(1 for p in preds if not M.strip_ws(p.text))
    by_gold = {m.gold: m.pred for m in matches}
    for gi, g in enumerate(golds):
        pi = by_gold.get(gi)
        if pi is None:
            c.misses.append(f"{fx.name}#{gi} unmatched: {str(g.get('headline'))[:20]}")
            continue
        p = preds[pi]
        if M.strip_ws(p.text) == M.strip_ws(g.get("text")):
            c.n_exact += 1
        else:
            c.misses.append(f"{fx.name}#{gi} body differs: {str(g.get('headline'))[:20]}")
        if M.fields_equal(p.headline, g.get("headline")):
            c.n_headline += 1
    return c


def score(segment: Callable[[Issue], Issue], fixtures: Sequence[Fixture]) -> SegCounts:
    total = SegCounts()
    for fx in fixtures:
        total.add(score_issue(segment, fx))
    return total


def by_family(fixtures: Sequence[Fixture]) -> dict[str, list[Fixture]]:
    fams: dict[str, list[Fixture]] = defaultdict(list)
    for fx in fixtures:
        fams[fx.family].append(fx)
    return dict(sorted(fams.items()))


def leave_one_family_out(
    fixtures: Sequence[Fixture],
    *,
    backends: Sequence[str] = ("rules", "crf"),
    augment: Callable[[Sequence[Fixture]], list[Fixture]] | None = None,
    test_variants: Callable[[Fixture], list[Fixture]] | None = None,
    params: dict[str, Any] | None = None,
    rule_reading: bool = True,
    progress: Callable[[str], None] | None = None,
    jobs: int = 1,
) -> dict[str, Any]:
    """Per-family and mean exact P/R/F1 for each backend, each family unseen by the CRF.

    `jobs` > 1 runs that many folds at once in worker processes (each fold trains its own
    CRF; the folds share nothing), with the same figures as one at a time."""
    fams = by_family(fixtures)
    out: dict[str, Any] = {"families": {}, "mean_f1": {}, "pooled": {}}
    pooled = {b: SegCounts() for b in backends}
    fold = partial(
        _fold,
        fams=fams,
        backends=tuple(backends),
        augment=augment,
        test_variants=test_variants,
        params=params,
        rule_reading=rule_reading,
    )
    if jobs > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=jobs) as pool:
            results = {}
            for fam, res in zip(fams, pool.map(fold, list(fams)), strict=True):
                if progress:
                    progress(fam)
                results[fam] = res
    else:
        results = {}
        for fam in fams:
            if progress:
                progress(fam)
            results[fam] = fold(fam)
    for fam, (row, counts) in results.items():
        for b in backends:
            pooled[b].add(counts[b])
        out["families"][fam] = row
    for b in backends:
        f1s = [r[b]["f1"] or 0.0 for r in out["families"].values()]
        out["mean_f1"][b] = sum(f1s) / len(f1s) if f1s else None
        out["pooled"][b] = pooled[b].figures()
    return out


def _fold(
    fam: str,
    *,
    fams: dict[str, list[Fixture]],
    backends: tuple[str, ...],
    augment: Callable[[Sequence[Fixture]], list[Fixture]] | None,
    test_variants: Callable[[Fixture], list[Fixture]] | None,
    params: dict[str, Any] | None,
    rule_reading: bool,
) -> tuple[dict[str, Any], dict[str, SegCounts]]:
    """One family's row: the rules scored on it, the crf trained on every other family."""
    from pipeline.segmentation.crf import CrfSegmenter, train
    from pipeline.segmentation.segmenter import Segmenter

    tests = fams[fam]
    row: dict[str, Any] = {"issues": len(tests)}
    counts: dict[str, SegCounts] = {}
    test_set = list(tests)
    if test_variants is not None:
        test_set += [v for fx in tests for v in test_variants(fx)]
    for b in backends:
        if b == "rules":
            c = score(Segmenter().segment, test_set)
        else:
            train_set = [fx for f, fxs in fams.items() if f != fam for fx in fxs]
            if augment is not None:
                train_set = train_set + augment(train_set)
            with tempfile.TemporaryDirectory() as tmp:
                train(train_set, Path(tmp), params=params, rule_reading=rule_reading)
                seg = CrfSegmenter(Path(tmp))
                c = score(seg.segment, test_set)
        row[b] = c.figures()
        row[b + "_misses"] = c.misses[:20]
        counts[b] = c
    return row, counts


def format_lofo(result: dict[str, Any]) -> str:
    """The leave-one-family-out table: per family exact P/R/F1 for each backend, then means."""
    backends = list(result["mean_f1"])
    head = f"{'family':28s} {'issues':>6s} " + " ".join(f"{b + ' P/R/F1/head':>29s}" for b in backends)
    rows = [head, "-" * len(head)]
    for fam, row in result["families"].items():
        cells = []
        for b in backends:
            f = row[b]
            cells.append(
                f"{f['precision'] or 0:6.3f} {f['recall'] or 0:6.3f} {f['f1'] or 0:6.3f} "
                f"{f['headline_accuracy'] or 0:6.3f}"
            )
        rows.append(f"{fam:28s} {row['issues']:6d} " + " ".join(f"{c:>29s}" for c in cells))
    rows.append("-" * len(head))
    rows.append(
        f"{'mean F1 over families':35s} " + " ".join(f"{result['mean_f1'][b] or 0:>29.3f}" for b in backends)
    )
    rows.append(
        f"{'pooled exact F1':35s} " + " ".join(f"{result['pooled'][b]['f1'] or 0:>29.3f}" for b in backends)
    )
    rows.append(
        f"{'pooled headline accuracy':35s} "
        + " ".join(f"{result['pooled'][b]['headline_accuracy'] or 0:>29.3f}" for b in backends)
    )
    rows.append(
        "crf: trained on every other family (+ layout variants) for each row; rules: trained on nothing. "
        "head: share of gold articles whose headline came out exact."
    )
    return "\n".join(rows)
