"""The optional fine-tuned backend: a transformers sequence-classification model.

`scripts/train_classifier.py --backend transformers --base-model DIR` fine-tunes any local
encoder checkpoint (a Chinese BERT, or the tiny one the tests build) and writes a directory
with the model (safetensors), its tokenizer, `newspipe.json` (labels, input format) and a
card. Loading is local only (`local_files_only=True`, safetensors).

Input text: headline zone, lead and body joined by newlines, truncated to the model's limit.
Evidence: gradient x input attribution of the winning logit, summed over the model tokens
inside each rjieba word of the input; the words with the largest positive attribution are
the evidence (they are slices of the article text, so they occur in it).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.classify.base import Prediction, rounded_distribution, trained_labels
from pipeline.classify.text import Zones, article_zones
from pipeline.config import ConfigError
from pipeline.document import Article
from pipeline.resources import filesystem_path, packaged_hint
from pipeline.text import has_han

if TYPE_CHECKING:  # the classify stage's config section; backends only read it
    from pipeline.stages.classify import ClassifierSection

FORMAT = "newspipe-transformers/1"


def model_text(zones: Zones) -> str:
    return "\n".join(z for z in (zones.headline, zones.lead, zones.body) if z)


def pick_device(name: str) -> str:
    import torch

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return name


class TransformersClassifier:
    backend = "transformers"

    def __init__(self, model_dir: Path, cfg: ClassifierSection, *, shown: str | None = None) -> None:
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        self.shown = shown or str(model_dir)  # what provenance records: the path as the user gave it
        meta_path = model_dir / "newspipe.json"
        if not meta_path.exists():
            raise ConfigError(
                f"classifier.model_path: {self.shown} has no newspipe.json; "
                "train one with scripts/train_classifier.py --backend transformers" + packaged_hint(self.shown)
            )
        self.meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if self.meta.get("format") != FORMAT:
            raise ConfigError(
                f"classifier.model_path: {self.shown}/newspipe.json has format {self.meta.get('format')!r}"
            )
        self.cfg = cfg
        self.path = model_dir
        self.device = pick_device(cfg.device)
        self.tokenizer = AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
        self.model = AutoModelForSequenceClassification.from_pretrained(
            model_dir, local_files_only=True, use_safetensors=True
        ).to(self.device)
        self.model.eval()
        id2label = self.model.config.id2label
        model_labels = [id2label[i] for i in range(len(id2label))]
        if model_labels != list(self.meta["labels"]):
            raise ConfigError(f"classifier.model_path: {model_dir}: config.json labels differ from newspipe.json")
        keep, self.labels = trained_labels(model_labels, cfg, model_dir)
        self.keep = torch.tensor(keep, device=self.device)
        limit = int(self.meta.get("max_length") or 512)
        self.max_length = min(limit, cfg.max_input_tokens or limit)

    @classmethod
    def from_settings(cls, cfg: ClassifierSection) -> TransformersClassifier:
        """The `transformers` backend of the classify stage: the fine-tune at `classifier.model_path`."""
        if not cfg.model_path:
            raise ConfigError(
                "classifier.backend is 'transformers' but classifier.model_path is not set: fine-tune one with "
                "scripts/train_classifier.py --backend transformers --base-model DIR"
            )
        return cls(filesystem_path(cfg.model_path), cfg, shown=cfg.model_path)

    def classify(self, article: Article) -> Prediction:
        return self.classify_many([article])[0]

    def classify_many(self, articles: list[Article]) -> list[Prediction]:
        out: list[Prediction] = []
        bs = self.cfg.batch_size
        for i in range(0, len(articles), bs):
            out.extend(self._batch([article_zones(a, self.meta.get("lead_min_chars", 60)) for a in articles[i : i + bs]]))
        return out

    def _batch(self, zones: list[Zones]) -> list[Prediction]:
        import rjieba
        import torch

        texts = [model_text(z) for z in zones]
        enc = self.tokenizer(
            [t or " " for t in texts],
            truncation=True,
            max_length=self.max_length,
            padding=True,
            return_tensors="pt",
            return_offsets_mapping=True,
        )
        offsets = enc.pop("offset_mapping").tolist()
        enc = {k: v.to(self.device) for k, v in enc.items()}
        emb_layer = self.model.get_input_embeddings()
        embeds = emb_layer(enc["input_ids"]).detach().requires_grad_(True)
        fwd = {k: v for k, v in enc.items() if k != "input_ids"}
        with torch.enable_grad():
            logits = self.model(inputs_embeds=embeds, **fwd).logits.float()[:, self.keep]
            probs = torch.softmax(logits, dim=-1)
            top = probs.argmax(dim=-1)
            logits.gather(1, top[:, None]).sum().backward()
        attr = (embeds.grad * embeds).sum(-1).detach().float().cpu().tolist()  # [batch, tokens]
        probs_l = probs.detach().cpu().tolist()
        preds: list[Prediction] = []
        for b, z in enumerate(zones):
            p = probs_l[b]
            t = int(top[b])
            scores = {lab: float(p[i]) for i, lab in enumerate(self.labels)}
            # token attributions -> words (rjieba, with character offsets into the model text)
            text = texts[b]
            per_char = [0.0] * len(text)
            for (s, e), a in zip(offsets[b], attr[b], strict=True):
                if e > s:
                    share = a / (e - s)
                    for c in range(s, min(e, len(text))):
                        per_char[c] += share
            words: dict[str, float] = {}
            for w, s, e in rjieba.tokenize(text) if text else []:
                if len(w) >= 2 and (has_han(w) or w.isalpha()):
                    words[w] = words.get(w, 0.0) + sum(per_char[s:e])
            best = sorted(((v, w) for w, v in words.items() if v > 0), reverse=True)[: self.cfg.evidence_top_k]
            evidence = [{"term": w, "weight": round(v, 4), "label": self.labels[t], "path": "transformers"} for v, w in best]
            confident = p[t] >= (self.cfg.threshold if self.cfg.threshold is not None else 0.5) and z.content_chars(self.cfg.min_chars) >= self.cfg.min_chars
            preds.append(Prediction(self.labels[t], rounded_distribution(scores), evidence, bool(confident)))
        return preds

    def describe(self) -> dict[str, Any]:
        return {
            "backend": "transformers",
            "model_path": self.shown,
            "base_model": self.meta.get("base_model"),
            "labels": list(self.labels),
            "max_length": self.max_length,
            "device": self.device,
            "trained": self.meta.get("trained_at"),
            "data_sha256": self.meta.get("data_sha256"),
        }
