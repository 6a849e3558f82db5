"""Topic classification backends for the `classify` stage.

- `lexicon` (default, offline): rjieba words scored against a per-label weighted lexicon
  (models/lexicon/default.yaml), TF-IDF style, headline > lead > body.
- `linear`: a logistic-regression model trained by scripts/train_classifier.py, loaded from
  a directory of JSON + safetensors (nothing is unpickled).
- `transformers` (optional): a sequence-classification fine-tune of a local encoder
  checkpoint, also written by scripts/train_classifier.py.
"""

from __future__ import annotations

from pipeline.classify.base import Classifier, Prediction
from pipeline.config import ClassifierSection, ConfigError


def build_classifier(cfg: ClassifierSection) -> Classifier:
    if cfg.backend == "lexicon":
        from pipeline.classify.lexicon import LexiconClassifier

        return LexiconClassifier(cfg)
    if cfg.backend == "linear":
        from pipeline.classify.linear import LinearClassifier

        if not cfg.model_path:
            raise ConfigError(
                "classifier.backend is 'linear' but classifier.model_path is not set: "
                "train one with scripts/train_classifier.py and point model_path at its directory"
            )
        return LinearClassifier.load(cfg.model_path, cfg)
    if cfg.backend == "transformers":
        from pipeline.classify.lexicon import resolve_path
        from pipeline.classify.transformer import TransformersClassifier

        if not cfg.model_path:
            raise ConfigError(
                "classifier.backend is 'transformers' but classifier.model_path is not set: fine-tune one with "
                "scripts/train_classifier.py --backend transformers --base-model DIR"
            )
        return TransformersClassifier(resolve_path(cfg.model_path), cfg)
    raise ConfigError(f"classifier.backend: unknown backend {cfg.backend!r}")  # pragma: no cover


__all__ = ["Classifier", "Prediction", "build_classifier"]
