"""The LLM answerer against a fake OpenAI-compatible server over real HTTP on loopback.

What a user relies on: every citation's quote is its span of the article; a `[n]` in
the answer always has a citation `n`; a claim no passage supports never reaches them;
when the model misbehaves they still get the extractive answer, and are told why.
"""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from rag import Answer, Assistant, Settings
from rag.answer import ExtractiveAnswerer
from rag.answer import llm as llm_module
from rag.answer.llm import CONDENSE_SYSTEM_PROMPT, LLMAnswerer
from rag.followup import retrieval_query
from rag.retrieval import DateFilter, KeywordRetriever
from rag.retrieval.base import NO_FILTER
from rag.settings import LLMSettings
from rag.types import Passage, Turn
from tests.fakes import HashingEmbedder
from tests.fakes_llm import FakeLLMServer, HTTPFailure, RawBody, Reply, Scripted, Slow

QUESTION = "How many targets did U.S. airstrikes hit on Feb. 2?"
GOOD_CLAIM = "U.S. airstrikes on February 2 hit 85 targets in seven locations in Iraq and Syria"


@pytest.fixture(scope="module")
def llm_server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as server:
        yield server


@pytest.fixture
def fake_llm(llm_server: FakeLLMServer) -> FakeLLMServer:
    llm_server.reset()
    return llm_server


@pytest.fixture
def passages(seeded_fake_assistant: Assistant) -> list[Passage]:
    return seeded_fake_assistant.retriever.retrieve(QUESTION, 5, DateFilter())


@pytest.fixture
def extractive(seeded_fake_assistant: Assistant) -> ExtractiveAnswerer:
    reader = seeded_fake_assistant.answerer  # extractive mode: the default reader
    assert isinstance(reader, ExtractiveAnswerer)
    return reader


def make_answerer(seeded: Assistant, base_url: str | None, timeout_s: float = 5.0) -> LLMAnswerer:
    keyword = seeded.index.keyword
    return LLMAnswerer(
        LLMSettings(base_url=base_url, timeout_s=timeout_s),
        fallback=seeded.answerer,
        analyzer=keyword.analyzer,
        idf=keyword.idf,
    )


@pytest.fixture
def answerer(seeded_fake_assistant: Assistant, fake_llm: FakeLLMServer) -> LLMAnswerer:
    return make_answerer(seeded_fake_assistant, fake_llm.base_url)


def number_of(passages: Sequence[Passage], needle: str) -> int:
    return next(n for n, p in enumerate(passages, start=1) if needle in p.text)


def number_without(passages: Sequence[Passage], needle: str) -> int:
    return next(n for n, p in enumerate(passages, start=1) if needle not in p.text)


def assert_checkable(assistant: Assistant, answer: Answer) -> None:
    """Every quote is its article span, and every [n] in the text has citation n."""
    for citation in answer.citations:
        article = assistant.article(citation.article_id)
        assert article.text[citation.start : citation.end] == citation.quote
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.text)}
    assert markers == {c.n for c in answer.citations}


# --- good answers -----------------------------------------------------------------------
def test_a_supported_answer_is_fluent_and_cites_the_span_that_says_it(
    answerer: LLMAnswerer,
    fake_llm: FakeLLMServer,
    passages: list[Passage],
    seeded_fake_assistant: Assistant,
) -> None:
    n = number_of(passages, "85 targets")
    fake_llm.push(Reply(f"{GOOD_CLAIM} [{n}]."))

    answer = answerer.answer(QUESTION, passages)

    assert answer.answered_by == "llm"
    assert answer.notes == ()
    assert not answer.abstained
    assert answer.text == f"{GOOD_CLAIM}. [1]"
    assert "85 targets" in answer.citations[0].quote
    assert_checkable(seeded_fake_assistant, answer)
    # The model saw the numbered passages and the question.
    prompt = fake_llm.prompts()[0]
    assert f"[{len(passages)}]" in prompt
    assert QUESTION in prompt
    assert "85 targets" in prompt


