"""The stage protocol.

A stage works on whole issues. `process` handles one issue; `pipe` handles a stream and is
where a stage batches (the summarizer pools articles across issues there), in the spirit of
spaCy's `nlp.pipe` and the preprocess/_forward/postprocess split of Hugging Face pipelines.

A stage class declares everything the rest of the package needs to know about it, and registers
with `@register_stage(name)` (see `pipeline.registry`):

- `requires` / `provides`: checked when a pipeline is built (`pipeline.runner.check_order`);
- `config_section` / `config_model`: the config key it owns and its pydantic model;
- `backends`: backend name -> "module:callable" taking the stage's section; `<section>.backend`
  picks one (`build_backend`), imported only when chosen, so `segment` never pays for torch;
- `record_fields`: record key -> JSON schema of its value, in output order; `record(article)`
  gives their values (attributes of `Article`, else `article.ext[key]`);
- `main_process_only`: the executor runs it once, in the driver, after the distributed stages.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any, ClassVar

from pipeline.config import Config, ConfigError, Section
from pipeline.document import Article, Issue


class Stage:
    name: ClassVar[str] = ""  # set by @register_stage
    requires: ClassVar[tuple[str, ...]] = ()
    provides: ClassVar[tuple[str, ...]] = ()
    # a stage that holds a device or pools work across issues runs once, in the main process,
    # after the stages that the executor spreads over workers
    main_process_only: ClassVar[bool] = False
    config_section: ClassVar[str | None] = None
    config_model: ClassVar[type[Section] | None] = None
    backends: ClassVar[dict[str, str]] = {}
    record_fields: ClassVar[dict[str, dict[str, Any]]] = {}

    def __init__(self, config: Config) -> None:
        self.config = config

    @property
    def settings(self) -> Any:
        """This stage's config section (None for a stage without one)."""
        return getattr(self.config, self.config_section) if self.config_section else None

    # ---- backends --------------------------------------------------------------------------
    @classmethod
    def backend_factory(cls, backend: str) -> Callable[[Any], Any]:
        """The callable that builds `backend` from the stage's section (imported now)."""
        target = cls.backends.get(backend)
        if target is None:
            known = ", ".join(cls.backends) or "(none)"
            raise ConfigError(f"{cls.config_section or cls.name}.backend: unknown backend {backend!r}; known: {known}")
        module, _, attr = target.partition(":")
        obj: Any = importlib.import_module(module)
        for part in attr.split("."):
            obj = getattr(obj, part)
        return obj

    def build_backend(self, backend: str | None = None) -> Any:
        """Build the configured backend (or the one named) from this stage's section."""
        return self.backend_factory(backend or self.settings.backend)(self.settings)

    # ---- processing ------------------------------------------------------------------------
    def process(self, issue: Issue) -> Issue:
        raise NotImplementedError

    def pipe(self, issues: Iterable[Issue]) -> Iterator[Issue]:
        for issue in issues:
            yield self.process(issue)

    def describe(self) -> dict[str, object]:
        """What provenance records about this stage (backend, model, ...)."""
        return {"name": self.name}

    def built_on(self) -> dict[str, Any] | None:
        """What the rules or model this stage runs were written, tuned or trained on:
        `{"what": sentence, "issues": [issue ids]}`, so that an evaluation can tell a fitted
        score from a held-out one; None when newspipe does not know (a user's own model)."""
        return None

    # ---- output ----------------------------------------------------------------------------
    @classmethod
    def record(cls, article: Article) -> dict[str, Any]:
        """The values of this stage's `record_fields` for one article."""
        return {key: article_value(article, key) for key in cls.record_fields}


# the labelled issues of tests/fixtures: the shipped segmentation rules, lexicon, linear model and
# extractive summarizer settings were written, tuned or trained against them
DEVELOPMENT_ISSUES = (
    "fx01_xiangjiang_evening",
    "fx02_hengyang_daily",
    "fx03_changde_news",
    "fx04_yueyang_daily",
    "fx05_nanhu_daily",
    "fx06_lingnan_business",
    "fx07_xiangtan_daily",
    "fx08_jiangbei_metro",
)


def article_value(article: Article, key: str) -> Any:
    """An article's value for a record key: its attribute, else what a stage put in `ext`."""
    if key in Article.__dataclass_fields__ or isinstance(getattr(Article, key, None), property):
        return getattr(article, key)
    return article.ext.get(key)
