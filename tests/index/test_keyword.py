"""The keyword index: BM25 in segments that grow, scored as one index built at once.

The reference is bm25s itself over the live chunks (the one-file index newsrag used
before segments), so "equal to a full rebuild" also means "the same ranking as before".
"""

from __future__ import annotations

import logging
import random
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from index.articles import Article
from index.catalog import Catalog, ChunkReading
from index.keyword import MANIFEST, KeywordIndex
from index.segments import Segment
from index.writer import WriterLock
from rag import Assistant
from tests.fakes import HashingEmbedder

VOCABULARY = (
    "harbour bridge ferry council budget storm flood airstrike target militia senator vote "
    "election court ruling vaccine hospital wing donor school teacher strike wage rail "
    "port tariff export wheat drought fire forest river dam power grid outage"
)
WORDS = VOCABULARY.split()
NO_READING = ChunkReading((), (), np.zeros((0, 0), dtype=np.float32))
QUERIES = ("harbour bridge", "storm flood river", "senator vote election court", "wage strike")


class Keywords:
    """A catalog and its keyword index, written the way ingest writes them."""

    def __init__(self, home: Path, fanout: int = 2, base_chunks: int = 4) -> None:
        self.catalog = Catalog(home / "catalog.sqlite")
        self.index = KeywordIndex(
            home / "keyword", self.catalog, WriterLock(home), fanout=fanout, base_chunks=base_chunks
        )
        self.index.upgrade()

    def add(self, articles: list[Article]) -> None:
        """One ingest batch: each article one chunk per paragraph."""
        rows = []
        spans_of = {}
        for article in articles:
            spans, start = [], 0
            for part in article.text.split("\n\n"):
                spans.append((start, start + len(part)))
                start += len(part) + 2
            spans_of[article.id] = spans
        for article in articles:
            for position, (s, e) in enumerate(spans_of[article.id]):
                cid = f"{article.id}:{article.content_hash[:12]}:{position}"
                rows.append((cid, article.text[s:e], article.date_key))
        segment = self.index.write_segment(rows)
        with self.catalog.transaction():
            for article in articles:
                spans = spans_of[article.id]
                self.catalog.put_article(article, spans, [NO_READING] * len(spans))
            self.index.commit([segment.entry])
            self.catalog.bump_generation()
        self.index.maintain()
        self.index.reload()

    def remove(self, article_ids: list[str]) -> None:
        with self.catalog.transaction():
            for article_id in article_ids:
                self.catalog.delete_article(article_id)
        self.index.maintain()
        self.index.reload()

    def results(
        self, since: int | None = None, until: int | None = None
    ) -> list[list[tuple[str, float]]]:
        return [
            [(h.chunk_id, round(h.score, 4)) for h in self.index.search(q, 8, since, until)]
            for q in QUERIES
        ]


def article(number: int, rng: random.Random, version: int = 0) -> Article:
    paragraphs = [" ".join(rng.choices(WORDS, k=rng.randint(4, 30))) for _ in range(3)]
    day = rng.choice(["", "2024-01-05", "2024-02-10", "2024-03-20"])
    return Article(f"a{number}", f"title {number}", day, "\n\n".join(paragraphs), f"a{number}.txt")


def bm25s_reference(keywords: Keywords, query: str, k: int) -> list[tuple[str, float]]:
    """The one-file index of before: bm25s over every live chunk, built at once."""
    import bm25s

    rows = list(keywords.catalog.all_chunks())
    analyzer = keywords.index.analyzer
    tokenized = analyzer._tokenize([text for _, text, _ in rows], return_ids=True)
    retriever = bm25s.BM25()
    retriever.index(tokenized, show_progress=False)
    known = [t for t in analyzer.terms(query) if t in retriever.vocab_dict]
    if not known:
        return []
    docs, scores = retriever.retrieve([known], k=min(k, len(rows)), show_progress=False)
    return [
        (rows[int(d)][0].id, round(float(s), 4))
        for d, s in zip(docs[0], scores[0], strict=True)
        if s > 0
    ]


