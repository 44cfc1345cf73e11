"""`POST /v1/timeline` and the searched window of `POST /v1/ask`, on the story corpus."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from rag import Assistant, Settings
from rag.settings import RetrievalSettings
from tests.fakes import HashingEmbedder
from tests.rag.story import write_story
from tests.ui.http_support import make_app
from ui.openai_chat import reply_text

QUESTION = "What happened with the Kestrel Valley dam last week?"

WINDOWS = RetrievalSettings(time_windows="hard")  # soft by default: only the window searched


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    root = tmp_path_factory.mktemp("http-timeline")
    assistant = Assistant(
        Settings(home=root / "home", retrieval=WINDOWS), embedder=HashingEmbedder()
    )
    assistant.ingest([write_story(root / "story")])
    return assistant


@pytest.fixture
def client(story: Assistant) -> TestClient:
    return TestClient(make_app(story, story.settings))


def test_timeline_over_http_lists_articles_by_date_with_citations(
    client: TestClient, story: Assistant
) -> None:
    response = client.post("/v1/timeline", json={"topic": "Kestrel Valley dam"})
    assert response.status_code == 200
    body = response.json()
    assert [e["date"] for e in body["entries"]] == ["2024-01-05", "2024-01-20", "2024-02-08", ""]
    assert (body["date_from"], body["date_to"]) == ("2024-01-05", "2024-02-08")
    assert body["entries"][2]["also_in"][0]["title"] == "Kestrel dam gets green light"
    for entry in body["entries"]:
        text = story.article(entry["article_id"]).text
        for c in entry["sentences"]:
            assert text[c["start"] : c["end"]] == c["quote"]


def test_whats_new_over_http(client: TestClient) -> None:
    body = client.post(
        "/v1/timeline",
        json={"topic": "Kestrel Valley dam", "since": "2024-01-10", "newest_first": True},
    ).json()
    assert [e["date"] for e in body["entries"]] == ["2024-02-08", "2024-01-20"]
    assert body["window"]["since"] == "2024-01-10"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "topic"),
        ({"topic": " "}, "topic"),
        ({"topic": "dam", "limit": 0}, "limit"),
        ({"topic": "dam", "limit": "5"}, "limit"),
        ({"topic": "dam", "since": "soon"}, "since"),
        ({"topic": "dam", "colour": "red"}, "colour"),
    ],
)
def test_bad_timeline_requests_get_422_naming_the_field(
    client: TestClient, body: dict, field: str
) -> None:
    response = client.post("/v1/timeline", json=body)
    assert response.status_code == 422
    assert field in response.json()["error"]["param"]


def test_ask_over_http_says_which_window_it_searched(client: TestClient) -> None:
    body = client.post("/v1/ask", json={"question": QUESTION, "until": "2024-02-10"}).json()
    assert body["window"] == {
        "since": "2024-02-03",
        "until": "2024-02-10",
        "phrase": "last week",
        "soft": False,
        "text": 'searched articles from 2024-02-03 to 2024-02-10 ("last week")',
    }
    assert all(p["date"] >= "2024-02-03" for p in body["passages"])
    off = {"question": QUESTION, "until": "2024-02-10", "time_window": False}
    body = client.post("/v1/ask", json=off).json()
    assert body["window"]["phrase"] is None
    assert any(p["date"] < "2024-02-03" for p in body["passages"])


def test_the_openai_reply_says_which_window_it_searched(story: Assistant) -> None:
    answer = story.ask(QUESTION, until="2024-02-10")
    assert reply_text(answer).endswith('("last week"))')
