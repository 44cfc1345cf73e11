"""Timelines: what the archive says about a topic, one or two key sentences per article,
in the order the articles were published; and "what's new" since a day, newest first.

The key sentences are the reader's (`ExtractiveAnswerer.rank_sentences`, the score
that picks an answer's quotes), asked with the topic as the question; a sentence must
hold `timeline.min_coverage` of the topic's terms, so an article that does not name the
topic is not on its timeline. Copies of one story (a wire story under two headlines)
quote the same sentence: they are one entry, the earliest, listing the others in
`also_in`. Every sentence is a citation: `article.text[start:end] == quote`.

>>> timeline = assistant.timeline("Kestrel Valley dam", since="2024-01-01")  # doctest: +SKIP
>>> [(e.date, e.sentences[0].quote) for e in timeline.entries]  # doctest: +SKIP

`route(question)` tells a chat which questions ask for one: "What happened with X?",
"timeline of X", "What's new about X since March?".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from rag.errors import InputError
from rag.settings import MAX_QUESTION_CHARS, MAX_TOP_K
from rag.timewindow import ANCHORS, Searched, mention_of_text
from rag.types import Answer, ArticleRef, Citation, Passage, SearchWindow, also_in_text

if TYPE_CHECKING:
    from rag.answer.extractive import Candidate
    from rag.assistant import Assistant


@dataclass(frozen=True)
class TimelineEntry:
    """One article on a timeline: its key sentences (citations, in article order) and the
    other articles that carry the same story."""

    article_id: str
    title: str
    date: str  # "" for an undated article (listed after the dated ones)
    source: str
    sentences: tuple[Citation, ...]
    also_in: tuple[ArticleRef, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Timeline:
    """What `Assistant.timeline` returns: entries ordered by date (`newest_first` for
    "what's new"), the dates searched, and how many matching articles the cap left out."""

    topic: str
    entries: tuple[TimelineEntry, ...]
    newest_first: bool = False
    window: SearchWindow | None = None
    left_out: int = 0  # matching articles beyond `limit`
    notes: tuple[str, ...] = ()

    @property
    def date_range(self) -> tuple[str, str] | None:
        dates = sorted(e.date for e in self.entries if e.date)
        return (dates[0], dates[-1]) if dates else None

    @property
    def citations(self) -> tuple[Citation, ...]:
        return tuple(c for e in self.entries for c in e.sentences)

    @property
    def text(self) -> str:
        """The timeline as plain text with `[n]` markers, one line per article."""
        if not self.entries:
            return f'The corpus has no articles about "{self.topic}".'
        lines = []
        for e in self.entries:
            quotes = " ".join(f"{c.quote} [{c.n}]" for c in e.sentences)
            also = "; " + also_in_text(e.also_in) if e.also_in else ""
            lines.append(f"{e.date or 'undated'}: {quotes}{also}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of `rag timeline --json` and `POST /v1/timeline`."""
        first, last = self.date_range or (None, None)
        return {
            "topic": self.topic,
            "newest_first": self.newest_first,
            "date_from": first,
            "date_to": last,
            "window": self.window.to_dict() if self.window else None,
            "entries": [e.to_dict() for e in self.entries],
            "left_out": self.left_out,
            "notes": list(self.notes),
        }

    def as_answer(self, question: str, passages: tuple[Passage, ...] = ()) -> Answer:
        """The timeline as an `Answer` (its text and citations), for front ends that show
        answers: the chat's sources panel and cited-article view work on it unchanged."""
        notes = (*self.notes, *([self.window.text] if self.window else []))
        return Answer(
            question,
            self.text.replace("\n", "\n\n"),  # one paragraph per article in Markdown
            not self.entries,
            self.citations,
            passages,
            answered_by="timeline",
            notes=notes,
            window=self.window,
        )


