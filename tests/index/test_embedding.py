"""The sentence-transformers embedder: one query encode at a time, whatever the threads."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from index.embedding import SentenceTransformerEmbedder
from index.settings import EmbeddingSettings


class CountingModel:
    """Stands in for a SentenceTransformer and records how many encodes overlap."""

    def __init__(self) -> None:
        self.running = 0
        self.most = 0
        self._guard = threading.Lock()

    def encode(self, texts: list[str], **_: Any) -> np.ndarray:
        with self._guard:
            self.running += 1
            self.most = max(self.most, self.running)
        time.sleep(0.01)
        with self._guard:
            self.running -= 1
        return np.ones((len(texts), 4), dtype=np.float32)


def test_concurrent_queries_are_encoded_one_at_a_time() -> None:
    embedder = SentenceTransformerEmbedder(EmbeddingSettings())
    model = CountingModel()
    embedder._model = model  # type: ignore[assignment]
    with ThreadPoolExecutor(max_workers=8) as pool:
        vectors = list(pool.map(embedder.embed_query, [f"question {i}" for i in range(16)]))
    assert model.most == 1
    assert all(v.shape == (4,) and v.dtype == np.float32 for v in vectors)


class MeetingModel:
    """Each encode waits for a second one to start: only overlapping calls return."""

    def __init__(self) -> None:
        self.meeting = threading.Barrier(2, timeout=5)

    def encode(self, texts: list[str], **_: Any) -> np.ndarray:
        self.meeting.wait()
        return np.ones((len(texts), 4), dtype=np.float32)


def test_a_document_batch_does_not_hold_up_queries() -> None:
    embedder = SentenceTransformerEmbedder(EmbeddingSettings())
    embedder._model = MeetingModel()  # type: ignore[assignment]
    with ThreadPoolExecutor(max_workers=2) as pool:
        batch = pool.submit(embedder.embed_documents, ["article chunk"] * 4)
        query = pool.submit(embedder.embed_query, "question")
        assert batch.result().shape == (4, 4) and query.result().shape == (4,)
