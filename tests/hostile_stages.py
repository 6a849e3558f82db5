"""Test-only stages that kill their own worker process on a marked issue (registered from tests,
never shipped). Imported by the workers, so it lives in a module of its own."""

from __future__ import annotations

import os
import signal

from pipeline.stages.base import Stage

KILL9 = "KILL-NINE-MARK"  # SIGKILL in the middle of the stage
MIDWRITE = "KILL-MIDWRITE-MARK"  # SIGKILL half-way through sending the result back to the driver


def _arm_midwrite_kill() -> None:
    """Patch this (worker) process's pipe writes: the next write of more than 64 bytes is cut in
    half and the process SIGKILLs itself, as a kill -9 from outside landing mid-send would,
    leaving a half-written message in the result pipe (and any lock around it held forever)."""
    from multiprocessing import connection

    original = connection.Connection._send

    def _send(self, buf, write=os.write):  # type: ignore[no-untyped-def]
        if len(buf) > 64:
            original(self, bytes(buf[: len(buf) // 2]))
            os.kill(os.getpid(), signal.SIGKILL)
        return original(self, buf)

    connection.Connection._send = _send  # type: ignore[method-assign]


class KillerStage(Stage):
    """Kills its worker on an issue holding a mark; passes every other issue through."""

    requires = ("articles",)
    provides = ("killer",)

    def pipe(self, issues):
        for issue in issues:
            if KILL9 in issue.text:
                os.kill(os.getpid(), signal.SIGKILL)
            if MIDWRITE in issue.text:
                _arm_midwrite_kill()
            yield issue
