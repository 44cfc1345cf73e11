"""Ingest keeps the index in step with the files: idempotent, incremental, crash-safe.

A SIGKILL at each write step, and at seeded random ones, is in `test_faults.py`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import index.articles
import index.encode
from rag import Assistant, IndexMismatchError, InputError, Settings
from tests.fakes import HashingEmbedder


def article_file(folder: Path, name: str, body: str, date: str = "2024-03-01") -> Path:
    path = folder / name
    path.write_text(f"date {date}\n\n{body}\n", encoding="utf-8")
    return path


def chroma_ids(assistant: Assistant) -> list[str]:
    return sorted(assistant.index.vectors.collection.get(include=[])["ids"])


def catalog_ids(assistant: Assistant) -> list[str]:
    return sorted(chunk.id for chunk, _, _ in assistant.index.catalog.all_chunks())


def test_reingesting_an_unchanged_corpus_embeds_nothing(corpus: Path, settings: Settings) -> None:
    embedder = HashingEmbedder()
    assistant = Assistant(settings, embedder=embedder)
    first = assistant.ingest([corpus])
    embedded = embedder.documents_embedded
    second = assistant.ingest([corpus])
    assert len(first.added) == 1 and first.chunks_embedded > 0
    assert second.unchanged == first.added and not second.added
    assert embedder.documents_embedded == embedded
    assert chroma_ids(assistant) == catalog_ids(assistant)


def test_changed_article_replaces_its_old_chunks(corpus: Path, fake_assistant: Assistant) -> None:
    path = article_file(corpus, "storm.txt", "A storm hit the harbour town of Elmsby on Monday.")
    fake_assistant.ingest([corpus])
    article_file(corpus, "storm.txt", "A flood hit the harbour town of Elmsby on Tuesday.")
    report = fake_assistant.ingest([corpus])
    assert len(report.updated) == 1
    (article_id,) = report.updated
    assert "flood" in fake_assistant.article(article_id).text
    assert chroma_ids(fake_assistant) == catalog_ids(fake_assistant)
    answer = fake_assistant.ask("What hit the harbour town of Elmsby?")
    assert all("storm" not in p.text for p in answer.passages)
    assert path.exists()


def test_prune_removes_articles_whose_files_are_gone(
    corpus: Path, fake_assistant: Assistant
) -> None:
    extra = article_file(corpus, "extra.txt", "The mayor of Elmsby resigned.")
    fake_assistant.ingest([corpus])
    extra.unlink()
    kept = fake_assistant.ingest([corpus])
    assert not kept.removed and fake_assistant.status().articles == 2
    pruned = fake_assistant.ingest([corpus], prune=True)
    assert len(pruned.removed) == 1
    assert fake_assistant.status().articles == 1
    assert chroma_ids(fake_assistant) == catalog_ids(fake_assistant)


def test_same_text_under_two_names_is_stored_once_and_reported(
    corpus: Path, fake_assistant: Assistant
) -> None:
    article_file(corpus, "one.txt", "Identical words about the Elmsby bridge.")
    article_file(corpus, "two.txt", "Identical words about the Elmsby bridge.")
    report = fake_assistant.ingest([corpus])
    assert len(report.added) == 2  # the seed article and one of the twins
    assert len(report.duplicates) == 1
    assert "same text as article" in report.duplicates[0].reason


def test_bad_files_are_skipped_and_reported_while_the_rest_is_ingested(
    corpus: Path, fake_assistant: Assistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    (corpus / "empty.txt").write_text("")
    (corpus / "latin.txt").write_bytes("date 2024-01-01\ncaf\xe9".encode("latin-1"))
    (corpus / "lines.jsonl").write_text(
        '{"id": "bad", "text": "caf\\ud800 au lait"}\n{"id": "good", "text": "Tea in Elmsby."}\n'
    )
    locked = article_file(corpus, "locked.txt", "A locked file about Elmsby.")
    real_read = Path.read_bytes

    def read_bytes(path: Path) -> bytes:
        if path == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real_read(path)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    report = fake_assistant.ingest([corpus])
    assert len(report.added) == 2  # the seed article and the good line
    assert "good" in report.added
    assert {Path(s.source.split(":")[0]).name for s in report.skipped} == {
        "empty.txt",
        "latin.txt",
        "lines.jsonl",
        "locked.txt",
    }
    reasons = " ".join(s.reason for s in report.skipped)
    assert "cannot read: Permission denied" in reasons and "surrogate" in reasons


@pytest.mark.parametrize(
    ("make_path", "message"),
    [
        (lambda tmp: tmp / "missing", "path does not exist"),
        (lambda tmp: tmp, "no article files"),
    ],
)
def test_bad_paths_raise_and_change_nothing(
    seeded_fake_assistant: Assistant,
    tmp_path: Path,
    make_path,
    message: str,
) -> None:
    empty = tmp_path / "empty-dir"
    empty.mkdir()
    before = seeded_fake_assistant.status()
    with pytest.raises(InputError, match=message):
        seeded_fake_assistant.ingest([make_path(empty)])
    assert seeded_fake_assistant.status() == before


def test_opening_with_another_model_says_how_to_rebuild(corpus: Path, settings: Settings) -> None:
    Assistant(settings, embedder=HashingEmbedder(dims=64)).ingest([corpus])
    other = Assistant(settings, embedder=HashingEmbedder(dims=32))
    with pytest.raises(IndexMismatchError, match="rag ingest --rebuild"):
        other.status()
    report = other.ingest([corpus], rebuild=True)
    assert len(report.added) == 1
    assert other.ask("How many targets did U.S. airstrikes hit?").citations


class ExplodingEmbedder(HashingEmbedder):
    """Fails on the n-th batch, as a Ctrl-C in the middle of an ingest would."""

    def __init__(self, fail_on_call: int) -> None:
        super().__init__()
        self.calls = 0
        self.fail_on_call = fail_on_call

    def embed_documents(self, texts):
        self.calls += 1
        if self.calls == self.fail_on_call:
            raise KeyboardInterrupt
        return super().embed_documents(texts)


def many_articles(folder: Path, count: int) -> None:
    for i in range(count):
        words = " ".join(f"word{i}x{j}" for j in range(120))
        article_file(folder, f"bulk{i:03d}.txt", f"Article {i} talks about topic{i}. {words}.")


def test_an_interrupted_ingest_leaves_an_answering_index_and_the_next_completes(
    corpus: Path, settings: Settings
) -> None:
    Assistant(settings, embedder=HashingEmbedder()).ingest([corpus])
    many_articles(corpus, 400)
    interrupted = Assistant(settings, embedder=ExplodingEmbedder(fail_on_call=2))
    with pytest.raises(KeyboardInterrupt):
        interrupted.ingest([corpus])

    reopened = Assistant(settings, embedder=HashingEmbedder())
    answer = reopened.ask("How many targets did U.S. airstrikes hit?")
    assert "85 targets" in answer.text
    committed = reopened.status().articles
    assert 1 < committed < 401

    report = reopened.ingest([corpus])
    assert len(report.added) == 401 - committed
    assert reopened.status().articles == 401
    assert chroma_ids(reopened) == catalog_ids(reopened), "no duplicate or orphan chunks"


def test_ingest_summary_is_json_serialisable(corpus: Path, fake_assistant: Assistant) -> None:
    from dataclasses import asdict

    report = fake_assistant.ingest([corpus])
    assert json.loads(json.dumps(asdict(report)))["added"] == report.added
    assert report.chunks_embedded == len(catalog_ids(fake_assistant)) > 0


def test_an_article_over_the_size_limit_is_skipped_and_the_rest_ingested(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RAG_INGEST__MAX_ARTICLE_BYTES", "20000")
    settings = Settings(home=tmp_path / "home")
    big = article_file(corpus, "big.txt", "The Elmsby archive grew. " * 1000)  # 25 kB
    assistant = Assistant(settings, embedder=HashingEmbedder())
    report = assistant.ingest([corpus])
    assert len(report.added) == 1  # the seed article; the ingest was not aborted
    (skipped,) = report.skipped
    assert skipped.source == str(big)
    assert skipped.reason.startswith(f"{big.stat().st_size:,} bytes is over the 20,000 bytes limit")
    assert "ingest.max_article_bytes" in skipped.reason
    assert assistant.status().articles == 1


def test_progress_moves_within_one_long_article(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("index.ingest.BATCH_CHUNKS", 4)
    folder = tmp_path / "one"
    folder.mkdir()
    article_file(folder, "long.txt", " ".join(f"Sentence {i} about Elmsby." for i in range(90)))
    settings = Settings(home=tmp_path / "home", chunking={"chunk_tokens": 32, "overlap_tokens": 0})
    calls: list[tuple[int, int]] = []
    report = Assistant(settings, embedder=HashingEmbedder()).ingest(
        [folder], progress=lambda done, total: calls.append((done, total))
    )
    total = report.chunks_embedded
    assert total > 8  # one article, one batch, many chunks
    assert calls == [(min(done, total), total) for done in range(4, total + 4, 4)]


def test_a_long_article_killed_between_its_vector_writes_leaves_no_orphan_after_the_next_writer(
    corpus: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A long article's vectors go to Chroma in several writes; a kill after some of them
    leaves vectors the catalog does not know, which the next writer's recovery deletes
    (here an ingest with the article's file gone, which writes no vector itself)."""
    assistant = Assistant(settings, embedder=HashingEmbedder())
    assistant.ingest([corpus])
    before = chroma_ids(assistant)
    sentences = " ".join(f"The Elmsby levee held on day {n} of the flood." for n in range(400))
    long = article_file(corpus, "long.txt", sentences)
    monkeypatch.setattr("index.vectors.MAX_BATCH", 8)
    collection = assistant.index.vectors.collection
    real_upsert = collection.upsert
    calls: list[int] = []

    def killed_on_the_third_write(**kwargs: object) -> None:
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        real_upsert(**kwargs)

    monkeypatch.setattr(collection, "upsert", killed_on_the_third_write)
    with pytest.raises(KeyboardInterrupt):
        assistant.ingest([corpus])
    monkeypatch.undo()

    reopened = Assistant(settings, embedder=HashingEmbedder())
    assert len(chroma_ids(reopened)) == len(before) + 16  # the two writes that got through
    assert reopened.status().articles == 1
    long.unlink()
    assert reopened.ingest([corpus]).recovered == 1
    assert chroma_ids(reopened) == catalog_ids(reopened) == before


