"""Executors run decode -> stages -> records over the issues the driver lists (see `base`);
`local` is the process pool on this machine, `ray` a Ray cluster (`make_executor` picks one)."""

from __future__ import annotations

from typing import Any

ENGINES = ("local", "ray")


def make_executor(engine: str, config: Any, **options: Any) -> Any:
    """The executor named `engine` (`local` or `ray`), built with its own options; `None` options are
    left to its defaults; the ray engine is connected to its cluster here. Raises `ExecutorError`
    for an unknown engine, a missing extra or a cluster it cannot reach."""
    from pipeline.executor.base import ExecutorError

    options = {k: v for k, v in options.items() if v is not None}
    if engine == "local":
        from pipeline.executor.local import LocalExecutor

        return LocalExecutor(config, **options)
    if engine == "ray":
        from pipeline.executor.ray import RayExecutor, import_ray

        import_ray()  # the one clear line when the extra is missing
        executor = RayExecutor(config, **options)
        executor.start()  # a cluster that cannot be reached fails before any output is touched
        return executor
    raise ExecutorError(f"--engine {engine}: unknown engine; choose one of {', '.join(ENGINES)}")
