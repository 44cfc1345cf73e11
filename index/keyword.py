"""The keyword side of the index: BM25 over chunk texts, kept in segments that grow.

Each ingest batch writes one segment file (`index/segments.py`) before its catalog
transaction, and that transaction names it in the catalog's segment list, so the
keyword index commits (or not) together with the articles. Which chunks are live is
the catalog's to say: a removed or replaced article's chunks stay in their segment,
unscored, until a merge drops them. Scores are bm25s's ("lucene" BM25, k1 1.5, b 0.75)
computed from the live chunks at query time, so they equal one index built at once.
"""

from __future__ import annotations

import logging
import math
import re
import shutil
import threading
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from index.errors import IndexBusyError, store_failures
from index.keyword_view import KeywordView
from index.progress import progress_bar
from index.segments import (
    SUFFIX,
    Segment,
    SegmentEntry,
    build_segment,
    load_segment,
    merge_segments,
    save_segment,
)

if TYPE_CHECKING:
    from index.catalog import Catalog
    from index.writer import WriterLock

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class KeywordHit:
    chunk_id: str
    score: float


def english_stopwords() -> list[str]:
    """nltk's English stop words (bundled with llama-index), a fuller list than bm25s's 33.

    Read from the bundled file when it is there: importing `nltk.corpus` takes a second."""
    from index.sentences import bundled_nltk_file

    bundled = bundled_nltk_file("corpora/stopwords/english")
    if bundled is not None:
        return [word for word in bundled.read_text(encoding="utf-8").splitlines() if word]
    from nltk.corpus import stopwords

    from index.sentences import ensure_nltk_data

    ensure_nltk_data()
    return list(stopwords.words("english"))


_DOTTED_ACRONYM = re.compile(r"\b(?:[A-Za-z]\.){2,}")


def _normalise(text: str) -> str:
    """'U.S.' -> 'US' so dotted and undotted acronyms match (single letters are not terms)."""
    return _DOTTED_ACRONYM.sub(lambda m: m.group(0).replace(".", "") + " ", text)


class Analyzer:
    """Lower-cases, drops English stop words and stems: the same for chunks and questions."""

    @cached_property
    def _stopwords(self) -> list[str]:
        return english_stopwords()

    @cached_property
    def _stemmer(self) -> Any:
        import Stemmer

        return Stemmer.Stemmer("english")

    def terms(self, text: str) -> list[str]:
        return self.terms_many([text])[0]

    def terms_many(self, texts: Sequence[str]) -> list[list[str]]:
        """`terms` of many texts in one tokenizer call."""
        if not texts:
            return []
        return [list(t) for t in self._tokenize(texts, return_ids=False)]

    def _tokenize(self, texts: Sequence[str], *, return_ids: bool) -> Any:
        import bm25s

        return bm25s.tokenize(
            [_normalise(t) for t in texts],
            stopwords=self._stopwords,
            stemmer=self._stemmer,
            return_ids=return_ids,
            show_progress=False,
        )


MANIFEST = "keyword_segments"  # catalog meta: [{"name", "chunks"}], oldest first
FANOUT = 8  # a run of this many segments of one size tier is merged into one
BASE_CHUNKS = 256  # tier 0: up to this many chunks (one ingest batch)
REBUILD_BATCH = 20_000  # chunks analysed at a time by a rebuild (their terms are big)
LEGACY_FOLDERS = ("bm25", "bm25.old", "bm25.tmp")  # the one-file index before segments


