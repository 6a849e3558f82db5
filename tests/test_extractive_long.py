"""The extractive summarizer on a very long article (issue 10, item 11): its cost must grow
linearly with the number of sentences, not with their square (8,000 sentences once took 100 s)."""

from __future__ import annotations

import random
import time

from pipeline.summarize.extractive import ExtractiveSummarizer

WORDS = "经济 发展 项目 建设 城市 政府 企业 市场 投资 农业 科技 教育 交通 文化 旅游 医疗 环境 产业 改革 服务".split()


def article(n: int, seed: int = 7) -> str:
    """`n` sentences drawn from one small vocabulary: every pair of sentences shares words, the
    densest sentence graph there is."""
    rng = random.Random(seed)
    lines = []
    for i in range(n):
        words = rng.sample(WORDS, 6)
        lines.append(f"第{i}条，{''.join(words)}取得新进展。")
    return "\n".join("".join(lines[k : k + 5]) for k in range(0, n, 5))


def _best_of(summarizer: ExtractiveSummarizer, text: str, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        summarizer.summarize(text)
        best = min(best, time.perf_counter() - t)
    return best


def test_extractive_cost_grows_linearly_with_sentences() -> None:
    s = ExtractiveSummarizer()
    short, long = article(500), article(8000)
    s.summarize(short)  # warm the tokenizer
    ratio = _best_of(s, long, 1) / _best_of(s, short, 3)
    # 16x the sentences: linear is ~16x; the full graph was ~250x
    assert ratio < 40, f"8,000 sentences cost {ratio:.0f}x what 500 do"


def test_long_article_summary_comes_from_the_lead() -> None:
    s = ExtractiveSummarizer()
    text = article(3000)
    summary = s.summarize(text)
    lead = "".join(text.splitlines()[:30])  # the first 150 sentences
    assert summary and all(part in lead for part in summary.split("。") if part)
