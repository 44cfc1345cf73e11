"""Near-duplicates at ingest: wire copies cluster, boilerplate is flagged, new articles
are checked against the stored sketches only, removals leave their cluster, and an
index built before sketches gets them without re-embedding."""

from __future__ import annotations

from pathlib import Path

from datasketch import MinHash
from pytest import MonkeyPatch

from index import dedup
from index.dedup import SKETCH_SLICE, distinct_titles, load_clusters, shingles, sketch
from index.settings import DedupSettings
from rag import Assistant, Settings
from tests.dedup_corpus import (
    WIRE,
    article_id,
    write_article,
    write_corpus,
    write_exact_cookie_copies,
)
from tests.fakes import HashingEmbedder


def clusters_of(assistant: Assistant) -> list[list[str]]:
    """Each cluster as the files of its articles, representative first."""
    index = assistant.index
    found = load_clusters(index.catalog, index.settings.dedup)
    return [[Path(found.members[i].source).name for i in group] for group in found.groups]


def boilerplate_files(assistant: Assistant) -> set[str]:
    index = assistant.index
    found = load_clusters(index.catalog, index.settings.dedup)
    return {Path(found.members[i].source).name for i in found.boilerplate}


def test_wire_copies_form_one_cluster_led_by_the_earliest_then_longest(
    fake_assistant: Assistant, tmp_path: Path
) -> None:
    report = fake_assistant.ingest([write_corpus(tmp_path / "news")])
    assert len(report.added) == 7  # every article is stored: nothing is dropped
    assert fake_assistant.status().articles == 7
    wire = next(c for c in clusters_of(fake_assistant) if "ap.md" in c)
    # Reuters and the local rewrite share the earliest day; the local one is longer.
    assert wire == ["local.md", "reuters.md", "ap.md"]
    clustered = {name for cluster in clusters_of(fake_assistant) for name in cluster}
    assert "ferry.md" not in clustered
    assert report.dedup.clusters == 2 and report.dedup.clustered_articles == 6


def test_a_text_under_several_unrelated_titles_is_boilerplate_and_wire_copies_are_not(
    fake_assistant: Assistant, tmp_path: Path
) -> None:
    report = fake_assistant.ingest([write_corpus(tmp_path / "news")])
    assert boilerplate_files(fake_assistant) == {"budget.md", "football.md", "weather.md"}
    named = " ".join(report.dedup.boilerplate)
    assert "Millbrook Rovers win the cup final" in named and "Kestrel" not in named
    assert fake_assistant.status().boilerplate == tuple(report.dedup.boilerplate)


def test_exact_copies_under_other_titles_count_as_titles_of_one_stored_text(
    fake_assistant: Assistant, tmp_path: Path
) -> None:
    report = fake_assistant.ingest([write_exact_cookie_copies(tmp_path / "scraped")])
    assert len(report.added) == 1 and len(report.duplicates) == 2  # stored once
    flagged = ("Council sets its budget for the year (scraped-0)",)
    assert fake_assistant.status().boilerplate == flagged
    generation = fake_assistant.index.catalog.generation()
    fake_assistant.ingest([tmp_path / "scraped"])  # the same titles again: nothing written
    assert fake_assistant.index.catalog.generation() == generation
    assert fake_assistant.status().boilerplate == flagged


def test_a_new_copy_is_checked_against_the_stored_sketches_only(
    fake_assistant: Assistant, tmp_path: Path
) -> None:
    folder = write_corpus(tmp_path / "news", skip=("ap.md",))
    first = fake_assistant.ingest([folder])
    assert first.dedup.sketched == 6
    day, title, text = WIRE["ap.md"]
    write_article(folder, "ap.md", day, title, text)
    second = fake_assistant.ingest([folder])
    assert second.added == [article_id(fake_assistant, "ap.md")]
    assert second.dedup.sketched == 1  # the stored articles are not sketched again
    assert ["local.md", "reuters.md", "ap.md"] in clusters_of(fake_assistant)
    generation = fake_assistant.index.catalog.generation()
    assert fake_assistant.ingest([folder]).dedup.sketched == 0
    assert fake_assistant.index.catalog.generation() == generation  # nothing written