class KeywordIndex:
    """BM25 over the committed chunks, with date keys for filtering and document frequencies.

    Writers (holding the index's writer lock) call `write_segment` before the catalog
    transaction that commits the batch, `commit` inside it, and `maintain` after:

    >>> segment = keyword.write_segment([(chunk_id, text, date_key)])  # doctest: +SKIP
    >>> with catalog.transaction():  # doctest: +SKIP
    ...     catalog.put_article(...); keyword.commit([segment.entry])
    """

    def __init__(
        self,
        folder: Path,
        catalog: Catalog,
        writer: WriterLock,
        analyzer: Analyzer | None = None,
        *,
        fanout: int = FANOUT,
        base_chunks: int = BASE_CHUNKS,
    ) -> None:
        self._folder = folder
        self._catalog = catalog
        self._writer = writer
        self.analyzer = analyzer or Analyzer()
        self.fanout, self.base_chunks = fanout, base_chunks
        self._view: KeywordView | None = None
        self._segments: dict[str, Segment] = {}  # loaded segment files, by name
        self._load_lock = threading.Lock()  # a server's first questions arrive together

    # --- writing (under the writer lock) ------------------------------------------------
    def write_segment(self, rows: Iterable[tuple[str, str, int]]) -> Segment:
        """Analyse (chunk id, text, date key) rows into a saved segment, not yet searched."""
        segment = self._analysed(list(rows))
        save_segment(segment, self._folder)
        return segment

    def _analysed(self, rows: Sequence[tuple[str, str, int]]) -> Segment:
        terms = self.analyzer.terms_many([text for _, text, _ in rows])
        return build_segment(_new_name(), [r[0] for r in rows], terms, [r[2] for r in rows])

    def commit(self, added: Sequence[SegmentEntry], replaced: Sequence[str] = ()) -> None:
        """Inside the caller's catalog transaction: search the saved segments `added` from
        its commit on, in place of the segments named `replaced` (a contiguous run), or
        after the others."""
        manifest = self._manifest()
        entries = [{"name": s.name, "chunks": s.chunks} for s in added]
        names = [entry["name"] for entry in manifest]
        if replaced:
            at = names.index(replaced[0])
            manifest[at : at + len(replaced)] = entries
        else:
            manifest.extend(entries)
        self._catalog.set_meta(MANIFEST, manifest)

    def maintain(self) -> None:
        """Upgrade an index of the old format, merge runs of same-sized segments, and
        delete segment files no commit named (a killed write's)."""
        self.upgrade()
        while self._merge_one_run():
            pass
        self._delete_unnamed()

    def upgrade(self) -> bool:
        """Rebuild, once, an index from before segments (one BM25 file): True if it did."""
        if self._catalog.get_meta(MANIFEST) is not None:
            return False
        _, chunks = self._catalog.counts()
        if chunks:
            logger.warning(
                "the keyword index is in the old one-file format: rebuilding it once "
                "as segments from the catalog's %d chunks",
                chunks,
            )
            self.rebuild(desc="upgrading the keyword index")
        else:
            with self._catalog.transaction():
                self._catalog.set_meta(MANIFEST, [])
        for name in LEGACY_FOLDERS:
            shutil.rmtree(self._folder.with_name(name), ignore_errors=True)
        return bool(chunks)

    def rebuild(self, desc: str = "keyword index") -> None:
        """Replace every segment by one built from all the catalog's chunks."""
        _, total = self._catalog.counts()
        rows = progress_bar(self._catalog.all_chunks(), total=total, desc=desc, unit="chunk")
        parts: list[Segment] = []
        batch: list[tuple[str, str, int]] = []
        for stored, text, date in rows:
            batch.append((stored.id, text, date))
            if len(batch) == REBUILD_BATCH:
                parts.append(self._analysed(batch))
                batch = []
        parts.append(self._analysed(batch))
        segment = merge_segments(_new_name(), parts, [np.ones(len(p), bool) for p in parts])
        save_segment(segment, self._folder)
        with self._catalog.transaction():
            self._catalog.set_meta(MANIFEST, [{"name": segment.name, "chunks": len(segment)}])
            self._catalog.bump_generation()
        self._delete_unnamed()

    def clear(self) -> None:
        """Drop every segment (the catalog was emptied by a reset)."""
        with self._catalog.transaction():
            self._catalog.set_meta(MANIFEST, [])
            self._catalog.bump_generation()
        self._delete_unnamed()

    def _merge_one_run(self) -> bool:
        manifest = self._manifest()
        run = _newest_run(manifest, self.fanout, self.base_chunks)
        if run is None:
            return False
        names = [manifest[i]["name"] for i in run]
        parts = [load_segment(self._folder, name) for name in names]
        ids = [i for part in parts for i in part.ids.tolist()]
        live = set(self._catalog.chunks(ids))
        seen: set[str] = set()
        keep: list[np.ndarray] = []
        for part in reversed(parts):  # an id in two segments: the newer copy counts
            chunk_ids = part.ids.tolist()
            keep.append(np.fromiter((i in live and i not in seen for i in chunk_ids), bool))
            seen.update(chunk_ids)
        keep.reverse()
        merged = merge_segments(_new_name(), parts, keep)
        save_segment(merged, self._folder)
        with self._catalog.transaction():
            self.commit([merged.entry], replaced=names)
            self._catalog.bump_generation()
        logger.info("merged %d keyword segments into one of %d chunks", len(names), len(merged))
        return True

    def _delete_unnamed(self) -> None:
        named = {entry["name"] for entry in self._manifest()}
        for path in self._folder.glob(f"*{SUFFIX}"):
            if path.name.removesuffix(SUFFIX) not in named:
                path.unlink(missing_ok=True)

    def _manifest(self) -> list[dict[str, Any]]:
        found = self._catalog.get_meta(MANIFEST)
        return list(found) if isinstance(found, list) else []

    # --- searching ----------------------------------------------------------------------
    @property
    def exists(self) -> bool:
        return self._catalog.get_meta(MANIFEST) is not None

    def reload(self) -> None:
        """Read the segment list again on next use (another process may have written)."""
        self._view = None

    @store_failures("reading the keyword index (segment files)")
    def _load(self) -> KeywordView:
        view = self._view  # one read: `reload` may clear it meanwhile
        if view is None:
            with self._load_lock:
                if self._view is None:
                    self._view = self._read()
                view = self._view
        return view

    def _read(self) -> KeywordView:
        """The segments the catalog names now; a writer's merge may delete a file named
        a moment ago (the list then names its replacement), so read the list again."""
        if self._catalog.get_meta(MANIFEST) is None and not self._catalog.is_empty():
            self._upgrade_from_reader()
        for attempt in range(3):
            manifest = self._manifest()
            try:
                segments = [self._segment(entry["name"]) for entry in manifest]
            except FileNotFoundError:
                if attempt == 2:
                    raise
                continue
            self._segments = {s.name: s for s in segments}
            return KeywordView.of(segments, self._catalog.chunk_ids())
        raise AssertionError("unreachable")

    def _segment(self, name: str) -> Segment:
        return self._segments.get(name) or load_segment(self._folder, name)

    def _upgrade_from_reader(self) -> None:
        try:
            with self._writer.held():
                self.upgrade()
        except IndexBusyError:
            pass  # the writer holding the index upgrades it; until then, search without it

    def live_ids(self) -> list[str]:
        return self._load().live_ids() if self.exists else []

    def search(
        self, query: str, top_k: int, since: int | None = None, until: int | None = None
    ) -> list[KeywordHit]:
        view = self._load()
        terms = self.analyzer.terms(query)
        if not view.chunks or not terms:
            return []
        return [KeywordHit(cid, score) for cid, score in view.search(terms, top_k, since, until)]

    def idf(self, term: str) -> float:
        """Inverse document frequency of an analysed term (unknown terms weigh the most)."""
        return self._load().idf(term)


def _new_name() -> str:
    return f"{time.time_ns():x}-{uuid.uuid4().hex[:8]}"


def _tier(chunks: int, fanout: int, base: int) -> int:
    """0 up to `base` chunks, then one more for each `fanout` times as many."""
    return 0 if chunks <= base else int(math.log(chunks / base, fanout)) + 1


def _newest_run(manifest: Sequence[dict[str, Any]], fanout: int, base: int) -> list[int] | None:
    """Positions of the newest run of `fanout` adjacent segments of one size tier."""
    tiers = [_tier(int(entry["chunks"]), fanout, base) for entry in manifest]
    end = len(tiers)
    while end >= fanout:
        start = end - 1
        while start > 0 and tiers[start - 1] == tiers[end - 1]:
            start -= 1
        if end - start >= fanout:
            return list(range(end - fanout, end))
        end = start
    return None
