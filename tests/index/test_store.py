"""`Index` follows the writes of other processes: a running server sees a CLI ingest."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from pytest import MonkeyPatch

from index.ingest import ingest
from index.settings import IndexSettings, StoreSettings
from index.store import open_index
from tests.fakes import HashingEmbedder

ROOT = Path(__file__).resolve().parents[2]
NEW_ARTICLE = "Zanzibar ferry operators announced quokkaflux timetables for the monsoon season."

INGEST_SCRIPT = """
from pathlib import Path
from index.ingest import ingest
from index.settings import IndexSettings, StoreSettings
from index.store import open_index
from tests.fakes import HashingEmbedder

settings = IndexSettings(store=StoreSettings(home=Path({home!r})))
ingest(open_index(settings, HashingEmbedder()), [Path({folder!r})])
"""


def ingest_in_another_process(home: Path, folder: Path) -> None:
    script = INGEST_SCRIPT.format(home=str(home), folder=str(folder))
    subprocess.run(
        [sys.executable, "-c", script],
        check=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=300,
    )


def test_a_reader_finds_articles_another_process_ingested(corpus: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    reader = open_index(IndexSettings(store=StoreSettings(home=home)), HashingEmbedder())
    ingest_in_another_process(home, corpus)
    assert reader.keyword_search("airstrikes", 5)  # caches warm: BM25 loaded, Chroma open
    assert reader.dense_search("airstrikes", 5)

    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "ferries.txt").write_text(f"date 2024-03-01\n\n{NEW_ARTICLE}\n", encoding="utf-8")
    ingest_in_another_process(home, extra)

    by_keyword = reader.resolve([h.chunk_id for h in reader.keyword_search("quokkaflux", 5)])
    assert [Path(c.article.source).name for c in by_keyword.values()] == ["ferries.txt"]
    dense = reader.dense_search(NEW_ARTICLE, 1)
    assert [c.article.text for c in reader.resolve([dense[0].chunk_id]).values()] == [
        NEW_ARTICLE
    ], "the nearest vector is the new article's"


def test_a_process_keeps_its_chroma_client_after_its_own_writes_only(
    corpus: Path, tmp_path: Path, monkeypatch: MonkeyPatch
) -> None:
    home = tmp_path / "home"
    index = open_index(IndexSettings(store=StoreSettings(home=home)), HashingEmbedder())
    ingest(index, [corpus])
    assert index.dense_search("airstrikes", 5)  # connected
    reconnects: list[int] = []
    reconnect = index.vectors.reconnect

    def counted() -> None:
        reconnects.append(1)
        reconnect()

    monkeypatch.setattr(index.vectors, "reconnect", counted)
    own = tmp_path / "own"
    own.mkdir()
    (own / "ferries.txt").write_text(f"date 2024-03-01\n\n{NEW_ARTICLE}\n", encoding="utf-8")
    ingest(index, [own])
    dense = index.dense_search(NEW_ARTICLE, 1)
    assert [c.article.text for c in index.resolve([dense[0].chunk_id]).values()] == [NEW_ARTICLE]
    assert index.keyword_search("quokkaflux", 5)
    assert reconnects == []  # its client saw its own write: no HNSW reload

    other = tmp_path / "other"
    other.mkdir()
    (other / "trams.txt").write_text("date 2024-03-02\n\nTram zorblat depots.\n", encoding="utf-8")
    ingest_in_another_process(home, other)
    assert index.keyword_search("zorblat", 5) and reconnects == [1]
