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


def best_rate_cpu(fn: Callable[[], int], repeats: int) -> tuple[float, float]:
    """(items per second, CPU milliseconds per item), each the best of `repeats` runs. On a
    shared machine the CPU time (`time.process_time`) is the steadier figure: other
    processes stretch the wall clock, much less the time this one spends computing."""
    rates, cpu = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        n = fn()
        rates.append(n / (time.perf_counter() - t0))
        cpu.append((time.process_time() - c0) * 1000 / max(n, 1))
    return max(rates), min(cpu)


# ---- segment ---------------------------------------------------------------------------------
def bench_segment(args: argparse.Namespace) -> None:
    """Issues/s of decode + segmentation on one core, per backend, on the issues as printed and
    on hard-wrapped copies (every line cut every 22 characters, as PDF/OCR extraction gives
    them), against decode + line splitting alone."""
    pin_one_core()
    from pipeline.config import load_config
    from pipeline.document import Issue
    from pipeline.io.decode import decode_bytes
    from pipeline.segmentation.layout import split_page
    from pipeline.stages.segment import SegmentStage

    texts = sample_issue_texts()
    if args.sample_only:
        texts = texts[:1]

    def hard_wrap(data: bytes, width: int) -> bytes:
        out = []
        for line in data.decode("utf-8-sig", errors="replace").split("\n"):
            s = line.strip()
            out += [s[i : i + width] for i in range(0, len(s), width)] if len(s) > width else [line]
        return "\n".join(out).encode("utf-8")

    layouts = {"as printed": texts, f"hard-wrapped at {args.wrap}": [(n, hard_wrap(b, args.wrap)) for n, b in texts]}
    targets = {"as printed": 300.0, f"hard-wrapped at {args.wrap}": 100.0}
    backends = [args.backend] if args.backend else ["crf", "rules"]
    print(f"issues: {len(texts)} distinct; {args.issues} per run, best of {args.repeats}; one core")
    for layout, items in layouts.items():
        corpus = [items[i % len(items)] for i in range(args.issues)]

        def floor(corpus=corpus) -> int:
            for name, data in corpus:
                split_page(decode_bytes(data, name)[0])
            return len(corpus)

        base, base_cpu = best_rate_cpu(floor, args.repeats)
        print(f"[{layout}] baseline decode+split lines: {base:9.1f} issues/s ({base_cpu:.2f} ms CPU per issue)")
        for backend in backends:
            stage = SegmentStage(load_config(None, [f"segmenter.backend={backend}"], ["segment"]))

            def full(corpus=corpus, stage=stage) -> int:
                for name, data in corpus:
                    text, enc = decode_bytes(data, name)
                    stage.process(Issue(name, name, text, enc))
                return len(corpus)

            rate, cpu = best_rate_cpu(full, args.repeats)
            target = targets[layout]
            verdict = "PASS" if rate >= target else "FAIL"
            print(
                f"[{layout}] {backend:5s} decode+segment: {rate:9.1f} issues/s "
                f"({base / rate:.1f}x the I/O floor; target {target:.0f}: {rate / target:.2f}x -> {verdict}); "
                f"{cpu:.2f} ms CPU per issue, {cpu / base_cpu:.1f}x the floor's"
            )
        print(f"[{layout}] load average: {os.getloadavg()[0]:.2f} (wall-clock rates are only meaningful near 0)")


SUBCOMMANDS: dict[str, tuple[Callable[[argparse.Namespace], None], Callable[[argparse.ArgumentParser], None]]] = {}


def _segment_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--issues", type=int, default=300)
    p.add_argument("--backend", choices=["crf", "rules"], help="one backend (default: both)")
    p.add_argument("--wrap", type=int, default=22, help="width of the hard-wrapped copies")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--sample-only", action="store_true", help="only the shared sample issue")


SUBCOMMANDS["segment"] = (bench_segment, _segment_args)


# ---- summarize -------------------------------------------------------------------------------
def bench_summarize(args: argparse.Namespace) -> None:
    """Articles/s of the batched summarizer against a per-article generate() loop, same model."""
    from pipeline.summarize.benchmark import run

    run(args)


def _summarize_args(p: argparse.ArgumentParser) -> None:
    from pipeline.summarize.benchmark import add_arguments

    add_arguments(p)


SUBCOMMANDS["summarize"] = (bench_summarize, _summarize_args)


