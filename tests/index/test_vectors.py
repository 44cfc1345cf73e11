"""The Chroma vector store: date-ranged nearest neighbours, fast path and fallback alike."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from index.settings import StoreSettings
from index.vectors import OVERFETCH, VectorStore


def store_with(tmp_path: Path, date_keys: list[int]) -> tuple[VectorStore, np.ndarray]:
    """Vectors whose similarity to `query` falls with their position in `date_keys`."""
    rng = np.random.default_rng(0)
    query = rng.normal(size=16).astype(np.float32)
    noise = rng.normal(size=(len(date_keys), 16)).astype(np.float32)
    vectors = np.stack([query + 0.3 * (i + 1) * noise[i] for i in range(len(date_keys))])
    store = VectorStore(StoreSettings(home=tmp_path))
    store.upsert(
        [f"c{i}" for i in range(len(date_keys))],
        vectors,
        [{"article_id": f"a{i}", "date_key": key} for i, key in enumerate(date_keys)],
        ["" for _ in date_keys],
    )
    return store, query


def test_date_range_matches_chromas_own_filter_on_the_fast_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = [20240101 + (i % 20) for i in range(40)]  # January 2024, mixed
    store, query = store_with(tmp_path, keys)
    filtered_calls: list[object] = []
    nearest = store._nearest

    def recording(*args: Any) -> Any:
        filtered_calls.append(args)
        return nearest(*args)

    monkeypatch.setattr(store, "_nearest", recording)
    got = store.query(query, 3, 20240105, 20240110)
    assert filtered_calls == []  # answered from the over-fetched nearest vectors
    expected = nearest(
        query, 3, {"$and": [{"date_key": {"$gte": 20240105}}, {"date_key": {"$lte": 20240110}}]}
    )
    assert [h.chunk_id for h in got] == [h.chunk_id for h in expected]
    assert all(20240105 <= keys[int(h.chunk_id[1:])] <= 20240110 for h in got)


def test_a_range_beyond_the_nearest_vectors_falls_back_to_chromas_filter(tmp_path: Path) -> None:
    top_k = 2
    near = 20240301
    # Only the farthest vectors lie in the range, beyond the first OVERFETCH * top_k.
    keys = [near] * (OVERFETCH * top_k + 3) + [20200101, 20200102]
    store, query = store_with(tmp_path, keys)
    got = store.query(query, top_k, None, 20201231)
    assert sorted(h.chunk_id for h in got) == [f"c{len(keys) - 2}", f"c{len(keys) - 1}"]
    assert store.query(query, top_k, 20250101, None) == []


@pytest.mark.parametrize("undated", [5, OVERFETCH * 3 + 3])
def test_undated_articles_are_in_no_date_range(tmp_path: Path, undated: int) -> None:
    # The undated vectors are the nearest; with more of them than the over-fetch sees,
    # the query falls back to Chroma's filter.
    keys = [0] * undated + [20240302] * 3
    store, query = store_with(tmp_path, keys)
    for since, until in [(None, 20241231), (20240101, None), (20240101, 20241231)]:
        got = store.query(query, 3, since, until)
        assert len(got) == 3 and all(keys[int(h.chunk_id[1:])] > 0 for h in got)
    assert {h.chunk_id for h in store.query(query, 3, None, None)} & {"c0", "c1", "c2"}


def test_an_empty_store_answers_with_no_hits(tmp_path: Path) -> None:
    store = VectorStore(StoreSettings(home=tmp_path))
    query = np.ones(16, dtype=np.float32)
    assert store.query(query, 5, None, None) == []
    assert store.query(query, 5, None, 20241231) == []
