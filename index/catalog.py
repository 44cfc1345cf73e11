"""The catalog: a SQLite file under the index home that is the source of truth.

It holds every article's full text (what citation spans index into), the chunks of
the committed version of each article, what built the index, and an intent log of
article writes in flight. Chroma and BM25 hold derived data; anything they return
is resolved through the catalog, so a chunk left behind by a killed ingest can
never reach an answer.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from index.articles import Article
from index.errors import store_failures
from index.nlp import EntitySpan

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY, title TEXT NOT NULL, date TEXT NOT NULL, date_key INTEGER NOT NULL,
    text TEXT NOT NULL, source TEXT NOT NULL, url TEXT NOT NULL, content_hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS articles_hash ON articles (content_hash);
-- Covers `unsketched`: a scan of ids and hashes that reads no article text.
CREATE INDEX IF NOT EXISTS articles_version ON articles (id, content_hash);
CREATE TABLE IF NOT EXISTS chunks (
    id TEXT PRIMARY KEY, article_id TEXT NOT NULL, position INTEGER NOT NULL,
    start INTEGER NOT NULL, end INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_article ON chunks (article_id);
CREATE TABLE IF NOT EXISTS readings (
    chunk_id TEXT PRIMARY KEY, article_id TEXT NOT NULL, sentences TEXT NOT NULL,
    entities TEXT NOT NULL, vectors BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS readings_article ON readings (article_id);
CREATE TABLE IF NOT EXISTS pending (article_id TEXT PRIMARY KEY, content_hash TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS articles_date ON articles (date_key, id);
CREATE TABLE IF NOT EXISTS removed (
    article_id TEXT PRIMARY KEY, source TEXT NOT NULL, title TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS feedback (
    id TEXT PRIMARY KEY, answer_id TEXT NOT NULL, created TEXT NOT NULL, record TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS copies (
    article_id TEXT NOT NULL, source TEXT NOT NULL, PRIMARY KEY (article_id, source)
);
CREATE TABLE IF NOT EXISTS sketches (
    article_id TEXT PRIMARY KEY, content_hash TEXT NOT NULL, signature BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS near_pairs (
    a TEXT NOT NULL, b TEXT NOT NULL, similarity REAL NOT NULL, PRIMARY KEY (a, b)
);
CREATE INDEX IF NOT EXISTS near_pairs_b ON near_pairs (b);
-- Feeds and pages `rag serve` re-reads (`rag sources`), and what the last read did.
CREATE TABLE IF NOT EXISTS watched (
    url TEXT PRIMARY KEY, every_s INTEGER NOT NULL, added TEXT NOT NULL,
    last_read TEXT NOT NULL DEFAULT '', last_added INTEGER NOT NULL DEFAULT 0,
    last_note TEXT NOT NULL DEFAULT ''
);
-- Who published an article, when its source says (a feed's title, a page's site name).
CREATE TABLE IF NOT EXISTS outlets (article_id TEXT PRIMARY KEY, outlet TEXT NOT NULL);
-- When an article's text last changed on a re-read (a feed entry edited), and how often.
CREATE TABLE IF NOT EXISTS revisions (
    article_id TEXT PRIMARY KEY, updated TEXT NOT NULL, count INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS copy_titles (
    article_id TEXT NOT NULL, source TEXT NOT NULL, title TEXT NOT NULL,
    PRIMARY KEY (article_id, source, title)
);
"""
# Full-text search of titles and texts for the article list (`Catalog.list_articles`):
# an external-content FTS5 table, kept in step with `articles` by triggers.
_FTS = """
CREATE VIRTUAL TABLE IF NOT EXISTS articles_fts USING fts5(
    title, text, content='articles', content_rowid='rowid', tokenize='unicode61'
);
CREATE TRIGGER IF NOT EXISTS articles_fts_insert AFTER INSERT ON articles BEGIN
    INSERT INTO articles_fts (rowid, title, text) VALUES (new.rowid, new.title, new.text);
END;
CREATE TRIGGER IF NOT EXISTS articles_fts_delete AFTER DELETE ON articles BEGIN
    INSERT INTO articles_fts (articles_fts, rowid, title, text)
    VALUES ('delete', old.rowid, old.title, old.text);
END;
INSERT INTO articles_fts (articles_fts) VALUES ('rebuild');
"""
_SORTS = {
    "newest": "a.date_key DESC, a.id",
    "oldest": "a.date_key = 0, a.date_key, a.id",  # undated last
    "title": "a.title = '', a.title COLLATE NOCASE, a.id",  # untitled last
}
SORTS = tuple(_SORTS)
_ROW = (  # an `ArticleRow`: the article without its text, and counts of what it holds
    "SELECT a.id, a.title, a.date, a.source, substr(a.text, 1, 400), "
    "(SELECT count(*) FROM chunks c WHERE c.article_id = a.id), "
    "(SELECT count(*) FROM copies d WHERE d.article_id = a.id), length(a.text), "
    "coalesce((SELECT r.updated FROM revisions r WHERE r.article_id = a.id), ''), "
    "coalesce((SELECT o.outlet FROM outlets o WHERE o.article_id = a.id), '') "
    "FROM articles a"
)
_ARTICLE = (  # an `Article`
    "SELECT id, title, date, text, source, url, "
    "coalesce((SELECT o.outlet FROM outlets o WHERE o.article_id = articles.id), '') "
    "FROM articles"
)
_WORDS = re.compile(r"\w+")