# ---- classify --------------------------------------------------------------------------------
def bench_classify(args: argparse.Namespace) -> None:
    """Articles/s of topic classification of segmented articles on one core: the default backend
    (lexicon, backoff where the lexicon is not sure) against the pure-Python jieba baseline."""
    pin_one_core()
    import dataclasses

    from pipeline.classify.lexicon import LexiconClassifier
    from pipeline.classify.text import Tokenizer, article_zones
    from pipeline.document import Issue
    from pipeline.evaluate.gold import gold_records, record_article
    from pipeline.io.decode import decode_bytes
    from pipeline.segmentation.segmenter import Segmenter
    from pipeline.stages.classify import ClassifierSection

    # articles: segmented from every sample issue (not timed), plus fixture gold articles
    seg = Segmenter()
    arts = []
    for name, data in sample_issue_texts():
        text, enc = decode_bytes(data, name)
        arts += seg.segment(Issue(name, name, text, enc)).articles
    golds = [REPO / "tests" / "fixtures", REPO.parent / "shared" / "fixtures"]
    arts += [record_article(r) for r in gold_records([g for g in golds if g.is_dir()])]
    if not arts:
        sys.exit("bench classify: no articles found (tests/fixtures, ../shared/fixtures, examples)")
    corpus = [arts[i % len(arts)] for i in range(args.articles)]
    chars = statistics.mean(len(article_zones(a).full) for a in arts)

    cfg = ClassifierSection()
    fast = LexiconClassifier(cfg)
    slow = LexiconClassifier(cfg.model_copy(update={"tokenizer": "jieba"}))
    # same words: rjieba and jieba, with the same lexicon additions, on every distinct zone
    zones = [z for a in arts for z in dataclasses.astuple(article_zones(a)) if z]
    same = sum(fast.tokenizer.cut(z) == slow.tokenizer.cut(z) for z in zones)
    agree = sum(fast.classify(a).topic == slow.classify(a).topic for a in arts)

    def run(clf) -> Callable[[], int]:
        def fn() -> int:
            for a in corpus:
                clf.classify(a)
            return len(corpus)

        return fn

    def tok_only(tok: Tokenizer) -> Callable[[], int]:
        def fn() -> int:
            for a in corpus:
                z = article_zones(a)
                tok.cut(z.headline), tok.cut(z.lead), tok.cut(z.body)
            return len(corpus)

        return fn

    n_slow = min(len(corpus), args.baseline_articles)
    corpus_slow = corpus[:n_slow]

    def run_slow() -> int:
        for a in corpus_slow:
            slow.classify(a)
        return len(corpus_slow)

    rate = best_rate(run(fast), args.repeats)
    tok_rate = best_rate(tok_only(fast.tokenizer), args.repeats)
    base = best_rate(run_slow, max(1, args.repeats - 1))
    lex_only = LexiconClassifier(cfg.model_copy(update={"backoff": None}))
    lex_rate = best_rate(run(lex_only), args.repeats)
    backed = sum(fast.classify(a).path == "backoff" or _ran_backoff(fast, a) for a in arts)
    print(f"articles: {len(arts)} distinct, mean {chars:.0f} chars; {len(corpus)} per run, best of {args.repeats}")
    print(f"tokenizers agree on {same}/{len(zones)} zones; topics agree on {agree}/{len(arts)} articles")
    print(f"baseline lexicon + jieba (pure Python): {base:9.1f} articles/s  ({n_slow} per run)")
    print(f"rjieba segmentation alone:              {tok_rate:9.1f} articles/s")
    print(f"lexicon alone (classifier.backoff null): {lex_rate:8.1f} articles/s")
    print(
        f"default (lexicon + rjieba + backoff):   {rate:9.1f} articles/s  ({rate / base:.1f}x the jieba baseline; "
        f"backoff computed for {backed}/{len(arts)} articles)"
    )
    if args.model_path:
        from pipeline.classify.linear import LinearClassifier

        lin = LinearClassifier.load(args.model_path, cfg)
        lrate = best_rate(run(lin), args.repeats)
        print(f"linear model + rjieba ({args.model_path}): {lrate:9.1f} articles/s")
    print(
        f"target 5000 articles/s on one core: {rate / 5000:.2f}x the target -> {'PASS' if rate >= 5000 else 'FAIL'}"
    )


def _ran_backoff(clf, article) -> bool:
    """Whether the default classifier needed its backoff model for this article (lexicon not sure)."""
    import numpy as np

    from pipeline.classify.backoff import lexicon_distribution
    from pipeline.classify.lexicon import softmax_max
    from pipeline.classify.text import article_zones

    pos, _ = clf.evidence_scores(article_zones(article, clf.cfg.lead_min_chars))
    lp = np.log(lexicon_distribution(np.array(pos), clf.cfg.prior, None))
    return softmax_max(clf.cal.lex_temp * lp) < clf.cal.gate


def _classify_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--articles", type=int, default=5000, help="articles per timed run")
    p.add_argument("--baseline-articles", type=int, default=1000, help="articles per run of the slow baseline")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--model-path", help="also time a linear model directory")


