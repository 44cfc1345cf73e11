"""Watched sources: RSS/Atom feeds and pages that `rag serve` re-reads on a schedule.

`rag sources add URL --every 30m` (or `POST /v1/sources`) records a source in the
index; `SourceWatcher` (started by `rag serve`) wakes every few seconds, reads the
sources that are due through `Assistant.ingest` (new entries added, edited ones
replaced; `index.web`) and records when each was read and what it added. Answers are
never blocked: a read fetches before it takes the writer lock, and questions do not
take it. The writer lock still keeps a `rag ingest` of another process out while the
server writes.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from rag.errors import InputError

if TYPE_CHECKING:
    from collections.abc import Callable

    from rag.assistant import Assistant

logger = logging.getLogger(__name__)

DEFAULT_EVERY = "30m"
MIN_EVERY_S = 1  # tests poll a local feed every second; users are told the unit
MAX_EVERY_S = 30 * 24 * 3600
_EVERY = re.compile(r"^\s*(\d+)\s*([smhd]?)\s*$", re.IGNORECASE)
_UNIT_S = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_every(text: str | int) -> int:
    """'30m' -> 1800 seconds ('45s', '2h', '1d', or a number of seconds)."""
    match = _EVERY.match(str(text))
    if match is None:
        raise InputError(
            f"--every must be a number with s, m, h or d (30m, 2h), got {text!r}", field="every"
        )
    seconds = int(match.group(1)) * _UNIT_S[match.group(2).lower()]
    if not MIN_EVERY_S <= seconds <= MAX_EVERY_S:
        raise InputError(
            f"--every must be between {MIN_EVERY_S} s and 30 days, got {text!r}", field="every"
        )
    return seconds


@dataclass(frozen=True)
class WatchedSource:
    """A watched feed or page: how often it is read, when it was last, what that added."""

    url: str
    every_s: int
    added: str  # when it was first watched (UTC, ISO)
    last_read: str = ""  # "" never yet
    last_added: int = 0  # articles added or updated by the last read
    last_note: str = ""  # the last read's failures, one line ("" none)

    def due(self, now: datetime) -> bool:
        if not self.last_read:
            return True
        return now >= datetime.fromisoformat(self.last_read) + timedelta(seconds=self.every_s)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class SourceWatcher:
    """Reads the due sources of `assistant` every `tick_s` seconds, on its own thread."""

    def __init__(
        self,
        assistant: Assistant,
        tick_s: float = 5.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._assistant = assistant
        self._tick_s = tick_s
        self._clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def poll(self) -> list[WatchedSource]:
        """Read every due source once; the sources as recorded after their reads."""
        read = []
        for source in self._assistant.sources():
            if source.due(self._clock()):
                after = self._assistant.read_source(source.url)
                if after is not None:
                    read.append(after)
        return read

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="source-watcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll()
            except Exception:  # a broken store must not end the watcher; it is logged
                logger.exception("reading the watched sources failed")
            self._stop.wait(self._tick_s)
