"""Stage registry: stages register themselves with a decorator, as spaCy's `Language.factory`
and Stanza's `register_processor` do.

    from pipeline.registry import register_stage
    from pipeline.stages.base import Stage

    @register_stage("shout")
    class ShoutStage(Stage):
        requires = ("articles",)
        provides = ("shout",)
        config_section = "shout"        # the config key this stage owns ...
        config_model = ShoutSection     # ... and its pydantic model
        record_fields = {"shout": {"type": "string"}}   # what it adds to each record

Everything else follows from that declaration: `pipeline.stages` accepts the name, the config
accepts (and hashes) the section, the record gets the fields, the schema describes them and
`newspipe stages` lists the stage. Adding a stage touches its own module and its tests.

The built-in stages register when their modules are imported: `load_builtin_stages` imports every
module of `pipeline/stages/` (the default pipeline's in its order, any other after them by name),
so a new built-in stage is one new module there. This module imports nothing from the package at
import time, so every layer may use it.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from typing import Any, TypeVar

# the default pipeline's stage modules, in its order (`newspipe stages` lists them first)
BUILTIN_STAGE_MODULES = ("pipeline.stages.segment", "pipeline.stages.classify", "pipeline.stages.summarize")
STAGES_PACKAGE = "pipeline.stages"
# config sections that belong to the run itself, not to a stage
CORE_SECTIONS = ("pipeline", "input", "output")

T = TypeVar("T")

_stages: dict[str, Any] = {}  # name -> stage class, in registration order
_builtins_loaded = False


class RegistryError(ValueError):
    """A stage registration that would make the registry ambiguous."""


def _qualname(cls: Any) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def register_stage(name: str) -> Callable[[T], T]:
    """Class decorator: register a `Stage` subclass under `name` (which it then carries)."""
    if not name.isidentifier():
        raise RegistryError(f"stage name {name!r} must be a Python identifier (letters, digits, _)")

    def deco(cls: T) -> T:
        prev = _stages.get(name)
        if prev is not None and prev is not cls and _qualname(prev) != _qualname(cls):
            raise RegistryError(f"stage '{name}' is already registered by {_qualname(prev)}")
        section = getattr(cls, "config_section", None)
        if section is not None:
            if section in CORE_SECTIONS:
                raise RegistryError(f"stage '{name}': config section '{section}' is reserved")
            if getattr(cls, "config_model", None) is None:
                raise RegistryError(f"stage '{name}' names config section '{section}' but has no config_model")
            for other, ocls in _stages.items():
                if other != name and getattr(ocls, "config_section", None) == section:
                    raise RegistryError(f"stage '{name}': config section '{section}' belongs to stage '{other}'")
        cls.name = name  # type: ignore[attr-defined]
        _stages[name] = cls
        return cls

    return deco


def unregister_stage(name: str) -> None:
    """Forget a registered stage (tests and plugins that register temporarily)."""
    _stages.pop(name, None)


@functools.lru_cache(maxsize=1)
def builtin_stage_modules() -> tuple[str, ...]:
    """Every stage module of the package: the default pipeline's in order, then the others by name."""
    import pkgutil

    package = importlib.import_module(STAGES_PACKAGE)
    found = sorted(
        f"{STAGES_PACKAGE}.{m.name}" for m in pkgutil.iter_modules(package.__path__) if m.name != "base"
    )
    return tuple(m for m in BUILTIN_STAGE_MODULES if m in found) + tuple(m for m in found if m not in BUILTIN_STAGE_MODULES)


def load_builtin_stages() -> None:
    global _builtins_loaded
    if not _builtins_loaded:
        for module in builtin_stage_modules():
            importlib.import_module(module)
        _builtins_loaded = True


def _builtin_names() -> list[str]:
    by_module = {cls.__module__: n for n, cls in _stages.items()}
    return [by_module[m] for m in builtin_stage_modules() if m in by_module]


def stage_names() -> list[str]:
    """Registered stage names: the built-in ones in pipeline order, then the others as registered."""
    load_builtin_stages()
    builtin = _builtin_names()
    return builtin + [n for n in _stages if n not in builtin]


def get_stage(name: str) -> Any:
    """The stage class registered under `name`; KeyError when there is none."""
    load_builtin_stages()
    return _stages[name]


def stage_sections() -> dict[str, Any]:
    """Config section name -> pydantic model, for every registered stage that owns one."""
    out: dict[str, Any] = {}
    for name in stage_names():
        cls = _stages[name]
        section = getattr(cls, "config_section", None)
        if section is not None:
            out[section] = cls.config_model
    return out
