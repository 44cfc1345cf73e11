"""`llm.provider`: any llama-index LLM class answers, configured by name or import path."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from llama_index.llms.ollama import Ollama
from llama_index.llms.openai import OpenAI
from llama_index.llms.openai_like import OpenAILike
from pydantic import ValidationError

from rag import Assistant, Settings
from rag.answer.llm import LLMAnswerer
from rag.llm_providers import OLLAMA_URL, ProviderUnavailable, build_llm
from rag.settings import LLMSettings
from tests.fakes import HashingEmbedder
from tests.fakes_llm import CannedLLM

QUESTION = "How many targets did U.S. airstrikes hit on Feb. 2?"
CLAIM = "U.S. airstrikes on February 2 hit 85 targets in seven locations in Iraq and Syria"


def test_openai_like_gets_the_endpoint_model_key_and_timeout() -> None:
    settings = LLMSettings(
        base_url="http://127.0.0.1:8080/v1", model="qwen", api_key="k", timeout_s=7.0
    )
    llm = build_llm(settings)
    assert isinstance(llm, OpenAILike)
    assert (llm.api_base, llm.model, llm.api_key, llm.timeout) == (
        "http://127.0.0.1:8080/v1",
        "qwen",
        "k",
        7.0,
    )
    assert llm.is_chat_model and llm.max_retries == 0 and llm.temperature == 0.0


def test_ollama_and_openai_get_their_own_argument_names() -> None:
    ollama = build_llm(LLMSettings(provider="ollama", model="llama3.2", timeout_s=9.0))
    assert isinstance(ollama, Ollama)
    assert (ollama.model, ollama.base_url, ollama.request_timeout) == ("llama3.2", OLLAMA_URL, 9.0)
    openai = build_llm(LLMSettings(provider="openai", model="gpt-4o-mini", api_key="sk-x"))
    assert isinstance(openai, OpenAI)
    assert (openai.model, openai.api_key, openai.max_retries) == ("gpt-4o-mini", "sk-x", 0)


def test_options_reach_the_class_and_win_over_the_defaults(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RAG_LLM__BASE_URL", "http://127.0.0.1:8080/v1")
    monkeypatch.setenv("RAG_LLM__OPTIONS", '{"context_window": 8192, "temperature": 0.3}')
    llm = build_llm(Settings().llm)
    assert (llm.context_window, llm.temperature) == (8192, 0.3)


def test_any_llama_index_llm_class_answers_by_its_import_path(tmp_path: Path, corpus: Path) -> None:
    settings = Settings(
        home=tmp_path / "home",
        answer={"mode": "llm"},
        llm={"provider": "tests.fakes_llm:CannedLLM", "options": {"reply": f"{CLAIM} [1]."}},
    )
    assistant = Assistant(settings, embedder=HashingEmbedder())
    assistant.ingest([corpus])

    answer = assistant.ask(QUESTION)

    assert answer.answered_by == "llm" and not answer.abstained
    assert "85 targets" in answer.text and answer.citations
    for citation in answer.citations:  # checked by the grounder, exact spans
        text = assistant.article(citation.article_id).text
        assert text[citation.start : citation.end] == citation.quote
    answerer = assistant.answerer
    assert isinstance(answerer, LLMAnswerer) and isinstance(answerer.llm, CannedLLM)
    assert QUESTION in answerer.llm.prompts[-1]  # the passages and question were sent


def test_an_unknown_provider_is_a_settings_error_that_lists_the_choices() -> None:
    with pytest.raises(ValidationError, match=r"unknown LLM provider 'gpt'.*ollama, openai"):
        LLMSettings(provider="gpt")


def test_a_missing_package_names_the_extra_that_installs_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "llama_index.llms.ollama", None)  # import fails
    with pytest.raises(ProviderUnavailable, match=r"pip install 'newsrag\[ollama\]'"):
        build_llm(LLMSettings(provider="ollama"))


def test_a_path_to_something_else_than_an_llm_class_is_refused() -> None:
    with pytest.raises(ProviderUnavailable, match="pathlib:Path is not a llama-index LLM"):
        build_llm(LLMSettings(provider="pathlib:Path"))
    with pytest.raises(ProviderUnavailable, match="rejected its arguments"):
        build_llm(LLMSettings(provider="tests.fakes_llm:CannedLLM", options={"reply": [1]}))


def test_an_unbuildable_provider_gives_the_extractive_answer_and_says_why(
    tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "llama_index.llms.ollama", None)
    settings = Settings(home=tmp_path / "home", answer={"mode": "llm"}, llm={"provider": "ollama"})
    assistant = Assistant(settings, embedder=HashingEmbedder())
    assistant.ingest([corpus])

    answer = assistant.ask(QUESTION)

    assert answer.answered_by == "extractive"
    assert "newsrag[ollama]" in answer.notes[-1]
