#!/usr/bin/env python3
"""Topic accuracy on the correctly segmented articles of labelled issues (issue 12's figure).

Runs the pipeline's own segment and classify stages on each issue and scores the topic of
every gold article that came out exactly (same headline and body text, whitespace aside), so
segmentation mistakes do not count as topic mistakes:

    python scripts/topics_on_segmented.py data/heldout/segmentation8
    python scripts/topics_on_segmented.py DIR --set classifier.other_label=other

Prints the in-scope accuracy (gold topic one of the classifier's labels), how many
out-of-scope articles (gold `other`) went to the out-of-scope label, and every miss.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipeline.config import ConfigError, load_config  # noqa: E402
from pipeline.document import Issue  # noqa: E402
from pipeline.runner import Pipeline  # noqa: E402
from pipeline.segmentation.gold import load_fixtures, squash  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dirs", nargs="+", type=Path, help="directories of labelled issues")
    ap.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--other", default="other", help="the gold label of out-of-scope articles")
    args = ap.parse_args(argv)
    try:
        cfg = load_config(overrides=args.sets, stages=["segment", "classify"])
    except ConfigError as exc:
        print(f"topics_on_segmented: {exc}", file=sys.stderr)
        return 2
    fixtures = load_fixtures(*args.dirs)
    if not fixtures:
        print(f"topics_on_segmented: no labelled issues in {', '.join(map(str, args.dirs))}", file=sys.stderr)
        return 2
    pipe = Pipeline(cfg)
    right = total = oos = oos_right = 0
    misses: list[str] = []
    for fx in fixtures:
        issue = pipe(Issue(issue_id=fx.name, source=fx.name, text=fx.text))
        topic_of = {(squash(a.headline), squash(a.text)): a.topic for a in issue.articles}
        for g in fx.gold.get("articles") or []:
            pred = topic_of.get((squash(g.get("headline")), squash(g.get("text"))))
            if pred is None:
                continue  # not segmented exactly: a segmentation miss, scored elsewhere
            if g.get("topic") in (None, args.other):
                oos += 1
                oos_right += pred == args.other
                continue
            total += 1
            right += pred == g["topic"]
            if pred != g["topic"]:
                misses.append(f"  miss: {fx.name}: gold {g['topic']} pred {pred}  {(g.get('headline') or '')[:30]}")
    share = f"{right / total:.3f}" if total else "n/a"
    print(f"in scope, correctly segmented: {right}/{total} = {share}; out of scope to '{args.other}': {oos_right}/{oos}")
    print("\n".join(misses))
    return 0


if __name__ == "__main__":
    sys.exit(main())
