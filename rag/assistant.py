"""`Assistant`: the public entry point. Ingest articles, ask questions, read articles.

>>> from rag import Assistant, Settings
>>> assistant = Assistant(Settings(home=Path(".rag")))
>>> assistant.ingest([Path("seeds")]).added  # doctest: +SKIP
>>> answer = assistant.ask("Who was killed on January 28?", top_k=5)  # doctest: +SKIP
>>> answer.citations[0].quote  # doctest: +SKIP
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

from index.articles import parse_date
from index.embedding import Embedder
from index.encode import BatchEncoder
from index.ingest import IngestReport, Progress, article_files, ingest
from index.loaders import is_url
from index.store import Index, open_index
from rag import feedback, library
from rag.answer import Answerer, ExtractiveAnswerer
from rag.answer.question import QuestionAnalyzer
from rag.answer.support import SupportScorer
from rag.errors import InputError, NotReadyError, RagError
from rag.feedback import Feedback
from rag.followup import QueryRewriter, RuleRewriter
from rag.retrieval import (
    DateFilter,
    DenseRetriever,
    HybridRetriever,
    KeywordRetriever,
    Retriever,
    SoftWindow,
)
from rag.retrieval.dedup import ClusterCache, CollapsingRetriever
from rag.settings import MAX_QUESTION_CHARS, MAX_TOP_K, Settings
from rag.sources import DEFAULT_EVERY, WatchedSource, now_iso, parse_every
from rag.timeline import Timeline, build_timeline
from rag.timewindow import Searched, Window, asks_current_state, narrow, resolve_window
from rag.types import (
    Answer,
    ArticlePage,
    ArticleView,
    Citation,
    Passage,
    Removal,
    Status,
    Turn,
)

# No path in the message: it reaches HTTP clients, who have no use for the server's
# folders (`rag status` shows the home).
NOT_READY = "the index is empty: run `rag ingest PATH` first"
NOTE_CHARS = 1000  # a watched source's last note


class Assistant:
    """Question answering over one index. Cheap to build: the index opens on first use."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        embedder: Embedder | None = None,
        retriever: Retriever | None = None,
        answerer: Answerer | None = None,
        rewriter: QueryRewriter | None = None,
    ) -> None:
        self.settings = settings or Settings()
        self._custom_rewriter = rewriter
        self._embedder = embedder
        self._custom_retriever = retriever
        self._custom_answerer = answerer
        self._write_lock = threading.Lock()
        # Built on first use, once, under this lock: a server's first requests arrive
        # together on their own threads (functools.cached_property locks only on 3.11).
        # Reentrant, because building the retriever or the answerer opens the index.
        self._compose_lock = threading.RLock()
        self._index: Index | None = None
        self._retriever: Retriever | None = None
        self._answerer: Answerer | None = None
        self._rewriter: QueryRewriter | None = None
        self._clusters: ClusterCache | None = None
        self._asked = feedback.AnswerLog()  # recent answers, for feedback on them
        # Embeds the query while this thread parses the question (the encoder releases
        # the GIL); the vector waits in the embedder's cache for the dense retriever.
        self._query_vectors = ThreadPoolExecutor(max_workers=1, thread_name_prefix="query")
        self._reader: ExtractiveAnswerer | None = None
        # One parser of questions for the time window and the reader: one parse each.
        self.questions = QuestionAnalyzer(self.settings.nlp)

    # --- composition ------------------------------------------------------------------
    @property
    def index(self) -> Index:
        with self._compose_lock:
            if self._index is None:
                self._index = open_index(self.settings.index_settings(), self._embedder)
            return self._index

    @property
    def retriever(self) -> Retriever:
        with self._compose_lock:
            if self._retriever is None:
                self._retriever = self._build_retriever()
            return self._retriever

    @property
    def answerer(self) -> Answerer:
        with self._compose_lock:
            if self._answerer is None:
                self._answerer = self._build_answerer()
            return self._answerer

    @property
    def rewriter(self) -> QueryRewriter:
        """What a follow-up is searched as: the LLM's standalone question in llm mode."""
        with self._compose_lock:
            if self._rewriter is None:
                self._rewriter = self._build_rewriter()
            return self._rewriter

    def _build_rewriter(self) -> QueryRewriter:
        if self._custom_rewriter is not None:
            return self._custom_rewriter
        answerer = self.answerer
        if self.settings.answer.mode == "llm" and self._custom_answerer is None:
            from rag.answer.llm import LLMAnswerer, LLMRewriter

            assert isinstance(answerer, LLMAnswerer)
            return LLMRewriter(answerer, self.settings.llm.timeout_s)
        return RuleRewriter()

    @property
    def clusters(self) -> ClusterCache:
        """The index's near-duplicate clusters and boilerplate articles (`index.dedup`),
        reloaded after every write: `assistant.clusters().others(article_id)`."""
        with self._compose_lock:
            if self._clusters is None:
                self._clusters = ClusterCache(self.index)
            return self._clusters

    def _build_retriever(self) -> Retriever:
        if self._custom_retriever is not None:
            return self._custom_retriever
        retrieval = self.settings.retrieval
        built = self._base_retriever()
        if retrieval.collapse_duplicates or retrieval.exclude_boilerplate:
            return CollapsingRetriever(
                built,
                self.clusters,
                collapse=retrieval.collapse_duplicates,
                exclude_boilerplate=retrieval.exclude_boilerplate,
            )
        return built

    def _base_retriever(self) -> Retriever:
        retrieval = self.settings.retrieval
        dense, keyword = DenseRetriever(self.index), KeywordRetriever(self.index)
        if retrieval.mode == "dense":
            return dense
        if retrieval.mode == "bm25":
            return keyword
        return HybridRetriever([dense, keyword], retrieval.candidates, retrieval.rrf_k)

    def _build_answerer(self) -> Answerer:
        if self._custom_answerer is not None:
            return self._custom_answerer
        extractive = self.reader
        if self.settings.answer.mode == "llm":
            from rag.answer.llm import LLMAnswerer

            keyword = self.index.keyword
            return LLMAnswerer(
                self.settings.llm, fallback=extractive, analyzer=keyword.analyzer, idf=keyword.idf
            )
        return extractive

    @property
    def reader(self) -> ExtractiveAnswerer:
        """The extractive reader (the default answerer, the LLM's fallback): its sentence
        score also picks a timeline's key sentences."""
        with self._compose_lock:
            if self._reader is None:
                index = self.index
                self._reader = ExtractiveAnswerer(
                    index.keyword.analyzer,
                    index.keyword.idf,
                    self.questions,
                    index.readings,
                    index.embedder.embed_query,
                    self.settings.answer,
                )
            return self._reader

    def warm_up(self) -> None:
        """Load the embedding model and open the stores now, not on the first question.

        `rag serve` calls it before accepting requests, so the first user does not wait.
        """
        _ = self.answerer
        SupportScorer.shared().load()
        self.retriever.retrieve("warm up", 1, DateFilter())

    # --- ingest -----------------------------------------------------------------------
    def ingest(
        self,
        paths: Sequence[Path | str],
        *,
        prune: bool = False,
        rebuild: bool = False,
        readd: bool = False,
        progress: Progress | None = None,
    ) -> IngestReport:
        """Bring the index in step with the articles under `paths`; see `IngestReport`.
        A path that is an http(s) URL is an RSS/Atom feed or an article page (`index.web`).

        Articles removed with `remove` stay out (`report.withheld`) unless `readd`. With
        `ingest.ray_address` set, a Ray cluster embeds the chunks (`index.ray_ingest`)."""
        urls = [str(p) for p in paths if isinstance(p, str) and is_url(p)]
        files = [Path(p) for p in paths if not (isinstance(p, str) and is_url(p))]
        with self._write_lock:
            encoder = self._cluster_encoder()  # first: a cluster not reached changes nothing
            run = partial(
                ingest, urls=urls, prune=prune, readd=readd, progress=progress, encoder=encoder
            )
            if not rebuild:
                return run(self.index, files)
            if files or not urls:
                article_files(files)  # a mistyped path must not empty the index first
            index = Index(self.settings.index_settings(), self._embedder, verify=False)
            # One writer session from the reset to the end of the ingest, so that no other
            # writer slips in between (the lock is re-entrant for its holder).
            with index.writer.held():
                # Under the composition lock, so that no question meets the old retriever
                # and answerer: they hold the old index, whose vectors are dropped.
                with self._compose_lock:
                    index.reset()
                    self._index = index
                    self._retriever = self._answerer = self._rewriter = self._reader = None
                    self._clusters = None
                return run(index, files)

    def _cluster_encoder(self) -> BatchEncoder | None:
        cluster = self.settings.ingest
        if cluster.ray_address is None:
            return None
        if self._embedder is not None:
            raise InputError(
                "a Ray ingest builds the embedder from the settings on every worker; "
                "this Assistant was given its own embedder",
                field="ingest.ray_address",
            )
        from index.ray_ingest import connect

        return connect(
            self.settings.index_settings(),
            cluster.ray_address,
            cluster.ray_workers,
            cluster.ray_cpus_per_worker,
        )

    def _existing_index(self) -> Index:
        """The index, if one was ever made: reading must not leave an empty index folder
        behind (`rag ask` in a folder that has none)."""
        if self._index is None and not (Path(self.settings.home) / "catalog.sqlite").exists():
            raise NotReadyError(NOT_READY)
        return self.index

    # --- ask --------------------------------------------------------------------------
    def ask(
        self,
        question: str,
        *,
        top_k: int | None = None,
        since: date | str | None = None,
        until: date | str | None = None,
        history: Sequence[Turn | dict[str, str]] = (),
        time_window: bool | None = None,
    ) -> Answer:
        """Answer `question` from the index, citing exact spans of the articles.

        `since`/`until` keep articles published in that range (undated ones drop out).
        `until` is also taken as the day the question is asked. In hybrid mode a time
        phrase of the question ("last week", "in 2022", read as of that day) ranks the
        articles dated in it higher (`retrieval.time_windows`: soft by default, hard
        filters, `time_window=False` ignores the phrase); without a phrase, the newest
        articles rank higher (`retrieval.recency`).
        `Answer.window` says which dates were searched or preferred.
        """
        started = time.perf_counter()
        question = validate_question(question)
        turns = validate_history(history)
        passages, window = self._search(question, top_k, since, until, turns, time_window)
        retrieved = time.perf_counter()
        asked_on = parse_date_arg(until, "until")
        answer = self.answerer.answer(question, passages, turns, asked_on=asked_on)
        answer = replace(
            answer,
            citations=_with_copies(answer.citations, passages),
            window=window.searched,
            notes=(*window.notes, *answer.notes),  # what the search did, then the answer
        )
        done = time.perf_counter()
        timings = {
            **answer.timings_ms,
            "retrieve": (retrieved - started) * 1000,
            "answer": (done - retrieved) * 1000,
            "total": (done - started) * 1000,
        }
        answer = replace(answer, timings_ms=timings, answer_id=feedback.new_answer_id())
        request = {"top_k": top_k, "since": _day(since), "until": _day(until)}
        self._asked.remember(feedback.Asked(answer, tuple(turns), request, feedback.now()))
        return answer

    def search(
        self,
        question: str,
        *,
        top_k: int | None = None,
        since: date | str | None = None,
        until: date | str | None = None,
        history: Sequence[Turn | dict[str, str]] = (),
        time_window: bool | None = None,
    ) -> list[Passage]:
        """Retrieval only: the passages `ask` would answer from, best first."""
        return self._search(question, top_k, since, until, history, time_window)[0]

    def _search(
        self,
        question: str,
        top_k: int | None,
        since: date | str | None,
        until: date | str | None,
        history: Sequence[Turn | dict[str, str]],
        time_window: bool | None,
    ) -> tuple[list[Passage], Searched]:
        question = validate_question(question)
        k = validate_top_k(self.settings.retrieval.top_k if top_k is None else top_k)
        filters = DateFilter(parse_date_arg(since, "since"), parse_date_arg(until, "until"))
        if filters.since and filters.until and filters.since > filters.until:
            raise InputError(
                f"since ({filters.since}) is after until ({filters.until})", field="since"
            )
        turns = validate_history(history)
        if self._existing_index().catalog.is_empty():
            raise NotReadyError(NOT_READY)
        query = self.rewriter.rewrite(question, turns) if turns else question
        mode = self._window_mode(time_window)
        if self._custom_retriever is None and self.settings.retrieval.mode != "bm25":
            # The query is embedded on a worker while this thread parses the question for
            # its time window and the reader (the encoder releases the GIL; models load
            # one at a time under index.imports.HEAVY_IMPORTS). The vector waits in the
            # embedder's cache for the dense retriever, which meets any failure again.
            self._query_vectors.submit(self.index.embedder.embed_query, query)
        doc = self.questions.parse(question)
        window = self.window(question, filters.since, filters.until) if mode != "off" else None
        if mode == "hard" and window is not None and window.phrase:
            narrowed = DateFilter(window.since, window.until)
            passages = self.retriever.retrieve(query, k, narrowed)
            if passages:
                return passages, Searched.of(narrowed, window.phrase)
            # Nothing published then: the caller's own dates, and the answer says why.
            span = f"{window.since or '…'} to {window.until or '…'}"
            note = f'no article is dated {span} ("{window.phrase}"): searched without it'
            searched = Searched.of(filters, notes=(note,))
            return self.retriever.retrieve(query, k, filters), searched
        notes = (window.note,) if window is not None and window.note else ()
        retrieval = self.settings.retrieval
        half_life, weight = retrieval.recency_half_life_days, retrieval.recency_weight
        if window is not None and window.phrase:
            prefer = SoftWindow(window.since, window.until, half_life, weight)
            preferred = DateFilter(window.since, window.until)
            passages = self.retriever.retrieve(query, k, replace(filters, prefer=prefer))
            if any(prefer.distance_of(p.date) == 0 for p in passages):
                return passages, Searched.of(preferred, window.phrase, notes, soft=True)
            # No passage is of those dates: the phrase changed nothing, and the answer says so.
            span = f"{window.since or '…'} to {window.until or '…'}"
            note = f'no article found is dated {span} ("{window.phrase}"): ranked without it'
            return passages, Searched.of(filters, notes=(*notes, note))
        recent = retrieval.recency == "dated" or (
            retrieval.recency == "current" and asks_current_state(doc)
        )
        if recent and filters.until is not None:
            filters = replace(filters, prefer=SoftWindow.recency(filters.until, half_life, weight))
        return self.retriever.retrieve(query, k, filters), Searched.of(filters, notes=notes)

    def _window_mode(self, time_window: bool | None) -> str:
        """How the question's time phrase is used: the setting, unless the caller said."""
        mode = self.settings.retrieval.time_windows
        if time_window is None:
            return mode
        return ("soft" if mode == "off" else mode) if time_window else "off"

    def window(self, question: str, since: date | None = None, until: date | None = None) -> Window:
        """The dates `question` is searched over: [since, until] narrowed by its time
        phrase ("last week" as of `until`, or of today), see `rag.timewindow`."""
        asked_on = until or date.today()
        lag = self.settings.retrieval.time_window_lag_days
        mention = resolve_window(self.questions.parse(question), asked_on, lag)
        return narrow(mention, since, until)

    def timeline(
        self,
        topic: str,
        *,
        since: date | str | None = None,
        until: date | str | None = None,
        limit: int | None = None,
        newest_first: bool = False,
    ) -> Timeline:
        """The articles about `topic` in date order (`newest_first` for "what's new"), one
        or two key sentences each, as citations; copies of one story are one entry. At
        most `limit` articles (`timeline.limit`); see `rag.timeline`."""
        return build_timeline(
            self, topic, since=since, until=until, limit=limit, newest_first=newest_first
        )

    # --- watched sources ----------------------------------------------------------------
    def sources(self) -> list[WatchedSource]:
        """The feeds and pages `rag serve` re-reads (`rag.sources`), oldest first."""
        return [WatchedSource(*row) for row in self.index.catalog.watched()]

    def add_source(self, url: str, every: str | int = DEFAULT_EVERY) -> WatchedSource:
        """Watch the feed or page at `url`, read every `every` ("30m", "2h", seconds)."""
        url = url.strip()
        if not is_url(url):
            raise InputError(f"not an http(s) URL: {url!r}", field="url")
        self.index.catalog.watch(url, parse_every(every), now_iso())
        return next(s for s in self.sources() if s.url == url)

    def remove_source(self, url: str) -> None:
        """Stop watching `url` (its articles stay; `remove` deletes them)."""
        if not self.index.catalog.unwatch(url.strip()):
            raise InputError(f"no watched source {url.strip()!r}", field="url")

    def read_source(self, url: str) -> WatchedSource | None:
        """Read a watched source now: add what is new, replace what was edited, and
        record when and what (a failure is its note, not an exception). None when the
        source stopped being watched meanwhile."""
        try:
            report = self.ingest([url])
            added = len(report.added) + len(report.updated)
            note = "; ".join(f"{s.source}: {s.reason}" for s in report.skipped)
        except RagError as exc:
            added, note = 0, str(exc)
        self.index.catalog.record_read(url, now_iso(), added, note[:NOTE_CHARS])
        return next((s for s in self.sources() if s.url == url), None)

    # --- read -------------------------------------------------------------------------
    def article(self, article_id: str) -> ArticleView:
        article = self.index.article(article_id)
        if article is None:
            raise InputError(f"no article with id {article_id!r}", field="article_id")
        return ArticleView.from_article(article)

    def status(self) -> Status:
        clusters = self.clusters()
        return replace(
            Status.from_index(self.index.status()),
            clusters=len(clusters.groups),
            clustered_articles=len(clusters.cluster_of),
            boilerplate=tuple(
                f"{clusters.members[i].title} ({i})" for i in sorted(clusters.boilerplate)
            ),
        )

    # --- feedback ---------------------------------------------------------------------
    def feedback(
        self,
        answer_id: str,
        rating: str,
        *,
        comment: str = "",
        correct_answer: str = "",
        no_answer: bool = False,
    ) -> Feedback:
        """Store a verdict on an answer this assistant gave (`Answer.answer_id`): `rating`
        "up" or "down", an optional comment, and for "down" the right answer or
        `no_answer` (the archive has none). Stored in the catalog with the question, the
        answer, its citations, the conversation, the settings and the index state."""
        answer_id, rating, comment, correct_answer, no_answer = feedback.check(
            answer_id, rating, comment, correct_answer, no_answer
        )
        asked = self._asked.get(answer_id)
        if asked is None:
            raise InputError(
                f"no recent answer with id {answer_id!r} (answers are remembered until "
                f"{feedback.ANSWERS_KEPT} newer ones, or a restart)",
                field="answer_id",
            )
        given = Feedback(
            f"fb-{uuid.uuid4().hex[:16]}",
            answer_id,
            rating,
            comment,
            correct_answer,
            no_answer,
            feedback.now(),
        )
        index = self._existing_index()
        state = {**self.status().to_dict(), "generation": index.catalog.generation()}
        # options may hold a key of its own (`{"api_key": ...}` for a custom class)
        settings = self.settings.model_dump(
            mode="json", exclude={"api_key": True, "llm": {"api_key", "options"}}
        )
        record = feedback.record(asked, given, settings, state)
        index.catalog.add_feedback(given.id, answer_id, given.created, record)
        return given

    def feedback_questions(self) -> list[dict[str, Any]]:
        """The stored feedback as a question set in `rag eval`'s JSONL record shape."""
        return feedback.questions(self._existing_index().catalog.feedback())

    def feedback_stats(self) -> dict[str, Any]:
        return feedback.stats(self._existing_index().catalog.feedback())

    # --- the article list -------------------------------------------------------------
    def articles(
        self,
        query: str = "",
        *,
        since: date | str | None = None,
        until: date | str | None = None,
        sort: str = "newest",
        limit: int = 50,
        offset: int = 0,
    ) -> ArticlePage:
        """A page of the stored articles, newest first (`sort`: newest, oldest, title),
        those whose title or text holds every word of `query` (or whose id it is), in
        the date range (undated articles drop out of a range)."""
        return library.list_page(
            self._existing_index(),
            query=query,
            since=parse_date_arg(since, "since"),
            until=parse_date_arg(until, "until"),
            sort=sort,
            limit=limit,
            offset=offset,
        )

    def remove(self, targets: Sequence[str]) -> Removal:
        """Delete articles, each named by its id or by the file it was read from, from
        the catalog, the vectors and the keyword index, in one crash-safe step; they
        never reach an answer again, and a plain `ingest` of a folder still holding
        their files leaves them out (`ingest(..., readd=True)` adds them back).
        `InputError` naming the first target that matches nothing, and nothing removed."""
        with self._write_lock:
            return library.remove(self._existing_index(), targets)