SUBCOMMANDS["classify"] = (bench_classify, _classify_args)


# ---- batch -----------------------------------------------------------------------------------
def _tree_rss_kb(pid: int) -> int:
    """Resident memory of a process and all its descendants (Linux /proc), in kB."""
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        try:
            with open(f"/proc/{p}/status", encoding="ascii") as fh:
                total += next((int(line.split()[1]) for line in fh if line.startswith("VmRSS:")), 0)
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children", encoding="ascii") as fh:
                    stack += [int(c) for c in fh.read().split()]
        except (OSError, ValueError):
            continue
    return total


def _children_cpu() -> float:
    import resource

    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _timed_run(cmd: list[str]) -> tuple[float, int, str]:
    """Wall seconds, peak summed RSS of the process tree (kB), and stderr of one command."""
    import subprocess
    import threading

    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = [0]

    def sample() -> None:
        while proc.poll() is None:
            peak[0] = max(peak[0], _tree_rss_kb(proc.pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = proc.communicate()
    wall = time.perf_counter() - t0
    sampler.join()
    if proc.returncode not in (0, 1):
        raise SystemExit(f"batch run failed ({proc.returncode}): {err.strip()[-500:]}")
    return wall, peak[0], err


def bench_batch(args: argparse.Namespace) -> None:
    """Issues/s of `newspipe run` over generated issues: --workers 2 against --workers 1
    (or, with --engine ray, the Ray engine against the local one)."""
    import hashlib
    import resource
    import shutil
    import tempfile

    stages = args.stages or "segment,classify"
    texts = sample_issue_texts()
    if args.sample_only:
        texts = texts[:1]  # the shared sample when present: issues exactly the sample's size
    tmp = Path(tempfile.mkdtemp(prefix="newspipe-bench-batch-"))
    try:
        src = tmp / "issues"
        src.mkdir()
        for i in range(args.issues):
            name, data = texts[i % len(texts)]
            (src / f"issue_{i:05d}.txt").write_bytes(data)
        if args.pack != "dir":  # the same issues as members of one archive, read in place
            src = _pack(src, tmp / f"issues.{args.pack}")
        mean_kb = statistics.mean(len(d) for _, d in texts) / 1000
        print(
            f"{args.issues} issues ({args.pack}) from {len(texts)} sample texts (mean {mean_kb:.1f} kB), "
            f"stages {stages}, "
            f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start"
        )
        if args.engine == "ray":
            _bench_batch_ray(args, src, tmp, stages)
            return
        rates: dict[int, list[float]] = {w: [] for w in args.workers}
        peaks: dict[int, int] = {w: 0 for w in args.workers}
        outputs: dict[int, str] = {}  # sha256 of each output (kept small: getrusage counts this script)
        for rep in range(args.repeats):
            for w in args.workers:
                out = tmp / f"out_w{w}" / "records.jsonl"
                cmd = [sys.executable, "-m", "pipeline", "run", str(src), "-o", str(out), "--stages", stages,
                       "--workers", str(w), "--no-progress", "--overwrite"]  # fmt: skip
                cpu0, load = _children_cpu(), os.getloadavg()[0]
                wall, peak_kb, err = _timed_run(cmd)
                cpu = _children_cpu() - cpu0
                rate = args.issues / wall
                rates[w].append(rate)
                peaks[w] = max(peaks[w], peak_kb)
                outputs[w] = hashlib.sha256(out.read_bytes()).hexdigest()
                summary = err.strip().splitlines()[-1] if err.strip() else ""
                print(
                    f"  run {rep + 1} --workers {w}: {wall:6.2f}s wall, {rate:7.1f} issues/s, {cpu:5.2f}s CPU "
                    f"(all processes), load before {load:.2f}  [{summary}]"
                )
        best = {w: max(r) for w, r in rates.items()}
        for w in args.workers:
            print(f"--workers {w}: {best[w]:7.1f} issues/s (best of {args.repeats}, wall clock incl. start-up), "
                  f"peak memory {peaks[w] / 1024:.0f} MiB (all processes together)")  # fmt: skip
        kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(
            f"getrusage peak RSS: largest child process {kids / 1024:.0f} MiB, this script {own / 1024:.0f} MiB, "
            f"together {(kids + own) / 1024:.0f} MiB"
        )
        if len(args.workers) >= 2:
            lo, hi = min(args.workers), max(args.workers)
            ratio = best[hi] / best[lo]
            same = outputs[lo] == outputs[hi]
            print(f"speed-up --workers {hi} / --workers {lo}: {ratio:.2f}x (target >= 1.7x) -> "
                  f"{'PASS' if ratio >= 1.7 else 'FAIL'}; outputs byte-identical: {'yes' if same else 'NO'}")  # fmt: skip
        print(f"throughput target >= 200 issues/s: {max(best.values()):.1f} -> "
              f"{'PASS' if max(best.values()) >= 200 else 'FAIL'}")  # fmt: skip
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _pack(src: Path, dest: Path) -> Path:
    """The files of `src` as members `issues/NAME` of one zip or tar.gz archive `dest`."""
    import tarfile
    import zipfile

    files = sorted(src.iterdir())
    if dest.suffix == ".zip":
        with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for f in files:
                zf.write(f, f"issues/{f.name}")
    else:
        with tarfile.open(dest, "w:gz") as tf:
            for f in files:
                tf.add(f, f"issues/{f.name}")
    return dest


def _bench_batch_ray(args: argparse.Namespace, src: Path, tmp: Path, stages: str) -> None:
    """The Ray engine against the local engine (--workers = this machine's CPUs), runs interleaved
    on the same inputs. A Ray instance with as many CPUs is started once here (its start-up timed
    apart, as a cluster is started once for many runs); each `--engine ray` run joins it, so its
    wall time holds what every run pays (connecting, the job's worker processes, Ray Data) and no
    cluster start. One more run starts its own local instance, for the whole cost of a one-off run."""
    import hashlib
    import re

    import ray

    cpus = os.cpu_count() or 1
    t0 = time.perf_counter()
    info = ray.init(address="local", num_cpus=cpus, include_dashboard=False, log_to_driver=False)
    startup = time.perf_counter() - t0
    address = info.address_info["gcs_address"]
    print(f"Ray instance started in {startup:.1f}s ({cpus} CPUs), load average {os.getloadavg()[0]:.2f}")
    base = [sys.executable, "-m", "pipeline", "run", str(src), "--stages", stages, "--no-progress", "--overwrite"]
    runs = {
        "local": ["--workers", str(cpus)],
        "ray": ["--engine", "ray", "--address", address],
    }
    walls: dict[str, list[float]] = {k: [] for k in runs}
    digests: dict[str, str] = {}
    try:
        for rep in range(args.repeats):
            for name, extra in runs.items():
                out = tmp / f"out_{name}" / "records.jsonl"
                load = os.getloadavg()[0]
                wall, peak_kb, err = _timed_run([*base, "-o", str(out), *extra])
                walls[name].append(wall)
                digests[name] = hashlib.sha256(out.read_bytes()).hexdigest()
                summary = err.strip().splitlines()[-1] if err.strip() else ""
                print(f"  run {rep + 1} {name:5s}: {wall:6.2f}s wall, {args.issues / wall:7.1f} issues/s, "
                      f"driver tree peak memory {peak_kb / 1024:.0f} MiB, load before {load:.2f}  [{summary}]")  # fmt: skip
    finally:
        ray.shutdown()
    out = tmp / "out_ray_own" / "records.jsonl"
    own, _, err = _timed_run([*base, "-o", str(out), "--engine", "ray"])
    started = re.search(r"started a local Ray instance in ([0-9.]+)s", err)
    best = {k: min(v) for k, v in walls.items()}
    ratio = best["ray"] / best["local"]
    print(f"local engine --workers {cpus}: {best['local']:6.2f}s ({args.issues / best['local']:.1f} issues/s), "
          f"best of {args.repeats}")  # fmt: skip
    print(f"ray engine on a running instance: {best['ray']:6.2f}s ({args.issues / best['ray']:.1f} issues/s), "
          f"best of {args.repeats}")  # fmt: skip
    inside = f", of which starting the instance {started.group(1)}s" if started else ""
    print(f"ray start-up: {startup:.1f}s to start the instance here; a run that starts its own: {own:.2f}s "
          f"({own - best['ray']:+.1f}s against joining a running one{inside})")  # fmt: skip
    print(f"overhead ray / local (wall, start-up excluded): {ratio:.2f}x (target <= 2x) -> "
          f"{'PASS' if ratio <= 2 else 'FAIL'}; outputs byte-identical: {'yes' if digests['ray'] == digests['local'] else 'NO'}")  # fmt: skip


def _batch_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--issues", type=int, default=2000)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    p.add_argument("--stages", default=None, help="default: segment,classify (segment when classify is absent)")
    p.add_argument("--sample-only", action="store_true", help="only the shared sample issue (sample-sized issues)")
    p.add_argument("--pack", choices=["dir", "zip", "tar.gz"], default="dir",
                   help="the issues as a directory of files (default) or as members of one archive")  # fmt: skip
    p.add_argument("--engine", choices=["local", "ray"], default="local",
                   help="ray: the Ray engine against the local engine, start-up timed apart")  # fmt: skip


SUBCOMMANDS["batch"] = (bench_batch, _batch_args)


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
