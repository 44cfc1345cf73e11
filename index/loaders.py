"""Read article files (.txt, .md, .jsonl) into `Article` values, reporting what was skipped.

A `.txt`/`.md` article starts with a line `date YYYY-MM-DD` (possibly indented); a
Markdown article may carry a `# Title` line: it becomes the title, not text. A `.jsonl`
file holds one article per line with `id`, `title`, `date`, `text` and optional `url`,
`source`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from index.articles import Article, parse_date
from index.settings import DEFAULT_MAX_ARTICLE_BYTES

SUPPORTED_SUFFIXES = (".txt", ".md", ".jsonl")
LIMIT_SETTING = "ingest.max_article_bytes"  # named in the skip message, so a user can raise it
_DATE_LINE = re.compile(r"^\s*date\s*:?\s*(\S+)\s*$", re.IGNORECASE)
_MD_TITLE = re.compile(r"^\s*#\s+(.+?)\s*#*\s*$")


@dataclass(frozen=True)
class Skipped:
    """A file or line that was not ingested, and why."""

    source: str
    reason: str


@dataclass
class LoadResult:
    articles: list[Article] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[Skipped] = field(default_factory=list)  # ingested, but with a caveat
    files: list[Path] = field(default_factory=list)  # every article file that was read


def is_url(text: str) -> bool:
    """Whether an ingest argument names a web address (`index.web`) rather than a path."""
    parts = urlsplit(text)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def find_article_files(paths: Iterable[Path]) -> tuple[list[Path], list[Skipped]]:
    """Expand directories into their supported files (sorted); report paths that do not exist."""
    files: list[Path] = []
    missing: list[Skipped] = []
    for path in paths:
        if path.is_dir():
            files.extend(
                p
                for p in sorted(path.rglob("*"))
                if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES
            )
        elif path.is_file():
            files.append(path)
        else:
            missing.append(Skipped(str(path), "path does not exist"))
    return files, missing


def _supported(path: Path) -> bool:
    return path.suffix.lower() in SUPPORTED_SUFFIXES


def load_articles(
    files: Iterable[Path], max_article_bytes: int = DEFAULT_MAX_ARTICLE_BYTES
) -> LoadResult:
    """Read `files`; an article above `max_article_bytes` is skipped and reported.

    A .txt/.md file over the limit is never read (a 50 MB article held 1.6 GB while it
    was cut and embedded in one piece); a .jsonl file may be larger, and each of its
    articles has the same limit.
    """
    result = LoadResult()
    for path in files:
        result.files.append(path)
        if not _supported(path):
            result.skipped.append(
                Skipped(str(path), f"unsupported file type {path.suffix or '(none)'!r}")
            )
            continue
        jsonl = path.suffix.lower() == ".jsonl"
        text = _read_text(path, result, None if jsonl else max_article_bytes)
        if text is None:
            continue
        if jsonl:
            result.articles.extend(_parse_jsonl(path, text, result, max_article_bytes))
        else:
            article = _parse_plain(path, text, result)
            if article is not None:
                result.articles.append(article)
    return result


def file_article_id(path: Path) -> str:
    """A stable id for a single-article file: its stem plus a short hash of its absolute path."""
    digest = hashlib.sha1(str(path.resolve()).encode("utf-8")).hexdigest()[:8]
    return f"{path.stem}-{digest}"


def _read_text(path: Path, result: LoadResult, max_bytes: int | None) -> str | None:
    try:
        size = path.stat().st_size
        if max_bytes is not None and size > max_bytes:
            result.skipped.append(Skipped(str(path), too_big(size, max_bytes)))
            return None
        raw = path.read_bytes()
    except OSError as exc:  # unreadable (permissions, a vanished file): skip, keep going
        result.skipped.append(Skipped(str(path), f"cannot read: {exc.strerror or exc}"))
        return None
    if not raw.strip():
        result.skipped.append(Skipped(str(path), "file is empty"))
        return None
    if b"\x00" in raw[:8192]:
        result.skipped.append(Skipped(str(path), "file is binary"))
        return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        result.skipped.append(Skipped(str(path), f"not UTF-8 (byte {exc.start})"))
        return None


def _parse_plain(path: Path, text: str, result: LoadResult) -> Article | None:
    lines = text.splitlines(keepends=True)
    first = next((i for i, line in enumerate(lines) if line.strip()), 0)
    date = ""
    match = _DATE_LINE.match(lines[first]) if lines else None
    if match:
        parsed = parse_date(match.group(1))
        if parsed is None:
            result.warnings.append(
                Skipped(str(path), f"malformed date {match.group(1)!r}: ingested without a date")
            )
        date = parsed or ""
        body = "".join(lines[first + 1 :])
    else:
        result.warnings.append(Skipped(str(path), "no date line: ingested without a date"))
        body = text
    body = body.strip()
    if not body:
        result.skipped.append(Skipped(str(path), "article has no text after its date line"))
        return None
    title = ""
    if path.suffix.lower() == ".md":
        first_line, _, rest = body.partition("\n")
        title_match = _MD_TITLE.match(first_line)
        if title_match:  # the heading is the title, not a sentence of the text to quote
            title, body = title_match.group(1), rest.strip()
        if not body:
            result.skipped.append(Skipped(str(path), "article has no text after its # title"))
            return None
    return Article(id=file_article_id(path), title=title, date=date, text=body, source=str(path))


def _parse_jsonl(path: Path, text: str, result: LoadResult, max_bytes: int) -> Iterator[Article]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            result.skipped.append(Skipped(where, f"malformed JSON: {exc.msg}"))
            continue
        problem = _jsonl_problem(record, max_bytes)
        if problem:
            result.skipped.append(Skipped(where, problem))
            continue
        raw_date = str(record.get("date") or "")
        date = parse_date(raw_date) if raw_date else ""
        if date is None:
            result.warnings.append(
                Skipped(where, f"malformed date {raw_date!r}: ingested without a date")
            )
        yield Article(
            id=str(record["id"]),
            title=str(record.get("title") or "").strip(),
            date=date or "",
            text=record["text"].strip(),
            source=str(path),
            url=str(record.get("url") or ""),
        )


def _jsonl_problem(record: object, max_bytes: int) -> str | None:
    if not isinstance(record, dict):
        return "line is not a JSON object"
    if not str(record.get("id") or "").strip():
        return "missing 'id'"
    if not isinstance(record.get("text"), str) or not record["text"].strip():
        return "missing or empty 'text'"
    for key, value in record.items():
        if isinstance(value, str) and _has_lone_surrogate(value):
            return f"'{key}' holds an invalid character (a lone UTF-16 surrogate escape)"
    size = len(record["text"].encode("utf-8"))
    if size > max_bytes:
        return too_big(size, max_bytes)
    return None


def too_big(
    size: int,
    limit: int,
    setting: str = LIMIT_SETTING,
    advice: str = "split it into several articles",
) -> str:
    """'52 MB is over the 5 MB limit (ingest.max_article_bytes): split it ...'."""
    return f"{_size(size)} is over the {_size(limit)} limit ({setting}): {advice}"


def _size(count: int) -> str:
    if count < 1_000_000:
        return f"{count:,} bytes"
    megabytes = f"{count / 1_000_000:.1f}".removesuffix(".0")
    return f"{megabytes} MB"


def _has_lone_surrogate(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
