"""Example questions drawn from the corpus itself, kept only if the assistant answers them."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from rag import Assistant, RagError

log = logging.getLogger(__name__)

BROAD_QUERY = "What happened?"  # any question retrieves passages; these name the articles
_NAME = r"([A-Z][a-z]+(?: [A-Z][a-z]+){1,2})"
_PERSON = [re.compile(rf"\bsaid {_NAME}\b"), re.compile(rf"\b{_NAME}, (?:a|an|the) [a-z]")]
_NOT_NAMES = {"A", "An", "And", "At", "But", "For", "In", "It", "On", "The", "They", "This", "We"}
_DATE = re.compile(
    r"\bon ((?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*)\.? (\d{1,2})\b"
)
_MONTHS = {
    name[:3].lower(): name
    for name in [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ]
}


def candidate_questions(text: str) -> list[str]:
    """'Who is Aron Lund?' for people quoted in `text`, 'What happened on Feb. 2?' for dates."""
    seen: dict[str, None] = {}
    for pattern in _PERSON:
        for match in pattern.finditer(text):
            name = match.group(1)
            if name.split()[0] not in _NOT_NAMES:
                seen.setdefault(f"Who is {name}?")
    for match in _DATE.finditer(text):
        month = _MONTHS.get(match.group(1)[:3].lower())
        if month is not None:  # one spelling: "Feb. 2" and "February 2" are one question
            seen.setdefault(f"What happened on {month} {int(match.group(2))}?")
    return list(seen)


def example_questions(assistant: Assistant, limit: int = 4) -> list[str]:
    """Up to `limit` questions about articles in the index that get a cited answer."""
    try:
        passages = assistant.ask(BROAD_QUERY, top_k=10).passages
        article_ids = list(dict.fromkeys(p.article_id for p in passages))
        texts = [assistant.article(article_id).text for article_id in article_ids[:5]]
    except RagError as exc:
        log.info("no example questions: %s", exc)
        return []
    return _answered(assistant, _interleave(candidate_questions(t) for t in texts), limit)


def _interleave(lists: Iterable[list[str]]) -> list[str]:
    """One question from each article in turn, so the examples cover several articles."""
    pending = [list(items) for items in lists]
    out: list[str] = []
    while any(pending):
        for items in pending:
            if items:
                out.append(items.pop(0))
    return list(dict.fromkeys(out))


def _answered(assistant: Assistant, questions: list[str], limit: int) -> list[str]:
    """The first `limit` questions that get an answer, at most half of them of one form
    ("Who is ...?", "What happened on ...?"), and none answered by the same quote as
    another (two phrasings of one question)."""
    kept: list[str] = []
    quotes: set[tuple[str, int]] = set()
    per_form: dict[str, int] = {}
    for question in questions[: limit * 4]:
        form = " ".join(question.split()[:2])
        if per_form.get(form, 0) >= max(1, limit // 2):
            continue
        answer = assistant.ask(question)
        if answer.abstained or not answer.citations:
            continue
        first = (answer.citations[0].article_id, answer.citations[0].start)
        if first in quotes:
            continue
        quotes.add(first)
        per_form[form] = per_form.get(form, 0) + 1
        kept.append(question)
        if len(kept) == limit:
            break
    return kept
