"""The support model: a MiniLM cross-encoder, trained for newsrag, that scores how well a
sentence (shown with its article's title) states the answer to a question.

It ships as package data (`rag/models/support/`: int8 ONNX weights, the tokenizer and a
model card with the files' hashes), was trained by `python -m eval.train_reader` on
`../shared/training/` only, and runs on ONNX Runtime with `tokenizers`: no torch, no
download. Loaded on first use, once per scorer.

    >>> scorer = SupportScorer()
    >>> scorer.logits("Who won?", ["Ann Lee won the race."])  # doctest: +SKIP
    array([2.3], dtype=float32)
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Sequence
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import numpy as np

from rag.errors import InputError

MODEL_FOLDER = Path(__file__).resolve().parent.parent / "models" / "support"
CARD_FILE = "card.json"  # the machine-readable part of the model card: hashes, settings
BATCH = 32


def context_text(title: str, sentence: str, max_chars: int = 400) -> str:
    """What the cross-encoder reads beside the question: 'Title: sentence' (whitespace
    folded, a table-long sentence cut), the same at training and at answer time."""
    sentence = " ".join(sentence.split())[:max_chars]
    return f"{title.strip()}: {sentence}" if title.strip() else sentence


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_card(folder: Path = MODEL_FOLDER) -> dict[str, Any]:
    path = folder / CARD_FILE
    if not path.is_file():
        raise InputError(
            f"the reader's support model is missing: {path} not found; reinstall newsrag "
            "or train it with `python -m eval.train_reader`",
            field="answer.support_model",
        )
    card: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return card


class SupportScorer:
    """Scores (question, context) pairs with the shipped cross-encoder; thread-safe."""

    def __init__(self, folder: Path = MODEL_FOLDER, threads: int | None = None) -> None:
        self._folder = folder
        self._threads = threads
        self._lock = threading.Lock()

    @cached_property
    def card(self) -> dict[str, Any]:
        return read_card(self._folder)

    @cached_property
    def _session(self) -> Any:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        if self._threads is not None:
            options.intra_op_num_threads = self._threads
        path = self._folder / self.card["files"]["model"]["name"]
        return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    @cached_property
    def _tokenizer(self) -> Any:
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(self._folder / self.card["files"]["tokenizer"]["name"]))
        tokenizer.enable_truncation(int(self.card["max_length"]))  # longest first, as trained
        tokenizer.no_padding()
        return tokenizer

    @staticmethod
    @cache
    def shared(folder: Path = MODEL_FOLDER) -> SupportScorer:
        """One scorer per model folder and process: the model is read-only, so every
        `Assistant` of a process (a server, the test suite) shares one session."""
        return SupportScorer(folder)

    def load(self) -> None:
        """Open the model now (a server warms it before the first question)."""
        with self._lock:
            _ = self._session, self._tokenizer

    def logits(self, question: str, contexts: Sequence[str]) -> np.ndarray:
        """One logit per context: log-odds that it states the answer (before calibration)."""
        if not contexts:
            return np.zeros(0, dtype=np.float32)
        with self._lock:
            session, tokenizer = self._session, self._tokenizer
        encodings = tokenizer.encode_batch([(question, c) for c in contexts])
        order = sorted(range(len(contexts)), key=lambda i: len(encodings[i].ids))
        out = np.zeros(len(contexts), dtype=np.float32)
        for start in range(0, len(order), BATCH):
            rows = order[start : start + BATCH]
            width = max(len(encodings[i].ids) for i in rows)
            ids = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros_like(ids)
            types = np.zeros_like(ids)
            for line, i in enumerate(rows):
                n = len(encodings[i].ids)
                ids[line, :n] = encodings[i].ids
                mask[line, :n] = 1
                types[line, :n] = encodings[i].type_ids
            (logits,) = session.run(
                None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
            )
            out[rows] = np.asarray(logits, dtype=np.float32).reshape(len(rows), -1)[:, 0]
        return out