@dataclass(frozen=True)
class ArticleRow:
    """One line of the article list: the article without its text, and what it holds."""

    id: str
    title: str
    date: str
    source: str
    opening: str  # the first characters of the text (a headline for an untitled article)
    chunks: int
    copies: int  # other files with the same text, stored once
    chars: int
    updated: str = ""  # when a re-read replaced its text (UTC, ISO seconds); "" never
    outlet: str = ""  # who published it, when known


@dataclass(frozen=True)
class ArticleListing:
    total: int  # articles that match, on every page
    rows: tuple[ArticleRow, ...]


@dataclass(frozen=True)
class StoredChunk:
    id: str
    article_id: str
    position: int
    start: int
    end: int


@dataclass(frozen=True)
class ChunkReading:
    """What the reader needs of a chunk, computed once at ingest: its sentences and named
    entities as article spans, and one unit vector per sentence (rows of `vectors`)."""

    sentences: tuple[tuple[int, int], ...]
    entities: tuple[EntitySpan, ...]
    vectors: np.ndarray


def chunk_id(article_id: str, content_hash: str, position: int) -> str:
    """Chunk ids carry the article version, so old and new chunks never collide."""
    return f"{article_id}:{content_hash[:12]}:{position}"


READ = "reading the catalog (SQLite)"  # what a failed read names
_IN_BATCH = 10_000  # values bound in one `IN (...)`, well below SQLite's 32,766
SKETCH_VERSION = "sketch_version"  # meta key: moves whenever a stored sketch goes or comes