def test_markers_after_the_full_stop_and_bullets_are_understood(
    answerer: LLMAnswerer,
    fake_llm: FakeLLMServer,
    passages: list[Passage],
    seeded_fake_assistant: Assistant,
) -> None:
    n = number_of(passages, "85 targets")
    lund = number_of(passages, "Lund believes Iran")
    fake_llm.push(
        Reply(
            f"- **{GOOD_CLAIM}.** [{n}]\n"
            f"- Lund believes Iran is trying to force the United States to choose "
            f"between escalation and losing troops. [Passage {lund}]"
        )
    )

    answer = answerer.answer(QUESTION, passages)

    assert answer.answered_by == "llm"
    assert len(answer.citations) == 2
    assert answer.notes == ()
    assert_checkable(seeded_fake_assistant, answer)


def test_the_model_can_say_the_passages_do_not_answer(
    answerer: LLMAnswerer, fake_llm: FakeLLMServer, passages: list[Passage]
) -> None:
    fake_llm.push(Reply("NO_ANSWER"))

    answer = answerer.answer("What did the Pope say about the strikes?", passages)

    assert answer.abstained
    assert answer.answered_by == "llm"
    assert answer.citations == ()


# --- wrong citation numbers -------------------------------------------------------------
def test_citation_numbers_that_point_nowhere_never_reach_the_user(
    answerer: LLMAnswerer,
    fake_llm: FakeLLMServer,
    passages: list[Passage],
    seeded_fake_assistant: Assistant,
) -> None:
    fake_llm.push(Reply(f"{GOOD_CLAIM} [{len(passages) + 4}]. [0]"))

    answer = answerer.answer(QUESTION, passages)

    assert answer.answered_by == "llm"
    assert_checkable(seeded_fake_assistant, answer)
    assert f"[{len(passages) + 4}]" not in answer.text
    assert "[0]" not in answer.text
    assert "85 targets" in answer.citations[0].quote
    assert any("point to no passage" in note for note in answer.notes)


def test_a_citation_to_the_wrong_passage_is_moved_to_the_one_that_supports_it(
    answerer: LLMAnswerer,
    fake_llm: FakeLLMServer,
    passages: list[Passage],
    seeded_fake_assistant: Assistant,
) -> None:
    wrong = number_without(passages, "85 targets")
    fake_llm.push(Reply(f"{GOOD_CLAIM} [{wrong}]."))

    answer = answerer.answer(QUESTION, passages)

    assert_checkable(seeded_fake_assistant, answer)
    assert "85 targets" in answer.citations[0].quote
    assert any("moved 1 citation" in note for note in answer.notes)


# --- unsupported claims -----------------------------------------------------------------
def test_sentences_no_passage_supports_are_dropped(
    answerer: LLMAnswerer,
    fake_llm: FakeLLMServer,
    passages: list[Passage],
    seeded_fake_assistant: Assistant,
) -> None:
    n = number_of(passages, "85 targets")
    fake_llm.push(
        Reply(
            f"{GOOD_CLAIM} [{n}]. The strikes killed about 400 militiamen [{n}]. "
            "Iran has agreed to a ceasefire with the United States [1]."
        )
    )

    answer = answerer.answer(QUESTION, passages)

    assert answer.answered_by == "llm"
    assert "85 targets" in answer.text
    assert "400" not in answer.text  # a number the passage does not state
    assert "ceasefire" not in answer.text
    assert any("dropped 2 sentence" in note for note in answer.notes)
    assert_checkable(seeded_fake_assistant, answer)


def test_an_answer_with_no_supported_sentence_falls_back_to_extractive(
    answerer: LLMAnswerer,
    fake_llm: FakeLLMServer,
    passages: list[Passage],
    extractive: ExtractiveAnswerer,
) -> None:
    fake_llm.push(Reply("Iran has agreed to a ceasefire with the United States [1]."))

    answer = answerer.answer(QUESTION, passages)

    assert answer.answered_by == "extractive"
    assert answer.text == extractive.answer(QUESTION, passages).text
    assert "ceasefire" not in answer.text
    assert answer.notes[-1].startswith("llm failed: no sentence of its reply is supported")


