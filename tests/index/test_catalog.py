"""The catalog from several threads, as the server uses it: a chat upload's ingest
writes in the server process while request threads read and record feedback."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from index.catalog import Catalog


@contextmanager
def open_write(catalog: Catalog) -> Iterator[threading.Event]:
    """A writer thread holding an open transaction that has set meta 'upload' until the
    yielded event is set; then it commits."""
    began, release = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def write() -> None:
        try:
            with catalog.transaction():
                catalog.set_meta("upload", "in flight")
                catalog.bump_generation()
                began.set()
                release.wait(10)
        except BaseException as exc:  # reported by the test's thread
            failures.append(exc)
            began.set()

    writer = threading.Thread(target=write)
    writer.start()
    assert began.wait(10)
    try:
        yield release
    finally:
        release.set()
        writer.join(10)
    assert not failures, failures


def test_a_reading_thread_never_sees_another_threads_open_transaction(tmp_path: Path) -> None:
    catalog = Catalog(tmp_path / "catalog.sqlite")
    before = catalog.generation()
    with open_write(catalog):
        assert catalog.get_meta("upload") is None  # not committed yet
        assert catalog.generation() == before
    assert catalog.get_meta("upload") == "in flight"
    assert catalog.generation() == before + 1
    catalog.close()


def test_feedback_written_during_an_upload_waits_for_it_instead_of_failing(
    tmp_path: Path,
) -> None:
    catalog = Catalog(tmp_path / "catalog.sqlite")
    done = threading.Event()

    def record_feedback() -> None:
        catalog.add_feedback("f1", "a1", "2024-01-01T00:00:00", {"rating": "up"})
        done.set()

    with open_write(catalog) as release:
        thread = threading.Thread(target=record_feedback)
        thread.start()
        assert not done.wait(0.3)  # waiting on the upload's lock, not failed
        release.set()
        thread.join(10)
    assert done.is_set()
    assert catalog.feedback() == [{"rating": "up"}]
    catalog.close()
