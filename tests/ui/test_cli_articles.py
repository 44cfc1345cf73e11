"""`rag articles`, `rag remove`, `rag ingest --readd`, and the messages around them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag import Assistant, Settings
from tests.fakes import HashingEmbedder
from ui import cli

BODIES = {
    "bridge.md": "date 2024-03-01\n\n# Elmsby opens its harbour bridge\n\nThe mayor opened it.\n",
    "storm.txt": "date 2024-03-09\n\nA storm flooded Ostend Bay. Firefighters rescued sixty.\n",
}


@pytest.fixture(autouse=True)
def _hashing_embedder(monkeypatch: pytest.MonkeyPatch) -> None:
    def fake(settings: Settings) -> Assistant:
        return Assistant(settings, embedder=HashingEmbedder())

    monkeypatch.setattr(cli, "_assistant", fake)


@pytest.fixture
def news(tmp_path: Path) -> Path:
    folder = tmp_path / "news"
    folder.mkdir()
    for name, body in BODIES.items():
        (folder / name).write_text(body, encoding="utf-8")
    return folder


def rag(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_list_remove_and_readd(
    tmp_path: Path, news: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = str(tmp_path / "home")
    assert rag(capsys, "--home", home, "ingest", str(news))[0] == 0

    code, out, _ = rag(capsys, "--home", home, "articles")
    assert code == 0 and out.startswith("2 articles match; showing 1-2")
    assert "A storm flooded Ostend Bay." in out  # untitled: its first sentence
    assert "1 chunk)" in out and "1 chunks" not in out
    code, out, _ = rag(capsys, "--home", home, "articles", "harbour")
    assert code == 0 and out.startswith("1 article matches; showing 1-1")
    code, out, _ = rag(capsys, "--home", home, "articles", "harbour", "--json")
    page = json.loads(out)
    assert page["total"] == 1 and page["articles"][0]["title"] == "Elmsby opens its harbour bridge"
    fields = {"id", "title", "date", "source", "chunks", "copies", "chars", "updated", "outlet"}
    assert set(page["articles"][0]) == fields

    code, out, _ = rag(capsys, "--home", home, "remove", str(news / "storm.txt"))
    assert code == 0 and out.startswith("removed 1 article:")
    assert "still on disk" in out and "--readd" in out
    code, out, _ = rag(capsys, "--home", home, "ingest", str(news))
    assert "withheld 1" in out and "--readd adds them again" in out
    assert json.loads(rag(capsys, "--home", home, "articles", "--json")[1])["total"] == 1
    code, out, _ = rag(capsys, "--home", home, "ingest", str(news), "--readd")
    assert code == 0 and out.startswith("added 1,")
    assert json.loads(rag(capsys, "--home", home, "articles", "--json")[1])["total"] == 2


def test_remove_of_an_unknown_id_exits_2_and_removes_nothing(
    tmp_path: Path, news: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = str(tmp_path / "home")
    rag(capsys, "--home", home, "ingest", str(news))
    code, _, err = rag(capsys, "--home", home, "remove", "no-such-id")
    assert code == 2 and "no article with id 'no-such-id'" in err and err.count("\n") == 1
    assert json.loads(rag(capsys, "--home", home, "articles", "--json")[1])["total"] == 2
    code, _, err = rag(capsys, "--home", home, "articles", "--limit", "0")
    assert code == 2 and "limit must be between 1 and 200" in err


def test_prune_names_what_it_removed_and_one_chunk_is_singular(
    tmp_path: Path, news: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = str(tmp_path / "home")
    one = tmp_path / "one.txt"
    one.write_text("date 2024-01-01\n\nShort.\n", encoding="utf-8")
    _, out, _ = rag(capsys, "--home", home, "ingest", str(one))
    assert "(1 chunk embedded)" in out
    rag(capsys, "--home", home, "ingest", str(news))
    storm = json.loads(rag(capsys, "--home", home, "articles", "storm", "--json")[1])
    (news / "storm.txt").unlink()
    _, out, _ = rag(capsys, "--home", home, "ingest", str(news), "--prune")
    assert "removed 1" in out and f"{storm['articles'][0]['id']}: its file is gone" in out


def test_reading_commands_leave_no_index_behind(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for args in (("ask", "Who?"), ("articles",), ("remove", "x")):
        code, _, err = rag(capsys, *args)
        assert code == 1 and "run `rag ingest PATH` first" in err
    assert not (tmp_path / ".rag").exists()


def test_ingest_without_paths_outside_the_repository_says_what_to_pass(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = rag(capsys, "ingest")
    assert code == 2 and "pass the files or folders to ingest" in err
    assert "path does not exist" not in err
