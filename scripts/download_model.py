#!/usr/bin/env python
"""Fetch a summarizer preset (or any hub model) into a local directory for offline use.

Run on a machine with internet access, then copy DIR to the offline machine:

    python scripts/download_model.py mt5_xlsum --out models/mt5_xlsum
    newspipe run ISSUE.txt -o out.jsonl --set summarizer.model=models/mt5_xlsum

The first argument is a preset name from configs/presets/ (its pinned revision is used) or a hub
id (with --revision). Only the files a PyTorch seq2seq model needs are fetched; safetensors are
preferred and pytorch_model.bin is fetched only when the revision has no safetensors.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.config import ConfigError  # noqa: E402
from pipeline.summarize.presets import available_presets, load_preset  # noqa: E402

PATTERNS = ["README.md", "*.json", "*.model", "*.txt", "*.tiktoken", "*.safetensors", "*.safetensors.index.json"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", help=f"preset ({', '.join(available_presets())}) or hub id")
    parser.add_argument("--out", type=Path, help="target directory (default models/<preset or name>)")
    parser.add_argument("--revision", help="hub revision (default: the preset's pin, else main)")
    args = parser.parse_args(argv)

    try:
        preset = load_preset(args.model) if "/" not in args.model else None
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    repo = preset.model if preset else args.model
    revision = args.revision or (preset.revision if preset else None) or "main"
    out = args.out or Path("models") / (args.model if preset else repo.split("/")[-1])

    from huggingface_hub import HfApi, snapshot_download

    try:
        info = HfApi().model_info(repo, revision=revision, files_metadata=False)
    except Exception as exc:  # offline, unknown repo or revision
        print(f"cannot reach {repo}@{revision} on the hub: {exc}", file=sys.stderr)
        return 1
    files = {s.rfilename for s in (info.siblings or [])}
    patterns = list(PATTERNS)
    if not any(f.endswith(".safetensors") for f in files):
        patterns += ["pytorch_model*.bin", "pytorch_model.bin.index.json"]
    path = snapshot_download(repo, revision=revision, local_dir=out, allow_patterns=patterns)
    print(f"downloaded {repo} at commit {info.sha} into {path}")
    if preset and preset.licence:
        print(f"licence: {preset.licence}")
    print(f"use it with: --set summarizer.model={path}" + (f" --set summarizer.preset={args.model}" if preset else ""))
    if revision == "main":
        print(f"to pin this exact version, set revision: {info.sha} in the preset or --set summarizer.revision={info.sha}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
