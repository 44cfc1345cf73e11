"""Time expressions in a question ("last week", "since March", "in 2022", "before June 5")
resolved to the date window the question is about, relative to the day it is asked.

spaCy finds the phrases (its DATE entities, from the parse the reader makes of the
question anyway) and `dateparser` reads them; nothing here is a date grammar. What is
ours is which phrases count as a time and how a phrase becomes a window:

Windows, for a question asked on 2024-02-10 (`lag_days` = 7: the news of a named day
or month is still reported in the days that follow):
- "yesterday", "on Feb. 2", "Tuesday", "3 days ago": that day to `lag_days` after it,
  at most the day asked;
- "this week", "last week": the 7 days before the day asked, to that day (2024-02-03
  to 2024-02-10; a weekly quiz's "this week" starts before its Monday);
- "this month", "this year": from the 1st of the month, or of January, to the day asked;
- "last month", "in March", "in 2022", "in March 2023": that month or year, and
  `lag_days` after it;
- "over the past month", "the past two weeks": from that long ago to the day asked;
- "since March", "after June 5": from its start (the day after, for "after") to the
  day asked; "before June 5" up to the day before, "until June 5" up to its end.

Not a time: a capitalised title ("The Day After Tomorrow"), a month name that is not
the object of a preposition ("What did May say?": the person), a duration without an
anchor ("for 10 years"), a name part ("the 2022 World Cup" is an event), a phrase about
the future ("next week", "later this year"), and anything dateparser cannot read.

>>> resolve_window(nlp("What did the Fed decide last week?"), date(2024, 2, 10))  # doctest: +SKIP
TimeMention(phrase='last week', since=datetime.date(2024, 2, 3), until=datetime.date(2024, 2, 10))
"""

from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

from rag.retrieval.base import DateFilter
from rag.types import SearchWindow

if TYPE_CHECKING:
    from dateparser.date import DateDataParser
    from spacy.tokens import Doc, Span

LAG_DAYS = 7  # a named day's or month's news is still reported in the week after
WEEK_DAYS = 7


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


