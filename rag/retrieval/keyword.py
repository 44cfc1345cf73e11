"""Keyword retrieval: BM25 (bm25s) over the chunk texts."""

from __future__ import annotations

from index.store import Index
from rag.retrieval.base import NO_FILTER, DateFilter, to_passages
from rag.types import Passage


class KeywordRetriever:
    def __init__(self, index: Index) -> None:
        self._index = index

    def retrieve(self, query: str, top_k: int, filters: DateFilter = NO_FILTER) -> list[Passage]:
        hits = self._index.keyword_search(query, top_k, filters.since_key, filters.until_key)
        return to_passages(self._index, [(h.chunk_id, h.score) for h in hits], top_k)
