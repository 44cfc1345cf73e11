"""Every retriever and every answerer passes the same cases."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from index.keyword import Analyzer
from rag import Assistant, Passage
from rag.answer import Answerer, ExtractiveAnswerer
from rag.answer.question import QuestionAnalyzer
from rag.retrieval import DateFilter, DenseRetriever, HybridRetriever, KeywordRetriever, Retriever
from rag.settings import AnswerSettings

RETRIEVERS: dict[str, Callable[[Assistant], Retriever]] = {
    "dense": lambda a: DenseRetriever(a.index),
    "bm25": lambda a: KeywordRetriever(a.index),
    "hybrid": lambda a: HybridRetriever([DenseRetriever(a.index), KeywordRetriever(a.index)]),
}


@pytest.fixture
def dated_assistant(seeded_fake_assistant: Assistant, tmp_path: Path) -> Assistant:
    older = tmp_path / "older"
    older.mkdir()
    (older / "old.txt").write_text(
        "date 2020-05-01\nIn 2020 the harbour of Elmsby closed after airstrikes on targets.\n"
    )
    seeded_fake_assistant.ingest([older])
    return seeded_fake_assistant


@pytest.mark.parametrize("name", RETRIEVERS)
def test_retriever_returns_exact_passages_within_top_k(
    dated_assistant: Assistant, name: str
) -> None:
    retriever = RETRIEVERS[name](dated_assistant)
    passages = retriever.retrieve("airstrikes hit 85 targets", 3)
    assert 1 <= len(passages) <= 3
    assert any("85 targets" in p.text for p in passages)
    for passage in passages:
        article = dated_assistant.article(passage.article_id)
        assert article.text[passage.start : passage.end] == passage.text


@pytest.mark.parametrize("name", RETRIEVERS)
def test_retriever_respects_date_filters(dated_assistant: Assistant, name: str) -> None:
    retriever = RETRIEVERS[name](dated_assistant)
    recent = retriever.retrieve(
        "airstrikes targets harbour", 10, DateFilter(since=date(2024, 1, 1))
    )
    old = retriever.retrieve("airstrikes targets harbour", 10, DateFilter(until=date(2021, 1, 1)))
    assert recent and all(p.date >= "2024-01-01" for p in recent)
    assert old and all(p.date <= "2021-01-01" for p in old)


def extractive(assistant: Assistant) -> Answerer:
    index = assistant.index
    return ExtractiveAnswerer(
        index.keyword.analyzer,
        index.keyword.idf,
        QuestionAnalyzer(),
        index.readings,
        index.embedder.embed_query,
    )


ANSWERERS: dict[str, Callable[[Assistant], Answerer]] = {"extractive": extractive}


@pytest.mark.parametrize("name", ANSWERERS)
def test_answerer_cites_exact_spans_and_abstains_off_topic(
    seeded_fake_assistant: Assistant, name: str
) -> None:
    answerer = ANSWERERS[name](seeded_fake_assistant)
    question = "How many targets did U.S. airstrikes hit on Feb. 2?"
    passages = seeded_fake_assistant.retriever.retrieve(question, 5)
    answer = answerer.answer(question, passages)
    assert not answer.abstained and "85 targets" in answer.text
    for citation in answer.citations:
        text = seeded_fake_assistant.article(citation.article_id).text
        assert text[citation.start : citation.end] == citation.quote
    short = answer.short_answer
    assert short is not None and answer.text.startswith(short.text)
    assert seeded_fake_assistant.article(short.article_id).text[short.start : short.end] == (
        short.text
    )
    assert any(
        c.article_id == short.article_id and c.start <= short.start and short.end <= c.end
        for c in answer.citations
    ), "the short answer lies inside a quoted citation"
    off_topic = answerer.answer("What is the best banana bread recipe?", passages)
    assert off_topic.abstained and not off_topic.citations
    assert off_topic.passages == tuple(passages)


# Never abstains (gibberish words get a low confidence), so every example is checked.
READER_WITHOUT_READINGS = ExtractiveAnswerer(
    Analyzer(),
    lambda term: 1.0,
    QuestionAnalyzer(),
    readings=lambda ids: {},
    embed_query=lambda text: np.zeros(8, dtype=np.float32),
    settings=AnswerSettings(min_confidence=0.0),
)

words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=9)
sentence_st = st.lists(words, min_size=3, max_size=12).map(
    lambda ws: " ".join(ws).capitalize() + "."
)


@given(
    sentences=st.lists(sentence_st, min_size=1, max_size=12),
    pick=st.integers(0, 11),
    prefix=st.text(alphabet=" \n\t", max_size=3),
)
@settings(max_examples=120, deadline=None)
def test_every_citation_quote_equals_its_span(sentences: list[str], pick: int, prefix: str) -> None:
    text = prefix + "  ".join(sentences)
    start = len(prefix) + 3
    passage = Passage("c", "a", "", "", "s.txt", text[start:], start, len(text), 1.0)
    question = sentences[pick % len(sentences)].rstrip(".") + "?"
    assume(Analyzer().terms(question))  # a question of stop words alone asks nothing
    assume(pick % len(sentences) != 0)  # the first sentence is cut by the passage start
    answer = READER_WITHOUT_READINGS.answer(question, [passage])
    assert not answer.abstained and answer.citations
    for citation in answer.citations:
        assert text[citation.start : citation.end] == citation.quote
