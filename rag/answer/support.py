"""The reader model: MiniLM, trained for newsrag, reading a question and one sentence
(shown with its article's title). Its two heads, from one pass:

- a support logit: how well the sentence states the answer (a cross-encoder's score);
- a span head (start and end logits per word piece, trained on sentences that hold the
  answer): where in the sentence the answer is, if it holds one.

It ships as package data (`rag/models/support/`: int8 ONNX weights, the tokenizer and a
model card with the files' hashes), was trained by `python -m eval.train_reader` on
`../shared/training/` only, and runs on ONNX Runtime with `tokenizers`: no torch, no
download. Loaded on first use, once per scorer.

    >>> scorer = SupportScorer()
    >>> scorer.logits("Who won?", ["Ann Lee won the race."])  # doctest: +SKIP
    array([2.3], dtype=float32)
    >>> scorer.read("Who won?", [("Results", "Ann Lee won the race.")])  # doctest: +SKIP
    [Reading(logit=2.3, span=Span(start=0, end=7, score=6.1))]
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Callable, Sequence
from functools import cache, cached_property
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from rag.errors import InputError

MODEL_FOLDER = Path(__file__).resolve().parent.parent / "models" / "support"
CARD_FILE = "card.json"  # the machine-readable part of the model card: hashes, settings
BATCH = 8  # sentences per run: length-sorted, so less padding than one batch of all
MAX_SPAN_TOKENS = 16  # the longest short answer, in word pieces
SPANS_TRIED = 20  # best spans per sentence tried against `keep` before giving up
_WORD = re.compile(r"\S+")


class Span(NamedTuple):
    """The span head's answer in a sentence, `sentence[start:end]`, and its score: the
    mean of its start and end logits (the higher, the surer the head)."""

    start: int
    end: int
    score: float


class Reading(NamedTuple):
    """The model's reading of one sentence: its support logit and its best span."""

    logit: float
    span: Span | None


def context_text(title: str, sentence: str, max_chars: int = 400) -> str:
    """What the model reads beside the question: 'Title: sentence' (whitespace folded, a
    table-long sentence cut), the same at training and at answer time."""
    return context_map(title, sentence, max_chars)[0]


def context_map(title: str, sentence: str, max_chars: int = 400) -> tuple[str, list[int]]:
    """`context_text` and, for each of its characters, its index in `sentence` (-1 in
    the title), so that a span the model reads maps back to the sentence."""
    folded: list[str] = []
    where: list[int] = []
    for match in _WORD.finditer(sentence):
        if folded:
            folded.append(" ")
            where.append(where[-1] + 1)
        folded.extend(match.group())
        where.extend(range(match.start(), match.end()))
    text, where = "".join(folded)[:max_chars], where[:max_chars]
    if not title.strip():
        return text, where
    prefix = f"{title.strip()}: "
    return prefix + text, [-1] * len(prefix) + where


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
        return np.array([logit for logit, _, _ in self._run(question, contexts, spans=False)])

    def read(
        self,
        question: str,
        sentences: Sequence[tuple[str, str]],
        keep: Callable[[str], bool] = lambda text: True,
    ) -> list[Reading]:
        """Read each (title, sentence): its support logit and the best span of the
        sentence (never of the title) whose text `keep` accepts."""
        maps = [context_map(title, sentence) for title, sentence in sentences]
        readings = []
        for (_, sentence), (_, where), (logit, start, end) in zip(
            sentences, maps, self._run(question, [c for c, _ in maps], spans=True), strict=True
        ):
            readings.append(Reading(logit, _best_span(start, end, sentence, where, keep)))
        return readings

    def _run(
        self, question: str, contexts: Sequence[str], *, spans: bool
    ) -> list[tuple[float, list[tuple[float, int, int]], list[float]]]:
        """Per context: the support logit and, with `spans`, the start and end logits of
        each word piece of the context, with its character offsets."""
        if not contexts:
            return []
        with self._lock:
            session, tokenizer = self._session, self._tokenizer
        encodings = tokenizer.encode_batch([(question, c) for c in contexts])
        order = sorted(range(len(contexts)), key=lambda i: len(encodings[i].ids))
        out: list[Any] = [None] * len(contexts)
        outputs = ["logits", "start", "end"] if spans else ["logits"]
        for first in range(0, len(order), BATCH):
            rows = order[first : first + BATCH]
            width = max(len(encodings[i].ids) for i in rows)
            ids = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros_like(ids)
            types = np.zeros_like(ids)
            for line, i in enumerate(rows):
                n = len(encodings[i].ids)
                ids[line, :n] = encodings[i].ids
                mask[line, :n] = 1
                types[line, :n] = encodings[i].type_ids
            results = session.run(
                outputs, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
            )
            logits = np.asarray(results[0], dtype=np.float32).reshape(len(rows), -1)[:, 0]
            for line, i in enumerate(rows):
                if not spans:
                    out[i] = (float(logits[line]), [], [])
                    continue
                enc = encodings[i]
                pieces = [k for k, s in enumerate(enc.sequence_ids) if s == 1]
                starts = [(float(results[1][line, k]), *enc.offsets[k]) for k in pieces]
                ends = [float(results[2][line, k]) for k in pieces]
                out[i] = (float(logits[line]), starts, ends)
        return out


def _best_span(
    starts: Sequence[tuple[float, int, int]],
    ends: Sequence[float],
    sentence: str,
    where: Sequence[int],
    keep: Callable[[str], bool],
) -> Span | None:
    """The best-scoring span (start logit + end logit, at most `MAX_SPAN_TOKENS` word
    pieces) inside the sentence that `keep` accepts, mapped back to the sentence."""
    if not starts:
        return None
    s = np.array([v for v, _, _ in starts])
    e = np.array(ends)
    n = len(s)
    grid = s[:, None] + e[None, :]
    i, j = np.indices((n, n))
    grid[(j < i) | (j - i >= MAX_SPAN_TOKENS)] = -np.inf
    for flat in np.argsort(grid, axis=None)[::-1][:SPANS_TRIED]:
        a, b = divmod(int(flat), n)
        if not np.isfinite(grid[a, b]):
            break
        first, last = starts[a][1], starts[b][2]
        if where[first] < 0 or last <= first:
            continue  # in the title
        begin, end = where[first], where[last - 1] + 1
        if keep(sentence[begin:end]):
            return Span(begin, end, float(grid[a, b]) / 2)
    return None
