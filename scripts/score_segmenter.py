#!/usr/bin/env python3
"""Score the segmenter backends on labelled issues, as printed and hard-wrapped.

The figure for a labelled set nobody tuned against (a held-out set at first contact):
exact-article precision / recall / F1, headline accuracy and empty-text count per layout
family and in total, for the rules backend and the crf backend (the shipped model, or
`--model DIR`), on the issues as printed and on copies with every line cut every
`--wrap` characters (what PDF/OCR extraction gives).

    python scripts/score_segmenter.py data/heldout/segmentation2
    python scripts/score_segmenter.py DIR --model MY_MODEL --json report.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipeline.segmentation import SHIPPED_MODEL, shipped_path  # noqa: E402
from pipeline.segmentation.augment import hard_wrapped  # noqa: E402
from pipeline.segmentation.crf import CrfSegmenter  # noqa: E402
from pipeline.segmentation.crossval import SegCounts, by_family, score  # noqa: E402
from pipeline.segmentation.gold import load_fixtures  # noqa: E402
from pipeline.segmentation.segmenter import Segmenter  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dirs", nargs="+", type=Path, help="directories of labelled issues")
    ap.add_argument("--model", type=Path, default=None, help="crf model directory (default: the shipped one)")
    ap.add_argument("--wrap", type=int, default=22, help="width of the hard-wrapped copies (0: skip them)")
    ap.add_argument("--json", type=Path, default=None, help="write every figure and miss here")
    args = ap.parse_args()
    fixtures = load_fixtures(*args.dirs)
    if not fixtures:
        print(f"no labelled issues (NAME.txt + NAME.gold.json) under {', '.join(map(str, args.dirs))}")
        return 2
    model = args.model or shipped_path(SHIPPED_MODEL)
    backends = {
        "rules": Segmenter().segment,
        "crf": CrfSegmenter(model, name=str(args.model or SHIPPED_MODEL)).segment,
    }
    layouts = {"as printed": lambda fx: fx}
    if args.wrap:
        layouts[f"hard-wrapped at {args.wrap}"] = lambda fx: hard_wrapped(fx, args.wrap)
    report: dict = {}
    fams = by_family(fixtures)
    for layout, transform in layouts.items():
        print(f"\n== {layout}: {len(fixtures)} issues, {len(fams)} families")
        print(f"{'family':24s} {'issues':>6s} " + " ".join(f"{b + ' P/R/F1/head':>30s}" for b in backends))
        totals = {b: SegCounts() for b in backends}
        rows: dict = {}
        for fam, fxs in fams.items():
            cells, rows[fam] = [], {}
            for b, seg in backends.items():
                c = score(seg, [transform(fx) for fx in fxs])
                totals[b].add(c)
                f = c.figures()
                rows[fam][b] = f | {"misses": c.misses}
                cells.append(
                    f"{f['precision'] or 0:.3f} {f['recall'] or 0:.3f} {f['f1'] or 0:.3f} {f['headline_accuracy'] or 0:.3f}"
                )
            print(f"{fam:24s} {len(fxs):6d} " + " ".join(f"{c:>30s}" for c in cells))
        cells = []
        for b in backends:
            f = totals[b].figures()
            cells.append(
                f"{f['precision'] or 0:.3f} {f['recall'] or 0:.3f} {f['f1'] or 0:.3f} {f['headline_accuracy'] or 0:.3f}"
            )
        print(f"{'all':24s} {len(fixtures):6d} " + " ".join(f"{c:>30s}" for c in cells))
        print("empty texts: " + ", ".join(f"{b} {totals[b].n_empty}" for b in backends))
        report[layout] = {"families": rows, "total": {b: totals[b].figures() for b in backends}}
    if args.json:
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
