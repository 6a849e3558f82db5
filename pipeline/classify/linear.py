"""The trainable backend: a linear model over word and character n-gram TF-IDF features.

`scripts/train_classifier.py` fits scikit-learn's LogisticRegression and writes a model
directory that needs neither scikit-learn nor pickle to load:

    model.json          format, labels, feature settings, vocabulary, training summary
    weights.safetensors coef [labels x features], intercept [labels], idf [features]
    README.md           model card: data, labels, held-out metrics

Features of an article (see `featurize`): `w:` words of all zones (rjieba), `h:` words of the
headline zone again, `c:` character n-grams of CJK runs. Each count becomes
(1 + ln count) * idf, the vector is L2-normalised, and p = softmax(coef . x + intercept),
exactly what scikit-learn computes for the same matrix.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from pipeline.classify.base import Prediction, rounded_distribution, trained_labels
from pipeline.classify.text import Tokenizer, Zones, article_zones
from pipeline.config import ConfigError
from pipeline.document import Article
from pipeline.resources import locate, packaged_hint
from pipeline.text import HAN

if TYPE_CHECKING:  # the classify stage's config section; backends only read it
    from pipeline.stages.classify import ClassifierSection

FORMAT = "newspipe-linear/1"
_CJK_RUN = re.compile(f"[{HAN}]+")
_WORDLIKE = re.compile(f"[{HAN}A-Za-z]")


@dataclass
class FeatureSpec:
    tokenizer: str = "rjieba"
    char_ngram_min: int = 2
    char_ngram_max: int = 3
    headline_words: bool = True
    lead_min_chars: int = 60
    min_word_chars: int = 2
    words: bool = True  # false: character n-grams only (the backoff model: no word segmentation)
    headline_chars: bool = False  # character n-grams of the headline zone again, as `hc:`


def featurize(zones: Zones, tok: Tokenizer, spec: FeatureSpec) -> Counter[str]:
    feats: Counter[str] = Counter()
    mwc = spec.min_word_chars
    if spec.words:
        for zone_name, text in (("h", zones.headline), ("l", zones.lead), ("b", zones.body)):
            if not text:
                continue
            for w in tok.cut(text):
                if len(w) >= mwc and _WORDLIKE.search(w):
                    feats["w:" + w] += 1
                    if zone_name == "h" and spec.headline_words:
                        feats["h:" + w] += 1
    lo, hi = spec.char_ngram_min, spec.char_ngram_max
    if hi >= lo >= 1:
        feats.update(char_ngrams(zones.full, lo, hi, "c:"))
        if spec.headline_chars and zones.headline:
            feats.update(char_ngrams(zones.headline, lo, hi, "hc:"))
    return feats


def char_ngrams(text: str, lo: int, hi: int, prefix: str) -> list[str]:
    """`prefix` + every n-gram (lo <= n <= hi) inside each CJK run of `text` (list comprehensions:
    the backoff model's whole feature cost)."""
    out: list[str] = []
    for run in _CJK_RUN.findall(text):
        n_run = len(run)
        for n in range(lo, min(hi, n_run) + 1):
            out += [prefix + run[i : i + n] for i in range(n_run - n + 1)]
    return out


def feature_term(feature: str) -> str:
    """The text a feature stands for (drops the `w:`/`h:`/`c:` prefix)."""
    return feature.split(":", 1)[1]


class Vectorizer:
    """Vocabulary + IDF; turns feature counts into (indices, L2-normalised tf-idf values)."""

    def __init__(self, vocabulary: list[str], idf: np.ndarray) -> None:
        self.vocabulary = vocabulary
        self.index = {f: i for i, f in enumerate(vocabulary)}
        self.idf = np.asarray(idf, dtype=np.float64)

    @classmethod
    def fit(cls, docs: list[Counter[str]], min_df: int = 1, max_features: int | None = None) -> Vectorizer:
        df: Counter[str] = Counter()
        for d in docs:
            df.update(d.keys())
        items = [(f, c) for f, c in df.items() if c >= min_df]
        items.sort(key=lambda fc: (-fc[1], fc[0]))
        if max_features:
            items = items[:max_features]
        vocab = sorted(f for f, _ in items)
        n = len(docs)
        idf = np.array([math.log((1 + n) / (1 + df[f])) + 1.0 for f in vocab])
        return cls(vocab, idf)

    def transform_one(self, feats: Counter[str]) -> tuple[np.ndarray, np.ndarray]:
        idx_get = self.index.get
        pairs = [(i, c) for f, c in feats.items() if (i := idx_get(f)) is not None]
        if not pairs:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        pairs.sort()
        ind = np.fromiter((i for i, _ in pairs), dtype=np.int64, count=len(pairs))
        cnt = np.fromiter((c for _, c in pairs), dtype=np.float64, count=len(pairs))
        val = (1.0 + np.log(cnt)) * self.idf[ind]
        norm = float(np.sqrt(np.dot(val, val)))
        return ind, (val / norm if norm > 0 else val)

    def transform(self, docs: Iterable[Counter[str]]):
        from scipy.sparse import csr_matrix

        indptr, indices, data = [0], [], []
        for d in docs:
            ind, val = self.transform_one(d)
            indices.extend(ind.tolist())
            data.extend(val.tolist())
            indptr.append(len(indices))
        return csr_matrix(
            (np.array(data), np.array(indices, dtype=np.int64), np.array(indptr)),
            shape=(len(indptr) - 1, len(self.vocabulary)),
        )


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max()
    e = np.exp(z)
    return e / e.sum()


class LinearModel:
    """Labels, feature spec, vectorizer and weights: what a model directory holds."""

    def __init__(
        self,
        labels: list[str],
        spec: FeatureSpec,
        vectorizer: Vectorizer,
        coef: np.ndarray,
        intercept: np.ndarray,
        meta: dict[str, Any] | None = None,
    ) -> None:
        self.labels = labels
        self.spec = spec
        self.vectorizer = vectorizer
        self.coef = np.asarray(coef, dtype=np.float64)
        self.intercept = np.asarray(intercept, dtype=np.float64)
        self.meta = meta or {}
        self._tok: Tokenizer | None = None

    @property
    def tokenizer(self) -> Tokenizer:
        if self._tok is None and not self.spec.words:
            return None  # type: ignore[return-value]  # character features need no segmenter
        if self._tok is None:
            self._tok = Tokenizer(self.spec.tokenizer)
        return self._tok

    def features(self, zones: Zones) -> Counter[str]:
        return featurize(zones, self.tokenizer, self.spec)

    def decision(self, ind: np.ndarray, val: np.ndarray) -> np.ndarray:
        return self.coef[:, ind] @ val + self.intercept if len(ind) else self.intercept.copy()

    def predict_proba_zones(self, zones: Zones) -> np.ndarray:
        ind, val = self.vectorizer.transform_one(self.features(zones))
        return softmax(self.decision(ind, val))

    # -- persistence -----------------------------------------------------------------------
    def save(self, out_dir: str | Path) -> Path:
        from safetensors.numpy import save_file

        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        save_file(
            {
                "coef": self.coef.astype(np.float32),
                "intercept": self.intercept.astype(np.float32),
                "idf": self.vectorizer.idf.astype(np.float32),
            },
            str(out / "weights.safetensors"),
        )
        doc = {
            "format": FORMAT,
            "labels": self.labels,
            "features": asdict(self.spec),
            "meta": self.meta,
            "vocabulary": self.vectorizer.vocabulary,
        }
        (out / "model.json").write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
        return out

    @classmethod
    def load(cls, model_dir: str | Path) -> LinearModel:
        """Load a model directory: a path, or `pipeline:models/linear` for the shipped one."""
        from safetensors.numpy import load

        d = locate(model_dir)
        mj, wf = d.joinpath("model.json"), d.joinpath("weights.safetensors")
        if not mj.is_file() or not wf.is_file():
            raise ConfigError(
                f"classifier.model_path: {model_dir} is not a linear model directory "
                "(needs model.json and weights.safetensors; train one with scripts/train_classifier.py)"
                + packaged_hint(model_dir)
            )
        doc = json.loads(mj.read_text(encoding="utf-8"))
        if doc.get("format") != FORMAT:
            raise ConfigError(
                f"classifier.model_path: {model_dir}/model.json has format {doc.get('format')!r}, expected {FORMAT!r}"
            )
        w = load(wf.read_bytes())
        vocab = list(doc["vocabulary"])
        coef, intercept, idf = w["coef"], w["intercept"], w["idf"]
        k = len(doc["labels"])
        if coef.shape != (k, len(vocab)) or intercept.shape != (k,) or idf.shape != (len(vocab),):
            raise ConfigError(f"classifier.model_path: {model_dir}: weights do not match labels/vocabulary")
        spec = FeatureSpec(**doc.get("features", {}))
        return cls(list(doc["labels"]), spec, Vectorizer(vocab, idf), coef, intercept, doc.get("meta", {}))


class LinearClassifier:
    backend = "linear"

    def __init__(self, model: LinearModel, cfg: ClassifierSection, path: str) -> None:
        self.model = model
        self.cfg = cfg
        self.path = path
        keep, self.labels = trained_labels(model.labels, cfg, path)
        self.keep = np.array(keep)

    @classmethod
    def load(cls, model_path: str | Path, cfg: ClassifierSection) -> LinearClassifier:
        """`model_path` as the user gave it (a path, or `pipeline:...`); it is recorded as given."""
        return cls(LinearModel.load(model_path), cfg, str(model_path))

    @classmethod
    def from_settings(cls, cfg: ClassifierSection) -> LinearClassifier:
        """The `linear` backend of the classify stage: the model at `classifier.model_path`."""
        if not cfg.model_path:
            raise ConfigError(
                "classifier.backend is 'linear' but classifier.model_path is not set: "
                "train one with scripts/train_classifier.py and point model_path at its directory"
            )
        return cls.load(cfg.model_path, cfg)

    def classify(self, article: Article) -> Prediction:
        zones = article_zones(article, self.model.spec.lead_min_chars)
        return self.classify_zones(zones)

    def classify_many(self, articles: list[Article]) -> list[Prediction]:
        return [self.classify(a) for a in articles]

    def classify_zones(self, zones: Zones) -> Prediction:
        m = self.model
        feats = m.features(zones)
        ind, val = m.vectorizer.transform_one(feats)
        z = m.decision(ind, val)[self.keep]
        p = softmax(z)
        top = int(np.argmax(p))
        probs = {lab: float(p[i]) for i, lab in enumerate(self.labels)}
        confident = (
            bool(p[top] >= (self.cfg.threshold if self.cfg.threshold is not None else 0.5))
            and zones.content_chars(self.cfg.min_chars) >= self.cfg.min_chars
        )
        evidence: list[dict[str, Any]] = []
        if len(ind):
            contrib = m.coef[self.keep][:, ind] * val  # [labels, active features]
            order = np.argsort(-p)
            runner = int(order[1]) if len(order) > 1 else None
            evidence = self._terms(contrib[top], ind, top, self.cfg.evidence_top_k)
            if runner is not None:
                evidence += self._terms(contrib[runner], ind, runner, 2)
        return Prediction(self.labels[top], rounded_distribution(probs), evidence, confident)

    def _terms(self, row: np.ndarray, ind: np.ndarray, label: int, k: int) -> list[dict[str, Any]]:
        by_term: dict[str, float] = {}
        vocab = self.model.vectorizer.vocabulary
        for j in np.argsort(-row)[: 4 * k + 8]:
            c = float(row[j])
            if c <= 0:
                break
            t = feature_term(vocab[int(ind[j])])
            by_term[t] = by_term.get(t, 0.0) + c
        best = sorted(by_term.items(), key=lambda kv: -kv[1])[:k]
        return [{"term": t, "weight": round(c, 4), "label": self.labels[label], "path": "linear"} for t, c in best]

    def describe(self) -> dict[str, Any]:
        return {
            "backend": "linear",
            "model_path": self.path,
            "labels": list(self.labels),
            "features": len(self.model.vectorizer.vocabulary),
            "tokenizer": self.model.tokenizer.version if self.model.spec.words else "none (character n-grams)",
            "trained": self.model.meta.get("trained_at"),
            "data_sha256": self.model.meta.get("data_sha256"),
        }
