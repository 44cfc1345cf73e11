"""Test doubles: a deterministic embedder for tests where the model is beside the point."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

_WORD = re.compile(r"\S+")


class HashingEmbedder:
    """Bag of lower-cased words hashed into `dims` buckets, unit length. Same text, same vector."""

    def __init__(self, dims: int = 64, max_tokens: int = 254) -> None:
        self._dims = dims
        self._max_tokens = max_tokens
        self.documents_embedded = 0

    @property
    def name(self) -> str:
        return f"fake-hashing-{self._dims}"

    @property
    def max_tokens(self) -> int:
        return self._max_tokens

    def token_offsets(self, text: str) -> Sequence[tuple[int, int]]:
        return [m.span() for m in _WORD.finditer(text)]

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        self.documents_embedded += len(texts)
        return np.stack([self._embed(t) for t in texts]) if texts else np.zeros((0, self._dims))

    def embed_chunks(
        self, texts: Sequence[str], sentences: Sequence[Sequence[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        chunks = self.embed_documents(texts)
        pooled = [
            np.stack([self._embed(text[s:e]) for s, e in spans])
            if spans
            else np.zeros((0, self._dims), dtype=np.float32)
            for text, spans in zip(texts, sentences, strict=True)
        ]
        return chunks, pooled

    def embed_query(self, text: str) -> np.ndarray:
        return self._embed(text)

    def _embed(self, text: str) -> np.ndarray:
        vector = np.zeros(self._dims, dtype=np.float32)
        for word in _WORD.findall(text.lower()):
            bucket = int(hashlib.md5(word.strip(".,;:!?\"'“”").encode()).hexdigest(), 16)
            vector[bucket % self._dims] += 1.0
        norm = float(np.linalg.norm(vector))
        if norm == 0:
            vector[0] = 1.0
            return vector
        return vector / norm