# --- garbage, errors, timeouts ----------------------------------------------------------
@pytest.mark.parametrize(
    ("scripted", "reason"),
    [
        (Reply("asdf qwer zxcv [1] [2] [3]"), "no sentence of its reply is supported"),
        (Reply(""), "empty reply"),
        (Reply("[1] [2]"), "no sentence of its reply is supported"),
        (RawBody(b"<html>Bad gateway</html>", "text/html"), "unusable reply"),
        (RawBody(b'{"choices": []}'), "unusable reply"),
        (HTTPFailure(500), "HTTP 500"),
        (HTTPFailure(503), "HTTP 503"),
        (HTTPFailure(401, "invalid api key"), "HTTP 401"),
        (HTTPFailure(429, "rate limited"), "HTTP 429"),
    ],
    ids=lambda v: v if isinstance(v, str) else type(v).__name__,
)
def test_a_misbehaving_model_gives_the_extractive_answer_and_says_why(
    answerer: LLMAnswerer,
    fake_llm: FakeLLMServer,
    passages: list[Passage],
    extractive: ExtractiveAnswerer,
    seeded_fake_assistant: Assistant,
    scripted: Scripted,
    reason: str,
) -> None:
    fake_llm.push(scripted)

    answer = answerer.answer(QUESTION, passages)

    assert answer.answered_by == "extractive"
    assert answer.text == extractive.answer(QUESTION, passages).text
    assert answer.notes[-1].startswith("llm failed: ")
    assert reason in answer.notes[-1]
    assert answer.notes[-1].endswith("answered extractively")
    assert_checkable(seeded_fake_assistant, answer)
    assert len(fake_llm.requests) == 1  # no retries: the fallback is the retry


def test_a_slow_model_is_abandoned_after_timeout_s(
    seeded_fake_assistant: Assistant, fake_llm: FakeLLMServer, passages: list[Passage]
) -> None:
    answerer = make_answerer(seeded_fake_assistant, fake_llm.base_url, timeout_s=0.5)
    fake_llm.push(Slow(10.0, f"{GOOD_CLAIM} [1]."))

    started = time.monotonic()
    answer = answerer.answer(QUESTION, passages)

    assert time.monotonic() - started < 3.0
    assert answer.answered_by == "extractive"
    assert answer.notes[-1] == "llm failed: timed out after 0.5 s; answered extractively"


