"""`Index`: the catalog, the Chroma vectors, the keyword segments and the embedder, together.

Constructing an `Index` opens nothing heavy: the catalog is a small SQLite file, and
the embedding model, Chroma and BM25 are loaded on first use.

>>> from index.settings import IndexSettings, StoreSettings
>>> index = open_index(IndexSettings(store=StoreSettings(home=tmp)))  # doctest: +SKIP
>>> index.ingest([Path("seeds")]).added  # doctest: +SKIP
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from index.articles import Article
from index.catalog import Catalog, ChunkReading, StoredChunk
from index.chunking import Chunker
from index.dedup import SketchIndex
from index.embedding import Embedder, build_embedder
from index.errors import IndexMismatchError
from index.keyword import KeywordHit, KeywordIndex
from index.nlp import EntityRecognizer, SpacyEntityRecognizer
from index.settings import IndexSettings
from index.vectors import VectorHit, VectorStore
from index.writer import WriterLock

# Bumped when what ingest stores for the reader changes: an older index must be rebuilt.
READER_LAYOUT = 1
RESET_PENDING = "reset_pending"  # catalog meta: a rebuild's catalog step committed


@dataclass(frozen=True)
class IndexStatus:
    articles: int
    chunks: int
    date_range: tuple[str, str] | None
    model: str
    chunk_tokens: int
    overlap_tokens: int
    store: str
    home: str
    problems: tuple[str, ...] = ()  # disagreements between the catalog and the stores


@dataclass(frozen=True)
class ResolvedChunk:
    chunk: StoredChunk
    article: Article

    @property
    def text(self) -> str:
        return self.article.text[self.chunk.start : self.chunk.end]


class Index:
    """The searchable store of one corpus."""

    def __init__(
        self,
        settings: IndexSettings,
        embedder: Embedder | None = None,
        *,
        recognizer: EntityRecognizer | None = None,
        verify: bool = True,
    ) -> None:
        self.settings = settings
        self.home = Path(settings.store.home)
        self.embedder: Embedder = embedder or build_embedder(settings.embedding)
        self.recognizer: EntityRecognizer = recognizer or SpacyEntityRecognizer(settings.nlp)
        self.catalog = Catalog(self.home / "catalog.sqlite")
        self.vectors = VectorStore(settings.store)
        self.writer = WriterLock(self.home)
        self.keyword = KeywordIndex(self.home / "keyword", self.catalog, self.writer)
        self.sketches = SketchIndex()  # near-duplicate LSH, kept between ingests
        self._generation: int | None = None  # the catalog's when BM25 was loaded
        self._vectors_generation: int | None = None  # the latest Chroma's client has seen
        self._follow_lock = threading.Lock()
        if verify:
            self._check_built_with()

    @property
    def built_with(self) -> dict[str, object]:
        return {
            "model": self.embedder.name,
            "chunk_tokens": self.settings.chunking.chunk_tokens,
            "overlap_tokens": self.settings.chunking.overlap_tokens,
            "entities": self.recognizer.name,
            "reader_layout": READER_LAYOUT,
        }

    def _check_built_with(self) -> None:
        recorded = self.catalog.get_meta("built_with")
        if recorded is None or recorded == self.built_with:
            return
        assert isinstance(recorded, dict)
        raise IndexMismatchError(
            f"the index at {self.home} was built with model {recorded.get('model')!r} and "
            f"{recorded.get('chunk_tokens')}-token chunks (entities: {recorded.get('entities')!r}, "
            f"reader layout {recorded.get('reader_layout')}); the settings ask for "
            f"{self.embedder.name!r} and {self.settings.chunking.chunk_tokens}-token chunks "
            f"(entities: {self.recognizer.name!r}, reader layout {READER_LAYOUT}). "
            "Rebuild it with `rag ingest --rebuild` (or use another --home)."
        )

    def record_built_with(self) -> None:
        self.catalog.set_meta("built_with", self.built_with)

    @cached_property
    def chunker(self) -> Chunker:
        return Chunker(
            self.settings.chunking, self.embedder.token_offsets, self.embedder.max_tokens
        )

    # --- search -----------------------------------------------------------------------
    def dense_search(
        self, query: str, top_k: int, since: int | None = None, until: int | None = None
    ) -> list[VectorHit]:
        self._follow_writes()
        return self.vectors.query(self.embedder.embed_query(query), top_k, since, until)

    def keyword_search(
        self, query: str, top_k: int, since: int | None = None, until: int | None = None
    ) -> list[KeywordHit]:
        self._follow_writes()
        return self.keyword.search(query, top_k, since, until)

    def _follow_writes(self) -> None:
        """Reload BM25 if the index changed since it was loaded, and reconnect Chroma if
        another process changed it (`writing`).

        A server must see what a `rag ingest` in another process added; every write
        bumps the catalog's generation, so the check costs one small query."""
        if self.catalog.generation() == self._generation:
            return
        with self._follow_lock:  # one thread reloads; the others wait, then search
            generation = self.catalog.generation()
            if generation != self._generation:
                self.keyword.reload()
                if generation != self._vectors_generation:
                    self.vectors.reconnect()
                self._generation = self._vectors_generation = generation

    @contextmanager
    def writing(self) -> Iterator[None]:
        """The writer lock, for a write of this process. Chroma's client sees this
        process's own writes, so when no other process wrote since it connected, the next
        search keeps it: a new client reloads the HNSW index (0.4 s at 100k chunks)."""
        with self.writer.held():
            seen = self._vectors_generation
            in_step = seen is not None and self.catalog.generation() == seen
            yield
            if in_step:
                self._vectors_generation = self.catalog.generation()

    def resolve(self, chunk_ids: Sequence[str]) -> dict[str, ResolvedChunk]:
        """Committed chunks with their articles; stale ids (a killed ingest's) are dropped."""
        chunks = self.catalog.chunks(chunk_ids)
        articles = self.catalog.articles(c.article_id for c in chunks.values())
        return {
            cid: ResolvedChunk(chunk, articles[chunk.article_id])
            for cid, chunk in chunks.items()
            if chunk.article_id in articles
        }

    def readings(self, chunk_ids: Sequence[str]) -> dict[str, ChunkReading]:
        """Sentences, entities and sentence vectors of committed chunks, stored at ingest."""
        return self.catalog.readings(chunk_ids)

    def article(self, article_id: str) -> Article | None:
        return self.catalog.article(article_id)

    def status(self) -> IndexStatus:
        articles, chunks = self.catalog.counts()
        return IndexStatus(
            articles=articles,
            chunks=chunks,
            date_range=self.catalog.date_range(),
            model=self.embedder.name,
            chunk_tokens=self.settings.chunking.chunk_tokens,
            overlap_tokens=self.settings.chunking.overlap_tokens,
            store=self.vectors.location,
            home=str(self.home),
            problems=tuple(self._problems(chunks)),
        )

    def _problems(self, chunks: int) -> list[str]:
        """What a user must know: an unfinished rebuild, vectors missing or left over."""
        if self.catalog.get_meta(RESET_PENDING):
            return ["a rebuild was interrupted: the next `rag ingest` finishes it"]
        pending = self.catalog.pending()
        vectors = self.vectors.count()
        if vectors == chunks or pending:  # a live or killed ingest's writes are in flight
            return []
        return [
            f"the vector store holds {vectors} vectors for {chunks} catalog chunks: "
            "rebuild with `rag ingest --rebuild`"
        ]

    def reset(self) -> None:
        """Drop everything the index holds (for `rag ingest --rebuild`), crash-safely.

        The catalog goes first, in one transaction that also records the intent to drop
        the vectors: search resolves hits through the catalog, so from that commit on the
        old vectors can never surface, and a kill before `finish_reset` is completed by
        the next ingest. (Vectors first would leave a catalog that calls every article
        unchanged while no vector exists.)
        """
        with self.writing():
            with self.catalog.transaction():
                for article_id in self.catalog.versions():
                    self.catalog.delete_article(article_id)
                self.catalog.set_meta("built_with", None)
                self.catalog.set_meta(RESET_PENDING, True)
                self.catalog.bump_generation()
            self.finish_reset()

    def finish_reset(self) -> bool:
        """Drop the vectors and keyword index of a reset whose catalog step committed."""
        if not self.catalog.get_meta(RESET_PENDING):
            return False
        self.vectors.reset()
        self.keyword.clear()
        with self.catalog.transaction():
            self.catalog.set_meta(RESET_PENDING, False)
            self.catalog.bump_generation()
        return True

    def close(self) -> None:
        self.catalog.close()


def open_index(
    settings: IndexSettings,
    embedder: Embedder | None = None,
    *,
    recognizer: EntityRecognizer | None = None,
    rebuild: bool = False,
) -> Index:
    """Open (or create) the index under `settings.store.home`; `rebuild` empties it first."""
    index = Index(settings, embedder, recognizer=recognizer, verify=not rebuild)
    if rebuild:
        index.reset()
    return index
