"""`GET /v1/articles`, `DELETE /v1/articles/{id}`, and an unknown model on the OpenAI route."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from rag import Assistant
from tests.ui.http_support import QUESTION


def test_the_list_pages_searches_and_filters(client: TestClient) -> None:
    body = client.get("/v1/articles").json()
    assert body["total"] == 1 and body["offset"] == 0 and body["limit"] == 50
    article = body["articles"][0]
    assert article["title"].startswith("The Biden administration")  # untitled: first sentence
    assert article["date"] == "2024-02-10" and article["chunks"] > 0 and article["copies"] == 0
    assert client.get("/v1/articles", params={"q": "airstrikes"}).json()["total"] == 1
    assert client.get("/v1/articles", params={"q": "zeppelin"}).json()["total"] == 0
    assert client.get("/v1/articles", params={"since": "2024-02-11"}).json()["total"] == 0
    assert client.get("/v1/articles", params={"until": "2024-02-10"}).json()["total"] == 1
    assert client.get("/v1/articles", params={"offset": 1}).json()["articles"] == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
        ({"offset": -1}, "offset"),
        ({"sort": "size"}, "sort"),
        ({"since": "yesterday"}, "since"),
        ({"since": "2024-03-01", "until": "2024-02-01"}, "since"),
    ],
)
def test_bad_list_parameters_are_422_naming_the_field(
    client: TestClient, params: dict[str, str | int], field: str
) -> None:
    response = client.get("/v1/articles", params=params)
    assert response.status_code == 422
    assert response.json()["error"]["param"] == field


def test_delete_removes_the_article_from_answers(
    client: TestClient, seeded_fake_assistant: Assistant
) -> None:
    article_id = client.get("/v1/articles").json()["articles"][0]["id"]
    assert client.post("/v1/ask", json={"question": QUESTION}).json()["citations"]

    response = client.delete(f"/v1/articles/{quote(article_id, safe='')}")

    assert response.status_code == 200
    body = response.json()
    assert [a["id"] for a in body["removed"]] == [article_id]
    assert body["files_on_disk"] and body["files_on_disk"][0].endswith(".txt")
    assert client.get(f"/v1/articles/{quote(article_id, safe='')}").status_code == 404
    assert client.get("/v1/articles").json()["total"] == 0
    asked = client.post("/v1/ask", json={"question": QUESTION})
    assert asked.status_code == 503  # nothing left to answer from
    again = client.delete(f"/v1/articles/{quote(article_id, safe='')}")
    assert again.status_code == 404 and again.json()["error"]["param"] == "article_id"


def test_an_unknown_model_is_404_model_not_found_naming_the_real_one(client: TestClient) -> None:
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": QUESTION}]}
    response = client.post("/v1/chat/completions", json=body)
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "model_not_found" and error["param"] == "model"
    assert "'gpt-4o'" in error["message"] and "'newsrag'" in error["message"]
    ok = client.post("/v1/chat/completions", json={**body, "model": "newsrag"})
    assert ok.status_code == 200 and ok.json()["model"] == "newsrag"
