"""News that changes, in every front end: a death toll that rose over three reports and
two same-day magnitudes that differ (articles of eval/dated_corpus), through the CLI
(text, --json, --as-of), the HTTP API and the chat. The reader is the shipped model; the
index uses the fake embedder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from rag import Assistant, Settings
from tests.conftest import ROOT
from tests.fakes import HashingEmbedder
from tests.ui.http_support import make_app
from ui import chat, cli

ARTICLES = ROOT / "eval" / "dated_corpus" / "articles.jsonl"
STORIES = ("varnholt-floods-", "colmere-quake-", "varnholt-cycle-path-")
TOLL = "How many people have died in the Varnholt floods?"
QUAKE = "What was the magnitude of the earthquake near Colmere?"


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    root = tmp_path_factory.mktemp("changes")
    lines = ARTICLES.read_text(encoding="utf-8").splitlines()
    corpus = root / "articles.jsonl"
    corpus.write_text(
        "\n".join(line for line in lines if json.loads(line)["id"].startswith(STORIES)) + "\n",
        encoding="utf-8",
    )
    built = Assistant(Settings(home=root / "home"), embedder=HashingEmbedder())
    built.ingest([corpus])
    return built


@pytest.fixture
def home(assistant: Assistant, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(cli, "_assistant", lambda settings: assistant)
    return Path(assistant.settings.home)


def ask_json(home: Path, capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    assert cli.main(["--home", str(home), "ask", TOLL, "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_the_cli_leads_with_the_newest_toll_and_names_the_earlier_ones(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = ask_json(home, capsys, "--until", "2024-03-08")
    assert [(v["date"], v["value"].split(",")[0]) for v in body["updates"]] == [
        ("2024-03-07", "31"),
        ("2024-03-05", "19"),
        ("2024-03-03", "12"),
    ]
    assert body["conflict"] == []
    assert body["answer"].startswith(body["updates"][0]["value"] + ", as of 7 March 2024 [")
    cited = {c["n"]: c for c in body["citations"]}
    for value in body["updates"]:
        assert cited[value["n"]]["date"] == value["date"]  # each value cites its report
    assert cli.main(["--home", str(home), "ask", TOLL, "--until", "2024-03-08"]) == 0
    text = capsys.readouterr().out
    assert "as of 7 March 2024" in text and "earlier 19, on 5 March 2024" in text


def test_as_of_answers_as_the_archive_stood_that_day(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = ask_json(home, capsys, "--as-of", "2024-03-05")
    assert [v["value"] for v in body["updates"]] == ["19", "12"]
    assert all(p["date"] <= "2024-03-05" for p in body["passages"])
    assert body["window"]["until"] == "2024-03-05"


def test_as_of_and_until_together_are_refused(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--home", str(home), "ask", TOLL, "--as-of", "2024-03-05", "--until", "2024-03-06"]
    assert cli.main(argv) == 2
    assert "--as-of or --until" in capsys.readouterr().err


def test_http_gives_the_updates_and_a_same_day_conflict(assistant: Assistant) -> None:
    client = TestClient(make_app(assistant, assistant.settings))
    toll = client.post("/v1/ask", json={"question": TOLL, "until": "2024-03-08"}).json()
    assert toll["updates"][0]["date"] == "2024-03-07" and toll["conflict"] == []
    quake = client.post("/v1/ask", json={"question": QUAKE, "until": "2024-09-03"}).json()
    assert sorted(v["value"] for v in quake["conflict"]) == ["5.2", "5.6"]
    assert quake["answer"].startswith("Sources differ: ") and quake["updates"] == []
    article = assistant.article(quake["conflict"][0]["article_id"]).text
    value = quake["conflict"][0]
    assert article[value["start"] : value["end"]] == value["value"]


def test_the_chat_shows_the_newest_value_and_the_earlier_ones(assistant: Assistant) -> None:
    session = chat.ChatSession(assistant)
    messages, answers, *_ = list(session.respond(TOLL, [], [], 5, "", "2024-03-08"))[-1]
    content = messages[-1]["content"]
    assert "as of 7 March 2024" in content and "earlier 19, on 5 March 2024" in content
    answer = answers[-1]
    assert answer is not None and answer.updates[0].date == "2024-03-07"
