"""The retriever role: `retrieve(query, top_k, filters) -> list[Passage]`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from index.store import Index
from rag.retrieval.recency import SoftWindow
from rag.types import Passage


@dataclass(frozen=True)
class DateFilter:
    """Keep articles published in [since, until] (inclusive); with either bound set,
    undated articles drop out. `prefer`: a soft window that ranks, never filters (the
    hybrid retriever applies it to the fused scores; the others ignore it)."""

    since: date | None = None
    until: date | None = None
    prefer: SoftWindow | None = None

    @property
    def since_key(self) -> int | None:
        return int(self.since.strftime("%Y%m%d")) if self.since else None

    @property
    def until_key(self) -> int | None:
        return int(self.until.strftime("%Y%m%d")) if self.until else None


NO_FILTER = DateFilter()


class Retriever(Protocol):
    def retrieve(
        self, query: str, top_k: int, filters: DateFilter = NO_FILTER
    ) -> list[Passage]: ...


def to_passages(index: Index, scored: Sequence[tuple[str, float]], top_k: int) -> list[Passage]:
    """Resolve (chunk id, score) pairs through the catalog, dropping stale ids."""
    resolved = index.resolve([chunk_id for chunk_id, _ in scored])
    passages = [
        Passage.from_chunk(resolved[chunk_id], score)
        for chunk_id, score in scored
        if chunk_id in resolved
    ]
    return passages[:top_k]
