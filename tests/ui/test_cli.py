"""The `rag` command: exit codes, one-line errors, the --json shape."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, SEEDS


def rag(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env["RAG_SETTINGS_FILE"] = str(home / "none.toml")
    return subprocess.run(
        [sys.executable, "-m", "ui.cli", "--home", str(home), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,
    )


def test_help_lists_the_commands(tmp_path: Path) -> None:
    result = rag("--help", home=tmp_path)
    assert result.returncode == 0
    for command in ("ingest", "ask", "status", "serve", "eval"):
        assert command in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("ask", "  "), "question is empty"),
        (("ask", "ok?", "--top-k", "0"), "top_k must be between 1 and 50, got 0"),
        (("ask", "ok?", "--since", "yesterday"), "since must be a date"),
        (("ingest", "no/such/dir"), "path does not exist: no/such/dir"),
        (("eval", "q.jsonl", "--corpus", "c.jsonl"), "give --corpus"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    result = rag(*args, home=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert message in result.stderr


@pytest.mark.parametrize("args", [("status",), ("status", "--json")])
def test_a_reader_that_stops_early_ends_the_command_quietly(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    """`rag status | head -2`: the pipe is closed before `rag` writes to it."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env["RAG_SETTINGS_FILE"] = str(tmp_path / "none.toml")
    with os.fdopen(write_end, "wb") as stdout:
        result = subprocess.run(
            [sys.executable, "-m", "ui.cli", "--home", str(tmp_path), *args],
            stdout=stdout,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env=env,
            timeout=300,
        )
    assert result.returncode in (0, 141)  # 141: as a command killed by SIGPIPE
    assert "error" not in result.stderr.lower(), result.stderr


def test_home_after_the_command_wins_over_the_one_before(tmp_path: Path) -> None:
    other = tmp_path / "other"
    result = rag("status", "--json", "--home", str(other), home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["home"] == str(other)


def test_asking_an_empty_index_fails_with_advice(tmp_path: Path) -> None:
    result = rag("ask", "Who is Aron Lund?", home=tmp_path)
    assert result.returncode == 1
    assert "run `rag ingest PATH` first" in result.stderr


@pytest.mark.slow
def test_ingest_ask_json_and_status_with_the_real_model(tmp_path: Path) -> None:
    ingest = rag("ingest", str(SEEDS), home=tmp_path)
    assert ingest.returncode == 0, ingest.stderr
    assert "added 1" in ingest.stdout
    # stderr is a pipe here: progress comes as plain lines, not a redrawn bar.
    assert "embedding: 100%" in ingest.stderr and "\r" not in ingest.stderr

    asked = rag("ask", "How many targets did the airstrikes hit?", "--json", home=tmp_path)
    assert asked.returncode == 0, asked.stderr
    payload = json.loads(asked.stdout)  # exactly one JSON object
    assert set(payload) >= {
        "question",
        "answer",
        "abstained",
        "citations",
        "passages",
        "timings_ms",
    }
    citation = payload["citations"][0]
    assert set(citation) >= {"n", "article_id", "title", "date", "source", "quote", "start", "end"}
    article_text = SEEDS.joinpath(Path(citation["source"]).name).read_text()
    assert citation["quote"] in article_text
    assert "85 targets" in payload["answer"]

    status = json.loads(rag("status", "--json", home=tmp_path).stdout)
    assert status["articles"] == 1 and status["chunks"] >= 1
    assert status["date_from"] == "2024-02-10"


def test_a_failure_below_the_api_is_one_line_unless_debugging(tmp_path: Path) -> None:
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / "catalog.sqlite").write_bytes(b"this is not a database" * 100)
    result = rag("status", home=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and "Traceback" not in result.stderr
    assert "DatabaseError" in result.stderr and "RAG_DEBUG=1" in result.stderr
    env_debug = {**os.environ, "RAG_DEBUG": "1", "RAG_SETTINGS_FILE": str(tmp_path / "x.toml")}
    debug = subprocess.run(
        [sys.executable, "-m", "ui.cli", "--home", str(tmp_path), "status"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env_debug,
        timeout=300,
    )
    assert debug.returncode == 1 and "Traceback" in debug.stderr