def test_after_a_timeout_the_llm_rests_before_it_is_tried_again(
    seeded_fake_assistant: Assistant,
    fake_llm: FakeLLMServer,
    passages: list[Passage],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The rest starts when the call fails; the extractive fallback after it can take a
    # second on a loaded machine, so the rest must outlast it.
    monkeypatch.setattr(llm_module, "COOL_DOWN_S", 3.0)
    answerer = make_answerer(seeded_fake_assistant, fake_llm.base_url, timeout_s=0.3)
    fake_llm.push(Slow(10.0), Reply(f"{GOOD_CLAIM} [1]."))
    answerer.answer(QUESTION, passages)

    resting = answerer.answer(QUESTION, passages)
    assert resting.answered_by == "extractive"
    assert "not tried: it failed (timed out after 0.3 s)" in resting.notes[-1]
    assert len(fake_llm.requests) == 1

    time.sleep(3.1)
    assert answerer.answer(QUESTION, passages).answered_by == "llm"


def test_an_unreachable_or_unconfigured_endpoint_gives_the_extractive_answer(
    seeded_fake_assistant: Assistant, passages: list[Passage]
) -> None:
    with socket.socket() as sock:  # a loopback port nobody listens on
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    unreachable = make_answerer(seeded_fake_assistant, f"http://127.0.0.1:{closed_port}/v1")
    unconfigured = make_answerer(seeded_fake_assistant, None)

    refused = unreachable.answer(QUESTION, passages)
    missing = unconfigured.answer(QUESTION, passages)

    assert refused.answered_by == missing.answered_by == "extractive"
    assert "cannot connect to the LLM endpoint" in refused.notes[-1]
    assert "openai_like needs llm.base_url" in missing.notes[-1]


# --- follow-ups and the Assistant -------------------------------------------------------
class RecordingRetriever:
    """Keyword retrieval that remembers the queries it was asked."""

    def __init__(self) -> None:
        self.queries: list[str] = []
        self.inner: KeywordRetriever | None = None

    def retrieve(self, query: str, top_k: int, filters: DateFilter = NO_FILTER) -> list[Passage]:
        assert self.inner is not None
        self.queries.append(query)
        return self.inner.retrieve(query, top_k, filters)


@pytest.fixture
def llm_assistant(
    tmp_path: Path, corpus: Path, fake_llm: FakeLLMServer
) -> tuple[Assistant, RecordingRetriever]:
    settings = Settings(
        home=tmp_path / "llm-home",
        answer={"mode": "llm"},
        llm={"base_url": fake_llm.base_url, "timeout_s": 5.0},
    )
    recorder = RecordingRetriever()
    assistant = Assistant(settings, embedder=HashingEmbedder(), retriever=recorder)
    assistant.ingest([corpus])
    recorder.inner = KeywordRetriever(assistant.index)
    return assistant, recorder


HISTORY = [
    Turn("user", "What did the U.S. do on Feb. 2?"),
    Turn("assistant", "U.S. airstrikes hit Iraq and Syria. [1]"),
]
FOLLOW_UP = "How many targets did they hit?"


def test_a_follow_up_is_searched_as_the_llm_condensed_it(
    llm_assistant: tuple[Assistant, RecordingRetriever], fake_llm: FakeLLMServer
) -> None:
    assistant, recorder = llm_assistant
    fake_llm.push(Reply(f"Standalone question: {QUESTION}"), Reply(f"{GOOD_CLAIM} [1]."))

    answer = assistant.ask(FOLLOW_UP, history=HISTORY, top_k=3)

    assert recorder.queries == [QUESTION]
    condense_request = fake_llm.requests[0]["messages"]
    assert condense_request[0]["content"] == CONDENSE_SYSTEM_PROMPT
    assert HISTORY[0].content in condense_request[1]["content"]
    assert answer.question == FOLLOW_UP
    assert answer.answered_by == "llm"
    assert "85 targets" in answer.citations[0].quote
    assert_checkable(assistant, answer)


def test_a_failed_condensation_falls_back_to_the_rule_based_query(
    llm_assistant: tuple[Assistant, RecordingRetriever], fake_llm: FakeLLMServer
) -> None:
    assistant, recorder = llm_assistant
    fake_llm.push(HTTPFailure(502), Reply(f"{GOOD_CLAIM} [1]."))

    answer = assistant.ask(FOLLOW_UP, history=HISTORY, top_k=3)

    assert recorder.queries == [retrieval_query(FOLLOW_UP, HISTORY)]
    assert answer.answered_by == "llm"
    assert_checkable(assistant, answer)


def test_a_first_question_is_not_condensed(
    llm_assistant: tuple[Assistant, RecordingRetriever], fake_llm: FakeLLMServer
) -> None:
    assistant, recorder = llm_assistant
    fake_llm.push(Reply(f"{GOOD_CLAIM} [1]."))

    answer = assistant.ask(QUESTION, top_k=3)

    assert recorder.queries == [QUESTION]
    assert len(fake_llm.requests) == 1
    assert answer.answered_by == "llm"
    assert "llm" in answer.timings_ms


# --- one contract for every answerer ----------------------------------------------------
@pytest.mark.parametrize("kind", ["extractive", "llm"])
def test_every_answerer_cites_exact_spans(
    kind: str,
    seeded_fake_assistant: Assistant,
    fake_llm: FakeLLMServer,
    passages: list[Passage],
    extractive: ExtractiveAnswerer,
) -> None:
    n = number_of(passages, "85 targets")
    fake_llm.push(Reply(f"{GOOD_CLAIM} [{n}]."))
    chosen = (
        extractive
        if kind == "extractive"
        else make_answerer(seeded_fake_assistant, fake_llm.base_url)
    )

    answer = chosen.answer(QUESTION, passages)

    assert answer.answered_by == kind
    assert not answer.abstained
    assert_checkable(seeded_fake_assistant, answer)
    assert chosen.answer("Anything?", []).abstained