def build_timeline(
    assistant: Assistant,
    topic: str,
    *,
    since: date | str | None = None,
    until: date | str | None = None,
    limit: int | None = None,
    newest_first: bool = False,
) -> Timeline:
    """See `Assistant.timeline`."""
    from rag.assistant import parse_date_arg

    topic = validate_topic(topic)
    settings = assistant.settings.timeline
    cap = validate_limit(settings.limit if limit is None else limit)
    # Retrieval only, with the caller's dates: the topic is no question with a time phrase.
    passages = assistant.search(
        topic, top_k=settings.candidates, since=since, until=until, time_window=False
    )
    # Twice the sentences a full timeline quotes: most articles give fewer than allowed.
    ranked = assistant.reader.rank_sentences(
        topic, passages, shortlist=2 * cap * settings.sentences
    )
    chosen: dict[str, list[Candidate]] = {}
    for c in ranked:  # best first
        if c.features.get("lexical", 0.0) < settings.min_coverage:
            continue
        picked = chosen.setdefault(c.passage.article_id, [])
        if len(picked) < settings.sentences and all(p.start != c.start for p in picked):
            picked.append(c)
    groups = _collapse(chosen, assistant.clusters().representative)
    dated = sorted((g for g in groups if g[0].passage.date), key=lambda g: g[0].passage.date)
    undated = [g for g in groups if not g[0].passage.date]  # listed last, either way
    groups = [*(reversed(dated) if newest_first else dated), *undated]
    entries: list[TimelineEntry] = []
    n = 1
    for lead, *copies in groups[:cap]:
        sentences = []
        for c in sorted(chosen[lead.passage.article_id], key=lambda c: c.start):
            sentences.append(_citation(c, n))
            n += 1
        entries.append(_entry(lead.passage, tuple(sentences), copies))
    filters_since, filters_until = parse_date_arg(since, "since"), parse_date_arg(until, "until")
    from rag.retrieval.base import DateFilter

    searched = Searched.of(DateFilter(filters_since, filters_until))
    return Timeline(
        topic,
        tuple(entries),
        newest_first=newest_first,
        window=searched.searched,
        left_out=max(0, len(groups) - cap),
    )


def _collapse(
    chosen: dict[str, list[Candidate]], cluster: Callable[[str], str]
) -> list[list[Candidate]]:
    """Articles grouped by story: two articles of one near-duplicate cluster (`cluster`
    names its representative) or quoting the same key sentence are copies. Each group
    is [lead, *copies], the lead the earliest dated (then the longest quote)."""
    groups: list[list[Candidate]] = []
    seen: dict[str, int] = {}  # cluster, or normalised sentence -> group
    for article_id, picked in chosen.items():
        keys = [f"cluster:{cluster(article_id)}", *(_normal(c.text) for c in picked)]
        group = next((seen[k] for k in keys if k in seen), None)
        if group is None:
            group = len(groups)
            groups.append([])
        groups[group].append(picked[0])
        for k in keys:
            seen.setdefault(k, group)
    for group_list in groups:
        group_list.sort(key=lambda c: (c.passage.date or "9999", -len(c.text)))
    return groups


