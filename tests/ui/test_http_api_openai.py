"""The OpenAI-compatible `/v1/chat/completions`, driven by the official `openai` client
over real HTTP on loopback: plain and streamed answers, citations, history, errors."""

from __future__ import annotations

from typing import Any

import openai
import pytest
from fastapi.testclient import TestClient

from rag import Answer, Assistant
from tests.fakes import HashingEmbedder
from tests.ui.http_support import (
    QUESTION,
    LiveServer,
    Serve,
    assert_quotes_are_exact,
    make_app,
    openai_client,
)


def test_openai_client_gets_a_cited_answer(live: LiveServer) -> None:
    completion = openai_client(live).chat.completions.create(
        model="newsrag", messages=[{"role": "user", "content": QUESTION}], temperature=0.2
    )
    content = completion.choices[0].message.content or ""
    assert "85 targets" in content and "[1]" in content
    assert completion.choices[0].finish_reason == "stop"
    citations = (completion.model_extra or {})["citations"]
    assert [c["n"] for c in citations] == list(range(1, len(citations) + 1))
    assert_quotes_are_exact(live.url, citations)
    models = openai_client(live).models.list()
    assert [m.id for m in models.data] == ["newsrag"]


def test_openai_client_streams_the_same_answer(live: LiveServer) -> None:
    client = openai_client(live)
    messages = [{"role": "user", "content": QUESTION}]
    whole: Any = client.chat.completions.create(model="newsrag", messages=messages)  # type: ignore[arg-type]
    chunks: list[Any] = list(
        client.chat.completions.create(model="newsrag", messages=messages, stream=True)  # type: ignore[arg-type]
    )
    assert len(chunks) > 3, "the answer arrives in pieces"
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text == whole.choices[0].message.content
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop"
    assert (last.model_extra or {})["citations"] == (whole.model_extra or {})["citations"]


class RecordingAssistant(Assistant):
    """Remembers the arguments of each `ask`."""

    calls: list[dict[str, Any]]

    def ask(self, question: str, **kwargs: Any) -> Answer:
        self.calls.append({"question": question, **kwargs})
        return super().ask(question, **kwargs)


def test_chat_messages_become_the_question_and_its_history(
    seeded_fake_assistant: Assistant,
) -> None:
    recording = RecordingAssistant(seeded_fake_assistant.settings, embedder=HashingEmbedder())
    recording.calls = []
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": QUESTION},
        {"role": "assistant", "content": "85 targets [1]"},
        {"role": "user", "content": [{"type": "text", "text": "And how many militiamen died?"}]},
    ]
    client = TestClient(make_app(recording, recording.settings))
    body = {"messages": messages, "top_k": 4, "since": "2024-01-01"}
    response = client.post("/v1/chat/completions", json=body)
    assert response.status_code == 200
    [call] = recording.calls
    assert call["question"] == "And how many militiamen died?"
    assert call["history"] == [
        {"role": "user", "content": QUESTION},
        {"role": "assistant", "content": "85 targets [1]"},
    ]
    assert call["top_k"] == 4 and str(call["since"]) == "2024-01-01"
    expected = recording.ask(call["question"], history=call["history"], top_k=4, since="2024-01-01")
    assert response.json()["choices"][0]["message"]["content"].startswith(expected.text)


def test_openai_client_sees_errors_with_their_message(live: LiveServer) -> None:
    with pytest.raises(openai.UnprocessableEntityError, match=r"messages\[1\]\.role"):
        openai_client(live).chat.completions.create(
            model="newsrag",
            messages=[
                {"role": "user", "content": QUESTION},
                {"role": "assistant", "content": "85"},
            ],
        )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"messages": []}, "messages"),
        ({"messages": [{"role": "user", "content": "x" * 2001}]}, "messages[0].content"),
        ({"messages": [{"role": "user", "content": " "}]}, "messages[0].content"),
        ({"messages": [{"role": "wizard", "content": "hi"}]}, "messages[0].role"),
        ({"messages": [{"role": "user", "content": "q"}], "top_k": 99}, "top_k"),
    ],
)
def test_bad_chat_requests_get_422_naming_the_field(
    client: TestClient, body: dict, field: str
) -> None:
    response = client.post("/v1/chat/completions", json=body)
    assert response.status_code == 422
    assert field in response.json()["error"]["message"]


@pytest.mark.slow
def test_real_model_answers_through_the_openai_client(
    real_assistant: Assistant, serve: Serve
) -> None:
    live = serve(make_app(real_assistant, real_assistant.settings))
    completion = openai_client(live).chat.completions.create(
        model="newsrag", messages=[{"role": "user", "content": "Who was killed on January 28?"}]
    )
    content = completion.choices[0].message.content or ""
    assert "three Americans" in content and "[1]" in content
    assert_quotes_are_exact(live.url, (completion.model_extra or {})["citations"])
