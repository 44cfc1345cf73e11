"""newsrag inside stock llama-index engines (issue 24.1): exact spans survive, the
options reach the search, refusals stay refusals. The LLMs are fakes passed as `llm=`."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from pathlib import Path

import pytest
from llama_index.core.base.response.schema import Response
from llama_index.core.chat_engine import CondenseQuestionChatEngine
from llama_index.core.llms import MockLLM
from llama_index.core.query_engine import RetrieverQueryEngine
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from rag import Assistant, InputError, Settings
from rag.integrations.llama_index import (
    NewsragQueryEngine,
    NewsragRetriever,
    passage_from_node,
)
from rag.settings import AnswerabilityWeights, AnswerSettings
from tests.fakes import HashingEmbedder
from tests.fakes_llm import CannedLLM
from tests.rag.story import write_story

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
TARGETS = "How many targets did U.S. airstrikes hit on Feb. 2?"
OFF_TOPIC = "What is the best banana bread recipe?"


def assert_spans_exact(assistant: Assistant, nodes: Sequence[NodeWithScore]) -> None:
    """What a user checks a citation by: the span of the article is the node's text."""
    for hit in nodes:
        meta = hit.node.metadata
        article = assistant.article(meta["article_id"])
        assert article.text[meta["start"] : meta["end"]] == hit.node.get_content()
        assert isinstance(hit.node, TextNode)
        assert (hit.node.start_char_idx, hit.node.end_char_idx) == (meta["start"], meta["end"])
        assert hit.node.ref_doc_id == meta["article_id"]
        assert isinstance(meta["also_in"], list)


@pytest.fixture
def dated_assistant(seeded_fake_assistant: Assistant, tmp_path: Path) -> Assistant:
    """The seeds (2024-02-10) and the dam story (January and February 2024, one undated)."""
    seeded_fake_assistant.ingest([write_story(tmp_path / "story")])
    return seeded_fake_assistant


@pytest.fixture
def refusing_assistant(seeded_fake_assistant: Assistant) -> Assistant:
    """The seeded index read with a hand-set confidence that falls with the share of the
    question's terms found: the shipped answerability weights are not fitted yet (all 0,
    so every confidence is 0.5), and a refusal is what this test is about, not the fit."""
    confidence = AnswerabilityWeights(bias=-3.0, lexical=8.0)
    settings = seeded_fake_assistant.settings.model_copy(
        update={"answer": AnswerSettings(answerability=confidence)}
    )
    return Assistant(settings, embedder=HashingEmbedder())


def test_stock_retriever_query_engine_gets_span_exact_passages(
    seeded_fake_assistant: Assistant,
) -> None:
    retriever = NewsragRetriever(assistant=seeded_fake_assistant, top_k=3)
    engine = RetrieverQueryEngine.from_args(retriever, llm=MockLLM())  # echoes its prompt

    response = engine.query(TARGETS)

    assert isinstance(response, Response)
    assert 0 < len(response.source_nodes) <= 3
    assert_spans_exact(seeded_fake_assistant, response.source_nodes)
    assert any("85 targets" in hit.node.get_content() for hit in response.source_nodes)
    assert "85 targets" in str(response), "the passages reach the LLM's prompt"
    assert "also_in" not in str(response), "offsets and ids stay out of the prompt"
    # The nodes convert back to the passages newsrag's own search returns.
    passages = [passage_from_node(hit) for hit in response.source_nodes]
    assert passages == seeded_fake_assistant.search(TARGETS, top_k=3)


def test_condense_question_chat_engine_answers_a_follow_up_with_citations(
    seeded_fake_assistant: Assistant,
) -> None:
    engine = NewsragQueryEngine(assistant=seeded_fake_assistant)
    llm = CannedLLM(reply=TARGETS)  # the standalone question the condenser writes
    chat = CondenseQuestionChatEngine.from_defaults(query_engine=engine, llm=llm)

    first = chat.chat("Where did the U.S. airstrikes of Feb. 2 hit?")
    follow_up = chat.chat("And how many targets?")

    assert not llm.prompts[:-1], "the first question needs no condensing"
    assert "Where did the U.S. airstrikes of Feb. 2 hit?" in llm.prompts[-1]
    assert first.source_nodes
    response = follow_up.sources[0].raw_output
    assert isinstance(response, Response) and response.metadata is not None
    assert response.metadata["question"] == TARGETS
    assert response.metadata["abstained"] is False
    assert "85 targets" in follow_up.response
    assert follow_up.source_nodes, "the chat response carries the cited passages"
    assert_spans_exact(seeded_fake_assistant, follow_up.source_nodes)
    for hit in follow_up.source_nodes:
        assert f"[{hit.node.metadata['n']}]" in follow_up.response


def test_query_engine_response_carries_the_short_answer_and_confidence(
    seeded_fake_assistant: Assistant,
) -> None:
    response = NewsragQueryEngine(assistant=seeded_fake_assistant).query(TARGETS)

    assert isinstance(response, Response) and response.metadata is not None
    answer = seeded_fake_assistant.ask(TARGETS)
    assert response.response == answer.text
    assert answer.short_answer is not None and "85" in answer.short_answer.text
    assert response.metadata["short_answer"]["text"] == answer.short_answer.text
    assert response.metadata["confidence"] == answer.confidence
    quotes = [(hit.node.get_content(), hit.node.metadata["n"]) for hit in response.source_nodes]
    assert quotes == [(c.quote, c.n) for c in answer.citations]
    assert_spans_exact(seeded_fake_assistant, response.source_nodes)
    engine = NewsragQueryEngine(assistant=seeded_fake_assistant)
    awaited = asyncio.run(engine.aquery(TARGETS))
    assert isinstance(awaited, Response) and awaited.response == answer.text


