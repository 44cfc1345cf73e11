"""`Assistant.remove` killed midway: the removed article never reaches an answer once the
catalog has committed, and rerunning the removal ends equal to a clean build of the
corpus without it (articles, chunks, vectors, BM25 ids and hits, answers, status).

The kill is a SIGKILL in a forkserver child at a write step, as in `test_faults.py`."""

from __future__ import annotations

import shutil
import signal
from pathlib import Path

import pytest

from index.loaders import file_article_id
from tests.index import clean_build, faults

pytestmark = pytest.mark.slow  # kills child processes

REMOVED = "elmsby.txt"
POINTS = {
    "inside the catalog transaction, before its commit": (
        faults.Fault("catalog.delete_article"),
        False,
    ),
    "catalog committed, vectors not deleted": (faults.Fault("vectors.delete_article"), True),
    "vectors deleted, intent not cleared": (faults.Fault("catalog.clear_pending"), True),
}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> clean_build.World:
    return clean_build.make_world(tmp_path_factory.mktemp("remove-world"))


@pytest.fixture(scope="module")
def clean(
    world: clean_build.World, tmp_path_factory: pytest.TempPathFactory
) -> clean_build.Snapshot:
    """The corpus less the removed file, built in a fresh home (the same article ids)."""
    files = sorted(p for p in world.corpus.iterdir() if p.name != REMOVED)
    plain = clean_build.assistant(tmp_path_factory.mktemp("remove-clean") / "home")
    plain.ingest(files)
    try:
        return clean_build.snapshot(plain)
    finally:
        clean_build.close(plain)


def removed_id(world: clean_build.World) -> str:
    return file_article_id(world.corpus / REMOVED)


def child(home: str, article_id: str, fault: faults.Fault) -> None:
    """Remove `article_id` from `home`, killed at `fault`."""
    faults._prepare_child()
    helper = clean_build.assistant(Path(home))
    with faults.injected(fault, faults._kill_myself):
        helper.remove([article_id])


def kill_removal(world: clean_build.World, home: Path, fault: faults.Fault) -> bool:
    shutil.copytree(world.template("upload"), home)  # the whole corpus, built
    process = faults.context().Process(  # type: ignore[attr-defined]
        target=child, args=(str(home), removed_id(world), fault)
    )
    process.start()
    process.join(timeout=120)
    return bool(process.exitcode == -signal.SIGKILL)


@pytest.mark.parametrize("name", list(POINTS))
def test_a_removal_killed_midway_reruns_to_a_clean_build_without_the_article(
    name: str, world: clean_build.World, clean: clean_build.Snapshot, tmp_path: Path
) -> None:
    fault, committed = POINTS[name]
    home = tmp_path / "home"
    assert kill_removal(world, home, fault), "the fault never fired"
    article_id = removed_id(world)

    helper = clean_build.assistant(home)
    try:
        if committed:  # from the commit on, no search or answer sees the article
            assert helper.index.catalog.article(article_id) is None
            for question in clean_build.QUESTIONS:
                answer = helper.ask(question)
                assert all(p.article_id != article_id for p in answer.passages)
            hits = helper.index.keyword_search("harbour bridge Elmsby", 10)
            assert all(
                c.article.id != article_id
                for c in helper.index.resolve([h.chunk_id for h in hits]).values()
            )
        helper.remove([article_id])  # what the user reruns
        got = clean_build.snapshot(helper)
        assert clean_build.differences(clean, got) == []
        assert not helper.index.catalog.pending()
        report = helper.ingest([world.corpus])  # a plain ingest leaves it out
        assert not report.added and len(report.withheld) == 1
    finally:
        clean_build.close(helper)
