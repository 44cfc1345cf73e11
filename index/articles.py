"""The article value and the few pure helpers that identify one."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date
from functools import cached_property

_DATE_FORMS = (re.compile(r"^(\d{4})-(\d{2})-(\d{2})$"), re.compile(r"^(\d{4})/(\d{2})/(\d{2})$"))


@dataclass(frozen=True)
class Article:
    """One news article as stored: its full text is what every citation span indexes into.

    >>> Article(id="a1", title="", date="2024-02-10", text="Body.", source="seeds/a1.txt").date_key
    20240210
    """

    id: str
    title: str
    date: str  # ISO YYYY-MM-DD, or "" when the article carries none
    text: str
    source: str  # the path of the file (or the URL) as it was ingested
    url: str = ""
    outlet: str = ""  # who published it, when known (a feed's or a page's site name)

    @property
    def date_key(self) -> int:
        """The date as an integer YYYYMMDD (0 when undated): the form Chroma filters on."""
        return date_key(self.date)

    @cached_property
    def content_hash(self) -> str:
        """Computed once: every chunk id carries it, and hashing a 30 MB text takes 50 ms
        (once per chunk, a 30 MB article's ingest would spend an hour hashing)."""
        return content_hash(self.text)


def content_hash(text: str) -> str:
    """A stable fingerprint of an article's text, used to skip unchanged articles."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def date_key(iso: str) -> int:
    return int(iso.replace("-", "")) if iso else 0


def parse_date(raw: str) -> str | None:
    """Return the ISO form of YYYY-MM-DD or YYYY/MM/DD, or None if `raw` is not a real date."""
    raw = raw.strip()
    for form in _DATE_FORMS:
        match = form.match(raw)
        if match:
            try:
                return date(*(int(part) for part in match.groups())).isoformat()
            except ValueError:
                return None
    return None


_HEADLINE_CHARS = 90
# A sentence ends at ". " after a lower-case word and before a capital: not "U.S." or "Dr.".
_SENTENCE_END = re.compile(r"(?<=[a-z0-9]{2}[.!?])\s+(?=[A-Z\"“])")


def headline(title: str, text: str) -> str:
    """What to call an article: its title, else its first line (without Markdown's `#`),
    cut at its first sentence and at about 90 characters; "" for an empty text."""
    if title.strip():
        return title.strip()
    line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    line = line.lstrip("#").strip()
    line = _SENTENCE_END.split(line, maxsplit=1)[0]
    if len(line) <= _HEADLINE_CHARS:
        return line
    cut = line.rfind(" ", 0, _HEADLINE_CHARS)
    return line[: cut if cut > 30 else _HEADLINE_CHARS].rstrip(" ,;:") + "…"
