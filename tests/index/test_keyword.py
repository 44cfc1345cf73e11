"""The BM25 side of the index: date ranges over the chunks' article dates."""

from __future__ import annotations

from pathlib import Path

from index.keyword import KeywordIndex


def test_a_date_range_keeps_dated_chunks_inside_it_only(tmp_path: Path) -> None:
    index = KeywordIndex(tmp_path / "bm25")
    index.build(
        [
            ("undated", "airstrikes hit targets in Iraq", 0),
            ("early", "airstrikes hit targets in Syria", 20240105),
            ("late", "airstrikes hit targets in Yemen", 20240320),
        ]
    )

    def found(since: int | None, until: int | None) -> set[str]:
        return {hit.chunk_id for hit in index.search("airstrikes targets", 10, since, until)}

    assert found(None, None) == {"undated", "early", "late"}
    assert found(None, 20240201) == {"early"}
    assert found(20240201, None) == {"late"}
    assert found(20240101, 20241231) == {"early", "late"}


def test_the_stop_words_read_from_the_bundled_file_are_nltks() -> None:
    from nltk.corpus import stopwords

    from index.keyword import english_stopwords
    from index.sentences import ensure_nltk_data

    ensure_nltk_data()
    assert english_stopwords() == list(stopwords.words("english"))
    assert {"the", "and", "of"} <= set(english_stopwords())