def long_article_settings(tmp_path: Path, name: str) -> Settings:
    return Settings(home=tmp_path / name, chunking={"chunk_tokens": 32, "overlap_tokens": 8})


def stored_index(assistant: Assistant) -> dict[str, tuple[object, ...]]:
    """chunk id -> (span, chunk vector, sentences, entities, sentence vectors)."""
    got = assistant.index.vectors.collection.get(include=["embeddings", "metadatas"])
    readings = assistant.index.catalog.readings(got["ids"])
    return {
        cid: (
            (meta["start"], meta["end"]),
            tuple(vector.round(6)),
            readings[cid].sentences,
            readings[cid].entities,
            readings[cid].vectors.round(3).tobytes(),
        )
        for cid, vector, meta in zip(got["ids"], got["embeddings"], got["metadatas"], strict=True)
    }


def test_an_article_longer_than_a_batch_is_encoded_in_parts_and_committed_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Memory stays that of one batch: no encode call sees more than `BATCH_CHUNKS` of
    the article's chunks or much more than their text, and the article is committed
    once, after its last part, with the same chunks, vectors and readings as an ingest
    that took it in one batch."""
    folder = tmp_path / "one"
    folder.mkdir()
    story = " ".join(f"Mayor Ada Park opened bridge {n} in Elmsby on Monday." for n in range(60))
    article_file(folder, "long.txt", story)
    whole = Assistant(long_article_settings(tmp_path, "whole"), embedder=HashingEmbedder())
    whole.ingest([folder])

    monkeypatch.setattr("index.ingest.BATCH_CHUNKS", 4)
    parted = Assistant(long_article_settings(tmp_path, "parted"), embedder=HashingEmbedder())
    encoded: list[int] = []  # chunks per encoded batch
    shipped: list[int] = []  # characters of text per encoded batch
    encode_batch = index.encode.encode_batch

    def counted(embedder: Any, recognizer: Any, batch: Any, *rest: Any) -> Any:
        encoded.append(sum(len(item.spans) for item in batch))
        shipped.append(sum(len(item.text) for item in batch))
        return encode_batch(embedder, recognizer, batch, *rest)

    monkeypatch.setattr(index.encode, "encode_batch", counted)
    commits: list[str] = []
    put_article = parted.index.catalog.put_article

    def recorded(article: Any, *rest: Any) -> Any:
        commits.append(article.id)
        return put_article(article, *rest)

    monkeypatch.setattr(parted.index.catalog, "put_article", recorded)
    report = parted.ingest([folder])

    assert report.chunks_embedded > 12
    assert max(encoded) == 4 and sum(encoded) == report.chunks_embedded
    assert max(shipped) < len(story) / 4  # a part carries its own stretch of the text
    assert commits == report.added
    assert stored_index(parted) == stored_index(whole)
    assert parted.ask("Who opened bridge 42?").citations


def test_a_long_article_killed_between_its_parts_leaves_no_reading_or_vector_after_recovery(
    tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each part's vectors and readings are stored before the article's commit; a kill
    after two parts leaves them unowned, and the next writer's recovery deletes both."""
    settings = long_article_settings(tmp_path, "home")
    assistant = Assistant(settings, embedder=HashingEmbedder())
    assistant.ingest([corpus])
    before = chroma_ids(assistant)
    story = " ".join(f"The Elmsby levee held on day {n} of the flood." for n in range(60))
    long = article_file(corpus, "long.txt", story)
    monkeypatch.setattr("index.ingest.BATCH_CHUNKS", 4)
    keyword = assistant.index.keyword
    write_segment = keyword.write_segment
    parts: list[int] = []

    def killed_on_the_third_part(rows: object) -> object:
        parts.append(1)
        if len(parts) == 3:
            raise KeyboardInterrupt
        return write_segment(rows)  # type: ignore[arg-type]

    monkeypatch.setattr(keyword, "write_segment", killed_on_the_third_part)
    with pytest.raises(KeyboardInterrupt):
        assistant.ingest([corpus])
    monkeypatch.undo()

    reopened = Assistant(settings, embedder=HashingEmbedder())
    staged = sorted(set(chroma_ids(reopened)) - set(before))
    assert len(staged) == 12  # three parts' vectors; the third part's segment was not
    assert len(reopened.index.catalog.readings(staged)) == 8  # two parts' readings
    assert reopened.status().articles == 1
    long.unlink()
    assert reopened.ingest([corpus]).recovered == 1
    assert chroma_ids(reopened) == catalog_ids(reopened) == before
    assert reopened.index.catalog.readings(staged) == {}


def test_an_article_is_hashed_once_however_many_chunks_carry_its_hash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every chunk id and chunk metadata carries the article's hash: hashing the text for
    each made one article's ingest time grow with its size squared."""
    folder = tmp_path / "one"
    folder.mkdir()
    story = " ".join(f"The Elmsby levee held on day {n} of the flood." for n in range(60))
    article_file(folder, "long.txt", story)
    hashed: list[str] = []
    content_hash = index.articles.content_hash

    def counted(text: str) -> str:
        hashed.append(text)
        return content_hash(text)

    monkeypatch.setattr(index.articles, "content_hash", counted)
    report = Assistant(long_article_settings(tmp_path, "home"), embedder=HashingEmbedder()).ingest(
        [folder]
    )
    assert report.chunks_embedded > 12
    assert len([text for text in hashed if story in text]) == 1
