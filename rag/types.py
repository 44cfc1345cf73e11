"""The typed values `rag` hands out: `Passage`, `Citation`, `Answer`, `ArticleView`, `Status`,
and the article list's `ArticlePage` / `ArticleSummary` / `Removal`.

Whatever the retrievers and answerers use inside, this is all a caller (the CLI,
the UI, the HTTP API, the evaluator, a user's code) ever sees. A `source` here is
`public_path` of the file's path: no absolute path of the machine that ingested it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import PurePath
from typing import Any

from index.articles import Article, headline
from index.catalog import ArticleRow
from index.store import IndexStatus, ResolvedChunk


def public_path(path: str) -> str:
    """`path` as it may be shown to anyone: a relative path as it was given to ingest
    (`seeds/a1.txt`) is kept; an absolute one, or one climbing out with `..`, is
    reduced to its last part (`/home/me/news/a1.txt` -> `a1.txt`), so that answers
    served to others never reveal the server's folders. Article ids are unaffected."""
    pure = PurePath(path)
    if pure.is_absolute() or ".." in pure.parts:
        return pure.name or path
    return path


@dataclass(frozen=True)
class ArticleRef:
    """Another article carrying the same story (a near-duplicate, a wire copy)."""

    article_id: str
    title: str
    date: str
    source: str

    @property
    def text(self) -> str:
        """ "Reuters story 2024-02-10": how a citation's "also in" names it."""
        return f"{self.title or self.source} {self.date or 'undated'}".strip()


def also_in_text(refs: tuple[ArticleRef, ...]) -> str:
    """ "also in: A 2024-02-10, B 2024-02-11", or "" for none."""
    return "also in: " + ", ".join(r.text for r in refs) if refs else ""


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk: `article text[start:end] == text`. `also_in`: the other copies
    of its story that retrieval collapsed into it (`retrieval.collapse_duplicates`)."""

    chunk_id: str
    article_id: str
    title: str
    date: str
    source: str
    text: str
    start: int
    end: int
    score: float
    also_in: tuple[ArticleRef, ...] = ()

    @classmethod
    def from_chunk(cls, resolved: ResolvedChunk, score: float) -> Passage:
        article = resolved.article
        return cls(
            chunk_id=resolved.chunk.id,
            article_id=article.id,
            title=headline(article.title, article.text),
            date=article.date,
            source=public_path(article.source),
            text=resolved.text,
            start=resolved.chunk.start,
            end=resolved.chunk.end,
            score=score,
        )

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        del data["chunk_id"]
        data["also_in"] = [asdict(r) for r in self.also_in]  # a list, as JSON gives it back
        return data


@dataclass(frozen=True)
class Citation:
    """A quoted sentence: `article text[start:end] == quote`; `n` is its `[n]` marker.
    `also_in`: other articles carrying the same story (near-duplicates collapsed)."""

    n: int
    article_id: str
    title: str
    date: str
    source: str
    quote: str
    start: int
    end: int
    score: float
    also_in: tuple[ArticleRef, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "also_in": [asdict(r) for r in self.also_in]}


@dataclass(frozen=True)
class ShortAnswer:
    """The fact a question asks for, as a span of an article: `text[start:end] == text`."""

    text: str
    article_id: str
    start: int
    end: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ReportedValue:
    """One report of the value a question asks for, when reports differ
    (`Answer.updates`, `Answer.conflict`): `value` is a span of the cited article
    (`text[start:end] == value`), `n` the citation's number."""

    value: str
    date: str
    title: str
    n: int
    article_id: str
    start: int
    end: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SearchWindow:
    """The publication dates an answer searched (ISO days; a bound may be open), and the
    question's words it was read from (`phrase`; None when the caller gave the dates).
    `soft`: articles of those dates were ranked higher, the others still searched.

    >>> SearchWindow("2024-02-03", "2024-02-10", "last week").text
    'searched articles from 2024-02-03 to 2024-02-10 ("last week")'
    >>> SearchWindow("2024-02-03", "2024-02-10", "last week", soft=True).text
    'preferred articles from 2024-02-03 to 2024-02-10 ("last week")'
    """

    since: str | None
    until: str | None
    phrase: str | None = None
    soft: bool = False

    @property
    def text(self) -> str:
        if self.since and self.until:
            span = f"from {self.since} to {self.until}"
        elif self.since:
            span = f"from {self.since} on"
        else:
            span = f"up to {self.until}"
        verb = "preferred" if self.soft else "searched"
        return f"{verb} articles {span}" + (f' ("{self.phrase}")' if self.phrase else "")

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "text": self.text}


