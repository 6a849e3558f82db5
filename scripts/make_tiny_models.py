#!/usr/bin/env python
"""Build the two tiny random-weight stand-in summarizers into DIR (for tests, demos, benchmarks).

    python scripts/make_tiny_models.py DIR
    newspipe run ISSUE.txt -o out.jsonl --set summarizer.model=DIR/tiny-mt5

DIR/tiny-mt5: SentencePiece + T5Tokenizer + 2-layer MT5 (the csebuetnlp/mT5_multilingual_XLSum path).
DIR/tiny-bart: BERT character vocab + BertTokenizer + 1-layer BART (the fnlp/bart-base-chinese path).
Their summaries are random text: they exercise loading, batching and cleaning, not quality.
The tokenizers are trained on this checkout's local issues (tests/fixtures, else examples) plus
built-in text; never on ../shared.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipeline.io.decode import decode_bytes  # noqa: E402
from pipeline.summarize.tiny import BUILTIN_TEXT, build_tiny_bart, build_tiny_mt5  # noqa: E402


def local_texts() -> list[str]:
    """The issues of this checkout (tests/fixtures, else examples), decoded as the pipeline does."""
    for folder in (REPO / "tests" / "fixtures", REPO / "examples"):
        texts = [decode_bytes(f.read_bytes(), str(f))[0] for f in sorted(folder.glob("*.txt"))]
        if texts:
            return [*texts, BUILTIN_TEXT]
    return [BUILTIN_TEXT]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", type=Path, help="output directory (created)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    for name, build in (("tiny-mt5", build_tiny_mt5), ("tiny-bart", build_tiny_bart)):
        path = build(args.dir / name, local_texts(), seed=args.seed)
        print(f"{name}: {path}  (use --set summarizer.model={path})")


if __name__ == "__main__":
    main()
