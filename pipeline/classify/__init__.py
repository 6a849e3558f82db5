"""Topic classification backends for the `classify` stage (`classifier.backend` picks one).

- `lexicon` (default, offline): rjieba words scored against a per-label weighted lexicon
  (the shipped default.yaml), TF-IDF style, headline > lead > body.
- `linear`: a logistic-regression model trained by scripts/train_classifier.py, loaded from
  a directory of JSON + safetensors (nothing is unpickled).
- `transformers` (optional): a sequence-classification fine-tune of a local encoder
  checkpoint, also written by scripts/train_classifier.py.

Each backend is built from the `classifier` section; the stage (`pipeline.stages.classify`) names
them in its `backends` table.
"""

from __future__ import annotations

from pipeline.classify.base import Classifier, LabelSpec, Prediction

__all__ = ["Classifier", "LabelSpec", "Prediction"]
