#!/usr/bin/env python
"""How often two annotators give an article the same topic: the ceiling on any classifier's
accuracy against one annotator's labels.

    python scripts/topic_agreement.py data/topics/agreement/two_annotators.jsonl

The file holds 300 articles drawn from the labelled issues (corpus f31-f35, sealed
segmentation sets 2 and 3; text cut at 600 characters) with the topic their writer gave
(`writer_topic`) and the topic a second annotator gave without seeing it or any definition
beyond the six label names (`second_topic`, `second_choice` where unsure). Score the
classifier against either with `scripts/eval_topics.py FILE --label-key writer_topic`.
"""

from __future__ import annotations

import json
import sys
from collections import Counter


def main(path: str) -> None:
    rows = [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]
    both = [r for r in rows if r["writer_topic"] != "other" and r["second_topic"] != "other"]
    writer_in = [r for r in rows if r["writer_topic"] != "other"]

    def agree(rs: list[dict]) -> str:
        n = sum(r["writer_topic"] == r["second_topic"] for r in rs)
        return f"{n}/{len(rs)} = {n / len(rs):.3f}"

    print(f"all articles: {agree(rows)}")
    print(f"writer's label in scope: {agree(writer_in)}")
    print(f"both labels in scope: {agree(both)}")
    unsure = sum(r["second_unsure"] for r in rows)
    lenient = sum(r["writer_topic"] in (r["second_topic"], r["second_choice"]) for r in rows)
    print(f"second annotator unsure on {unsure}; writer's label among its two choices: {lenient / len(rows):.3f}")
    pairs = Counter((r["writer_topic"], r["second_topic"]) for r in rows if r["writer_topic"] != r["second_topic"])
    print("disagreements (writer -> second):", ", ".join(f"{a}->{b} {n}" for (a, b), n in pairs.most_common()))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "data/topics/agreement/two_annotators.jsonl")
