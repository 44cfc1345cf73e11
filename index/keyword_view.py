"""What a search sees of the keyword segments: their live chunks, BM25 statistics, scores.

>>> view = KeywordView.of(segments, live_ids)  # segments oldest first  # doctest: +SKIP
>>> view.search(["harbour", "bridg"], top_k=10, since=None, until=None)  # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Sequence, Set
from dataclasses import dataclass, field

import numpy as np

from index.segments import K1, B, Segment


@dataclass(frozen=True)
class _Part:
    segment: Segment
    live: np.ndarray  # bool per chunk: in the catalog, and not in a newer segment
    df: np.ndarray  # live chunks per term column
    norm: np.ndarray  # K1 * (1 - B + B * length / average length), per chunk


@dataclass
class KeywordView:
    """Live chunks of `parts`; `chunks` of them, of `avg_length` analysed terms on average."""

    parts: list[_Part]
    chunks: int
    avg_length: float
    _df: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, segments: Sequence[Segment], live_ids: Set[str]) -> KeywordView:
        """A chunk is live if the catalog holds it (`live_ids`); when a chunk id is in
        several segments (an article removed, then added back), only the newest counts."""
        seen: set[str] = set()
        masks: list[np.ndarray] = []
        for segment in reversed(segments):
            ids = segment.ids.tolist()
            masks.append(
                np.fromiter((i in live_ids and i not in seen for i in ids), bool, len(ids))
            )
            seen.update(ids)
        masks.reverse()
        chunks = int(sum(int(m.sum()) for m in masks))
        total_length = sum(int(s.lengths[m].sum()) for s, m in zip(segments, masks, strict=True))
        avg = total_length / chunks if chunks else 1.0
        parts = []
        for segment, live in zip(segments, masks, strict=True):
            alive = np.concatenate(
                [np.zeros(1, np.int32), np.cumsum(live[segment.docs], dtype=np.int32)]
            )
            df = alive[segment.indptr[1:]] - alive[segment.indptr[:-1]]
            norm = (K1 * ((1 - B) + B * segment.lengths / max(avg, 1e-9))).astype(np.float32)
            parts.append(_Part(segment, live, df, norm))
        return cls(parts, chunks, avg)

    def live_ids(self) -> list[str]:
        return [i for p in self.parts for i in p.segment.ids[p.live].tolist()]

    def doc_freq(self, term: str) -> int:
        found = self._df.get(term)
        if found is None:
            found = 0
            for part in self.parts:
                j = part.segment.column(term)
                if j >= 0:
                    found += int(part.df[j])
            self._df[term] = found
        return found

    def idf(self, term: str) -> float:
        """bm25s's "lucene" idf; a term no live chunk holds weighs the most."""
        n = max(self.chunks, 1)
        df = self.doc_freq(term)
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    def search(
        self, terms: Sequence[str], top_k: int, since: int | None, until: int | None
    ) -> list[tuple[str, float]]:
        """The `top_k` best live chunks in the date-key range, as (chunk id, score > 0).

        A query term is counted as often as it occurs, as bm25s does."""
        known = [t for t in terms if self.doc_freq(t) > 0]
        if not known:
            return []
        idf = {t: np.float32(self.idf(t)) for t in set(known)}
        found_ids: list[np.ndarray] = []
        found_scores: list[np.ndarray] = []
        for part in self.parts:
            segment = part.segment
            mask = part.live
            if since is not None or until is not None:
                mask = mask & (segment.dates > 0)  # an undated article is in no date range
            if since is not None:
                mask = mask & (segment.dates >= since)
            if until is not None:
                mask = mask & (segment.dates <= until)
            scores = np.zeros(len(segment), dtype=np.float32)
            for term in known:
                j = segment.column(term)
                if j < 0:
                    continue
                start, end = segment.indptr[j], segment.indptr[j + 1]
                docs = segment.docs[start:end]
                tf = segment.tfs[start:end].astype(np.float32)
                scores[docs] += idf[term] * (tf / (tf + part.norm[docs]))
            scores[~mask] = 0.0
            best = _top(scores, top_k)
            found_ids.append(segment.ids[best])
            found_scores.append(scores[best])
        if not found_ids:
            return []
        ids = np.concatenate(found_ids)
        scores = np.concatenate(found_scores)
        order = np.lexsort((ids, -scores))[:top_k]  # ties by chunk id, so runs agree
        return [(str(ids[i]), float(scores[i])) for i in order]


def _top(scores: np.ndarray, k: int) -> np.ndarray:
    """The chunks scoring above 0 among the `k` best, ties at the k-th included."""
    positive = np.flatnonzero(scores > 0)
    if len(positive) <= k:
        return positive
    kth = np.partition(scores[positive], len(positive) - k)[len(positive) - k]
    return positive[scores[positive] >= kth]
