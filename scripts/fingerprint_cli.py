"""The command line the fingerprint scripts share: write a fingerprint, or compare two.

A fingerprint is a JSON object {run key: {field: value}} of everything a component outputs
over a fixed set of inputs; a speed-up that keeps the outputs leaves it identical.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any


def compare(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """One line per run that is missing on one side or differs (naming the fields)."""
    diffs = [f"only in first: {k}" for k in a.keys() - b.keys()]
    diffs += [f"only in second: {k}" for k in b.keys() - a.keys()]
    for k in sorted(a.keys() & b.keys()):
        if a[k] != b[k]:
            what = [f for f in a[k].keys() | b[k].keys() if a[k].get(f) != b[k].get(f)]
            diffs.append(f"{k}: {', '.join(sorted(what))} differ")
    return diffs


def main(
    description: str, fingerprint: Callable[[], dict[str, Any]], summary: Callable[[dict[str, Any]], str]
) -> int:
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("out", nargs="?", help="write the fingerprint JSON here")
    ap.add_argument("--compare", nargs=2, metavar=("A", "B"), help="compare two fingerprint files")
    args = ap.parse_args()
    if args.compare:
        a, b = (json.loads(Path(p).read_text(encoding="utf-8")) for p in args.compare)
        diffs = compare(a, b)
        print("\n".join(diffs[:50]) or f"identical: {len(a)} runs")
        return 1 if diffs else 0
    if not args.out:
        ap.error("give OUT.json or --compare A B")
    fp = fingerprint()
    Path(args.out).write_text(json.dumps(fp, ensure_ascii=False, indent=0, sort_keys=True), encoding="utf-8")
    print(f"{summary(fp)} -> {args.out}")
    return 0
