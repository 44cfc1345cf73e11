"""`rag timeline` and the searched-dates line of `rag ask` (the index uses the fake embedder)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag import Assistant, Settings
from rag.settings import RetrievalSettings
from tests.fakes import HashingEmbedder
from tests.rag.story import write_story
from ui import cli

WINDOWS = RetrievalSettings(time_windows="hard")  # soft by default: only the window searched


@pytest.fixture
def story_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    assistant = Assistant(Settings(home=home, retrieval=WINDOWS), embedder=HashingEmbedder())
    assistant.ingest([write_story(tmp_path / "story")])

    def fake(settings: Settings) -> Assistant:
        assert settings.home == home
        return assistant

    for name in ("_assistant", "_existing_index"):
        if hasattr(cli, name):
            monkeypatch.setattr(cli, name, fake)
    return home


def test_timeline_prints_each_article_by_date_with_its_quoted_spans(
    story_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["--home", str(story_home), "timeline", "Kestrel Valley dam"]) == 0
    out = capsys.readouterr().out
    assert out.startswith('Timeline of "Kestrel Valley dam": 4 articles, 2024-01-05 to 2024-02-08')
    days = ("\n2024-01-05", "\n2024-01-20", "\n2024-02-08", "\nundated")
    order = [out.index(day) for day in days]
    assert order == sorted(order)
    assert "also in: Kestrel dam gets green light 2024-02-09" in out
    assert "[1] Engineers unveiled a plan for the Kestrel Valley dam on Friday. [" in out


def test_timeline_json_since_and_newest_first(
    story_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["timeline", "Kestrel Valley dam", "--since", "2024-01-10", "--newest-first", "--json"]
    assert cli.main(["--home", str(story_home), *args]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [e["date"] for e in data["entries"]] == ["2024-02-08", "2024-01-20"]
    assert data["newest_first"] is True
    assert data["window"]["since"] == "2024-01-10"
    first = data["entries"][0]["sentences"][0]
    assert set(first) >= {"n", "article_id", "quote", "start", "end", "date"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["timeline", " "], "topic is empty"),
        (["timeline", "dam", "--limit", "0"], "limit must be between 1 and 50, got 0"),
        (["timeline", "dam", "--since", "soon"], "since must be a date"),
    ],
)
def test_bad_timeline_input_exits_2_naming_the_value(
    story_home: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert cli.main(["--home", str(story_home), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("rag: error: ") and message in err and err.count("\n") == 1


def test_ask_says_which_dates_it_searched_and_can_search_them_all(
    story_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    question = "What happened with the Kestrel Valley dam last week?"
    home = ["--home", str(story_home)]
    assert cli.main([*home, "ask", question, "--until", "2024-02-10", "--time-window"]) == 0
    out = capsys.readouterr().out
    assert 'Searched articles from 2024-02-03 to 2024-02-10 ("last week").' in out
    assert cli.main([*home, "ask", question, "--until", "2024-02-10", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["window"]["phrase"] == "last week"
    assert cli.main([*home, "ask", question, "--until", "2024-02-10", "--no-time-window"]) == 0
    out = capsys.readouterr().out
    assert "Searched articles up to 2024-02-10." in out and '("last week")' not in out
