"""Progress on a log file or pipe: plain lines, one every few seconds, not nothing."""

from __future__ import annotations

import io
import time

import pytest

from index import progress


def test_off_a_terminal_progress_is_a_line_every_interval(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    log = io.StringIO()  # isatty() is False, as for `rag ingest dir 2>log`
    monkeypatch.setattr("sys.stderr", log)
    monkeypatch.setattr(progress, "LOG_INTERVAL_S", 0.05)
    for _ in progress.progress_bar(range(4), desc="embedding", unit="chunk"):
        time.sleep(0.08)
    lines = log.getvalue().splitlines()
    assert "\r" not in log.getvalue()
    assert lines[0].startswith("embedding:   0%") and lines[-1].startswith("embedding: 100%")
    assert len(lines) >= 3  # the start, progress while it ran, the end


def test_a_bar_that_leaves_nothing_writes_no_blank_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    log = io.StringIO()
    monkeypatch.setattr("sys.stderr", log)
    for _ in progress.progress_bar(range(3), desc="chunking", leave=False):
        pass
    assert all(line.strip() for line in log.getvalue().splitlines())
