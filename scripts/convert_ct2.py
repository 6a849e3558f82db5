#!/usr/bin/env python
"""Convert a seq2seq summarizer to CTranslate2 ahead of time (the pipeline also does it on first use).

    python scripts/convert_ct2.py models/mt5_xlsum --out models/mt5_xlsum-ct2-int8
    newspipe run ISSUE.txt -o out.jsonl --set summarizer.engine=ctranslate2 \\
        --set summarizer.model=models/mt5_xlsum-ct2-int8

The first argument is a local model directory, a preset name (its pinned revision is used) or a hub
id (with --revision; read from the local Hugging Face cache first). The output directory holds the
CTranslate2 weights plus the tokenizer and configs under hf/, so it is all a machine needs.
`--quantization`: int8 for CPU (default), bfloat16 or int8_bfloat16 for CUDA, float32 to compare
against the torch engine. A model converted as int8 can still run as int8_float32, and so on.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.config import ConfigError  # noqa: E402
from pipeline.summarize.presets import ModelSpec, available_presets, load_preset, looks_like_path  # noqa: E402

QUANTIZATIONS = ["int8", "int8_float32", "float32", "bfloat16", "int8_bfloat16", "float16", "int8_float16"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", help=f"local directory, preset ({', '.join(available_presets())}) or hub id")
    parser.add_argument("--out", type=Path, required=True, help="output directory (replaced if it exists)")
    parser.add_argument("--revision", help="hub revision (default: the preset's pin, else main)")
    parser.add_argument("--quantization", choices=QUANTIZATIONS, default="int8")
    parser.add_argument("--local-files-only", action="store_true", help="never contact the hub")
    args = parser.parse_args(argv)

    from pipeline.summarize.ct2 import convert_spec
    from pipeline.summarize.seq2seq import ModelLoadError

    try:
        preset = None
        if not looks_like_path(args.model) and "/" not in args.model:
            preset = load_preset(args.model)
        spec = ModelSpec(
            model=preset.model if preset else args.model,
            revision=args.revision or (preset.revision if preset else None),
        )
        if looks_like_path(spec.model) and not Path(spec.model).expanduser().is_dir():
            raise ConfigError(f"no model directory at {spec.model}")
        t0 = time.perf_counter()
        out = convert_spec(spec, args.out, quantization=args.quantization, local_files_only=args.local_files_only)
    except (ConfigError, ModelLoadError) as exc:
        print(f"convert_ct2: {exc}", file=sys.stderr)
        return 2
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) / 2**20
    print(f"converted {args.model} ({args.quantization}) into {out} in {time.perf_counter() - t0:.0f}s, {size:.0f} MiB")
    print(f"use it with: --set summarizer.engine=ctranslate2 --set summarizer.model={out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
