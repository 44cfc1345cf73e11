"""What kind of fact a question asks for, and whether a sentence supplies one.

Similarity cannot tell "the article names the commander" from "the article
mentions a commander": a question asking who, how many, when or where needs a
sentence that supplies a name, a number, a date or a place the question lacks.
"""

from __future__ import annotations

import re
from typing import Literal

Expected = Literal["name", "number", "date", "place"]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_NUMBER_WORDS = _words(
    """
    one two three four five six seven eight nine ten eleven twelve fifteen twenty thirty
    forty fifty hundred hundreds thousand thousands million millions billion billions dozen
    dozens half
    """
)
_DATE_WORDS = _words(
    """
    january february march april may june july august september october november december
    jan feb mar apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday
    friday saturday sunday yesterday today tomorrow week weekend month year decade century
    """
)
_WORD = re.compile(r"[A-Za-z]+")

_RULES: tuple[tuple[re.Pattern[str], Expected], ...] = (
    (
        re.compile(r"\b(how (many|much|long|old|far|big)|what (percentage|number|share))\b"),
        "number",
    ),
    (re.compile(r"\b(when|what (year|date|day|month|time))\b"), "date"),
    (
        re.compile(r"\b(where|what (country|city|town|place|region)|which (country|city|town))\b"),
        "place",
    ),
    (
        re.compile(r"\b(who|whom|whose|which (person|official|leader|group|company)|name of)\b"),
        "name",
    ),
)


_WHO_IS_NAMED = re.compile(r"^\s*(?i:who)\s+(is|was|are|were)\s+[A-Z]")


def expected_answer(question: str) -> Expected | None:
    if _WHO_IS_NAMED.match(question):  # "Who is Aron Lund?" asks for a description
        return None
    lowered = question.lower()
    for pattern, expected in _RULES:
        if pattern.search(lowered):
            return expected
    return None


def supplies(sentence: str, expected: Expected, question: str) -> bool:
    """Does `sentence` contain a fact of the expected kind that the question does not?"""
    asked = {w.lower() for w in _WORD.findall(question)}
    new_words = {w.lower() for w in _WORD.findall(sentence)} - asked
    new_numbers = set(_NUMBER.findall(sentence)) - set(_NUMBER.findall(question))
    if expected == "number":
        return bool(new_numbers) or any(w in _NUMBER_WORDS for w in new_words)
    if expected == "date":
        return bool(new_numbers) or any(w in _DATE_WORDS for w in new_words)
    lowered = question.lower()
    people = expected == "name" and bool(_PERSON_ROLE.search(lowered) or _WHO.search(lowered))
    return any(
        not {w.lower() for w in _WORD.findall(name)} <= asked
        for name in proper_names(sentence, people_only=people)
        if expected == "name" or not _is_organisation(name)
    )


def proper_names(sentence: str, *, people_only: bool = False) -> list[str]:
    """Runs of capitalised words, minus common openers.

    `people_only` keeps what looks like a person's name: two or more words, none of
    them an organisation word ("Aron Lund", not "Iraq" or "U.S. Central Command").
    """
    names: list[str] = []
    for match in _NAME_RUN.finditer(sentence):
        words = [w for w in match.group(0).split() if w.lower() not in _COMMON_WORDS]
        if not words:
            continue
        if people_only and (len(words) < 2 or _is_organisation(" ".join(words))):
            continue
        names.append(" ".join(words))
    return names


_NAME_RUN = re.compile(
    r"\b[A-Z][\w'’.-]*[A-Za-z](?:\s+(?:al-|bin\s+|de\s+)?[A-Z][\w'’.-]*[A-Za-z])*"
)


def _is_organisation(name: str) -> bool:
    return any(w.strip(".").lower() in _ORGANISATION_WORDS for w in name.split())


_NUMBER = re.compile(r"\d[\d,.]*\d|\d")
_WHO = re.compile(r"^\s*who\b|\bwho (is|was|were|are)\b")
_PERSON_ROLE = re.compile(
    r"\b(commander|leader|official|president|director|author|analyst|expert|spokes\w*|"
    r"minister|chief|head|man|woman|person|soldier|victim|general|fellow|secretary|pilot|"
    r"americans?)s?\b"
)
_COMMON_WORDS = _words(
    """
    the a an but and or so this that these those it its he she they we i you in on at for
    with after before as if when while there here some many most all one two experts
    officials what who why how on monday tuesday wednesday thursday friday saturday sunday
    january february march april may june july august september october november december
    """
)
_ORGANISATION_WORDS = _words(
    """
    command department ministry council institute institution university agency army forces
    force corps party administration house congress senate pentagon government court
    committee company group union organization organisation center centre times post news
    press association bank fund office guard guards navy air states nations u.s us
    """
)
