"""Config loading, validation messages, overrides, hashing and pipeline build checks."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import REPO

from pipeline.config import Config, ConfigError, load_config, read_yaml
from pipeline.runner import Pipeline, PipelineBuildError


def test_default_yaml_spells_out_the_defaults() -> None:
    data = read_yaml(REPO / "configs" / "default.yaml")
    assert Config.model_validate(data) == Config()


def test_unknown_key_is_named(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("segmenter:\n  max_headline_chars: 30\n  max_headlnie: 3\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"unknown key 'segmenter.max_headlnie'.*c.yaml"):
        load_config(cfg)


def test_bad_value_is_named() -> None:
    with pytest.raises(ConfigError, match=r"segmenter.max_headline_chars"):
        load_config(overrides=["segmenter.max_headline_chars=lots"])


def test_malformed_yaml_names_file_and_line(tmp_path: Path) -> None:
    cfg = tmp_path / "broken.yaml"
    cfg.write_text("segmenter:\n  max_headline_chars: [1, 2\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"malformed YAML in .*broken.yaml at line"):
        load_config(cfg)


def test_yaml_must_be_mapping(tmp_path: Path) -> None:
    cfg = tmp_path / "list.yaml"
    cfg.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="mapping"):
        load_config(cfg)


def test_yaml_is_loaded_safely(tmp_path: Path) -> None:
    cfg = tmp_path / "evil.yaml"
    cfg.write_text("segmenter: !!python/object/apply:os.system ['echo hi']\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="malformed YAML"):
        load_config(cfg)


def test_missing_config_file() -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config("/nonexistent/newspipe.yaml")


def test_overrides_and_stages_apply_in_order(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("segmenter:\n  max_headline_chars: 30\n", encoding="utf-8")
    c = load_config(cfg, ["segmenter.max_headline_chars=35"], ["segment"])
    assert c.segmenter.max_headline_chars == 35
    assert c.pipeline.stages == ["segment"]


def test_hash_changes_with_effective_config() -> None:
    a = load_config()
    b = load_config(overrides=["segmenter.max_headline_chars=41"])
    assert a.hash() == load_config().hash()
    assert a.hash() != b.hash()
    assert len(a.hash()) == 16


def test_unknown_stage_fails_at_build() -> None:
    with pytest.raises(PipelineBuildError, match="unknown stage 'segmnet'"):
        Pipeline(load_config(stages=["segmnet"]))


def test_wrong_order_fails_at_build() -> None:
    with pytest.raises(PipelineBuildError, match="stage 'classify' requires 'articles'"):
        Pipeline(load_config(stages=["classify", "segment"]))


def test_empty_stage_list_is_an_error() -> None:
    with pytest.raises(ConfigError, match="pipeline.stages"):
        load_config(stages=[])


def test_shipped_files_have_one_source() -> None:
    """The lexicon, models and presets live in the package; the top level holds pointers only."""
    assert sorted(p.name for p in (REPO / "models").iterdir()) == ["README.md"]
    assert sorted(p.name for p in (REPO / "configs").iterdir()) == ["default.yaml"]  # generated
    assert (REPO / "pipeline" / "models" / "lexicon" / "default.yaml").is_file()
    assert (REPO / "pipeline" / "presets" / "mt5_xlsum.yaml").is_file()


def test_generated_files_are_current() -> None:
    """configs/default.yaml (with its comments) and the published schema are what the script writes."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("write_default_config", REPO / "scripts" / "write_default_config.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (REPO / "configs" / "default.yaml").read_text(encoding="utf-8") == module.render()
    schema = REPO / "pipeline" / "resources" / "article.schema.json"
    assert schema.read_text(encoding="utf-8") == module.render_schema()
