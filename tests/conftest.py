"""Shared test helpers: where fixtures live, offline model hub, gold loading."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"
SHARED_FIXTURES = REPO.parent / "shared" / "fixtures"
SHARED_SAMPLE = SHARED_FIXTURES / "zhuzhou_daily_sample.txt"


def norm_ws(s: str | None) -> str:
    return re.sub(r"\s+", "", s or "")


def load_gold(txt: Path) -> dict:
    return json.loads(txt.with_name(txt.name[: -len(".txt")] + ".gold.json").read_text(encoding="utf-8"))


def local_texts() -> list[str]:
    """Our fixture issues decoded as the pipeline does, plus the built-in text: what the tiny
    test models' tokenizers are trained on."""
    from pipeline.io.decode import decode_bytes
    from pipeline.summarize.tiny import BUILTIN_TEXT

    return [decode_bytes(f.read_bytes(), str(f))[0] for f in sorted(FIXTURES.glob("*.txt"))] + [BUILTIN_TEXT]


def fixture_issues() -> list[Path]:
    return sorted(p for p in FIXTURES.glob("*.txt") if p.with_name(p.stem + ".gold.json").exists())


@pytest.fixture
def shared_sample() -> Path:
    if not SHARED_SAMPLE.exists():
        pytest.skip("../shared/fixtures/zhuzhou_daily_sample.txt is absent")
    return SHARED_SAMPLE
