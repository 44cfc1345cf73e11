"""Retrieval over near-duplicates: one passage per story, and no boilerplate pages.

`CollapsingRetriever` wraps any retriever. Of the articles of one near-duplicate
cluster (`index.dedup`) that a search retrieves, only the representative's passages are
kept: the earliest retrieved article (the longest when equal), moved up to the best
rank any copy reached, its `also_in` naming the other copies. Articles flagged as
boilerplate are left out (they stay stored, listed and citable by id). Five result
slots are then not spent on five copies of one wire story.

>>> retriever = CollapsingRetriever(hybrid, ClusterCache(index))  # doctest: +SKIP
>>> [p.also_in for p in retriever.retrieve("dam collapse", 5)]  # doctest: +SKIP
"""

from __future__ import annotations

import threading
from dataclasses import replace

from index.dedup import Clusters, Member, load_clusters
from index.store import Index
from rag.retrieval.base import NO_FILTER, DateFilter, Retriever
from rag.types import ArticleRef, Passage, public_path

# Extra hits asked of the wrapped retriever, to fill the slots the collapse frees.
_EXTRA = 20


class ClusterCache:
    """The index's clusters, reloaded when the catalog's generation moves (an ingest or
    a removal here or in another process)."""

    def __init__(self, index: Index) -> None:
        self._index = index
        self._lock = threading.Lock()
        self._generation: int | None = None
        self._clusters = Clusters()

    def __call__(self) -> Clusters:
        generation = self._index.catalog.generation()
        with self._lock:
            if generation != self._generation:
                self._clusters = load_clusters(self._index.catalog, self._index.settings.dedup)
                self._generation = generation
            return self._clusters


def ref(member: Member) -> ArticleRef:
    return ArticleRef(member.id, member.title, member.date, public_path(member.source))


class CollapsingRetriever:
    """A retriever whose results hold one article per near-duplicate cluster (`collapse`)
    and no boilerplate article (`exclude_boilerplate`)."""

    def __init__(
        self,
        inner: Retriever,
        clusters: ClusterCache,
        *,
        collapse: bool = True,
        exclude_boilerplate: bool = True,
    ) -> None:
        self._inner = inner
        self._clusters = clusters
        self._collapse = collapse
        self._exclude = exclude_boilerplate

    def retrieve(self, query: str, top_k: int, filters: DateFilter = NO_FILTER) -> list[Passage]:
        clusters = self._clusters()
        if not clusters.cluster_of and not clusters.boilerplate:
            return self._inner.retrieve(query, top_k, filters)
        passages = self._inner.retrieve(query, top_k + min(top_k * 2, _EXTRA), filters)
        if self._exclude:
            passages = [p for p in passages if p.article_id not in clusters.boilerplate]
        if self._collapse:
            passages = collapse(passages, clusters)
        return passages[:top_k]


def collapse(passages: list[Passage], clusters: Clusters) -> list[Passage]:
    """`passages` (best first) with each cluster's retrieved articles reduced to one: the
    earliest (then longest) of them, at the best rank of any, `also_in` the others."""
    chosen: dict[int, str] = {}  # cluster -> representative among the retrieved
    for p in passages:
        number = clusters.cluster_of.get(p.article_id)
        if number is None:
            continue
        best = chosen.get(number)
        member = clusters.members[p.article_id]
        if best is None or member.order < clusters.members[best].order:
            chosen[number] = p.article_id
    first: dict[str, Passage] = {}  # representative -> its best passage
    for p in passages:
        if p.article_id in chosen.values():
            first.setdefault(p.article_id, p)
    out: list[Passage] = []
    placed: set[str] = set()  # chunk ids already in `out`
    for p in passages:
        number = clusters.cluster_of.get(p.article_id)
        if number is None:
            out.append(p)
            continue
        lead = first[chosen[number]]
        also = tuple(ref(m) for m in clusters.others(lead.article_id))
        if p.article_id == lead.article_id and p.chunk_id not in placed:
            out.append(replace(p, also_in=also))
            placed.add(p.chunk_id)
        elif p.article_id != lead.article_id and lead.chunk_id not in placed:
            # A copy ranked above the representative: the story keeps the copy's rank.
            out.append(replace(lead, also_in=also, score=max(p.score, lead.score)))
            placed.add(lead.chunk_id)
    return out