@dataclass(frozen=True)
class Answer:
    """What `Assistant.ask` returns.

    >>> answer = assistant.ask("Who is Aron Lund?")  # doctest: +SKIP
    >>> print(answer.text); [c.quote for c in answer.citations]  # doctest: +SKIP
    """

    question: str
    text: str
    abstained: bool
    citations: tuple[Citation, ...]
    passages: tuple[Passage, ...]
    timings_ms: dict[str, float] = field(default_factory=dict)
    answered_by: str = "extractive"
    notes: tuple[str, ...] = ()
    short_answer: ShortAnswer | None = None
    answer_type: str | None = None  # what the question asks for: person, date, number, ...
    confidence: float | None = None  # the reader's probability that the answer is right
    window: SearchWindow | None = None  # the dates searched; None: all of them
    # The value changed across reports of different dates: the newest first (it leads
    # the answer), then the earlier ones, newest first. Empty when the reports agree.
    updates: tuple[ReportedValue, ...] = ()
    # Reports of the newest date give different values: each, as cited. Empty when not.
    conflict: tuple[ReportedValue, ...] = ()
    # Names this answer for `Assistant.feedback` (set by `Assistant.ask`; "" elsewhere).
    answer_id: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of `rag ask --json` and `POST /v1/ask`."""
        return {
            "question": self.question,
            "answer": self.text,
            "abstained": self.abstained,
            "short_answer": self.short_answer.to_dict() if self.short_answer else None,
            "answer_type": self.answer_type,
            "confidence": self.confidence,
            "citations": [c.to_dict() for c in self.citations],
            "passages": [p.to_dict() for p in self.passages],
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
            "answered_by": self.answered_by,
            "notes": list(self.notes),
            "window": self.window.to_dict() if self.window else None,
            "updates": [v.to_dict() for v in self.updates],
            "conflict": [v.to_dict() for v in self.conflict],
            "answer_id": self.answer_id,
        }


@dataclass(frozen=True)
class ArticleView:
    id: str
    title: str
    date: str
    source: str
    url: str
    text: str
    outlet: str = ""  # who published it, when known (a feed's title, a page's site name)

    @classmethod
    def from_article(cls, article: Article) -> ArticleView:
        source = public_path(article.source)
        title = headline(article.title, article.text)
        return cls(
            article.id, title, article.date, source, article.url, article.text, article.outlet
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ArticleSummary:
    """An article in the list (`Assistant.articles`): no text, but what it holds.

    `title` is the article's title, or for an untitled one its first line or sentence;
    `copies` counts other files with the same text (stored once); `updated` is when a
    re-read replaced its text (a feed entry edited; UTC, ISO), "" if never."""

    id: str
    title: str
    date: str
    source: str
    chunks: int
    copies: int
    chars: int
    updated: str = ""
    outlet: str = ""

    @classmethod
    def from_row(cls, row: ArticleRow) -> ArticleSummary:
        return cls(
            id=row.id,
            title=headline(row.title, row.opening),
            date=row.date,
            source=public_path(row.source),
            chunks=row.chunks,
            copies=row.copies,
            chars=row.chars,
            updated=row.updated,
            outlet=row.outlet,
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ArticlePage:
    """One page of the article list: `total` matches in all, `articles` from `offset`."""

    total: int
    offset: int
    limit: int
    articles: tuple[ArticleSummary, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "offset": self.offset,
            "limit": self.limit,
            "articles": [a.to_dict() for a in self.articles],
        }


@dataclass(frozen=True)
class Removal:
    """What `Assistant.remove` deleted. `files_on_disk`: sources still there, which a
    plain `rag ingest` leaves out (`--readd` adds them back)."""

    removed: tuple[ArticleSummary, ...]
    files_on_disk: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "removed": [a.to_dict() for a in self.removed],
            "files_on_disk": list(self.files_on_disk),
        }


@dataclass(frozen=True)
class Status:
    articles: int
    chunks: int
    date_from: str | None
    date_to: str | None
    model: str
    chunk_tokens: int
    store: str
    home: str
    problems: tuple[str, ...] = ()  # e.g. vectors missing for catalog chunks
    clusters: int = 0  # groups of near-duplicate articles (`index.dedup`)
    clustered_articles: int = 0
    boilerplate: tuple[str, ...] = ()  # "title (id)" of each article flagged boilerplate

    @classmethod
    def from_index(cls, status: IndexStatus) -> Status:
        first, last = status.date_range or (None, None)
        return cls(
            status.articles,
            status.chunks,
            first,
            last,
            status.model,
            status.chunk_tokens,
            status.store,
            status.home,
            status.problems,
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Turn:
    """One earlier message of a conversation."""

    role: str  # "user" or "assistant"
    content: str
