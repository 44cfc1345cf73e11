"""One writer per index: a file lock that ingest, rebuild and delete hold while they write.

Readers never take it. A second writer fails at once with the holder's process id
rather than waiting behind a long ingest, and because only the lock holder writes, the
crash recovery that ingest runs first never mistakes a live writer's work for a dead
one's. The holder's pid is in `write.pid` while it holds, and gone once it is done.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from index.errors import IndexBusyError

LOCK_FILE = "write.lock"
HOLDER_FILE = "write.pid"


class WriterLock:
    """Re-entrant within one holder: a rebuild's reset and its ingest share one hold."""

    def __init__(self, home: Path) -> None:
        self._home = home
        self._lock = FileLock(home / LOCK_FILE, timeout=0)
        self._holder = home / HOLDER_FILE

    @contextmanager
    def held(self) -> Iterator[None]:
        self._home.mkdir(parents=True, exist_ok=True)
        try:
            self._lock.acquire()
        except Timeout:
            raise IndexBusyError(
                f"the index at {self._home} is being updated by process "
                f"{_holder_pid(self._holder)}; wait for it to finish and try again"
            ) from None
        outermost = self._lock.lock_counter == 1
        try:
            if outermost:
                partial = self._holder.with_name(f"{HOLDER_FILE}.{os.getpid()}")
                partial.write_text(str(os.getpid()))
                os.replace(partial, self._holder)
            yield
        finally:
            if outermost:  # so that no refused writer names this process once it is done
                self._holder.unlink(missing_ok=True)
            self._lock.release()


def _holder_pid(holder: Path, wait_s: float = 1.0) -> str:
    """The pid the holder wrote. It writes it just after taking the lock, so until then
    the file is missing or names a dead holder (one killed): wait a moment for it."""
    deadline = time.monotonic() + wait_s
    while True:
        pid = _read(holder)
        if pid is not None and _alive(pid):
            return str(pid)
        if time.monotonic() >= deadline:
            return "(unknown)"
        time.sleep(0.01)


def _read(holder: Path) -> int | None:
    try:
        return int(holder.read_text().strip())
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    if os.name != "posix":  # os.kill(pid, 0) would end the process on Windows
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive: another user's
        pass
    return True
