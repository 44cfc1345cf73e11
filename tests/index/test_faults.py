"""Ingest, rebuild, delete and upload killed at 20 points: every rerun equals a clean build.

Ten points are named steps (vectors written but the catalog not committed, the
catalog committed but old vectors not deleted, mid-reset, mid-delete, mid keyword
save, ...); ten are write steps drawn by a seeded RNG. Each kill is a SIGKILL in a
child process at that step (see `tests/index/faults.py`); `bench/bench_faults.py`
tallies the same points into `bench/results/faults.json`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.index import clean_build, faults

pytestmark = pytest.mark.slow  # kills child processes at 20 points

RANDOM = 10


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> clean_build.World:
    return clean_build.make_world(tmp_path_factory.mktemp("fault-world"))


@pytest.fixture(scope="module")
def clean(
    world: clean_build.World, tmp_path_factory: pytest.TempPathFactory
) -> dict[clean_build.Operation, clean_build.Snapshot]:
    return clean_build.clean_snapshots(world, tmp_path_factory.mktemp("fault-clean"))


@pytest.fixture(scope="module")
def random_points(
    world: clean_build.World, tmp_path_factory: pytest.TempPathFactory
) -> list[faults.Point]:
    steps = faults.count_steps(world, tmp_path_factory.mktemp("fault-count"))
    return faults.random_points(steps, RANDOM)


def check(outcome: faults.Outcome) -> None:
    assert outcome.interrupted, f"the fault never fired: {outcome.point}"
    assert outcome.differences == [], outcome.point.name
    assert outcome.recovered == outcome.pending
    if outcome.point.must_recover:
        assert outcome.pending > 0, "the killed write left no intent to recover from"


def test_the_clean_builds_answer_with_citations(
    clean: dict[clean_build.Operation, clean_build.Snapshot],
) -> None:
    """The comparison means something: each question is answered with a citation."""
    for snapshot in clean.values():
        assert all(cited for _, cited in snapshot.answers)
        assert all(snapshot.keyword_hits) and snapshot.vectors and not snapshot.problems


@pytest.mark.parametrize("point", faults.INJECTED, ids=[p.name for p in faults.INJECTED])
def test_a_kill_at_a_named_step_reruns_to_a_clean_build(
    point: faults.Point,
    world: clean_build.World,
    clean: dict[clean_build.Operation, clean_build.Snapshot],
    tmp_path: Path,
) -> None:
    check(faults.run_point(point, world, clean, tmp_path / "home"))


@pytest.mark.parametrize("number", range(RANDOM))
def test_a_kill_at_a_random_write_step_reruns_to_a_clean_build(
    number: int,
    random_points: list[faults.Point],
    world: clean_build.World,
    clean: dict[clean_build.Operation, clean_build.Snapshot],
    tmp_path: Path,
) -> None:
    check(faults.run_point(random_points[number], world, clean, tmp_path / "home"))


def test_a_keyword_segment_no_commit_named_is_never_searched_and_is_deleted(
    world: clean_build.World, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    shutil.copytree(world.template("update"), home)
    named = set((home / "keyword").glob("*.npz"))
    fault = faults.Fault("keyword.save", 1, "after")  # the update's segment, uncommitted
    assert faults.run_child("update", home, world, fault) is None
    orphans = set((home / "keyword").glob("*.npz")) - named
    assert len(orphans) == 1

    reader = clean_build.assistant(home)
    try:
        assert sorted(reader.index.keyword.live_ids()) == sorted(
            c.id for c, _, _ in reader.index.catalog.all_chunks()
        )
        for query in ("bridge", "hospital wing donors"):  # articles the update left alone
            hits = reader.index.keyword_search(query, 10)
            assert reader.index.resolve([h.chunk_id for h in hits]), query
        assert not reader.ask(clean_build.QUESTIONS[0]).abstained
        clean_build.operate("update", reader, world)
        assert not any(path.exists() for path in orphans)
    finally:
        clean_build.close(reader)
