"""One run per output: an exclusive lock on a lock file beside the output, naming its run's PID.

A POSIX record lock (`fcntl.lockf`) belongs to the process that took it: worker processes forked
from the run do not inherit it, and the kernel drops it the moment the run dies, however it dies
(`kill -9` included). So a lock file left behind by a killed run is stale by construction and
the next run simply takes it over; a lock that is held is refused with the holder's PID. The
lock file is removed (while still locked) when the run ends; a run that locked a file another
run had just removed notices (the path no longer names what it locked) and tries again.
Without `fcntl` (Windows) the file is created exclusively and a PID that is not alive is stale.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from pipeline.io.manifest import OutputError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

_HELD: set[str] = set()  # lock files this process holds (a POSIX lock does not stop the same process)


def _refused(what: str, pid: str) -> OutputError:
    return OutputError(
        f"{what} is being written by another newspipe run (pid {pid or '?'}); wait for it to finish "
        "(or stop it), or choose another -o"
    )


def _read_pid(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii", errors="replace").strip()[:20]
    except OSError:
        return ""


def _pid_alive(pid: str) -> bool:  # pragma: no cover - the fallback without fcntl
    try:
        os.kill(int(pid), 0)
    except (ValueError, ProcessLookupError):
        return False
    except OSError:
        return True
    return True


class OutputLock:
    """`acquire()` or `OutputError`; `release()` removes the lock file. `what` names the output."""

    def __init__(self, path: Path, what: str) -> None:
        self.path = Path(path)
        self.what = what
        self.fd = -1
        self.key = os.path.realpath(self.path)

    def acquire(self) -> None:
        if self.key in _HELD:
            raise _refused(self.what, str(os.getpid()))
        for _ in range(20):
            if self._try():
                _HELD.add(self.key)
                try:
                    os.ftruncate(self.fd, 0)
                    os.write(self.fd, f"{os.getpid()}\n".encode("ascii"))
                except OSError as exc:
                    self.release()
                    raise OutputError(f"cannot write {self.path}: {exc.strerror}") from None
                return
        raise _refused(self.what, _read_pid(self.path))  # pragma: no cover - a lock file that keeps vanishing

    def _try(self) -> bool:
        """True once locked; False to try again (the file was replaced under us)."""
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
        if fcntl is None:  # pragma: no cover - Windows
            try:
                self.fd = os.open(self.path, flags | os.O_EXCL, 0o644)
                return True
            except FileExistsError:
                pid = _read_pid(self.path)
                if pid and _pid_alive(pid):
                    raise _refused(self.what, pid) from None
                self.path.unlink(missing_ok=True)
                return False
        fd = os.open(self.path, flags, 0o644)  # an OSError here: the caller words it
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EACCES, errno.EAGAIN):
                raise _refused(self.what, _read_pid(self.path)) from None
            raise
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(self.path))
        except FileNotFoundError:
            same = False
        if not same:  # the run that held it removed it after we opened it
            os.close(fd)
            return False
        self.fd = fd
        return True

    def release(self) -> None:
        if self.fd < 0:
            return
        try:
            self.path.unlink(missing_ok=True)  # still locked: nobody can take a file that is going away
        except OSError:
            pass
        os.close(self.fd)
        self.fd = -1
        _HELD.discard(self.key)
