"""A rebuild is crash-safe, and `status` names a catalog/vector disagreement.

Faults are injected at each step of `Index.reset` and of an article write; the next
ingest must end equal to a clean build (articles, chunk ids, vectors).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rag import Assistant, Settings
from tests.fakes import HashingEmbedder


class Injected(RuntimeError):
    """The fault a test injects; stands in for a kill at that point."""


def fail(*_: object, **__: object) -> None:
    raise Injected


def fail_on_work(step: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make `step` (a dotted method path) raise when it is given anything to do: the
    recovery pass calls some steps with nothing pending, which must still pass."""
    module, cls, name = step.rsplit(".", 2)
    owner = getattr(__import__(module, fromlist=[cls]), cls)
    real = getattr(owner, name)

    def injected(self: object, first: object, *args: object, **kwargs: object) -> object:
        items = (
            list(first)
            if not isinstance(first, (str, bytes)) and hasattr(first, "__iter__")
            else [first]
        )
        if items:
            raise Injected
        return real(self, items, *args, **kwargs)

    monkeypatch.setattr(owner, name, injected)


def state(assistant: Assistant) -> tuple[int, list[str], list[str]]:
    chunks = sorted(chunk.id for chunk, _, _ in assistant.index.catalog.all_chunks())
    vectors = sorted(assistant.index.vectors.collection.get(include=[])["ids"])
    return assistant.status().articles, chunks, vectors


@pytest.fixture
def clean(corpus: Path, tmp_path: Path) -> tuple[int, list[str], list[str]]:
    """What a clean build of the corpus holds."""
    assistant = Assistant(Settings(home=tmp_path / "clean"), embedder=HashingEmbedder())
    assistant.ingest([corpus])
    return state(assistant)


def test_a_rebuild_killed_after_the_catalog_step_is_finished_by_the_next_ingest(
    corpus: Path,
    settings: Settings,
    clean: tuple[int, list[str], list[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    Assistant(settings, embedder=HashingEmbedder()).ingest([corpus])
    assistant = Assistant(settings, embedder=HashingEmbedder())
    monkeypatch.setattr("index.vectors.VectorStore.reset", fail)
    with pytest.raises(Injected):
        assistant.ingest([corpus], rebuild=True)
    monkeypatch.undo()

    after = Assistant(settings, embedder=HashingEmbedder())
    status = after.status()
    assert status.articles == 0  # the catalog went first: no article claims old vectors
    assert status.problems and "rebuild was interrupted" in status.problems[0]
    report = after.ingest([corpus])
    assert report.added and not report.unchanged  # re-embedded, not trusted as unchanged
    assert state(after) == clean
    assert after.status().problems == ()


def test_a_rebuild_whose_catalog_step_fails_changes_nothing(
    corpus: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    assistant = Assistant(settings, embedder=HashingEmbedder())
    assistant.ingest([corpus])
    before = state(assistant)
    monkeypatch.setattr("index.catalog.Catalog.delete_article", fail)  # e.g. database locked
    with pytest.raises(Injected):
        Assistant(settings, embedder=HashingEmbedder()).ingest([corpus], rebuild=True)
    monkeypatch.undo()
    assert state(Assistant(settings, embedder=HashingEmbedder())) == before


@pytest.mark.parametrize(
    "step",
    [
        "index.vectors.VectorStore.upsert",  # before any vector is written
        "index.catalog.Catalog.put_article",  # vectors written, catalog not committed
        "index.catalog.Catalog.clear_pending",  # catalog committed, intent not cleared
    ],
)
def test_an_ingest_killed_at_a_step_ends_equal_to_a_clean_build(
    step: str,
    corpus: Path,
    settings: Settings,
    clean: tuple[int, list[str], list[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fail_on_work(step, monkeypatch)
    with pytest.raises(Injected):
        Assistant(settings, embedder=HashingEmbedder()).ingest([corpus])
    monkeypatch.undo()
    again = Assistant(settings, embedder=HashingEmbedder())
    report = again.ingest([corpus])
    assert report.recovered == 1  # the dead write's intent was found and cleaned up
    assert state(again) == clean


def test_an_update_killed_before_the_old_vectors_are_deleted_ends_clean(
    corpus: Path, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Assistant(settings, embedder=HashingEmbedder()).ingest([corpus])
    seed = next(corpus.glob("*.txt"))
    seed.write_text(seed.read_text() + "\nA late correction to the story.\n")
    monkeypatch.setattr("index.vectors.VectorStore.delete_article", fail)
    with pytest.raises(Injected):
        Assistant(settings, embedder=HashingEmbedder()).ingest([corpus])
    monkeypatch.undo()
    again = Assistant(settings, embedder=HashingEmbedder())
    assert again.ingest([corpus]).recovered == 1
    fresh = Assistant(Settings(home=tmp_path / "fresh"), embedder=HashingEmbedder())
    fresh.ingest([corpus])
    assert state(again) == state(fresh)


def test_status_names_vectors_missing_for_catalog_chunks(seeded_fake_assistant: Assistant) -> None:
    assert seeded_fake_assistant.status().problems == ()
    collection = seeded_fake_assistant.index.vectors.collection
    collection.delete(ids=collection.get(include=[])["ids"][:1])
    (problem,) = seeded_fake_assistant.status().problems
    assert "rag ingest --rebuild" in problem
