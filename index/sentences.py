"""Sentence boundaries as character spans (nltk's Punkt, the model llama-index ships)."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import llama_index.core
import nltk
from nltk.tokenize.punkt import PunktTokenizer

# llama-index ships nltk's punkt_tab model: use it so nothing is downloaded at run time.
_BUNDLED_NLTK_DATA = str(Path(llama_index.core.__file__).parent / "_static" / "nltk_cache")

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


def ensure_nltk_data() -> None:
    if _BUNDLED_NLTK_DATA not in nltk.data.path:
        nltk.data.path.append(_BUNDLED_NLTK_DATA)


@lru_cache(maxsize=1)
def _punkt() -> PunktTokenizer:
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
