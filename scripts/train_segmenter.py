#!/usr/bin/env python3
"""Build the shipped segmenter model (pipeline/models/segmenter) and its card.

Trains the crf backend on the shipped corpus (pipeline/corpus/segmentation, 29 layout
families) plus the project's fixtures (tests/fixtures, the seed's conventions), with layout
variants, and records in the card what it was trained on and the leave-one-family-out
figures of both backends on the corpus (each family unseen by the crf it is scored with).

    python scripts/train_segmenter.py --jobs 2   # retrain + cross-validate (about 8 minutes on 2 cores)
    python scripts/train_segmenter.py --no-cv    # retrain only, keep the card's figures
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipeline.segmentation import SHIPPED_CORPUS, SHIPPED_MODEL, shipped_path  # noqa: E402
from pipeline.segmentation.augment import augment  # noqa: E402
from pipeline.segmentation.crf import CARD_FILE, train  # noqa: E402
from pipeline.segmentation.crossval import format_lofo, leave_one_family_out  # noqa: E402
from pipeline.segmentation.gold import load_fixtures  # noqa: E402

FIXTURES = REPO / "tests" / "fixtures"
VERSION = "2"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-cv", action="store_true", help="skip the leave-one-family-out run")
    ap.add_argument("--out", type=Path, default=shipped_path(SHIPPED_MODEL))
    ap.add_argument("--jobs", type=int, default=1, help="cross-validation folds run at once (one per core)")
    args = ap.parse_args()
    corpus = load_fixtures(shipped_path(SHIPPED_CORPUS))
    extra = load_fixtures(FIXTURES) if FIXTURES.is_dir() else []
    old_card = {}
    if (args.out / CARD_FILE).is_file():
        old_card = json.loads((args.out / CARD_FILE).read_text(encoding="utf-8"))
    cv = old_card.get("leave_one_family_out")
    if not args.no_cv:
        result = leave_one_family_out(
            corpus, augment=augment, progress=lambda f: print("…", f, file=sys.stderr), jobs=args.jobs
        )
        print(format_lofo(result))
        cv = {
            "families": {
                fam: {b: row[b] for b in ("rules", "crf")} | {"issues": row["issues"]}
                for fam, row in result["families"].items()
            },
            "mean_f1": result["mean_f1"],
            "pooled": result["pooled"],
            "protocol": "for each family: crf trained on every other corpus family (+3 layout variants "
            "per issue), scored on the family's issues; rules scored on the same issues",
        }
    data = corpus + extra
    families = Counter(fx.family for fx in data)
    card = {
        "name": "newspipe-segmenter-crf",
        "version": VERSION,
        "built": dt.date.today().isoformat(),
        "trained_on": {
            "corpus": SHIPPED_CORPUS,
            "fixtures": "tests/fixtures",
            "issues": len(data),
            "families": dict(sorted(families.items())),
            "augment": "3 layout variants per issue (pipeline/segmentation/augment.py, seed 13)",
        },
        "leave_one_family_out": cv,
    }
    info = train(data + augment(data, 3), args.out, card=card, rule_reading=True)
    print(f"wrote {args.out} ({info['training']['issues']} sequences, {info['training']['units']} units)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
