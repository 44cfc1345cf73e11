"""Unknown `RAG_*` variables fail loudly instead of being ignored."""

from __future__ import annotations

import pytest

from rag import InputError, Settings


@pytest.mark.parametrize(
    ("name", "meant"),
    [
        ("RAG_TOPK", "RAG_RETRIEVAL__TOP_K"),
        ("RAG_RETRIEVAL__TOPK", "RAG_RETRIEVAL__TOP_K"),
        ("RAG_HOMEE", "RAG_HOME"),
        ("RAG_ANSWER__SENTENCE__SEMANTICS", "RAG_ANSWER__SENTENCE__SEMANTIC"),
    ],
)
def test_a_mistyped_variable_is_an_error_naming_it_and_what_was_meant(
    monkeypatch: pytest.MonkeyPatch, name: str, meant: str
) -> None:
    monkeypatch.setenv(name, "3")
    with pytest.raises(InputError) as caught:
        Settings()
    assert caught.value.field == name
    assert f"unknown setting {name}" in str(caught.value)
    assert f"did you mean {meant}?" in str(caught.value)


def test_known_variables_and_newsrag_switches_are_accepted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RAG_RETRIEVAL__TOP_K", "3")
    monkeypatch.setenv("rag_home", "/tmp/elsewhere")  # names are not case sensitive
    monkeypatch.setenv("RAG_ANSWER__SENTENCE__SEMANTIC", "1.5")
    monkeypatch.setenv("RAG_DEBUG", "1")
    settings = Settings()
    assert settings.retrieval.top_k == 3 and str(settings.home) == "/tmp/elsewhere"
    assert settings.answer.sentence.semantic == 1.5


def test_every_documented_variable_is_a_setting() -> None:
    names = Settings.variable_names()
    for documented in ("RAG_HOME", "RAG_CHROMA_URL", "RAG_API_KEY", "RAG_RETRIEVAL__MODE"):
        assert documented in names
