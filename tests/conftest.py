"""Shared fixtures: every test's index lives in its own tmp_path; the model is offline."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from rag import Assistant, Settings
from tests.fakes import HashingEmbedder

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SEED_ARTICLE = next(SEEDS.glob("*.txt"))


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's RAG_* variables or rag.toml."""
    for name in list(os.environ):
        if name.startswith("RAG_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("RAG_SETTINGS_FILE", str(tmp_path / "no-such-rag.toml"))


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A private copy of seeds/ that a test may edit."""
    folder = tmp_path / "corpus"
    shutil.copytree(SEEDS, folder)
    return folder


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home")


@pytest.fixture
def fake_assistant(settings: Settings) -> Assistant:
    """An assistant with the hashing embedder: fast, deterministic, no model."""
    return Assistant(settings, embedder=HashingEmbedder())


@pytest.fixture
def seeded_fake_assistant(fake_assistant: Assistant, corpus: Path) -> Assistant:
    fake_assistant.ingest([corpus])
    return fake_assistant


@pytest.fixture(scope="session")
def real_assistant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assistant]:
    """The real all-MiniLM-L6-v2 over seeds/, built once per session."""
    home = tmp_path_factory.mktemp("real-home")
    assistant = Assistant(Settings(home=home))
    assistant.ingest([SEEDS])
    yield assistant