def test_the_sketch_index_is_kept_between_ingests_and_rebuilt_after_another_writer(
    fake_assistant: Assistant, settings: Settings, tmp_path: Path, monkeypatch: MonkeyPatch
) -> None:
    folder = write_corpus(tmp_path / "news", skip=("ap.md", "local.md"))
    fake_assistant.ingest([folder])  # builds the LSH index once
    catalog = fake_assistant.index.catalog
    reads: list[int] = []
    stored = catalog.sketches

    def counted() -> dict[str, bytes]:
        reads.append(1)
        return stored()

    monkeypatch.setattr(catalog, "sketches", counted)
    day, title, text = WIRE["ap.md"]
    write_article(folder, "ap.md", day, title, text)
    fake_assistant.ingest([folder])
    assert reads == [] and ["reuters.md", "ap.md"] in clusters_of(fake_assistant)
    other = Assistant(settings, embedder=HashingEmbedder())  # another process's writer
    day, title, text = WIRE["local.md"]
    write_article(folder, "local.md", day, title, text)
    other.ingest([folder])
    write_article(folder, "late.md", "2024-02-12", "Kestrel dam", text + " Roads stay shut.")
    fake_assistant.ingest([folder])  # its index lacks local.md: read from the catalog
    assert reads == [1]
    assert any({"local.md", "late.md"} <= set(c) for c in clusters_of(fake_assistant))


def test_removing_an_article_takes_it_out_of_its_cluster(
    fake_assistant: Assistant, tmp_path: Path
) -> None:
    fake_assistant.ingest([write_corpus(tmp_path / "news")])
    fake_assistant.remove([article_id(fake_assistant, "local.md")])
    assert ["reuters.md", "ap.md"] in clusters_of(fake_assistant)
    fake_assistant.remove([article_id(fake_assistant, "reuters.md")])
    assert not any("ap.md" in c for c in clusters_of(fake_assistant))


def test_an_article_rewritten_to_another_story_leaves_its_cluster(
    fake_assistant: Assistant, tmp_path: Path
) -> None:
    folder = write_corpus(tmp_path / "news")
    fake_assistant.ingest([folder])
    write_article(folder, "ap.md", "2024-02-11", "Ferry timetable", "A new timetable starts.")
    report = fake_assistant.ingest([folder])
    assert report.updated and report.dedup.sketched == 1
    assert ["local.md", "reuters.md"] in clusters_of(fake_assistant)


def test_an_index_built_without_sketches_gets_them_without_re_embedding(
    fake_assistant: Assistant, tmp_path: Path
) -> None:
    folder = write_corpus(tmp_path / "news")
    fake_assistant.ingest([folder])
    catalog = fake_assistant.index.catalog
    with catalog.transaction():  # as an index made before near-duplicates were found
        catalog.clear_sketches()
        catalog.set_meta("dedup_params", None)
    assert clusters_of(fake_assistant) == []
    report = fake_assistant.ingest([folder])
    assert report.chunks_embedded == 0 and report.unchanged
    assert report.dedup.sketched == 7
    assert ["local.md", "reuters.md", "ap.md"] in clusters_of(fake_assistant)


def test_headlines_that_share_most_words_are_one_title() -> None:
    wire = ["Kestrel dam breach floods Millbrook", "Kestrel dam breach floods Millbrook homes"]
    assert distinct_titles(wire) == 1
    assert distinct_titles([*wire, "Snow expected across the valley"]) == 2