def same_ranking(got: list[tuple[str, float]], want: list[tuple[str, float]]) -> bool:
    """Equal scores in order, and the same chunks at each score but the last (a tie at
    the cut may be broken either way)."""
    if [s for _, s in got] != [s for _, s in want]:
        return False
    last = want[-1][1] if want else None
    return {c for c, s in got if s != last} == {c for c, s in want if s != last}


def test_a_date_range_keeps_dated_chunks_inside_it_only(tmp_path: Path) -> None:
    keywords = Keywords(tmp_path)
    keywords.add(
        [
            Article("undated", "", "", "airstrikes hit targets in Iraq", "u.txt"),
            Article("early", "", "2024-01-05", "airstrikes hit targets in Syria", "e.txt"),
            Article("late", "", "2024-03-20", "airstrikes hit targets in Yemen", "l.txt"),
        ]
    )

    def found(since: int | None, until: int | None) -> set[str]:
        hits = keywords.index.search("airstrikes targets", 10, since, until)
        return {hit.chunk_id.split(":")[0] for hit in hits}

    assert found(None, None) == {"undated", "early", "late"}
    assert found(None, 20240201) == {"early"}
    assert found(20240201, None) == {"late"}
    assert found(20240101, 20241231) == {"early", "late"}


def steps(rng: random.Random) -> Iterator[tuple[str, list[int]]]:
    """Adds, updates, removals and re-adds of removed articles, in batches."""
    for _ in range(14):
        yield rng.choice(["add", "add", "update", "remove", "readd"]), rng.sample(range(25), 3)


def test_after_adds_updates_and_removals_the_ranking_is_a_full_rebuilds(tmp_path: Path) -> None:
    rng = random.Random(7)
    keywords = Keywords(tmp_path)
    versions: dict[int, Article] = {}
    removed: dict[int, Article] = {}
    merged = False
    for action, numbers in steps(rng):
        if action == "remove":
            gone = [n for n in numbers if n in versions]
            removed.update({n: versions.pop(n) for n in gone})
            keywords.remove([f"a{n}" for n in gone])
        else:
            batch = {}
            for n in numbers:
                if action == "readd" and n in removed:
                    batch[n] = removed.pop(n)  # the same version: its chunk ids again
                else:
                    batch[n] = article(n, rng, version=len(versions))
            versions.update(batch)
            keywords.add(list(batch.values()))
        manifest = keywords.catalog.get_meta(MANIFEST)
        assert isinstance(manifest, list)
        merged = merged or any(entry["chunks"] > 12 for entry in manifest)
        for query in QUERIES:
            got = [(h.chunk_id, round(h.score, 4)) for h in keywords.index.search(query, 8)]
            assert same_ranking(got, bm25s_reference(keywords, query, 8)), (action, query)
    assert merged, "no merge happened: the test would not cover one"
    assert len(keywords.catalog.get_meta(MANIFEST)) > 1  # type: ignore[arg-type]

    incremental = keywords.results(), keywords.results(since=20240201)
    idf = [keywords.index.idf(t) for t in ("harbour", "flood", "unseen")]
    keywords.index.rebuild()
    keywords.index.reload()
    assert len(keywords.catalog.get_meta(MANIFEST)) == 1  # type: ignore[arg-type]
    assert (keywords.results(), keywords.results(since=20240201)) == incremental
    assert [keywords.index.idf(t) for t in ("harbour", "flood", "unseen")] == pytest.approx(idf)
    assert sorted(keywords.index.live_ids()) == sorted(keywords.catalog.chunk_ids())


