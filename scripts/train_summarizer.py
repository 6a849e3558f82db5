#!/usr/bin/env python
"""Fine-tune a seq2seq summarizer on your own (article, reference summary) pairs.

    python scripts/download_model.py mt5_xlsum --out models/mt5_xlsum            # 1. base model
    python scripts/train_summarizer.py models/mt5_xlsum --data tests/fixtures \\
        --out models/my-summarizer                                                # 2. fine-tune
    newspipe evaluate tests/fixtures --set summarizer.model=models/my-summarizer   # 3. evaluate

BASE: a local model directory, a preset name (its model, pinned revision and prefix) or a hub id.
--data: labelled fixtures (`*.gold.json` with `reference_summary`, or directories of them) and/or
JSONL files with `article` and `summary` per line (optional `group`: pairs of one group are held
out together). A held-out split (--holdout, by issue) is summarized every --eval-every steps as
the pipeline would and scored with character ROUGE-L F1; training stops after --patience
evaluations without a gain and the best weights are written to --out (safetensors, tokenizer,
README.md model card, newspipe_training.json). Scoring on issues the model trained on is not a
held-out figure: evaluate on other issues than --data's.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.config import ConfigError  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("base", help="local model directory, preset name or hub id")
    p.add_argument("--data", type=Path, nargs="+", required=True, help="*.gold.json / *.jsonl files or directories")
    p.add_argument("--out", type=Path, required=True, help="output directory (save_pretrained)")
    p.add_argument("--revision", help="hub revision (default: the preset's pin)")
    p.add_argument("--prefix", default=None, help="text before every input (default: the preset's, else none)")
    p.add_argument("--max-input-tokens", type=int, default=None, help="default: the preset's, else 512")
    p.add_argument("--max-target-tokens", type=int, default=84)
    p.add_argument("--holdout", type=float, default=0.2, help="share of pairs held out, by issue (default 0.2)")
    p.add_argument("--epochs", type=float, default=10.0)
    p.add_argument("--max-steps", type=int, default=None, help="stop after this many steps (overrides --epochs)")
    p.add_argument("--batch-size", type=int, default=4)
    p.add_argument("--lr", type=float, default=3e-4, help="learning rate (AdamW; 3e-4 suits mT5, ~3e-5 BART)")
    p.add_argument("--warmup-steps", type=int, default=0)
    p.add_argument("--eval-every", type=int, default=50, help="steps between held-out evaluations")
    p.add_argument("--patience", type=int, default=3, help="evaluations without a gain before stopping")
    p.add_argument("--eval-beams", type=int, default=1, help="beams when scoring held-out summaries (default greedy)")
    p.add_argument("--eval-max-new-tokens", type=int, default=84)
    p.add_argument("--device", choices=["auto", "cpu", "cuda", "mps"], default="auto")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--local-files-only", action="store_true", help="never contact the hub")
    args = p.parse_args(argv)

    from pipeline.summarize.finetune import DataError, TrainOptions, train
    from pipeline.summarize.presets import load_preset, looks_like_path
    from pipeline.summarize.seq2seq import ModelLoadError

    try:
        preset = None
        if not looks_like_path(args.base) and "/" not in args.base:
            preset = load_preset(args.base)
        base = preset.model if preset else args.base
        if looks_like_path(base) and not Path(base).expanduser().is_dir():
            raise ConfigError(f"no model directory at {base}")
        opts = TrainOptions(
            base=base,
            out=args.out,
            data=list(args.data),
            revision=args.revision or (preset.revision if preset else None),
            prefix=args.prefix if args.prefix is not None else (preset.prefix if preset else ""),
            max_input_tokens=args.max_input_tokens or (preset.max_input_tokens if preset else 512),
            max_target_tokens=args.max_target_tokens,
            holdout=args.holdout,
            epochs=args.epochs,
            max_steps=args.max_steps,
            batch_size=args.batch_size,
            learning_rate=args.lr,
            warmup_steps=args.warmup_steps,
            eval_every=args.eval_every,
            patience=args.patience,
            eval_beams=args.eval_beams,
            eval_max_new_tokens=args.eval_max_new_tokens,
            device=args.device,
            seed=args.seed,
            local_files_only=args.local_files_only,
            licence=preset.licence if preset else None,
        )
        result = train(opts)
    except (ConfigError, DataError, ModelLoadError) as exc:
        print(f"train_summarizer: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {result.out}: best held-out char ROUGE-L {result.best_rouge_l:.4f} at step {result.best_step} "
          f"(base {result.baseline_rouge_l:.4f}); {result.steps} steps in {result.seconds:.0f}s")  # fmt: skip
    print(f"use it with: --set summarizer.model={result.out}"
          + (f' --set summarizer.prefix="{opts.prefix}"' if opts.prefix else ""))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
