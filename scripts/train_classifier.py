#!/usr/bin/env python
"""Train the `linear` topic classifier on labelled JSONL and write a model directory.

Input records (one JSON object per line): `text` (body, paragraphs joined by newlines),
`headline` (may be null), `topic`; optional `kicker`, `subheadline`, `column`, `captions`,
`issue_id` (used to hold out whole issues). Fixture gold can be exported to that format:

    python scripts/train_classifier.py --from-fixtures tests/fixtures --export data/fixtures.jsonl
    python scripts/train_classifier.py --data data/fixtures.jsonl --out models/linear-fixtures
    python scripts/train_classifier.py --from-fixtures tests/fixtures --out models/linear-fixtures

The data is loaded with `datasets` (`load_dataset("json", ...)`). Whole issues are held out
for evaluation (`--test-size`); the card reports held-out accuracy, macro-F1 and the
confusion matrix of a model fitted on the rest, then (unless --no-refit) the shipped model is
refitted on all data. Use it with `--set classifier.backend=linear --set classifier.model_path=DIR`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # runnable from a checkout without installing
    sys.path.insert(0, str(ROOT))

from pipeline.classify.evaluate import format_confusion, gold_records, metrics  # noqa: E402
from pipeline.classify.linear import FeatureSpec, LinearModel, Vectorizer, featurize  # noqa: E402
from pipeline.classify.text import Tokenizer, zones_from_record  # noqa: E402


def export_fixtures(dirs: list[str], out: Path) -> int:
    recs = gold_records(dirs)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as fh:
        for r in recs:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    return len(recs)


def load_records(files: list[str]) -> list[dict]:
    from datasets import load_dataset

    with tempfile.TemporaryDirectory() as cache:
        ds = load_dataset("json", data_files=files, split="train", cache_dir=cache, keep_in_memory=True)
        missing = {"text", "topic"} - set(ds.column_names)
        if missing:
            raise SystemExit(
                f"train_classifier: data lacks column(s) {sorted(missing)}; need text, headline, topic"
            )
        recs = [dict(r) for r in ds]
    for i, r in enumerate(recs):
        r.setdefault("headline", None)
        r["issue_id"] = r.get("issue_id") or f"record{i}"
        if not r.get("topic"):
            raise SystemExit(f"train_classifier: record {i} has no topic")
    return recs


def split_by_issue(recs: list[dict], test_size: float, seed: int) -> tuple[list[int], list[int]]:
    """Hold out whole issues (about test_size of the articles); fall back to records."""
    rng = random.Random(seed)
    issues = sorted({r["issue_id"] for r in recs})
    if len(issues) < 3:
        idx = list(range(len(recs)))
        rng.shuffle(idx)
        n_test = max(1, round(test_size * len(idx)))
        return sorted(idx[n_test:]), sorted(idx[:n_test])
    rng.shuffle(issues)
    target = test_size * len(recs)
    test_issues: set[str] = set()
    n = 0
    for iss in issues:
        if n >= target:
            break
        test_issues.add(iss)
        n += sum(r["issue_id"] == iss for r in recs)
    train = [i for i, r in enumerate(recs) if r["issue_id"] not in test_issues]
    test = [i for i, r in enumerate(recs) if r["issue_id"] in test_issues]
    return train, test


def fit(feats: list[Counter], y: list[str], labels: list[str], args, spec: FeatureSpec) -> LinearModel:
    from sklearn.linear_model import LogisticRegression

    vec = Vectorizer.fit(feats, min_df=args.min_df, max_features=args.max_features)
    X = vec.transform(feats)
    clf = LogisticRegression(C=args.C, max_iter=5000, class_weight="balanced")
    clf.fit(X, y)
    order = [list(clf.classes_).index(lab) for lab in labels]
    model = LinearModel(labels, spec, vec, clf.coef_[order], clf.intercept_[order])
    # the exported numpy path must reproduce scikit-learn's probabilities
    ref = clf.predict_proba(X)[:, order]
    ours = np.array([_proba(model, f) for f in feats])
    assert np.allclose(ref, ours, atol=1e-6), float(np.abs(ref - ours).max())
    return model


def _proba(model: LinearModel, feats: Counter) -> np.ndarray:
    from pipeline.classify.linear import softmax

    ind, val = model.vectorizer.transform_one(feats)
    return softmax(model.decision(ind, val))


def card(out: Path, info: dict) -> None:
    m = info.get("heldout")
    lines = [
        f"# {out.name}: newspipe linear topic classifier",
        "",
        "Logistic regression (scikit-learn, multinomial, class_weight=balanced) over rjieba word",
        "TF-IDF features (all zones, plus headline words again) and CJK character n-grams.",
        "Stored as `model.json` (labels, feature settings, vocabulary) + `weights.safetensors`",
        "(coef, intercept, idf): loading never unpickles anything.",
        "",
        "## Data",
        f"- sources: {', '.join(info['sources'])}",
        f"- sha256 of the training records: `{info['data_sha256']}`",
        f"- articles: {info['n']} from {info['issues']} issues; per label: {info['label_counts']}",
        f"- trained: {info['trained_at']}; C={info['C']}, min_df={info['min_df']}, features={info['features']}",
        "",
        "## Labels",
        "",
        ", ".join(info["labels"]),
        "",
        "## Held-out evaluation",
    ]
    if m:
        lines += [
            f"Whole issues held out (seed {info['seed']}, test size {info['test_size']}): "
            f"{', '.join(info['test_issues'])}.",
            f"Fitted on {m['n_train']} articles, evaluated on {m['n']}:",
            "",
            f"- accuracy **{m['accuracy']:.3f}**, macro-F1 {m['macro_f1']:.3f}",
        ]
        if "lexicon_accuracy" in m:
            lines.append(
                f"- the default lexicon backend on the same held-out articles: accuracy {m['lexicon_accuracy']:.3f}"
            )
        lines += ["", "```", format_confusion(m["confusion"], info["labels"]), "```", ""]
        lines.append(
            "The shipped weights were refitted on all articles after this evaluation."
            if info["refit"]
            else "The shipped weights are the ones evaluated here (fitted without the held-out issues)."
        )
    else:
        lines.append("No held-out split (--test-size 0): no metrics.")
    lines += [
        "",
        "## Limits",
        "- Trained on a few dozen articles: it learns the fixtures' vocabulary and is no substitute",
        "  for the lexicon on unseen issues until it is trained on a larger labelled set.",
        "- Labels are fixed at training time; renaming works through `classifier.labels.NEW.replaces`.",
        "",
    ]
    (out / "README.md").write_text("\n".join(lines), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", nargs="*", default=[], help="labelled JSONL files (text, headline, topic)")
    ap.add_argument(
        "--from-fixtures", nargs="*", default=[], metavar="DIR", help="fixture dirs of *.gold.json"
    )
    ap.add_argument("--export", type=Path, help="write the fixtures' records to this JSONL")
    ap.add_argument("--out", type=Path, help="model directory to write (default models/linear)")
    ap.add_argument("--test-size", type=float, default=0.25, help="share of articles held out, by issue")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--C", type=float, default=10.0, help="inverse regularisation strength")
    ap.add_argument("--min-df", type=int, default=2)
    ap.add_argument("--max-features", type=int, default=50000)
    ap.add_argument("--char-ngrams", default="2,3", help="min,max CJK character n-gram (0,0 = none)")
    ap.add_argument(
        "--no-refit", action="store_true", help="ship the model fitted without the held-out issues"
    )
    ap.add_argument("--no-lexicon-baseline", action="store_true", help="skip the lexicon comparison")
    args = ap.parse_args(argv)

    files = list(args.data)
    tmp = None
    if args.from_fixtures:
        if args.export:
            n = export_fixtures(args.from_fixtures, args.export)
            print(f"exported {n} articles to {args.export}")
            if not args.out and not args.data:
                return 0
            files.append(str(args.export))
        else:
            tmp = tempfile.TemporaryDirectory()
            p = Path(tmp.name) / "fixtures.jsonl"
            export_fixtures(args.from_fixtures, p)
            files.append(str(p))
    if not files:
        ap.error("give --data FILE(s) or --from-fixtures DIR(s)")
    out = args.out or ROOT / "models" / "linear"
    t0 = time.perf_counter()
    recs = load_records(files)
    blob = "\n".join(json.dumps(r, ensure_ascii=False, sort_keys=True, default=str) for r in recs)
    labels = sorted({r["topic"] for r in recs})
    if len(labels) < 2:
        raise SystemExit(f"train_classifier: need at least two labels, got {labels}")
    lo, hi = (int(x) for x in args.char_ngrams.split(","))
    spec = FeatureSpec(char_ngram_min=lo, char_ngram_max=hi)
    tok = Tokenizer(spec.tokenizer)
    zones = [zones_from_record(r) for r in recs]
    feats = [featurize(z, tok, spec) for z in zones]
    y = [r["topic"] for r in recs]

    info: dict = {
        "sources": [str(Path(f).name) if tmp and f.startswith(tmp.name) else str(f) for f in files],
        "data_sha256": hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16],
        "n": len(recs),
        "issues": len({r["issue_id"] for r in recs}),
        "label_counts": dict(sorted(Counter(y).items())),
        "labels": labels,
        "trained_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "C": args.C,
        "min_df": args.min_df,
        "seed": args.seed,
        "test_size": args.test_size,
        "refit": not args.no_refit,
    }
    model = None
    if args.test_size > 0:
        tr, te = split_by_issue(recs, args.test_size, args.seed)
        if len({y[i] for i in tr}) < 2:
            raise SystemExit(
                "train_classifier: the training split has fewer than two labels; lower --test-size"
            )
        model = fit([feats[i] for i in tr], [y[i] for i in tr], labels, args, spec)
        pred = [labels[int(np.argmax(_proba(model, feats[i])))] for i in te]
        m = metrics([y[i] for i in te], pred, labels)
        m["n_train"] = len(tr)
        info["test_issues"] = sorted({recs[i]["issue_id"] for i in te})
        if not args.no_lexicon_baseline:
            from pipeline.classify.lexicon import LexiconClassifier
            from pipeline.config import ClassifierSection

            lex = LexiconClassifier(ClassifierSection())
            if set(lex.labels) >= set(labels):
                lp = [lex.classify_zones(zones[i]).topic for i in te]
                m["lexicon_accuracy"] = sum(
                    a == b for a, b in zip(lp, [y[i] for i in te], strict=True)
                ) / len(te)
        info["heldout"] = m
        print(
            f"held-out ({len(te)} articles, issues {', '.join(info['test_issues'])}): "
            f"accuracy {m['accuracy']:.3f}, macro-F1 {m['macro_f1']:.3f}"
            + (f" (lexicon {m['lexicon_accuracy']:.3f})" if "lexicon_accuracy" in m else "")
        )
        print(format_confusion(m["confusion"], labels))
    if model is None or not args.no_refit:
        model = fit(feats, y, labels, args, spec)
    info["features"] = len(model.vectorizer.vocabulary)
    model.meta = {
        "trained_at": info["trained_at"],
        "data_sha256": info["data_sha256"],
        "n": info["n"],
        "heldout_accuracy": info.get("heldout", {}).get("accuracy"),
    }
    model.save(out)
    card(out, info)
    print(f"wrote {out} ({info['features']} features, {time.perf_counter() - t0:.1f}s)")
    if tmp:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
