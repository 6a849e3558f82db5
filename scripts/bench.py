#!/usr/bin/env python
"""The project's one benchmark entry point: `python scripts/bench.py STAGE [options]`.

Each subcommand measures one stage and prints absolute throughput plus a ratio against a
baseline run in the same process, so figures from different machines stay comparable.
Targets come from the issues; nothing here is a timed unit test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def pin_one_core() -> None:
    """Measure single-core throughput: one CPU, one BLAS/torch thread."""
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    if hasattr(os, "sched_setaffinity"):
        try:
            os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
        except OSError:
            pass


def sample_issue_texts() -> list[tuple[str, bytes]]:
    """Issue texts to measure on: the shared sample if present, our fixtures and example."""
    paths = []
    shared = REPO.parent / "shared" / "fixtures" / "zhuzhou_daily_sample.txt"
    if shared.exists():
        paths.append(shared)
    paths += sorted((REPO / "tests" / "fixtures").glob("*.txt"))
    paths += sorted((REPO / "examples").glob("*.txt"))
    return [(p.name, p.read_bytes()) for p in paths]


def best_rate(fn: Callable[[], int], repeats: int) -> float:
    """Items per second of the best of `repeats` runs (least disturbed by the machine)."""
    rates = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        n = fn()
        rates.append(n / (time.perf_counter() - t0))
    return max(rates)


# ---- segment ---------------------------------------------------------------------------------
def bench_segment(args: argparse.Namespace) -> None:
    """Issues/s of decode + segmentation on one core, against decode + line splitting alone."""
    pin_one_core()
    from pipeline.document import Issue
    from pipeline.io.decode import decode_bytes
    from pipeline.segmentation.segmenter import Segmenter, split_lines

    texts = sample_issue_texts()
    if args.sample_only:
        texts = texts[:1]
    seg = Segmenter()
    corpus = [texts[i % len(texts)] for i in range(args.issues)]
    sizes = [len(decode_bytes(b, n)[0]) for n, b in texts]

    def floor() -> int:
        for name, data in corpus:
            split_lines(decode_bytes(data, name)[0])
        return len(corpus)

    def full() -> int:
        for name, data in corpus:
            text, enc = decode_bytes(data, name)
            seg.segment(Issue(name, name, text, enc))
        return len(corpus)

    base = best_rate(floor, args.repeats)
    rate = best_rate(full, args.repeats)
    print(f"issues: {len(texts)} distinct, mean {statistics.mean(sizes):.0f} chars; {args.issues} per run, best of {args.repeats}")
    print(f"baseline decode+split lines: {base:9.1f} issues/s")
    print(f"decode+segment:              {rate:9.1f} issues/s  (segmentation costs {base / rate:.1f}x the I/O floor)")
    print(f"target 200 issues/s on one core: {rate / 200:.2f}x the target -> {'PASS' if rate >= 200 else 'FAIL'}")


SUBCOMMANDS: dict[str, tuple[Callable[[argparse.Namespace], None], Callable[[argparse.ArgumentParser], None]]] = {}


def _segment_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--issues", type=int, default=500)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--sample-only", action="store_true", help="only the shared sample issue")


SUBCOMMANDS["segment"] = (bench_segment, _segment_args)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (fn, add_args) in SUBCOMMANDS.items():
        p = sub.add_parser(name, help=(fn.__doc__ or "").splitlines()[0])
        add_args(p)
        p.set_defaults(func=fn)
    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
