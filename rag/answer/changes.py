"""News that changes: the reports a reader quotes give different values for what the
question asks. A death toll rises over days ("at least 12 killed" on the 3rd, "the toll
rose to 31" on the 5th); two outlets give different crowd sizes on one day.

The reader's span head reads a value in every sentence it scores (`Candidate.span`).
The *reports* are the best sentence with a span and, from other dated articles, the
sentences that answer as well: the support model scores them at least
`answer.min_support`, their sentence score z is at least `MIN_REPORT_Z` (odds of 1:7:
an earlier report scores lower than the newest, as the model was taught the current
answer), and their passages hold the question's names as fully as the best
one's (another town's flood is no report of this one). One per article, at most
`MAX_REPORTS`.

Only quantities are compared: a short answer that is a count or an amount. Names and
places were compared too (two values agreeing when they share a content word), but on
realtimeqa-dev they claimed a change on 22 % of the answered questions, nearly all
false: other stories' answers to a similar question (eval/results/changes/README.md).
Two values are of one quantity when both name the same unit, or one names none ("12
people", "31"; not "3 kilometres" and "3,450 hectares", nor "14 people" and "38
passengers"); a year ("2007") or an ordinal ("102nd") is no count. They agree when
their first numbers are equal ("12" and "at least 12 people"; "2,000" and "2000";
"twelve" and "12"). Then:

- all reports agree: no change;
- the newest date has one value: an **update**, that value first ("31, as of
  5 March 2024"), the earlier ones after it, each with its date and citation. Not when
  the question names its time ("last month"): it asks for that time's value;
- the newest date has several values (different articles): a **conflict**.

Nothing here is fitted: the rules are the definition of a change, the thresholds the
reader's own. Measured on eval/questions/dated.jsonl and, for false claims, on every
other set (eval/results/changes/README.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from spacy.tokens import Doc

    from rag.answer.extractive import Candidate

Parse = Callable[[str], "Doc"]

MAX_REPORTS = 4  # the best sentence and up to three other articles' reports
MIN_REPORT_Z = -2.0  # log-odds: old reports look unlikely to the model, which was taught the newest
_WORD = re.compile(r"[^\W_]+")
_NUMERAL = re.compile(r"\d[\d,.]*[^\W\d_]*|\b[^\W\d_]+\b")
_YEAR = re.compile(r"1[89]\d\d|20\d\d")


def _words(text: str) -> list[str]:
    return text.split()


NUMBER_WORDS = {
    word: str(value)
    for value, word in enumerate(
        _words(
            "zero one two three four five six seven eight nine ten eleven twelve thirteen "
            "fourteen fifteen sixteen seventeen eighteen nineteen twenty"
        )
    )
} | {"thirty": "30", "forty": "40", "fifty": "50", "hundred": "100", "dozen": "12"}
# Words that do not tell two values apart ("the party", "a new venue").
FILLERS = frozenset(_words("a an the of and in at on to for its his her their new"))


@dataclass(frozen=True)
class Value:
    """What a span says, for comparing: its first number and the unit it counts (from
    the sentence's parse), or else its content words."""

    kind: Literal["number", "year", "ordinal", "words"]
    parts: frozenset[str]
    unit: str | None = None

    @classmethod
    def of(cls, text: str, unit: str | None = None) -> Value:
        """The value of span `text`; `unit`: what its number counts, when known. A year
        ("2007": a number from 1800 to 2099 that counts nothing named) or an ordinal
        ("102nd") is no count."""
        words = [w.casefold() for w in _WORD.findall(text)]
        for match in _NUMERAL.finditer(text):
            token = match.group(0).casefold().rstrip(",.")
            if token[0].isdigit() and not token[-1].isdigit():
                return cls("ordinal", frozenset({token}))
            if _YEAR.fullmatch(token) and unit is None:
                return cls("year", frozenset({token}))
            number = _number_core(token) if token[0].isdigit() else NUMBER_WORDS.get(token)
            if number:
                return cls("number", frozenset({number}), unit)
        return cls("words", frozenset(w for w in words if w not in FILLERS))

    def comparable(self, other: Value) -> bool:
        if self.kind != other.kind or not self.parts or not other.parts:
            return False
        return self.unit is None or other.unit is None or self.unit == other.unit

    def agrees(self, other: Value) -> bool:
        return bool(self.parts & other.parts)


def unit_of(sentence: Doc, start: int, end: int) -> str | None:
    """The noun the first number in sentence[start:end] counts, by the parse: "3" in
    "within 3 kilometres" -> "kilometre", "8.5" in "8.5 million pounds" -> "pound";
    None when it counts nothing named ("rose to 31")."""
    number = next((t for t in sentence if start <= t.idx < end and t.like_num), None)
    token = number
    while token is not None and token.dep_ in ("quantmod", "compound", "nummod"):
        if token.dep_ == "nummod":
            return token.head.lemma_.casefold()
        token = token.head if token.head is not token else None
    return None


@dataclass(frozen=True)
class Change:
    """Reports that differ: `kind` "update" (newest first, its value the answer) or
    "conflict" (the newest date's reports, best first)."""

    kind: Literal["update", "conflict"]
    reports: tuple[Candidate, ...]


def find_change(
    lead: Candidate,
    ranked: Sequence[Candidate],
    min_logit: float,
    parse: Parse,
    *,
    updates: bool = True,
) -> Change | None:
    """The change among `lead` (the quoted sentence the short answer comes from) and the
    other reports in `ranked` (best first), or None when they agree or are too few.
    `updates=False`: only a conflict (the question names its time)."""
    if lead.span is None or not lead.passage.date or _value(lead).kind != "number":
        return None
    reports = _reports(lead, ranked, min_logit, parse)
    if len(reports) < 2:
        return None
    values = {id(r): _value(r) for r in reports}  # units were checked against the lead
    groups: list[list[Candidate]] = []  # reports of one value, best first
    for report in reports:
        value = values[id(report)]
        match = next((g for g in groups if values[id(g[0])].agrees(value)), None)
        if match is None:
            groups.append([report])
        else:
            match.append(report)
    if len(groups) < 2:
        return None
    # Each value as its newest report gives it (the best-scored one of that day).
    latest = [max(g, key=lambda c: _day(c)) for g in groups]
    newest = max(_day(c) for c in latest)
    on_newest = [c for c in latest if _day(c) == newest]
    if len(on_newest) > 1:
        return Change("conflict", tuple(on_newest))
    if not updates:
        return None
    return Change("update", tuple(sorted(latest, key=_day, reverse=True)))


def _reports(
    lead: Candidate, ranked: Sequence[Candidate], min_logit: float, parse: Parse
) -> list[Candidate]:
    """`lead` and, one per other dated article, the best sentence that answers as well
    with a value of the same quantity ("38 passengers" is none for "how many were hurt").
    Units need a parse of the sentence: only a value that differs from the lead's is
    parsed (an equal number is the same report), the lead at most once."""
    quantity = _value(lead)
    lead_unit: list[Value] = []  # the lead's value with its unit, once parsed

    def same_quantity(candidate: Candidate) -> bool:
        value = _value(candidate)
        if value.kind != quantity.kind:
            return False
        if value.agrees(quantity):
            return True
        if not lead_unit:
            lead_unit.append(_value(lead, parse))
        return _value(candidate, parse).comparable(lead_unit[0])

    reports = [lead]
    articles = {lead.passage.article_id}
    for candidate in ranked:
        if len(reports) >= MAX_REPORTS:
            break
        if (
            candidate.span is None
            or candidate.passage.article_id in articles
            or not candidate.passage.date
            or candidate.features["support"] < min_logit
            or candidate.z < MIN_REPORT_Z
            or candidate.features["names"] < lead.features["names"]
            or not same_quantity(candidate)
        ):
            continue
        reports.append(candidate)
        articles.add(candidate.passage.article_id)
    return reports


def _value(candidate: Candidate, parse: Parse | None = None) -> Value:
    span = candidate.span
    assert span is not None
    text = candidate.text[span.start : span.end]
    value = Value.of(text)
    if parse is None or value.kind == "words":
        return value
    return Value.of(text, unit_of(parse(candidate.text), span.start, span.end))


def _day(candidate: Candidate) -> date:
    return date.fromisoformat(candidate.passage.date)


def _number_core(number: str) -> str:
    """'2,000' -> '2000', '3.1' -> '3.1', '12.' -> '12'."""
    return number.rstrip(".,").replace(",", "")


def long_date(iso: str) -> str:
    """'2024-03-05' -> '5 March 2024'."""
    day = date.fromisoformat(iso)
    return f"{day.day} {day:%B %Y}"
