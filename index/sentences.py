"""Sentence boundaries as character spans (nltk's Punkt, the model llama-index ships)."""

from __future__ import annotations

import importlib.util
import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nltk.tokenize.punkt import PunktTokenizer


def _bundled_nltk_data() -> str:
    """llama-index ships nltk's punkt_tab and stop words: use them so nothing is
    downloaded at run time. Found without importing llama_index.core (1.9 s)."""
    spec = importlib.util.find_spec("llama_index.core")
    if spec is None or spec.origin is None:
        return ""
    return str(Path(spec.origin).parent / "_static" / "nltk_cache")


_BUNDLED_NLTK_DATA = _bundled_nltk_data()


def bundled_nltk_file(name: str) -> Path | None:
    """A file of the bundled nltk data (`corpora/stopwords/english`), if it is there."""
    path = Path(_BUNDLED_NLTK_DATA) / name if _BUNDLED_NLTK_DATA else None
    return path if path is not None and path.is_file() else None


_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


def ensure_nltk_data() -> None:
    import nltk  # 0.5-1 s of imports (scipy among them), paid only when text is split

    if _BUNDLED_NLTK_DATA and _BUNDLED_NLTK_DATA not in nltk.data.path:
        nltk.data.path.append(_BUNDLED_NLTK_DATA)


@lru_cache(maxsize=1)
def _punkt() -> PunktTokenizer:
    from nltk.tokenize.punkt import PunktTokenizer

    ensure_nltk_data()
    return PunktTokenizer("english")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences in `text`; paragraph breaks always end a sentence."""
    spans: list[tuple[int, int]] = []
    offset = 0
    for block in _PARAGRAPH_BREAK.split(text):
        start = text.index(block, offset) if block else offset
        spans.extend((start + s, start + e) for s, e in _punkt().span_tokenize(block))
        offset = start + len(block)
    return spans