MONTHS = _words(
    "january february march april may june july august september october november december"
    " jan feb mar apr jun jul aug sep sept oct nov dec"
)
WEEKDAYS = _words("monday tuesday wednesday thursday friday saturday sunday")
# A relative phrase must carry one of these to be a time ("10 years" is a duration).
ANCHORS = _words("ago last past this yesterday today previous")
FUTURE = _words("next later coming upcoming tomorrow")
# Words that soften a phrase without moving it: "earlier this month" is this month.
SOFTENERS = ("earlier ", "early ", "late ", "mid-", "mid ", "the ")
OPEN_START = {"since": 0, "from": 0, "after": 1}  # prepositions: days after the phrase's start
OPEN_END = {"before": -1, "until": 0, "till": 0, "through": 0, "by": 0}
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_ROLLING = re.compile(r"^(?:(?:this )?past|last) (?:(\w+) )?(day|week|month|year|decade)s?$")
_NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5}
_NUMBER_WORDS |= {"six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "few": 3}


@dataclass(frozen=True)
class TimeMention:
    """A time phrase of a question and the days it covers (a bound may be open)."""

    phrase: str
    since: date | None
    until: date | None


def resolve_window(doc: Doc, asked_on: date, lag_days: int = LAG_DAYS) -> TimeMention | None:
    """The window the question's time phrases name together (their intersection), or None
    when it names none, or names days that do not overlap."""
    mentions = [m for ent in doc.ents if (m := mention(ent, asked_on, lag_days)) is not None]
    if not mentions:
        return None
    since = max((m.since for m in mentions if m.since), default=None)
    until = min((m.until for m in mentions if m.until), default=None)
    if since and until and since > until:
        return None
    return TimeMention(" / ".join(m.phrase for m in mentions), since, until)


def mention(ent: Span, asked_on: date, lag_days: int = LAG_DAYS) -> TimeMention | None:
    """The window of one spaCy entity, or None when it is not a time of the past."""
    if ent.label_ != "DATE" or not _is_time(ent):
        return None
    before = ent.doc[ent.start - 1].lower_ if ent.start > 0 else ""
    return _window(before, ent.text, asked_on, lag_days)


def mention_of_text(text: str, asked_on: date, lag_days: int = LAG_DAYS) -> TimeMention | None:
    """A time phrase given on its own ("since March", "last week"), read without a parse."""
    first, _, rest = text.strip().partition(" ")
    if rest and (first.lower() in OPEN_START or first.lower() in OPEN_END):
        return _window(first.lower(), rest, asked_on, lag_days)
    return _window("", text.strip(), asked_on, lag_days)


def _window(before: str, words: str, asked_on: date, lag_days: int) -> TimeMention | None:
    """The window of the time phrase `words`, after the word `before` it ("since", "in")."""
    period = _period(_normal(words), asked_on, lag_days)
    if period is None:
        return None
    first, last = period
    if first > asked_on:
        return None  # the future: the archive holds nothing published then
    last = min(last, asked_on)
    if before in OPEN_START:
        return TimeMention(f"{before} {words}", _shift(first, OPEN_START[before]), asked_on)
    if before in OPEN_END:
        end = _shift(first, OPEN_END[before]) if before == "before" else last
        return TimeMention(f"{before} {words}", None, end)
    phrase = f"{before} {words}" if before in ("in", "on", "over", "during") else words
    return TimeMention(phrase, first, last)


def _is_time(ent: Span) -> bool:
    words = [t for t in ent if not t.is_punct]
    lowered = {t.lower_.rstrip(".") for t in words}
    if lowered & FUTURE:
        return False
    # A capitalised word that is no month or weekday, past the sentence's first word,
    # makes a title ("The Day After Tomorrow"), not a time.
    for t in words:
        if t.is_title and not t.is_sent_start and t.lower_.rstrip(".") not in MONTHS | WEEKDAYS:
            return False
    # A lone month name is a time only as a preposition's object ("in May", not "May said").
    if len(words) == 1 and words[0].lower_.rstrip(".") in MONTHS and ent.root.dep_ != "pobj":
        return False
    # Part of a name ("the 2022 World Cup", "the 2024 budget"): it modifies a noun after it.
    head = ent.root.head
    if ent.root.dep_ in ("compound", "nummod", "amod") and head.i >= ent.end:
        return False
    absolute = bool(lowered & (MONTHS | WEEKDAYS)) or bool(_YEAR.search(ent.text))
    return absolute or bool(lowered & ANCHORS)


def _normal(text: str) -> str:
    text = " ".join(text.lower().replace("’", "'").split())
    changed = True
    while changed:
        changed = False
        for word in SOFTENERS:
            if text.startswith(word):
                text, changed = text[len(word) :], True
    return text.removesuffix("'s")


def _period(text: str, asked_on: date, lag_days: int) -> tuple[date, date] | None:
    """(first day, last day) that `text` names, from dateparser's date and its period."""
    rolling = _ROLLING.match(text)
    if rolling and (rolling.group(1) or not text.startswith("last")):
        # "the past two weeks", "past month", "last 3 days": a span ending the day asked.
        word = rolling.group(1) or "one"
        count = int(word) if word.isdigit() else _NUMBER_WORDS.get(word)
        if count is None:
            return None
        unit = rolling.group(2)
        if unit == "decade":
            unit, count = "year", 10 * count
        parsed = _parse(f"{count} {unit} ago", asked_on)
        return (parsed[0], asked_on) if parsed else None
    parsed = _parse(text, asked_on)
    if parsed is None:
        return None
    day, period = parsed
    relative = bool(set(text.split()) & ANCHORS)
    if period == "day":
        return day, _shift(day, lag_days)
    if period == "week":  # "this week", "last week", "2 weeks ago": the rolling week
        start = min(day, _shift(asked_on, -WEEK_DAYS))
        return start, asked_on if relative else _shift(day, WEEK_DAYS)
    if period == "month":
        first = day.replace(day=1)
        last = day.replace(day=monthrange(day.year, day.month)[1])
    elif period == "year":
        first, last = date(day.year, 1, 1), date(day.year, 12, 31)
    else:
        return None  # a time of day, or something dateparser only half read ("the 1990s")
    if text.startswith("this "):
        return first, asked_on
    return first, _shift(last, lag_days)


def _shift(day: date, days: int) -> date:
    """`day` moved by `days`, held at the ends of the calendar (a caller's until=9999-12-31)."""
    try:
        return day + timedelta(days)
    except OverflowError:
        return date.max if days > 0 else date.min


@lru_cache(maxsize=256)  # a question's phrase is read by retrieval and the reader alike
def _parse(text: str, asked_on: date) -> tuple[date, str] | None:
    try:
        data = _parser(asked_on).get_date_data(text)
    except OverflowError:  # "Tuesday" as of 0001-01-01: before the calendar starts
        return None
    if data.date_obj is None or data.period is None:
        return None
    return data.date_obj.date(), data.period


@lru_cache(maxsize=16)
def _parser(asked_on: date) -> DateDataParser:
    """dateparser reading relative phrases as of `asked_on`, preferring the past."""
    from dateparser.date import DateDataParser

    return DateDataParser(
        languages=["en"],
        settings={
            "RELATIVE_BASE": datetime(asked_on.year, asked_on.month, asked_on.day),
            "PREFER_DATES_FROM": "past",
            "RETURN_TIME_AS_PERIOD": True,
        },
    )


# Words that ask about the state of things when the question is asked.
CURRENT = _words("now currently current latest still today yet anymore newest")
PRESENT_TAGS = frozenset({"VBZ", "VBP"})  # "is", "has (died)", "are", "have (fled)"


def asks_current_state(doc: Doc) -> bool:
    """Whether a question asks how things stand when it is asked ("How many people have
    died?", "Who leads the party now?", "What is the latest toll?"), which the newest
    reports answer; "Who won the final?" or "What did she say?" ask about an event.
    Read from the parse: a present-tense main verb or auxiliary, or a word of `CURRENT`."""
    if any(token.lower_ in CURRENT for token in doc):
        return True
    for root in (token for token in doc if token.dep_ == "ROOT"):
        auxiliaries = [c for c in root.children if c.dep_ in ("aux", "auxpass")]
        if auxiliaries:
            return any(a.tag_ in PRESENT_TAGS for a in auxiliaries)
        return root.tag_ in PRESENT_TAGS
    return False


@dataclass(frozen=True)
class Window:
    """What a question is searched over: the caller's dates narrowed by its time phrase."""

    since: date | None
    until: date | None
    phrase: str | None  # the question's time phrase that narrowed it; None: no phrase did
    note: str | None = None  # why a phrase was not used


def narrow(mention: TimeMention | None, since: date | None, until: date | None) -> Window:
    """The caller's [since, until] narrowed to the question's window; the caller's dates
    win where the two do not overlap (and the note says so)."""
    if mention is None:
        return Window(since, until, None)
    first = max(d for d in (since, mention.since) if d) if since or mention.since else None
    last = min(d for d in (until, mention.until) if d) if until or mention.until else None
    if first and last and first > last:
        note = (
            f'"{mention.phrase}" ({_span(mention.since, mention.until)}) is outside the dates '
            f"asked for ({_span(since, until)}): searched those"
        )
        return Window(since, until, None, note)
    return Window(first, last, mention.phrase)


def _span(since: date | None, until: date | None) -> str:
    return f"{since or '…'} to {until or '…'}"


@dataclass(frozen=True)
class Searched:
    """The dates a search ran over, as the answer shows them, and notes about them."""

    searched: SearchWindow | None
    notes: tuple[str, ...] = ()

    @classmethod
    def of(
        cls,
        filters: DateFilter,
        phrase: str | None = None,
        notes: tuple[str, ...] = (),
        *,
        soft: bool = False,
    ) -> Searched:
        """`filters` as the answer shows them; `soft`: a window preferred, not filtered."""
        if filters.since is None and filters.until is None:
            return cls(None, notes)
        since = filters.since.isoformat() if filters.since else None
        until = filters.until.isoformat() if filters.until else None
        return cls(SearchWindow(since, until, phrase, soft), notes)

    @property
    def text(self) -> str:
        return self.searched.text if self.searched else "searched articles of every date"
