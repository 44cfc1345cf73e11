"""`POST /v1/feedback` on answers of `/v1/ask` and `/v1/chat/completions`, and
`rag feedback export` / `stats`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from eval.questions import load_questions
from rag import Assistant, Settings
from tests.fakes import HashingEmbedder
from tests.ui.http_support import QUESTION
from ui import cli


def test_feedback_on_ask_and_chat_answers_is_stored_and_exported(
    client: TestClient,
    seeded_fake_assistant: Assistant,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked = client.post("/v1/ask", json={"question": QUESTION}).json()
    given = client.post(
        "/v1/feedback",
        json={"answer_id": asked["answer_id"], "rating": "down", "correct_answer": "86 targets"},
    )
    assert given.status_code == 200 and given.json()["rating"] == "down"
    chatted = client.post(
        "/v1/chat/completions",
        json={"model": "newsrag", "messages": [{"role": "user", "content": "Who is Aron Lund?"}]},
    ).json()
    assert chatted["answer_id"].startswith("ans-")
    up = client.post("/v1/feedback", json={"answer_id": chatted["answer_id"], "rating": "up"})
    assert up.status_code == 200

    monkeypatch.setattr(
        cli, "_assistant", lambda settings: Assistant(settings, embedder=HashingEmbedder())
    )
    home = str(seeded_fake_assistant.settings.home)
    out = tmp_path / "feedback.jsonl"
    assert cli.main(["--home", home, "feedback", "export", "--out", str(out)]) == 0
    assert "wrote 2 questions" in capsys.readouterr().out
    questions = load_questions(out)
    assert questions[0].answers == ("86 targets",)
    assert cli.main(["--home", home, "feedback", "stats", "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["up"] == 1 and stats["down"] == 1 and stats["exportable"] == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"answer_id": "ans-nope", "rating": "up"}, "answer_id"),
        ({"answer_id": "x", "rating": "sideways"}, "rating"),
        ({"rating": "up"}, "answer_id"),
        ({"answer_id": "x", "rating": "up", "extra": 1}, "extra"),
    ],
)
def test_bad_feedback_is_422_naming_the_field(
    client: TestClient, body: dict[str, object], field: str
) -> None:
    response = client.post("/v1/feedback", json=body)
    assert response.status_code == 422
    assert response.json()["error"]["param"] == field


def test_export_to_a_missing_folder_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    Assistant(Settings(home=home), embedder=HashingEmbedder()).index.close()
    out = tmp_path / "no" / "such" / "f.jsonl"
    code = cli.main(["--home", str(home), "feedback", "export", "--out", str(out)])
    assert code == 2 and "does not exist" in capsys.readouterr().err
