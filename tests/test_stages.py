"""Stages describe themselves: a stage registered from the test suite (its own config section and
record field, nothing else touched) runs through config, pipeline, executor, records and schema."""

from __future__ import annotations

import json
import typing
from pathlib import Path

import pytest
from conftest import REPO
from pydantic import Field

from pipeline import registry
from pipeline.batch import run_batch
from pipeline.config import Config, ConfigError, Section, load_config
from pipeline.io.records import published_schema, record_schema, validate_record
from pipeline.registry import RegistryError, register_stage, unregister_stage
from pipeline.runner import Pipeline, PipelineBuildError
from pipeline.stages.base import Stage

SAMPLE = REPO / "examples" / "sample_issue.txt"


class ShoutSection(Section):
    backend: typing.Literal["upper"] = "upper"
    suffix: str = Field("!", description="put after every shouted headline")


def upper(settings: ShoutSection):
    return lambda text: (text or "").upper() + settings.suffix


class ShoutStage(Stage):
    """Adds `shout`: the headline, shouted. Lives only in this test module."""

    requires = ("articles",)
    provides = ("shout",)
    config_section = "shout"
    config_model = ShoutSection
    backends = {"upper": "test_stages:upper"}
    record_fields = {"shout": {"type": "string"}}

    def __init__(self, config: Config) -> None:
        super().__init__(config)
        self.shout = self.build_backend()

    def process(self, issue):
        for article in issue.articles:
            article.ext["shout"] = self.shout(article.headline)
        return issue


@pytest.fixture
def shout(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.syspath_prepend(str(Path(__file__).parent))  # worker processes import this module
    register_stage("shout")(ShoutStage)
    yield ShoutStage
    unregister_stage("shout")


def test_a_stage_registered_here_runs_everywhere(shout, tmp_path: Path) -> None:
    assert "shout" in registry.stage_names()
    cfg = load_config(None, ["shout.suffix=?!"], ["segment", "shout"])
    assert cfg.shout.suffix == "?!"
    assert "shout" in Config().model_dump() and Config().hash() != cfg.hash()
    issue = Pipeline(cfg)(Pipeline(load_config(stages=["segment"])).stages[0].process(_sample_issue()))
    assert issue.articles[0].ext["shout"].endswith("?!")
    for workers in (1, 2):  # in-process and in a process pool
        out = tmp_path / f"w{workers}.jsonl"
        files = [str(SAMPLE), str(REPO / "tests" / "fixtures" / "fx01_xiangjiang_evening.txt")]
        summary = run_batch(files, out, cfg, workers=workers, progress=False)
        assert summary.failed == 0, summary.failures
        recs = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
        for r in recs:
            validate_record(r)
            assert r["shout"] == (r["headline"] or "").upper() + "?!"
            assert list(r)[-2:] == ["shout", "provenance"]
            assert r["provenance"]["stages"] == ["segment", "shout"]
    assert (tmp_path / "w1.jsonl").read_bytes() == (tmp_path / "w2.jsonl").read_bytes()
    assert "shout" in record_schema()["properties"]


def test_its_config_errors_name_its_keys(shout) -> None:
    with pytest.raises(ConfigError, match="unknown key 'shout.sufix'"):
        load_config(overrides=["shout.sufix=x"])
    with pytest.raises(ConfigError, match="shout.backend"):
        load_config(overrides=["shout.backend=lower"])


def test_unregistered_it_is_unknown_again(shout) -> None:
    unregister_stage("shout")
    with pytest.raises(ConfigError, match="unknown key 'shout'"):
        load_config(overrides=["shout.suffix=x"])
    with pytest.raises(PipelineBuildError, match="unknown stage 'shout'"):
        Pipeline(load_config(stages=["segment", "shout"]))


def test_registration_refuses_ambiguity(shout) -> None:
    class Other(Stage):
        config_section = "shout"
        config_model = ShoutSection

    with pytest.raises(RegistryError, match="already registered"):
        register_stage("shout")(Other)
    with pytest.raises(RegistryError, match="belongs to stage 'shout'"):
        register_stage("other")(Other)
    with pytest.raises(RegistryError, match="reserved"):
        register_stage("other")(type("P", (Stage,), {"config_section": "pipeline", "config_model": ShoutSection}))


def test_builtin_stages_choose_backends_the_same_way() -> None:
    for name in registry.stage_names():
        cls = registry.get_stage(name)
        assert cls.config_section, name
        field = cls.config_model.model_fields["backend"]
        assert set(typing.get_args(field.annotation)) == set(cls.backends), name
        for backend in cls.backends:  # every entry names something importable
            assert callable(cls.backend_factory(backend))


def test_published_schema_is_the_stages_schema() -> None:
    builtin = [registry.get_stage(n) for n in ("segment", "classify", "summarize")]
    assert published_schema() == record_schema(builtin)


def test_stage_sections_come_from_the_stages() -> None:
    assert list(Config().sections()) == ["pipeline", "segmenter", "classifier", "summarizer", "input", "output"]


def _sample_issue():
    from pipeline.document import Issue

    return Issue("sample", str(SAMPLE), SAMPLE.read_text(encoding="utf-8"))