def _with_copies(citations: tuple[Citation, ...], passages: list[Passage]) -> tuple[Citation, ...]:
    """Each citation naming the other copies of its article's story that retrieval
    collapsed into the passage it quotes (`Passage.also_in`)."""
    copies = {p.article_id: p.also_in for p in passages if p.also_in}
    if not copies:
        return citations
    return tuple(replace(c, also_in=copies.get(c.article_id, c.also_in)) for c in citations)


def _day(value: date | str | None) -> str | None:
    return value.isoformat() if isinstance(value, date) else value or None


def validate_question(question: object) -> str:
    if not isinstance(question, str) or not question.strip():
        raise InputError("question is empty", field="question")
    if len(question) > MAX_QUESTION_CHARS:
        raise InputError(
            f"question is {len(question)} characters long; the limit is {MAX_QUESTION_CHARS}",
            field="question",
        )
    if not is_text(question):
        raise InputError(_NOT_TEXT.format(what="question"), field="question")
    return question.strip()


_NOT_TEXT = "{what} holds an invalid character (a lone UTF-16 surrogate, not text)"


def is_text(value: str) -> bool:
    """False for a string holding a lone surrogate (JSON's `"\\ud800"`, or a command-line
    argument that was not UTF-8): it cannot be encoded, so no model or store takes it."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def validate_top_k(top_k: object) -> int:
    if isinstance(top_k, bool) or not isinstance(top_k, int) or not 1 <= top_k <= MAX_TOP_K:
        raise InputError(f"top_k must be between 1 and {MAX_TOP_K}, got {top_k!r}", field="top_k")
    return top_k


def parse_date_arg(value: date | str | None, name: str) -> date | None:
    """A day given as a `date` or in a form the corpus loader reads (2024-02-10 or
    2024/02/10); `InputError` naming `name` otherwise."""
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    iso = parse_date(str(value))
    if iso is None:
        raise InputError(f"{name} must be a date like 2024-02-10, got {value!r}", field=name)
    return date.fromisoformat(iso)


def validate_history(history: Sequence[Turn | dict[str, str]]) -> list[Turn]:
    turns: list[Turn] = []
    for i, turn in enumerate(history):
        if isinstance(turn, dict):
            role, content = turn.get("role"), turn.get("content")
        else:
            role, content = turn.role, turn.content
        if role not in ("user", "assistant") or not isinstance(content, str):
            raise InputError(
                f"history[{i}] must be {{'role': 'user'|'assistant', 'content': str}}",
                field=f"history[{i}]",
            )
        if not is_text(content):
            what = f"history[{i}].content"
            raise InputError(_NOT_TEXT.format(what=what), field=what)
        turns.append(Turn(role, content))
    return turns
