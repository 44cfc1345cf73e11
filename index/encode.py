"""The encode step of an ingest: a batch of chunked articles becomes chunk vectors and
`ChunkReading`s (sentences, entities, sentence vectors), in article offsets.

`LocalEncoder` runs it in this process; `index.ray_ingest.RayEncoder` runs the same
`encode_batch` on a Ray cluster. Both take the batches the ingest formed and yield one
`EncodedBatch` per batch, in order: with int8 weights ONNX Runtime quantises each
encode call's activations with scales of that call's whole input, so a chunk's vector
depends on the chunks encoded beside it, and only the same batches give the same index.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np

from index.catalog import ChunkReading
from index.chunking import ChunkSpan
from index.embedding import Embedder
from index.nlp import EntityRecognizer, EntitySpan

Advance = Callable[[int], None]  # told how many more chunks are encoded


@dataclass(frozen=True)
class ArticleChunks:
    """What the encode step reads of an article: its chunks, and its text from `offset`
    on (a part of a long article carries only the stretch its chunks cover)."""

    text: str
    spans: Sequence[ChunkSpan]
    offset: int = 0


@dataclass(frozen=True)
class EncodedBatch:
    """One row of `vectors` and one reading per chunk of the batch, in batch order."""

    vectors: np.ndarray
    readings: list[ChunkReading]


class BatchEncoder(Protocol):
    """Encodes ingest batches; yields one `EncodedBatch` per batch, in the batches' order."""

    def encode(
        self, batches: Iterable[Sequence[ArticleChunks]], slice_chunks: int, advance: Advance
    ) -> Iterator[EncodedBatch]: ...


class LocalEncoder:
    """The encode step in this process, with the index's own embedder and recognizer."""

    def __init__(self, embedder: Embedder, recognizer: EntityRecognizer) -> None:
        self._embedder = embedder
        self._recognizer = recognizer

    def encode(
        self, batches: Iterable[Sequence[ArticleChunks]], slice_chunks: int, advance: Advance
    ) -> Iterator[EncodedBatch]:
        for batch in batches:
            yield encode_batch(self._embedder, self._recognizer, batch, slice_chunks, advance)


def encode_batch(
    embedder: Embedder,
    recognizer: EntityRecognizer,
    batch: Sequence[ArticleChunks],
    slice_chunks: int,
    advance: Advance,
) -> EncodedBatch:
    """Chunk vectors, and each chunk's `ChunkReading` with every span in article offsets.

    Embedded `slice_chunks` chunks at a time, each slice reported to `advance`: a batch
    is whole articles, so one long article would otherwise show no progress at all."""
    spans = [span for item in batch for span in item.spans]
    local = [[(s - span.start, e - span.start) for s, e in span.sentences] for span in spans]
    # The NER (spaCy, mostly holding the GIL) runs beside the encode (ONNX Runtime or
    # torch, which release it): on two cores the two overlap.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ner") as pool:
        entities_of_batch = pool.submit(_entities, recognizer, batch)
        embeddings, sentence_vectors = _embed(embedder, spans, local, slice_chunks, advance)
        entities = entities_of_batch.result()
    readings = [
        ChunkReading(
            span.sentences,
            tuple(e for e in found if e.start >= span.start and e.end <= span.end),
            vectors,
        )
        for span, found, vectors in zip(
            spans,
            (found for item, found in zip(batch, entities, strict=True) for _ in item.spans),
            sentence_vectors,
            strict=True,
        )
    ]
    return EncodedBatch(embeddings, readings)


def _embed(
    embedder: Embedder,
    spans: list[ChunkSpan],
    local: list[list[tuple[int, int]]],
    slice_chunks: int,
    advance: Advance,
) -> tuple[np.ndarray, list[np.ndarray]]:
    """The chunk vectors and sentence vectors, `slice_chunks` chunks at a time."""
    slices: list[np.ndarray] = []
    sentence_vectors: list[np.ndarray] = []
    for start in range(0, len(spans), slice_chunks):
        part = spans[start : start + slice_chunks]
        vectors, sentences = embedder.embed_chunks(
            [s.text for s in part], local[start : start + slice_chunks]
        )
        slices.append(vectors)
        sentence_vectors.extend(sentences)
        advance(len(part))
    embeddings = np.concatenate(slices) if slices else np.zeros((0, 0), dtype=np.float32)
    return embeddings, sentence_vectors


def _entities(
    recognizer: EntityRecognizer, batch: Sequence[ArticleChunks]
) -> list[list[EntitySpan]]:
    """Each article's entities in article offsets, each stretch of text read once.

    The NER reads an article as the pieces between consecutive chunk starts: they tile
    the article without the chunks' overlap (the overlap was 12 % of the NER's time) and
    stay chunk-sized, so one huge article never becomes one huge spaCy document.
    """
    pieces: list[tuple[int, int]] = []  # (article number in batch, piece start)
    texts: list[str] = []
    for number, item in enumerate(batch):
        starts = [span.start for span in item.spans]
        ends = [*starts[1:], item.spans[-1].end] if item.spans else []
        for start, end in zip(starts, ends, strict=True):
            if end > start:
                pieces.append((number, start))
                texts.append(item.text[start - item.offset : end - item.offset])
    found: list[list[EntitySpan]] = [[] for _ in batch]
    for (number, offset), entities in zip(pieces, recognizer.entities(texts), strict=True):
        found[number].extend(
            replace(e, start=e.start + offset, end=e.end + offset) for e in entities
        )
    return found
