"""One writer per index: a second one fails at once and names the holder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from index.writer import WriterLock
from rag import Assistant, IndexBusyError, Settings
from tests.fakes import HashingEmbedder


def test_a_second_writer_is_refused_with_the_holders_pid_and_changes_nothing(
    corpus: Path, settings: Settings
) -> None:
    assistant = Assistant(settings, embedder=HashingEmbedder())
    with WriterLock(Path(settings.home)).held():  # another writer (its own lock handle)
        with pytest.raises(IndexBusyError, match=f"being updated by process {os.getpid()}"):
            assistant.ingest([corpus])
        with pytest.raises(IndexBusyError):
            assistant.ingest([corpus], rebuild=True)
    assert assistant.status().articles == 0
    assert assistant.ingest([corpus]).added  # free again once the holder is done


def test_the_lock_is_reentrant_for_its_holder(tmp_path: Path) -> None:
    lock = WriterLock(tmp_path)
    with lock.held(), lock.held():
        assert (tmp_path / "write.pid").read_text() == str(os.getpid())