def test_an_ingest_reads_the_rows_of_the_articles_it_reads_not_the_whole_catalog(
    fake_assistant: Assistant, tmp_path: Path, monkeypatch: MonkeyPatch
) -> None:
    folder = write_corpus(tmp_path / "news", skip=("ap.md",))
    fake_assistant.ingest([folder])
    catalog = fake_assistant.index.catalog

    def whole_table() -> dict[str, tuple[str, str]]:
        raise AssertionError("a one-article ingest read every article's version")

    monkeypatch.setattr(catalog, "versions", whole_table)
    day, title, text = WIRE["ap.md"]
    new = tmp_path / "new"
    write_article(new, "ap.md", day, title, text)
    write_article(new, "again.md", *WIRE["reuters.md"])  # the text of a stored article
    report = fake_assistant.ingest([new])
    assert report.added == [article_id(fake_assistant, "ap.md")]
    reuters = article_id(fake_assistant, "reuters.md")
    assert [d.reason for d in report.duplicates] == [
        f"same text as article {reuters!r} ({folder / 'reuters.md'}): stored once"
    ]
    assert report.dedup.sketched == 1
    assert ["local.md", "reuters.md", "ap.md"] in clusters_of(fake_assistant)


def test_an_article_another_writer_removed_is_no_longer_matched_by_this_ones_sketches(
    fake_assistant: Assistant, settings: Settings, tmp_path: Path
) -> None:
    folder = write_corpus(tmp_path / "news", skip=("ap.md", "local.md"))
    fake_assistant.ingest([folder])  # its LSH index holds reuters.md
    other = Assistant(settings, embedder=HashingEmbedder())  # another process's writer
    removed = article_id(other, "reuters.md")
    other.remove([removed])
    day, title, text = WIRE["ap.md"]
    write_article(tmp_path / "new", "ap.md", day, title, text)
    fake_assistant.ingest([tmp_path / "new"])  # as many sketches as before, other ones
    pairs = fake_assistant.index.catalog.near_pairs()
    assert not any(removed in (a, b) for a, b, _ in pairs)
    assert not any("ap.md" in c for c in clusters_of(fake_assistant))


def test_a_long_article_is_sketched_in_bounded_slices_to_the_same_signature(
    monkeypatch: MonkeyPatch,
) -> None:
    settings = DedupSettings()
    text = " ".join(f"word{n}" for n in range(3 * SKETCH_SLICE))
    calls: list[int] = []
    real = MinHash.update_batch

    def counted(self: MinHash, values: list[bytes]) -> None:
        calls.append(len(values))
        real(self, values)

    monkeypatch.setattr(MinHash, "update_batch", counted)
    signature = sketch(text, settings)
    assert len(calls) > 1 and max(calls) <= SKETCH_SLICE
    assert sum(calls) == len(list(shingles(text, settings.shingle_words))) == 3 * SKETCH_SLICE - 4
    calls.clear()
    monkeypatch.setattr(dedup, "SKETCH_SLICE", 10**9)  # every shingle in one call
    assert (sketch(text, settings) == signature).all() and len(calls) == 1


def test_a_long_text_is_lower_cased_in_pieces_to_the_same_shingles(
    monkeypatch: MonkeyPatch,
) -> None:
    # A final sigma (ΟΔΟΣ -> οδος) depends on the next letter, and İ lowers to two
    # characters: pieces cut after whitespace give what one lower() of the text gives.
    text = "ΟΔΟΣ ΣΟΦΟΣ\tİstanbul 🙂 Mixed\u00a0CASE\nwords " * 40 + "Τέλος ΤΈΛΟΣ"
    expected = [m.group() for m in dedup._WORDS.finditer(text.lower())]
    expected_shingles = [" ".join(expected[i : i + 5]).encode() for i in range(len(expected) - 4)]
    monkeypatch.setattr(dedup, "LOWER_SLICE", 16)
    pieces = list(dedup._lowered(text))
    # A piece runs to the first whitespace after 16 characters: at most the longest word
    # ("istanbul", 9 characters once İ is lowered) and the whitespace after it more.
    assert len(pieces) > 40 and max(map(len, pieces)) <= 16 + len("İstanbul".lower()) + 1
    assert "".join(pieces) == text.lower()
    assert list(shingles(text, 5)) == expected_shingles
    for edge in ("", " ", "NOSPACESATALLINTHISLONGTEXTΣ", "ends with a space ΣΟΦΟΣ "):
        assert "".join(dedup._lowered(edge)) == edge.lower()
