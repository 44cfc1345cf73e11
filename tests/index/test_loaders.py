from pathlib import Path

import pytest

from index.loaders import find_article_files, load_articles


def write(path: Path, data: str | bytes) -> Path:
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
    return path


def test_txt_with_indented_date_line_keeps_date_and_body(tmp_path: Path) -> None:
    path = write(tmp_path / "a.txt", " date 2024-02-10 \n\n\nFirst sentence. Second one.\n")
    result = load_articles([path])
    (article,) = result.articles
    assert article.date == "2024-02-10"
    assert article.date_key == 20240210
    assert article.text == "First sentence. Second one."
    assert article.source == str(path)
    assert not result.warnings


def test_markdown_title_is_kept(tmp_path: Path) -> None:
    path = write(tmp_path / "b.md", "date 2023-01-05\n# Storm hits coast\n\nWinds rose.\n")
    (article,) = load_articles([path]).articles
    assert article.title == "Storm hits coast"


def test_missing_or_malformed_date_is_ingested_without_date_and_reported(tmp_path: Path) -> None:
    no_date = write(tmp_path / "c.txt", "Just a body.\n")
    bad_date = write(tmp_path / "d.txt", "date 2024-13-45\nBody here.\n")
    result = load_articles([no_date, bad_date])
    assert [a.date for a in result.articles] == ["", ""]
    reasons = {w.source: w.reason for w in result.warnings}
    assert "no date line" in reasons[str(no_date)]
    assert "malformed date '2024-13-45'" in reasons[str(bad_date)]


def test_jsonl_reports_malformed_lines_with_their_numbers(tmp_path: Path) -> None:
    path = write(
        tmp_path / "e.jsonl",
        '{"id": "x1", "title": "T", "date": "2022/11/04", "text": "Hello there."}\n'
        "{not json\n"
        '{"id": "x2", "text": ""}\n'
        '{"id": "x3", "title": "Three", "date": "", "text": "Third.", "url": "http://example.test"}\n',
    )
    result = load_articles([path])
    assert [a.id for a in result.articles] == ["x1", "x3"]
    assert result.articles[0].date == "2022-11-04"
    assert result.articles[1].url == "http://example.test"
    skipped = {s.source: s.reason for s in result.skipped}
    assert skipped[f"{path}:2"].startswith("malformed JSON")
    assert skipped[f"{path}:3"] == "missing or empty 'text'"


def test_empty_binary_and_non_utf8_files_are_skipped_with_reasons(tmp_path: Path) -> None:
    empty = write(tmp_path / "empty.txt", "   \n")
    binary = write(tmp_path / "bin.txt", b"date 2024-01-01\n\x00\x01\x02")
    latin = write(tmp_path / "latin.txt", "date 2024-01-01\ncaf\xe9".encode("latin-1"))
    good = write(tmp_path / "good.txt", "date 2024-01-01\nFine text.")
    result = load_articles([empty, binary, latin, good])
    assert [a.source for a in result.articles] == [str(good)]
    reasons = {s.source: s.reason for s in result.skipped}
    assert reasons[str(empty)] == "file is empty"
    assert reasons[str(binary)] == "file is binary"
    assert reasons[str(latin)].startswith("not UTF-8")


def test_directories_expand_to_supported_files_and_missing_paths_are_reported(
    tmp_path: Path,
) -> None:
    write(tmp_path / "a.txt", "x")
    write(tmp_path / "notes.pdf", "x")
    files, missing = find_article_files([tmp_path, tmp_path / "nope"])
    assert files == [tmp_path / "a.txt"]
    assert missing[0].reason == "path does not exist"


def test_upper_case_suffixes_are_found_and_read(tmp_path: Path) -> None:
    write(tmp_path / "A.TXT", "date 2024-02-10\nUpper-case text.\n")
    write(tmp_path / "B.MD", "date 2024-02-11\n# Loud title\n\nBody.\n")
    files, missing = find_article_files([tmp_path])
    result = load_articles(files)
    assert not missing and not result.skipped
    assert sorted(a.title for a in result.articles) == ["", "Loud title"]


def test_an_article_above_the_size_limit_is_skipped_with_advice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("index.loaders.MAX_ARTICLE_CHARS", 100)
    long_text = write(tmp_path / "long.txt", "date 2024-02-10\n" + "word " * 40)
    lines = write(
        tmp_path / "lines.jsonl",
        '{"id": "big", "text": "' + "word " * 40 + '"}\n{"id": "small", "text": "Short."}\n',
    )
    result = load_articles([long_text, lines])
    assert [a.id for a in result.articles] == ["small"]
    reasons = {s.source: s.reason for s in result.skipped}
    assert "above the 100-character limit: split it" in reasons[str(long_text)]
    assert "above the 100-character limit" in reasons[f"{lines}:1"]