def test_since_and_until_keep_other_dates_out(dated_assistant: Assistant) -> None:
    question = "Kestrel Valley dam council vote"
    for engine in (
        NewsragRetriever(assistant=dated_assistant, since="2024-02-01", until="2024-02-08"),
        NewsragQueryEngine(assistant=dated_assistant, since="2024-02-01", until="2024-02-08"),
    ):
        nodes = engine.retrieve(QueryBundle(question))
        assert nodes
        assert all("2024-02-01" <= hit.node.metadata["date"] <= "2024-02-08" for hit in nodes)
    everything = NewsragRetriever(assistant=dated_assistant, top_k=10).retrieve(question)
    dates = {hit.node.metadata["date"] for hit in everything}
    assert {"2024-01-05", "2024-02-09", "2024-02-10"} <= dates, "the filter had work to do"

    response = NewsragQueryEngine(
        assistant=dated_assistant, since="2024-02-09", until="2024-02-09"
    ).query("When is construction of the Kestrel Valley dam due to start?")
    assert response.source_nodes
    assert {hit.node.metadata["date"] for hit in response.source_nodes} == {"2024-02-09"}


def test_top_k_caps_the_passages(dated_assistant: Assistant) -> None:
    question = "Kestrel Valley dam"
    assert len(NewsragRetriever(assistant=dated_assistant, top_k=10).retrieve(question)) > 2
    assert len(NewsragRetriever(assistant=dated_assistant, top_k=2).retrieve(question)) == 2
    assert len(NewsragRetriever(assistant=dated_assistant, top_k=1).retrieve(question)) == 1
    retriever = NewsragRetriever(assistant=dated_assistant, top_k=2)
    assert len(asyncio.run(retriever.aretrieve(question))) == 2


def test_time_window_reaches_the_search(dated_assistant: Assistant) -> None:
    question = "Kestrel Valley dam news in January"

    def dates(time_window: bool) -> list[str]:
        retriever = NewsragRetriever(
            assistant=dated_assistant, until="2024-02-10", time_window=time_window
        )
        return [hit.node.metadata["date"] for hit in retriever.retrieve(question)]

    def expected(time_window: bool) -> list[str]:
        passages = dated_assistant.search(question, until="2024-02-10", time_window=time_window)
        return [p.date for p in passages]

    assert dates(True) == expected(True)
    assert dates(False) == expected(False)
    assert dates(True) != dates(False), "the phrase 'in January' narrowed the search"


def test_a_refusal_is_abstained_with_no_source_nodes(refusing_assistant: Assistant) -> None:
    engine = NewsragQueryEngine(assistant=refusing_assistant)

    refused = engine.query(OFF_TOPIC)
    answered = engine.query(TARGETS)

    assert isinstance(refused, Response) and refused.metadata is not None
    assert refused.metadata["abstained"] is True
    assert refused.source_nodes == []
    assert refused.metadata["short_answer"] is None
    assert isinstance(answered, Response) and answered.metadata is not None
    assert answered.metadata["abstained"] is False and answered.source_nodes


def test_constructors_are_cheap_and_check_their_arguments(tmp_path: Path) -> None:
    home = tmp_path / "no-index-yet"
    retriever = NewsragRetriever(home=home, since="2024-01-01")
    NewsragQueryEngine(home=home)
    assert retriever.assistant.settings.home == home
    assert not home.exists(), "building opened nothing"

    assistant = Assistant(Settings(home=home))
    with pytest.raises(InputError, match="top_k must be between 1 and 50, got 0"):
        NewsragRetriever(assistant=assistant, top_k=0)
    with pytest.raises(InputError, match="since must be a date"):
        NewsragQueryEngine(assistant=assistant, since="last Tuesday-ish")
    with pytest.raises(InputError, match="is after until"):
        NewsragRetriever(assistant=assistant, since="2024-03-01", until="2024-02-01")
    with pytest.raises(InputError, match=r"either home= .* or assistant="):
        NewsragRetriever()
    with pytest.raises(InputError, match=r"either home= .* or assistant="):
        NewsragQueryEngine(home=home, assistant=assistant)


def readme_section(title: str) -> str:
    """The README's `## title` section, up to the next `## ` heading."""
    match = re.search(
        rf"^## {re.escape(title)}\n.*?(?=^## |\Z)",
        README.read_text(encoding="utf-8"),
        flags=re.DOTALL | re.MULTILINE,
    )
    assert match, f"README.md has a '## {title}' section"
    return match.group(0)


def python_block(markdown: str) -> str:
    blocks = re.findall(r"```python\n(.*?)```", markdown, flags=re.DOTALL)
    assert len(blocks) == 1, "the section holds one python example"
    return str(blocks[0])


@pytest.mark.slow
def test_the_readme_section_example_runs(
    tmp_path: Path, corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The example as a reader copies it: default settings (the real model), an index
    built in tmp_path in place of `.rag`."""
    section = readme_section("Use from llama-index")
    code = python_block(section)
    assert len(code.strip().splitlines()) <= 10
    assert 'home=".rag"' in code
    home = tmp_path / "index"
    Assistant(Settings(home=home)).ingest([corpus])

    exec(code.replace('home=".rag"', f"home={str(home)!r}"), {})

    printed = capsys.readouterr().out
    assert "85 targets" in printed
    assert "(2024-02-10) [" in printed
