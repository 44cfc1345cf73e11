"""One writer per index: a file lock that ingest, rebuild and delete hold while they write.

Readers never take it. A second writer fails at once with the holder's process id
rather than waiting behind a long ingest, and because only the lock holder writes, the
crash recovery that ingest runs first never mistakes a live writer's work for a dead
one's.
"""

from __future__ import annotations

import os
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

    @contextmanager
    def held(self) -> Iterator[None]:
        self._home.mkdir(parents=True, exist_ok=True)
        holder = self._home / HOLDER_FILE
        try:
            self._lock.acquire()
        except Timeout:
            raise IndexBusyError(
                f"the index at {self._home} is being updated by process {_read(holder)}; "
                "wait for it to finish and try again"
            ) from None
        try:
            if self._lock.lock_counter == 1:
                holder.write_text(str(os.getpid()))
            yield
        finally:
            self._lock.release()


def _read(holder: Path) -> str:
    try:
        return holder.read_text().strip() or "(unknown)"
    except OSError:
        return "(unknown)"
