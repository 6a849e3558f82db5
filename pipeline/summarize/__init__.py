"""Summarization parts used by the `summarize` stage.

- `presets`: model presets (id, revision, prefix, input limit, generation settings).
- `seq2seq`: any Hugging Face seq2seq checkpoint, batched under a token budget.
- `extractive`: TextRank-style sentence selection with a lead bias, fully offline.
- `postprocess`: clean decoder output into the house style.
- `faithfulness`: check a summary's numbers, dates, names and 《titles》 against its article.
- `tiny`: tiny random stand-in models for tests, demos and benchmarks.

Nothing here imports torch or transformers at module import time except `seq2seq` and `tiny`.
"""
