"""Hybrid retrieval: reciprocal rank fusion of several retrievers' rankings.

RRF (Cormack et al. 2009) scores a passage by sum(1 / (k + rank)) over the rankings
it appears in; it needs no score calibration between BM25 and cosine. A soft date
window (`filters.prefer`, `rag.retrieval.recency`) then scales the fused scores.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from rag.retrieval.base import NO_FILTER, DateFilter, Retriever
from rag.types import Passage


class HybridRetriever:
    def __init__(
        self,
        retrievers: Sequence[Retriever],
        candidates: int = 30,
        k: int = 60,
    ) -> None:
        self._retrievers = list(retrievers)
        self._candidates = candidates
        self._k = k

    def retrieve(self, query: str, top_k: int, filters: DateFilter = NO_FILTER) -> list[Passage]:
        fused: dict[str, float] = {}
        by_id: dict[str, Passage] = {}
        depth = max(self._candidates, top_k)
        for retriever in self._retrievers:
            for rank, passage in enumerate(retriever.retrieve(query, depth, filters), start=1):
                fused[passage.chunk_id] = fused.get(passage.chunk_id, 0.0) + 1.0 / (self._k + rank)
                by_id.setdefault(passage.chunk_id, passage)
        if filters.prefer is not None:
            for chunk_id, passage in by_id.items():
                fused[chunk_id] *= filters.prefer.boost(passage.date)
        ranked = sorted(fused, key=fused.__getitem__, reverse=True)[:top_k]
        return [replace(by_id[chunk_id], score=fused[chunk_id]) for chunk_id in ranked]
