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


def test_markdown_title_is_kept_as_the_title_and_not_quoted_as_text(tmp_path: Path) -> None:
    path = write(tmp_path / "b.md", "date 2023-01-05\n# Storm hits coast\n\nWinds rose.\n")
    (article,) = load_articles([path]).articles
    assert article.title == "Storm hits coast"
    assert article.text == "Winds rose."  # no "# Storm hits coast" sentence to cite
    plain = write(tmp_path / "c.md", "date 2023-01-05\nNo heading here.\n\n## Later part\n")
    (article,) = load_articles([plain]).articles
    assert article.title == "" and article.text == "No heading here.\n\n## Later part"


def test_a_markdown_article_that_is_only_a_title_is_skipped_and_reported(tmp_path: Path) -> None:
    path = write(tmp_path / "t.md", "date 2023-01-05\n# Only a title\n\n")
    result = load_articles([path])
    assert not result.articles
    assert [s.reason for s in result.skipped] == ["article has no text after its # title"]


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


def test_an_article_above_the_size_limit_is_skipped_unread_with_the_setting_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    big = write(tmp_path / "big.txt", "date 2024-02-10\n" + "word " * 40)
    fits = write(tmp_path / "fits.txt", "date 2024-02-10\nShort.")
    lines = write(
        tmp_path / "lines.jsonl",
        '{"id": "big", "text": "' + "word " * 40 + '"}\n{"id": "small", "text": "Short."}\n',
    )
    real_read = Path.read_bytes
    read: list[str] = []

    def read_bytes(path: Path) -> bytes:
        read.append(path.name)
        return real_read(path)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    result = load_articles([big, fits, lines], max_article_bytes=100)
    assert sorted(Path(a.source).name for a in result.articles) == ["fits.txt", "lines.jsonl"]
    assert [a.text for a in result.articles] == ["Short.", "Short."]
    assert "big.txt" not in read  # never read into memory
    reasons = {s.source: s.reason for s in result.skipped}
    assert reasons[str(big)] == (
        "216 bytes is over the 100 bytes limit (ingest.max_article_bytes): "
        "split it into several articles"
    )
    assert reasons[f"{lines}:1"].startswith("200 bytes is over the 100 bytes limit")


def test_the_default_limit_is_5_mb_and_reads_in_megabytes(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    with big.open("wb") as out:
        out.write(b"date 2024-02-10\n")
        out.truncate(5_200_000)  # sparse: a 5.2 MB file without writing 5 MB
    (skipped,) = load_articles([big]).skipped
    assert skipped.reason.startswith("5.2 MB is over the 5 MB limit (ingest.max_article_bytes)")
