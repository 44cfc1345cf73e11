"""Sentence-aware chunking sized in the embedding model's word pieces, with exact spans.

Sentences come from Punkt as character spans; consecutive sentences are packed into
a chunk while it stays within the token budget, and a chunk's text is always the
article slice `text[start:end]`, so spans are exact by construction. (llama-index's
`SentenceSplitter` returns strings only, and recovering their place by searching
fails on repeated text.)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from index.sentences import sentence_spans
from index.settings import ChunkingSettings

TokenOffsets = Callable[[str], Sequence[tuple[int, int]]]


@dataclass(frozen=True)
class ChunkSpan:
    """A chunk `text == article[start:end]` and its sentences, as article spans."""

    start: int
    end: int
    text: str
    sentences: tuple[tuple[int, int], ...] = ()


class Chunker:
    """Cut text into chunks of at most `max_tokens` word pieces.

    `token_offsets(text)` returns the character span of each word piece, as a
    Hugging Face fast tokenizer's offset mapping does.
    """

    def __init__(
        self, settings: ChunkingSettings, token_offsets: TokenOffsets, model_max_tokens: int
    ) -> None:
        # MiniLM reads at most 256 word pieces (2 of them [CLS]/[SEP]): a longer chunk
        # would be silently cut, so the budget is capped by what the model reads.
        self.max_tokens = min(settings.chunk_tokens, model_max_tokens)
        self.overlap_tokens = min(settings.overlap_tokens, self.max_tokens // 4)
        self._token_offsets = token_offsets

    def split(self, text: str) -> list[ChunkSpan]:
        units = self._units(text)
        chunks: list[ChunkSpan] = []
        first = 0
        while first < len(units):
            last, used = first, units[first][2]
            while last + 1 < len(units) and used + units[last + 1][2] <= self.max_tokens:
                last += 1
                used += units[last][2]
            start, end = units[first][0], units[last][1]
            sentences = tuple((s, e) for s, e, _ in units[first : last + 1])
            chunks.append(ChunkSpan(start, end, text[start:end], sentences))
            if last + 1 >= len(units):
                break
            first = self._overlap_start(units, first, last)
        return chunks

    def _overlap_start(self, units: list[tuple[int, int, int]], first: int, last: int) -> int:
        """Where the next chunk begins: re-use trailing sentences worth <= overlap tokens."""
        start, kept = last + 1, 0
        while start - 1 > first and kept + units[start - 1][2] <= self.overlap_tokens:
            start -= 1
            kept += units[start][2]
        return start

    def _units(self, text: str) -> list[tuple[int, int, int]]:
        """(start, end, tokens) per sentence; a sentence over budget is cut at word pieces."""
        units: list[tuple[int, int, int]] = []
        for s_start, s_end in sentence_spans(text):
            offsets = self._token_offsets(text[s_start:s_end])
            if len(offsets) <= self.max_tokens:
                units.append((s_start, s_end, len(offsets)))
                continue
            for i in range(0, len(offsets), self.max_tokens):
                window = offsets[i : i + self.max_tokens]
                units.append((s_start + window[0][0], s_start + window[-1][1], len(window)))
        return units
