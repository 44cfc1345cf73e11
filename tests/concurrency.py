"""Helpers for start-up race tests: an index left by an earlier process, calls released at once."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import pytest

from rag import Assistant, Settings
from tests.fakes import HashingEmbedder

T = TypeVar("T")


def build_and_let_go(settings: Settings, corpus: Path) -> None:
    """Ingest `corpus` under `settings.home`, then close it all, as a finished `rag ingest`
    would: the next assistant starts Chroma afresh, as a new server process does."""
    builder = Assistant(settings, embedder=HashingEmbedder())
    builder.ingest([corpus])
    builder.index.vectors.close()
    builder.index.close()


def slow_chroma_start(monkeypatch: pytest.MonkeyPatch, delay_s: float = 0.3) -> list[float]:
    """Make Chroma's start take `delay_s` longer, as on a busy machine, so that calls released
    together all overlap it. Returns the times it was started."""
    from chromadb.config import System

    started: list[float] = []
    start = System.start

    def slow_start(self: System) -> None:
        started.append(time.monotonic())
        time.sleep(delay_s)
        start(self)

    monkeypatch.setattr(System, "start", slow_start)
    return started


def all_at_once(threads: int, call: Callable[[int], T]) -> list[T | Exception]:
    """`call(i)` on `threads` threads released together; each result, or what it raised."""
    barrier = threading.Barrier(threads)

    def run(i: int) -> T | Exception:
        barrier.wait(timeout=30)
        try:
            return call(i)
        except Exception as exc:  # the caller reports every failure
            return exc

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(run, range(threads)))
