"""The design not shipped: the keyword index as an SQLite FTS5 table (a prototype).

Chunks are stored as their analysed terms (the same `Analyzer` as the shipped index,
so only the ranking differs), ranked by FTS5's own `bm25()` (k1 1.2, b 0.75, idf
log((N - n + 0.5) / (n + 0.5))); document frequencies for the reader come from an
`fts5vocab` table. Used by `bench/bench_keyword.py` (speed) and, for hit@5, as

    python bench/keyword_fts5.py eval QUESTIONS --home DIR --out OUT   # `rag eval` args

which runs `rag eval` with this table in place of the segments (built once, beside
OUT, from the home's catalog; the home is only read).
"""

from __future__ import annotations

import math
import sqlite3
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from index.keyword import Analyzer, KeywordHit, KeywordIndex

_SCHEMA = """
CREATE VIRTUAL TABLE IF NOT EXISTS kw USING fts5(
    terms, date_key UNINDEXED, tokenize = "unicode61 remove_diacritics 0 tokenchars '_'"
);
CREATE VIRTUAL TABLE IF NOT EXISTS kw_vocab USING fts5vocab(kw, 'row');
CREATE TABLE IF NOT EXISTS kw_ids (rowid INTEGER PRIMARY KEY, chunk_id TEXT UNIQUE);
"""


class Fts5Keywords:
    """Analysed chunk terms in an FTS5 table; `add` and `remove` are one transaction each."""

    def __init__(self, path: Path, analyzer: Analyzer | None = None) -> None:
        self.analyzer = analyzer or Analyzer()
        self.db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(_SCHEMA)
        self._df: dict[str, int] = {}

    def add(self, rows: Sequence[tuple[str, str, int]], terms: Sequence[Sequence[str]]) -> None:
        self.db.execute("BEGIN IMMEDIATE")
        start = self.db.execute("SELECT coalesce(max(rowid), 0) FROM kw_ids").fetchone()[0]
        self.db.executemany(
            "INSERT INTO kw_ids VALUES (?, ?)",
            [(start + 1 + i, row[0]) for i, row in enumerate(rows)],
        )
        self.db.executemany(
            "INSERT INTO kw (rowid, terms, date_key) VALUES (?, ?, ?)",
            [
                (start + 1 + i, " ".join(t), row[2])
                for i, (row, t) in enumerate(zip(rows, terms, strict=True))
            ],
        )
        self.db.execute("COMMIT")
        self._df.clear()

    def remove(self, chunk_ids: Iterable[str]) -> None:
        self.db.execute("BEGIN IMMEDIATE")
        for chunk_id in chunk_ids:
            row = self.db.execute(
                "SELECT rowid FROM kw_ids WHERE chunk_id = ?", (chunk_id,)
            ).fetchone()
            if row:
                self.db.execute("DELETE FROM kw WHERE rowid = ?", row)
                self.db.execute("DELETE FROM kw_ids WHERE rowid = ?", row)
        self.db.execute("COMMIT")
        self._df.clear()

    @property
    def chunks(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM kw_ids").fetchone()[0])

    def search_terms(
        self, terms: Sequence[str], top_k: int, since: int | None, until: int | None
    ) -> list[tuple[str, float]]:
        if not terms:
            return []
        match = " OR ".join('"' + t.replace('"', "") + '"' for t in terms)
        where, args = ["kw MATCH ?"], [match]
        if since is not None or until is not None:
            where.append("kw.date_key > 0")
        if since is not None:
            where.append("kw.date_key >= ?")
            args.append(str(since))
        if until is not None:
            where.append("kw.date_key <= ?")
            args.append(str(until))
        sql = (
            "SELECT kw_ids.chunk_id, -bm25(kw) AS score FROM kw JOIN kw_ids "
            f"ON kw_ids.rowid = kw.rowid WHERE {' AND '.join(where)} ORDER BY rank LIMIT ?"
        )
        rows = self.db.execute(sql, [*args, top_k]).fetchall()
        return [(str(cid), float(score)) for cid, score in rows]

    def doc_freq(self, term: str) -> int:
        if term not in self._df:
            row = self.db.execute("SELECT doc FROM kw_vocab WHERE term = ?", (term,)).fetchone()
            self._df[term] = int(row[0]) if row else 0
        return self._df[term]


class Fts5KeywordIndex(KeywordIndex):
    """`KeywordIndex` searching an FTS5 table built once from the catalog (eval only)."""

    table_path: Path = Path("/tmp/keyword-fts5.sqlite")

    def _table(self) -> Fts5Keywords:
        table: Fts5Keywords | None = getattr(self, "_fts5", None)
        if table is None:
            fresh = not self.table_path.exists()
            table = Fts5Keywords(self.table_path, self.analyzer)
            if fresh:
                rows = [(c.id, text, date) for c, text, date in self._catalog.all_chunks()]
                table.add(rows, self.analyzer.terms_many([text for _, text, _ in rows]))
            self._fts5 = table
        return table

    def search(
        self, query: str, top_k: int, since: int | None = None, until: int | None = None
    ) -> list[KeywordHit]:
        terms = self.analyzer.terms(query)
        found = self._table().search_terms(terms, top_k, since, until)
        return [KeywordHit(cid, score) for cid, score in found]

    def idf(self, term: str) -> float:
        table = self._table()
        n = max(table.chunks, 1)
        df = table.doc_freq(term)
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))


def main(argv: list[str]) -> int:
    import index.store
    from ui import cli

    if not argv or argv[0] != "eval":
        print(__doc__, file=sys.stderr)
        return 2
    out = Path(argv[argv.index("--out") + 1]) if "--out" in argv else Path("eval-out")
    out.mkdir(parents=True, exist_ok=True)
    Fts5KeywordIndex.table_path = out / "keyword-fts5.sqlite"
    patched: Any = Fts5KeywordIndex
    index.store.KeywordIndex = patched  # type: ignore[misc]
    return cli.main(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
