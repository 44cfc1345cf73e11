"""One writer per index: a second one fails at once and names the holder; readers go on.

Two `rag ingest` processes on one home: the second exits 1 with "the index at ... is
being updated by process N", touches nothing (the first's writes in flight are not
"recovered"), and its rerun after the first is done finds nothing left to do; the index
then equals a clean build. A reader in another process answers throughout.
"""

from __future__ import annotations

import os
import subprocess
import threading
from pathlib import Path

import pytest
from filelock import FileLock

from index.catalog import Catalog
from index.writer import WriterLock
from rag import Assistant, IndexBusyError, Settings
from tests.fakes import HashingEmbedder
from tests.index import clean_build, faults


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


def test_a_refused_writer_names_the_new_holder_not_the_previous_one(tmp_path: Path) -> None:
    """The holder writes its pid just after taking the lock: meanwhile the file may still
    name the previous holder (killed, so it could not remove it)."""
    previous = subprocess.Popen(["true"])
    previous.wait()
    (tmp_path / "write.pid").write_text(str(previous.pid))
    with FileLock(tmp_path / "write.lock", timeout=0):  # the new holder, pid not yet written
        late = threading.Timer(0.2, (tmp_path / "write.pid").write_text, [str(os.getpid())])
        late.start()
        refused = pytest.raises(IndexBusyError, match=f"by process {os.getpid()};")
        with refused, WriterLock(tmp_path).held():
            pass
        late.join()


def test_a_holder_that_is_done_is_named_by_no_one(tmp_path: Path) -> None:
    with WriterLock(tmp_path).held():
        pass
    assert not (tmp_path / "write.pid").exists()
    refused = pytest.raises(IndexBusyError, match=r"by process \(unknown\)")
    # A holder that never wrote its pid:
    with FileLock(tmp_path / "write.lock", timeout=0), refused, WriterLock(tmp_path).held():
        pass


def _rag(world: clean_build.World, home: Path, *paths: Path) -> list[str]:
    return ["ingest", *(str(p) for p in paths or (world.corpus,)), "--home", str(home)]


def _run(world: clean_build.World, home: Path, base: Path) -> tuple[int, str, str]:
    with faults.Command.start(_rag(world, home), base) as command:
        return command.result()


def test_two_rag_ingests_at_once_the_second_is_refused_and_no_work_is_lost(
    tmp_path: Path,
) -> None:
    world = clean_build.make_world(tmp_path / "world", templates=False)
    home = tmp_path / "home"
    # The first holds with one batch committed and the next one's vectors written: its
    # intents are in flight, which a second writer's recovery must not take for a dead one's.
    with faults.Command.start(
        _rag(world, home), tmp_path / "first", hold=faults.Fault("vectors.upsert", 2, "after")
    ) as first:
        pid = first.wait_until_held()
        in_flight = Catalog(home / "catalog.sqlite").pending()
        assert in_flight

        code, _, err = _run(world, home, tmp_path / "second")
        assert code == 1
        assert f"is being updated by process {pid}; wait for it to finish" in err
        assert Catalog(home / "catalog.sqlite").pending() == in_flight  # its work left alone

        first.release()
        code, out, err = first.result()
    assert code == 0, err
    articles = len(clean_build.ARTICLES)
    assert out.startswith(f"added {articles}, updated 0")
    code, out, _ = _run(world, home, tmp_path / "again")
    assert code == 0 and out.startswith(f"added 0, updated 0, unchanged {articles}")

    clean = clean_build.clean_snapshot(world, tmp_path / "clean")
    after = clean_build.assistant(home)
    assert clean_build.differences(clean, clean_build.snapshot(after)) == []


def test_a_reader_keeps_answering_while_another_process_ingests(tmp_path: Path) -> None:
    world = clean_build.make_world(tmp_path / "world", templates=False)
    home = tmp_path / "home"
    reader = clean_build.assistant(home)
    reader.ingest([world.corpus])
    before = reader.ask(clean_build.QUESTIONS[0])
    assert before.citations
    ferry = "How many passengers does the Norwick ferry carry?"

    with faults.Command.start(
        _rag(world, home, world.upload.parent),
        tmp_path / "writer",
        hold=faults.Fault("vectors.upsert", 1, "after"),  # its vectors written, uncommitted
    ) as writer:
        writer.wait_until_held()
        during = reader.ask(clean_build.QUESTIONS[0])
        assert during.text == before.text and during.citations == before.citations
        assert all("passengers" not in p.text for p in reader.search(ferry))
        writer.release()
        code, _, err = writer.result()
    assert code == 0, err
    after = reader.ask(ferry)  # the reader follows the other process's ingest
    assert any("two hundred passengers" in c.quote for c in after.citations)
    again = reader.ask(clean_build.QUESTIONS[0])  # the same quotes; scores move a little
    assert [(c.article_id, c.start, c.end) for c in again.citations] == [
        (c.article_id, c.start, c.end) for c in before.citations
    ]