def _normal(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def _citation(c: Candidate, n: int) -> Citation:
    """Candidate `c` as citation `n`, without a Markdown heading line it begins with (the
    article's title, already shown): the quote stays the exact slice `text[start:end]`."""
    p, text, start = c.passage, c.text, c.start
    if text.startswith("#") and "\n" in text:
        cut = text.index("\n")
        rest = text[cut:]
        start += cut + len(rest) - len(rest.lstrip())
        text = rest.strip()
    return Citation(
        n, p.article_id, p.title, p.date, p.source, text, start, c.end, round(c.confidence, 4)
    )


def _entry(p: Passage, sentences: tuple[Citation, ...], copies: list[Candidate]) -> TimelineEntry:
    """The entry of `p`'s article; also in: its copies on the timeline, then the copies
    retrieval collapsed into `p` (`Passage.also_in`)."""
    also = [
        ArticleRef(c.passage.article_id, c.passage.title, c.passage.date, c.passage.source)
        for c in copies
    ]
    listed = {p.article_id, *(r.article_id for r in also)}
    also += [r for r in p.also_in if r.article_id not in listed]
    return TimelineEntry(p.article_id, p.title, p.date, p.source, sentences, tuple(also))


def validate_topic(topic: object) -> str:
    from rag.assistant import is_text

    if not isinstance(topic, str) or not topic.strip():
        raise InputError("topic is empty", field="topic")
    if len(topic) > MAX_QUESTION_CHARS:
        raise InputError(
            f"topic is {len(topic)} characters long; the limit is {MAX_QUESTION_CHARS}",
            field="topic",
        )
    if not is_text(topic):
        raise InputError(
            "topic holds an invalid character (a lone UTF-16 surrogate)", field="topic"
        )
    return topic.strip()


def validate_limit(limit: object) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_TOP_K:
        raise InputError(f"limit must be between 1 and {MAX_TOP_K}, got {limit!r}", field="limit")
    return limit


# --- which chat questions ask for a timeline ---------------------------------------------
@dataclass(frozen=True)
class TimelineQuery:
    """A question that asks for a timeline: its topic, and for "what's new", the day after
    which articles count (None: the front end's choice, e.g. the previous answer's date)."""

    topic: str
    newest_first: bool
    since: date | None = None
    since_phrase: str | None = None  # "since March", or the topic's time ("last week")
    until: date | None = None


_TIMELINE = re.compile(
    r"^\s*(?:(?:what(?:'s| has| have)?|what) happened (?:with|to)"
    r"|(?:(?:give|show) me )?(?:a |the )?timeline (?:of|for|on))\s+(?P<topic>.+?)[\s?.!]*$",
    re.IGNORECASE,
)
_NEW = re.compile(
    r"^\s*what(?:'s|’s| is) new (?:about|with|on|in|for)\s+(?P<topic>.+?)"
    r"(?:\s+(?P<since>since\s+.+?))?[\s?.!]*$",
    re.IGNORECASE,
)


def route(question: str, asked_on: date | None = None) -> TimelineQuery | None:
    """The timeline a question asks for, or None for any other question. "since" is read
    like a question's time phrase (`rag.timewindow`), as of `asked_on` (default today);
    one that is no date is an `InputError` naming the question."""
    new = _NEW.match(question)
    if new:
        topic, phrase = new.group("topic"), new.group("since")
        if not phrase:
            return TimelineQuery(topic, True)
        mention = mention_of_text(phrase, asked_on or date.today())
        if mention is None or mention.since is None:
            raise InputError(f"could not read {phrase!r} as a date", field="question")
        return TimelineQuery(topic, True, mention.since, phrase)
    match = _TIMELINE.match(question)
    if match:
        return _with_time(match.group("topic"), asked_on or date.today())
    return None


def _with_time(topic: str, asked_on: date) -> TimelineQuery:
    """ "the dam last week" -> the dam, over last week's dates. The time is the topic's
    last 1-3 words, led by a preposition ("in 2023", "since March") or holding an anchor
    ("last week"): "Theresa May" stays a name."""
    words = topic.split()
    for k in (3, 2, 1):
        if len(words) <= k:
            continue
        tail = words[-k:]
        lead = tail[0].lower()
        if lead in _PREPOSITIONS:
            phrase = " ".join(tail[1:]) if lead in _PLAIN else " ".join(tail)
        elif {w.lower() for w in tail} & ANCHORS:
            phrase = " ".join(tail)
        else:
            continue
        mention = mention_of_text(phrase, asked_on) if phrase else None
        if mention is not None:
            rest = " ".join(words[:-k])
            return TimelineQuery(rest, False, mention.since, " ".join(tail), mention.until)
    return TimelineQuery(topic, False)


_PLAIN = frozenset({"in", "on", "during", "over"})
_PREPOSITIONS = _PLAIN | {"since", "before", "until", "after"}


def day_after(day: str) -> date | None:
    """The day after an ISO date (`since` for "what's new since that answer")."""
    try:
        return date.fromisoformat(day) + timedelta(days=1)
    except ValueError:
        return None
