"""Keyword segments: the BM25 postings of one batch of chunks, written once, never changed.

A segment holds term frequencies, not scores: BM25's idf and average length depend on
the whole index, so they are computed at query time from the live chunks of every
segment. That is what lets a write add a small segment (and a removal add nothing)
while the scores stay exactly those of one index built from all chunks at once.

>>> seg = build_segment("s1", ["a:h:0"], [["harbour", "bridg"]], [20240105])
>>> save_segment(seg, folder)  # doctest: +SKIP
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# bm25s's defaults (its "lucene" variant), which the keyword index has always used.
K1, B = 1.5, 0.75
SUFFIX = ".npz"


@dataclass(frozen=True)
class SegmentEntry:
    """What the manifest records of a saved segment: its file's name and chunk count."""

    name: str
    chunks: int


@dataclass(frozen=True)
class Segment:
    """Chunks `ids` (with their article date keys and analysed lengths) and, per term of
    the sorted `terms`, the postings `docs[indptr[t]:indptr[t+1]]` with frequencies `tfs`."""

    name: str
    ids: np.ndarray
    dates: np.ndarray
    lengths: np.ndarray
    terms: np.ndarray
    indptr: np.ndarray
    docs: np.ndarray
    tfs: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def entry(self) -> SegmentEntry:
        return SegmentEntry(self.name, len(self.ids))

    def column(self, term: str) -> int:
        """The term's column, or -1 if no chunk of the segment holds it."""
        j = int(np.searchsorted(self.terms, term))
        return j if j < len(self.terms) and self.terms[j] == term else -1


def build_segment(
    name: str, ids: Sequence[str], term_lists: Sequence[Sequence[str]], dates: Sequence[int]
) -> Segment:
    """The segment of chunks `ids`, each given as its analysed terms."""
    vocab: dict[str, int] = {}
    flat = np.fromiter(
        (vocab.setdefault(t, len(vocab)) for terms in term_lists for t in terms), np.int64
    )
    lengths = np.fromiter((len(t) for t in term_lists), np.int32, len(term_lists))
    doc_of = np.repeat(np.arange(len(term_lists), dtype=np.int64), lengths)
    terms = np.asarray(list(vocab), dtype=str)
    order = np.argsort(terms, kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return _assemble(
        name,
        np.asarray(ids, dtype=str),
        np.asarray(dates, dtype=np.int64),
        lengths,
        terms[order],
        rank[flat] if len(flat) else flat,
        doc_of,
        np.ones(len(flat), dtype=np.uint16),
    )


def merge_segments(name: str, parts: Sequence[Segment], keep: Sequence[np.ndarray]) -> Segment:
    """One segment of the chunks of `parts` (oldest first) where `keep` is true."""
    kept_terms = [p.terms[np.diff(p.indptr) > 0] for p in parts]
    terms = np.unique(np.concatenate(kept_terms)) if parts else np.asarray([], dtype=str)
    ids, dates, lengths, cols, docs, tfs = [], [], [], [], [], []
    offset = 0
    for part, mask in zip(parts, keep, strict=True):
        renumber = np.cumsum(mask) - 1 + offset
        col_of = np.searchsorted(terms, part.terms)
        posting_col = np.repeat(col_of, np.diff(part.indptr))
        alive = mask[part.docs]
        cols.append(posting_col[alive])
        docs.append(renumber[part.docs[alive]])
        tfs.append(part.tfs[alive])
        ids.append(part.ids[mask])
        dates.append(part.dates[mask])
        lengths.append(part.lengths[mask])
        offset += int(mask.sum())
    merged = _assemble(
        name,
        np.concatenate(ids) if ids else np.asarray([], dtype=str),
        np.concatenate(dates) if dates else np.zeros(0, np.int64),
        np.concatenate(lengths) if lengths else np.zeros(0, np.int32),
        terms,
        np.concatenate(cols) if cols else np.zeros(0, np.int64),
        np.concatenate(docs) if docs else np.zeros(0, np.int64),
        np.concatenate(tfs) if tfs else np.zeros(0, np.uint16),
    )
    # A term whose every posting was dropped has an empty column: leave it out.
    used = np.diff(merged.indptr) > 0
    if used.all():
        return merged
    return _assemble(
        name,
        merged.ids,
        merged.dates,
        merged.lengths,
        merged.terms[used],
        np.repeat(np.cumsum(used)[used] - 1, np.diff(merged.indptr)[used]),
        merged.docs,
        merged.tfs,
    )


def _assemble(
    name: str,
    ids: np.ndarray,
    dates: np.ndarray,
    lengths: np.ndarray,
    terms: np.ndarray,
    cols: np.ndarray,
    docs: np.ndarray,
    weights: np.ndarray,
) -> Segment:
    """Sum the (column, doc) pairs' weights into postings sorted by column, then doc."""
    n = max(len(ids), 1)
    key, inverse = np.unique(cols.astype(np.int64) * n + docs, return_inverse=True)
    tfs = np.zeros(len(key), dtype=np.uint16)  # a chunk holds a few hundred terms
    np.add.at(tfs, inverse, weights.astype(np.uint16))
    counts = np.bincount((key // n).astype(np.int64), minlength=len(terms))
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return Segment(
        name,
        ids,
        dates.astype(np.int64),
        lengths.astype(np.int32),
        terms,
        indptr,
        (key % n).astype(np.int32),
        tfs,
    )


def save_segment(segment: Segment, folder: Path) -> Path:
    """Write the segment under `folder` atomically (a reader sees all of it or no file)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{segment.name}{SUFFIX}"
    tmp = folder / f"{segment.name}.tmp{SUFFIX}"
    with tmp.open("wb") as out:
        np.savez(
            out,
            ids=segment.ids,
            dates=segment.dates,
            lengths=segment.lengths,
            terms=segment.terms,
            indptr=segment.indptr,
            docs=segment.docs,
            tfs=segment.tfs,
        )
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)
    return path


def load_segment(folder: Path, name: str) -> Segment:
    """The saved segment; `OSError` if its file is missing or damaged."""
    path = folder / f"{name}{SUFFIX}"
    try:
        with np.load(path, allow_pickle=False) as data:
            return Segment(
                name,
                data["ids"],
                data["dates"],
                data["lengths"],
                data["terms"],
                data["indptr"],
                data["docs"],
                data["tfs"],
            )
    except (zipfile.BadZipFile, ValueError, EOFError, KeyError) as exc:
        raise OSError(f"the keyword segment {path.name} is damaged ({exc})") from exc
