"""Rules for cutting a raw Chinese newspaper issue into articles (see segmenter.py)."""