def test_an_article_removed_then_added_back_counts_once(tmp_path: Path) -> None:
    rng = random.Random(5)
    keywords = Keywords(tmp_path, fanout=8)  # no merge: its chunk ids are in two segments
    first, other = article(1, rng), article(2, rng)
    keywords.add([first, other])
    alone = keywords.results()
    keywords.remove([first.id])
    keywords.add([first])  # the same version, so the same chunk ids
    assert len(keywords.catalog.get_meta(MANIFEST)) == 2  # type: ignore[arg-type]
    assert keywords.results() == alone
    assert sorted(keywords.index.live_ids()) == sorted(keywords.catalog.chunk_ids())


def test_a_kill_before_a_merge_commits_leaves_the_old_segments_searched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(3)
    keywords = Keywords(tmp_path, fanout=3, base_chunks=256)
    for n in range(2):
        keywords.add([article(n, rng)])
    before = keywords.results()

    import index.keyword

    real_save = index.keyword.save_segment

    def killed_after_the_merged_file(segment: Segment, folder: Path) -> Path:
        path = real_save(segment, folder)
        if len(segment) > 3:  # the merged one
            raise KeyboardInterrupt("killed")
        return path

    monkeypatch.setattr(index.keyword, "save_segment", killed_after_the_merged_file)
    with pytest.raises(KeyboardInterrupt):
        keywords.add([article(2, rng)])  # the third segment: a run of three to merge
    monkeypatch.undo()

    files = set((tmp_path / "keyword").glob("*.npz"))
    assert len(files) == 4  # three named, one merged that no commit named
    reader = Keywords(tmp_path, fanout=3, base_chunks=256)
    assert len(reader.catalog.get_meta(MANIFEST)) == 3  # type: ignore[arg-type]
    expected = reader.results()
    assert expected != before
    assert all(
        same_ranking(got, bm25s_reference(reader, q, 8))
        for got, q in zip(expected, QUERIES, strict=True)
    )

    reader.index.maintain()  # the next writer: merges again, deletes the stray file
    reader.index.reload()
    assert len(reader.catalog.get_meta(MANIFEST)) == 1  # type: ignore[arg-type]
    assert len(list((tmp_path / "keyword").glob("*.npz"))) == 1
    assert reader.results() == expected


def test_an_index_of_the_old_one_file_format_is_upgraded_once(
    seeded_fake_assistant: Assistant, caplog: pytest.LogCaptureFixture
) -> None:
    home = Path(seeded_fake_assistant.settings.home)
    catalog = seeded_fake_assistant.index.catalog
    query = "airstrikes targets Iraq"
    before = [(h.chunk_id, h.score) for h in seeded_fake_assistant.index.keyword_search(query, 5)]
    assert before
    # What newsrag wrote before segments: a bm25/ folder and no segment list.
    shutil.rmtree(home / "keyword")
    (home / "bm25").mkdir()
    (home / "bm25" / "ids.json").write_text("[]")
    with catalog.transaction():
        catalog._db.execute("DELETE FROM meta WHERE key = ?", (MANIFEST,))
    reopened = Assistant(seeded_fake_assistant.settings, embedder=HashingEmbedder())
    with caplog.at_level(logging.WARNING, logger="index.keyword"):
        after = [(h.chunk_id, h.score) for h in reopened.index.keyword_search(query, 5)]
    assert [c for c, _ in after] == [c for c, _ in before]
    assert np.allclose([s for _, s in after], [s for _, s in before], rtol=1e-5)
    assert "old one-file format" in caplog.text
    assert not (home / "bm25").exists()
    assert len(list((home / "keyword").glob("*.npz"))) == 1
    assert reopened.index.keyword.upgrade() is False  # once
    assert not reopened.ask("How many targets did U.S. airstrikes hit?").abstained


def test_the_stop_words_read_from_the_bundled_file_are_nltks() -> None:
    from nltk.corpus import stopwords

    from index.keyword import english_stopwords
    from index.sentences import ensure_nltk_data

    ensure_nltk_data()
    assert english_stopwords() == list(stopwords.words("english"))
    assert {"the", "and", "of"} <= set(english_stopwords())