class Catalog:
    """SQLite-backed record of articles and chunks. Opening it creates the file if needed.

    Each thread has its own connection (opened on its first use), so a thread reading
    while another writes sees the last commit, never the writer's open transaction, and
    its own `transaction()` waits for the writer's lock instead of failing inside it."""

    @store_failures("opening the catalog (SQLite)")
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._path = path
        self._local = threading.local()
        self._opened: list[sqlite3.Connection] = []
        self._opened_lock = threading.Lock()
        db = self._db
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(_SCHEMA)
        has_fts = db.execute("SELECT 1 FROM sqlite_master WHERE name = 'articles_fts'").fetchone()
        if not has_fts:  # a new catalog, or one made before the article list existed
            try:
                db.executescript(f"BEGIN IMMEDIATE;{_FTS}COMMIT;")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise

    @property
    def _db(self) -> sqlite3.Connection:
        """This thread's connection."""
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            # Closed from whichever thread calls `close()`: not bound to this one.
            db = sqlite3.connect(str(self._path), check_same_thread=False, isolation_level=None)
            db.execute("PRAGMA synchronous=NORMAL")
            # INSERT OR REPLACE must fire the delete trigger that keeps the FTS table in step.
            db.execute("PRAGMA recursive_triggers=ON")
            self._local.db = db
            with self._opened_lock:
                self._opened.append(db)
        return db

    def close(self) -> None:
        with self._opened_lock:
            for db in self._opened:
                db.close()
            self._opened.clear()
        self._local = threading.local()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # --- meta -------------------------------------------------------------------------
    @store_failures(READ)
    def get_meta(self, key: str) -> object | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def set_meta(self, key: str, value: object) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, json.dumps(value))
        )

    # --- generation -------------------------------------------------------------------
    @store_failures(READ)
    def generation(self) -> int:
        """How many times what search sees has changed; a reader reloads when it moves.

        One indexed row, read on every search (another process may have ingested)."""
        row = self._db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        return int(row[0]) if row else 0

    def bump_generation(self) -> None:
        """Record (inside the caller's transaction) that articles or a store changed."""
        self._db.execute(
            "INSERT INTO meta (key, value) VALUES ('generation', '1') "
            "ON CONFLICT (key) DO UPDATE SET value = value + 1"
        )

    # --- articles ---------------------------------------------------------------------
    @store_failures(READ)
    def article(self, article_id: str) -> Article | None:
        row = self._db.execute(f"{_ARTICLE} WHERE id = ?", (article_id,)).fetchone()
        return Article(*row) if row else None

    @store_failures(READ)
    def articles(self, ids: Iterable[str]) -> dict[str, Article]:
        """The stored articles among `ids` (one query per `_IN_BATCH` ids)."""
        rows = self._rows_in(_ARTICLE, "id", ids)
        return {row[0]: Article(*row) for row in rows}

    def versions(self) -> dict[str, tuple[str, str]]:
        """article id -> (content hash, source) for every committed article."""
        rows = self._db.execute("SELECT id, content_hash, source FROM articles")
        return {row[0]: (row[1], row[2]) for row in rows}

    def versions_of(self, ids: Iterable[str]) -> dict[str, tuple[str, str]]:
        """`versions()` of the stored articles among `ids` only: an ingest of a few
        articles reads a few rows, not the whole table."""
        return {
            row[0]: (row[1], row[2])
            for row in self._rows_in("SELECT id, content_hash, source FROM articles", "id", ids)
        }

    def owners_of(self, hashes: Iterable[str]) -> dict[str, str]:
        """content hash -> the id of the stored article with that text, for `hashes`."""
        query = "SELECT content_hash, id FROM articles"
        return {row[0]: row[1] for row in self._rows_in(query, "content_hash", hashes)}

    def _rows_in(self, select: str, column: str, values: Iterable[str]) -> list[tuple[Any, ...]]:
        """`select WHERE column IN (values)`, in runs of at most `_IN_BATCH` values."""
        wanted = sorted(set(values))
        rows: list[tuple[Any, ...]] = []
        for start in range(0, len(wanted), _IN_BATCH):
            part = wanted[start : start + _IN_BATCH]
            marks = ",".join("?" * len(part))
            rows.extend(self._db.execute(f"{select} WHERE {column} IN ({marks})", part))
        return rows

    def put_article(
        self,
        article: Article,
        spans: Sequence[tuple[int, int]],
        readings: Sequence[ChunkReading] = (),
    ) -> list[str]:
        """Replace an article and its chunks (inside the caller's transaction); return chunk ids.

        `readings`, when given, holds one `ChunkReading` per span; readings staged for
        these chunks before (`stage_readings`) are kept, every other one of the article is
        deleted. A new text for a stored article is recorded as a revision
        (`ArticleRow.updated`)."""
        stored = self._db.execute(
            "SELECT content_hash FROM articles WHERE id = ?", (article.id,)
        ).fetchone()
        if stored is not None and stored[0] != article.content_hash:
            self._db.execute(
                "INSERT INTO revisions VALUES (?, ?, 1) ON CONFLICT (article_id) DO UPDATE "
                "SET updated = excluded.updated, count = count + 1",
                (article.id, datetime.now(UTC).isoformat(timespec="seconds")),
            )
        self._db.execute(
            "INSERT OR REPLACE INTO articles VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                article.id,
                article.title,
                article.date,
                article.date_key,
                article.text,
                article.source,
                article.url,
                article.content_hash,
            ),
        )
        self._db.execute("DELETE FROM outlets WHERE article_id = ?", (article.id,))
        if article.outlet:
            self._db.execute("INSERT INTO outlets VALUES (?, ?)", (article.id, article.outlet))
        self._db.execute("DELETE FROM chunks WHERE article_id = ?", (article.id,))
        self._db.execute("DELETE FROM removed WHERE article_id = ?", (article.id,))
        self._db.execute("DELETE FROM copies WHERE article_id = ?", (article.id,))
        ids = [chunk_id(article.id, article.content_hash, i) for i in range(len(spans))]
        self._db.executemany(
            "INSERT INTO chunks VALUES (?, ?, ?, ?, ?)",
            [
                (cid, article.id, i, s, e)
                for i, (cid, (s, e)) in enumerate(zip(ids, spans, strict=True))
            ],
        )
        if readings:
            self.stage_readings(
                (cid, article.id, reading) for cid, reading in zip(ids, readings, strict=True)
            )
        self._drop_unowned_readings(article.id)
        return ids

    def stage_readings(self, rows: Iterable[tuple[str, str, ChunkReading]]) -> None:
        """Store (chunk id, article id, reading) rows of an article version, inside the
        caller's transaction. They stay unread until `put_article` commits chunks with
        these ids: a long article's readings are written as they are computed, not held
        to its end."""
        self._db.executemany(
            "INSERT OR REPLACE INTO readings VALUES (?, ?, ?, ?, ?)",
            [
                (
                    cid,
                    article_id,
                    json.dumps(reading.sentences),
                    json.dumps([(e.start, e.end, e.label) for e in reading.entities]),
                    np.asarray(reading.vectors, dtype=np.float16).tobytes(),
                )
                for cid, article_id, reading in rows
            ],
        )

    def drop_unowned_readings(self, article_id: str) -> None:
        """Delete the readings of `article_id` that no committed chunk owns: an earlier
        version's, or those staged by a write that was killed before its commit."""
        with self.transaction():
            self._drop_unowned_readings(article_id)

    def _drop_unowned_readings(self, article_id: str) -> None:
        self._db.execute(
            "DELETE FROM readings WHERE article_id = ? "
            "AND chunk_id NOT IN (SELECT id FROM chunks WHERE article_id = ?)",
            (article_id, article_id),
        )

    def delete_article(self, article_id: str) -> None:
        self._db.execute("DELETE FROM articles WHERE id = ?", (article_id,))
        self._db.execute("DELETE FROM revisions WHERE article_id = ?", (article_id,))
        self._db.execute("DELETE FROM outlets WHERE article_id = ?", (article_id,))
        self._db.execute("DELETE FROM chunks WHERE article_id = ?", (article_id,))
        self._db.execute("DELETE FROM readings WHERE article_id = ?", (article_id,))
        self._db.execute("DELETE FROM copies WHERE article_id = ?", (article_id,))
        self.forget_sketch(article_id)
        self._db.execute("DELETE FROM copy_titles WHERE article_id = ?", (article_id,))

    # --- the article list -------------------------------------------------------------
    @store_failures(READ)
    def list_articles(
        self,
        *,
        query: str = "",
        since: int = 0,
        until: int = 0,
        sort: str = "newest",
        limit: int = 50,
        offset: int = 0,
    ) -> ArticleListing:
        """One page of the articles whose title or text holds every word of `query` (a
        word's start matches too: `harb` finds "harbour"), or whose id is `query`, in
        the date-key range `since`..`until` (0: open; a bound drops undated articles).

        Served by the FTS5 table and the `(date_key, id)` index, so a page stays cheap at
        100k articles; chunk and copy counts are looked up for the page's rows only."""
        where: list[str] = []
        args: list[object] = []
        words = _WORDS.findall(query)
        if words:
            match = " ".join('"' + word.replace('"', "") + '"*' for word in words)
            where.append(
                "(a.rowid IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?) "
                "OR a.id = ?)"
            )
            args += [match, query.strip()]
        elif query.strip():
            where.append("a.id = ?")
            args.append(query.strip())
        if since:
            where.append("a.date_key >= ?")
            args.append(since)
        if until:
            where.append("a.date_key BETWEEN 1 AND ?")
            args.append(until)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        total = self._db.execute(f"SELECT count(*) FROM articles a {clause}", args).fetchone()[0]
        rows = self._db.execute(
            f"{_ROW} {clause} ORDER BY {_SORTS[sort]} LIMIT ? OFFSET ?", [*args, limit, offset]
        )
        return ArticleListing(int(total), tuple(ArticleRow(*row) for row in rows))

    @store_failures(READ)
    def article_rows(self, ids: Sequence[str]) -> dict[str, ArticleRow]:
        """The list rows of the stored articles among `ids`."""
        wanted = sorted(set(ids))
        marks = ",".join("?" * len(wanted))
        rows = self._db.execute(f"{_ROW} WHERE a.id IN ({marks})", wanted)
        return {row[0]: ArticleRow(*row) for row in rows}

    @store_failures(READ)
    def ids_from(self, source: str) -> list[str]:
        """The articles read from the file `source` (as it was given to ingest)."""
        rows = self._db.execute("SELECT id FROM articles WHERE source = ? ORDER BY id", (source,))
        return [row[0] for row in rows]

    @store_failures(READ)
    def sources(self) -> dict[str, list[str]]:
        """source -> the ids of the articles read from it."""
        found: dict[str, list[str]] = {}
        for article_id, source in self._db.execute("SELECT id, source FROM articles"):
            found.setdefault(source, []).append(article_id)
        return found

    # --- feedback ---------------------------------------------------------------------
    @store_failures("writing feedback to the catalog (SQLite)")
    def add_feedback(self, feedback_id: str, answer_id: str, created: str, record: object) -> None:
        """Store one piece of user feedback (a JSON-able record), durably, at once."""
        with self.transaction():
            self._db.execute(
                "INSERT INTO feedback VALUES (?, ?, ?, ?)",
                (feedback_id, answer_id, created, json.dumps(record, ensure_ascii=False)),
            )

    @store_failures(READ)
    def feedback(self) -> list[dict[str, Any]]:
        """Every feedback record, oldest first."""
        rows = self._db.execute("SELECT record FROM feedback ORDER BY rowid")  # as given
        return [json.loads(row[0]) for row in rows]

    # --- watched sources --------------------------------------------------------------
    @store_failures("writing the watched sources (SQLite)")
    def watch(self, url: str, every_s: int, added: str) -> None:
        """Watch `url` every `every_s` seconds (a watched one keeps its history)."""
        with self.transaction():
            self._db.execute(
                "INSERT INTO watched (url, every_s, added) VALUES (?, ?, ?) "
                "ON CONFLICT (url) DO UPDATE SET every_s = excluded.every_s",
                (url, every_s, added),
            )

    @store_failures("writing the watched sources (SQLite)")
    def unwatch(self, url: str) -> bool:
        """Stop watching `url`; False when it was not watched."""
        with self.transaction():
            gone = self._db.execute("DELETE FROM watched WHERE url = ?", (url,)).rowcount
        return bool(gone)

    @store_failures(READ)
    def watched(self) -> list[tuple[str, int, str, str, int, str]]:
        """(url, every_s, added, last_read, last_added, last_note) of each, oldest first."""
        return list(self._db.execute("SELECT * FROM watched ORDER BY added, url"))

    @store_failures("writing the watched sources (SQLite)")
    def record_read(self, url: str, read: str, added: int, note: str) -> None:
        with self.transaction():
            self._db.execute(
                "UPDATE watched SET last_read = ?, last_added = ?, last_note = ? WHERE url = ?",
                (read, added, note, url),
            )

    # --- removed articles and duplicate copies ----------------------------------------
    def record_removed(self, article_ids: Iterable[str]) -> None:
        """Remember (inside the caller's transaction, before the delete) that the user
        removed these articles, so a plain ingest of their files does not bring them back."""
        self._db.executemany(
            "INSERT OR REPLACE INTO removed SELECT id, source, title FROM articles WHERE id = ?",
            [(article_id,) for article_id in article_ids],
        )

    @store_failures(READ)
    def removed_ids(self) -> set[str]:
        return {row[0] for row in self._db.execute("SELECT article_id FROM removed")}

    @store_failures(READ)
    def has_copies(self) -> bool:
        return self._db.execute("SELECT 1 FROM copies LIMIT 1").fetchone() is not None

    def forget_copies(self, sources: Sequence[str], *, gone: bool = False) -> None:
        """Drop the copies read from `sources` and (`gone`) those whose file is missing."""
        self._db.executemany("DELETE FROM copies WHERE source = ?", [(s,) for s in sources])
        if gone:
            rows = self._db.execute("SELECT DISTINCT source FROM copies").fetchall()
            missing = [(row[0],) for row in rows if not Path(row[0]).exists()]
            self._db.executemany("DELETE FROM copies WHERE source = ?", missing)

    def record_copies(self, copies: Iterable[tuple[str, str]]) -> None:
        """(stored article id, source of another file with the same text)."""
        self._db.executemany("INSERT OR IGNORE INTO copies VALUES (?, ?)", list(copies))

    # --- near-duplicates (`index.dedup`) ----------------------------------------------
    @store_failures(READ)
    def sketch_hashes(self) -> dict[str, str]:
        """article id -> the content hash its stored sketch was computed from."""
        rows = self._db.execute("SELECT article_id, content_hash FROM sketches")
        return {row[0]: row[1] for row in rows}

    @store_failures(READ)
    def sketches(self) -> dict[str, bytes]:
        """article id -> its MinHash signature."""
        return dict(self._db.execute("SELECT article_id, signature FROM sketches").fetchall())

    def put_sketch(self, article_id: str, content_hash: str, signature: bytes) -> None:
        """Replace an article's sketch and forget its pairs (inside the caller's transaction)."""
        self.forget_sketch(article_id)
        self._db.execute(
            "INSERT INTO sketches VALUES (?, ?, ?)", (article_id, content_hash, signature)
        )

    def forget_sketch(self, article_id: str) -> None:
        self._db.execute("DELETE FROM sketches WHERE article_id = ?", (article_id,))
        self._db.execute("DELETE FROM near_pairs WHERE a = ? OR b = ?", (article_id, article_id))
        self._bump_sketch_version()

    def clear_sketches(self) -> None:
        self._db.execute("DELETE FROM sketches")
        self._db.execute("DELETE FROM near_pairs")
        self._bump_sketch_version()

    def _bump_sketch_version(self) -> None:
        self._db.execute(
            "INSERT INTO meta (key, value) VALUES (?, '1') "
            "ON CONFLICT (key) DO UPDATE SET value = value + 1",
            (SKETCH_VERSION,),
        )

    @store_failures(READ)
    def sketch_version(self) -> int:
        """Moves whenever any process removes or replaces a stored sketch (adding one
        removes it first): an in-memory copy of the sketches taken at one value holds
        every sketch of the catalog at that value, plus those its owner added since."""
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (SKETCH_VERSION,)).fetchone()
        return int(row[0]) if row else 0

    @store_failures(READ)
    def unsketched(self) -> dict[str, str]:
        """id -> content hash of the articles without a sketch of their current text."""
        rows = self._db.execute(
            "SELECT a.id, a.content_hash FROM articles a"
            " LEFT JOIN sketches s ON s.article_id = a.id"
            " WHERE s.content_hash IS NULL OR s.content_hash != a.content_hash"
        )
        return {row[0]: row[1] for row in rows}

    def add_near_pairs(self, pairs: Iterable[tuple[str, str, float]]) -> None:
        self._db.executemany(
            "INSERT OR REPLACE INTO near_pairs VALUES (?, ?, ?)",
            [(min(a, b), max(a, b), sim) for a, b, sim in pairs],
        )

    @store_failures(READ)
    def near_pairs(self) -> list[tuple[str, str, float]]:
        return [
            (r[0], r[1], r[2]) for r in self._db.execute("SELECT a, b, similarity FROM near_pairs")
        ]

    def record_copy_titles(
        self, sources: Sequence[str], rows: Iterable[tuple[str, str, str]]
    ) -> None:
        """(stored article id, source, title) of exact copies read from `sources`: they
        replace what was known of those files."""
        self._db.executemany("DELETE FROM copy_titles WHERE source = ?", [(s,) for s in sources])
        self._db.executemany("INSERT OR IGNORE INTO copy_titles VALUES (?, ?, ?)", list(rows))

    @store_failures(READ)
    def copy_titles_from(self, sources: Sequence[str]) -> set[tuple[str, str, str]]:
        """The (article id, source, title) rows recorded for `sources`."""
        found: set[tuple[str, str, str]] = set()
        for source in sources:
            rows = self._db.execute("SELECT * FROM copy_titles WHERE source = ?", (source,))
            found.update((row[0], row[1], row[2]) for row in rows)
        return found

    @store_failures(READ)
    def copy_titles(self) -> dict[str, set[str]]:
        """stored article id -> the titles its text was also read under."""
        found: dict[str, set[str]] = {}
        for article_id, title in self._db.execute("SELECT article_id, title FROM copy_titles"):
            found.setdefault(article_id, set()).add(title)
        return found

    @store_failures(READ)
    def readings(self, ids: Sequence[str]) -> dict[str, ChunkReading]:
        """The stored `ChunkReading` of each of `ids` that has one (one query)."""
        marks = ",".join("?" * len(ids))
        rows = self._db.execute(
            f"SELECT chunk_id, sentences, entities, vectors FROM readings "
            f"WHERE chunk_id IN ({marks})",
            list(ids),
        )
        found: dict[str, ChunkReading] = {}
        for cid, sentences, entities, vectors in rows:
            spans = tuple((int(s), int(e)) for s, e in json.loads(sentences))
            matrix = np.frombuffer(vectors, dtype=np.float16).astype(np.float32)
            found[cid] = ChunkReading(
                spans,
                tuple(
                    EntitySpan(int(s), int(e), str(label)) for s, e, label in json.loads(entities)
                ),
                matrix.reshape(len(spans), -1) if spans else matrix.reshape(0, 0),
            )
        return found

    # --- chunks -----------------------------------------------------------------------
    @store_failures(READ)
    def chunks(self, ids: Sequence[str]) -> dict[str, StoredChunk]:
        """The committed chunks among `ids`; ids of stale or orphaned chunks are absent."""
        found: dict[str, StoredChunk] = {}
        for start in range(0, len(ids), 500):
            batch = list(ids[start : start + 500])
            marks = ",".join("?" * len(batch))
            rows = self._db.execute(
                f"SELECT id, article_id, position, start, end FROM chunks WHERE id IN ({marks})",
                batch,
            )
            found.update({row[0]: StoredChunk(*row) for row in rows})
        return found

    @store_failures(READ)
    def chunk_ids(self) -> set[str]:
        """The ids of every committed chunk (which keyword segment entries are live)."""
        return {row[0] for row in self._db.execute("SELECT id FROM chunks")}

    def all_chunks(self) -> Iterator[tuple[StoredChunk, str, int]]:
        """Every committed chunk with its text and its article's date key, in a stable order."""
        rows = self._db.execute(
            "SELECT c.id, c.article_id, c.position, c.start, c.end, "
            "substr(a.text, c.start + 1, c.end - c.start), a.date_key "
            "FROM chunks c JOIN articles a ON a.id = c.article_id ORDER BY c.id"
        )
        for row in rows:
            yield StoredChunk(*row[:5]), row[5], row[6]

    # --- intent log -------------------------------------------------------------------
    def mark_pending(self, versions: Iterable[tuple[str, str]]) -> None:
        with self.transaction():
            self._db.executemany("INSERT OR REPLACE INTO pending VALUES (?, ?)", list(versions))

    def clear_pending(self, article_ids: Iterable[str]) -> None:
        with self.transaction():
            self._db.executemany(
                "DELETE FROM pending WHERE article_id = ?", [(i,) for i in article_ids]
            )

    @store_failures(READ)
    def pending(self) -> list[str]:
        return [row[0] for row in self._db.execute("SELECT article_id FROM pending")]

    # --- status -----------------------------------------------------------------------
    @store_failures(READ)
    def is_empty(self) -> bool:
        return self._db.execute("SELECT 1 FROM articles LIMIT 1").fetchone() is None

    @store_failures(READ)
    def counts(self) -> tuple[int, int]:
        articles = self._db.execute("SELECT count(*) FROM articles").fetchone()[0]
        chunks = self._db.execute("SELECT count(*) FROM chunks").fetchone()[0]
        return int(articles), int(chunks)

    @store_failures(READ)
    def date_range(self) -> tuple[str, str] | None:
        row = self._db.execute(
            "SELECT min(date), max(date) FROM articles WHERE date != ''"
        ).fetchone()
        return (row[0], row[1]) if row and row[0] else None
