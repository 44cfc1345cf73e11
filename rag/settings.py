"""The one settings tree. Read from `RAG_*` environment variables and an optional TOML file.

Flat variables for the common knobs (`RAG_HOME`, `RAG_CHROMA_URL`, `RAG_API_KEY`),
`__` for nested ones (`RAG_RETRIEVAL__TOP_K=8`, `RAG_LLM__BASE_URL=...`), and a
`rag.toml` in the working directory (or the file named by `RAG_SETTINGS_FILE`).
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, get_origin

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from index.errors import InputError
from index.settings import (
    ChunkingSettings,
    DedupSettings,
    EmbeddingSettings,
    IndexSettings,
    IngestSettings,
    NlpSettings,
    StoreSettings,
)
from rag.llm_providers import check_provider

MAX_TOP_K = 50
MAX_QUESTION_CHARS = 2000


class RetrievalSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: Literal["hybrid", "dense", "bm25"] = Field(
        "hybrid", description="Dense (Chroma), BM25, or both fused by reciprocal rank."
    )
    top_k: int = Field(5, ge=1, le=MAX_TOP_K, description="Passages returned per question.")
    candidates: int = Field(
        30, ge=1, le=500, description="Hits taken from each retriever before fusion."
    )
    rrf_k: int = Field(60, ge=1, description="The constant k of reciprocal rank fusion.")
    recency_half_life_days: float = Field(
        14.0,
        gt=0,
        description="Hybrid mode, soft date windows (rag/retrieval/recency.py): an article "
        "this many days outside the window gets half the boost of one inside it. The "
        "windows are a question's time phrase and, for a question asked on a known day "
        "(`until`), the days up to it (`recency`).",
    )
    recency_weight: float = Field(
        0.5,
        ge=0,
        le=10,
        description="Largest boost of a soft date window: fused scores are multiplied by "
        "up to 1 + weight. 0 turns time as a ranking signal off.",
    )
    recency: Literal["dated", "current", "off"] = Field(
        "dated",
        description="Which questions asked on a known day (`until`) rank the newest "
        'articles higher: "dated" every one without a time phrase, "current" only those '
        'about a current state ("How many have died?", "Who leads it now?"). On '
        'realtimeqa-dev (a weekly news quiz) "current" lowered containment from 0.570 '
        "to 0.545 (eval/results/changes/README.md).",
    )
    time_windows: Literal["soft", "hard", "off"] = Field(
        "soft",
        description='A time phrase of the question ("last week", "since March", "in '
        '2022"), read as of the day asked (rag/timewindow.py): "soft" ranks the articles '
        'dated in it higher (recency_weight, recency_half_life_days), "hard" searches '
        'only them, "off" ignores it. The caller\'s since/until always filter. Hard '
        "windows lowered realtimeqa-dev hit@5 from 0.800 to 0.750 "
        "(eval/results/time-windows/).",
    )
    time_window_lag_days: int = Field(
        7,
        ge=0,
        le=366,
        description='Days after a named day, month or year ("on Feb. 2", "in March") '
        "still searched: its news is reported in the days that follow.",
    )
    collapse_duplicates: bool = Field(
        True,
        description="Show one passage per near-duplicate cluster (`dedup`): the earliest "
        "retrieved copy (the longest when equal), its citations listing the others in "
        "`also_in`, so two copies of a wire story never take two passages. Measured "
        "neutral on realtimeqa-dev: eval/results/dedup/README.md.",
    )
    exclude_boilerplate: bool = Field(
        False,
        description="Keep articles flagged as boilerplate (`dedup.boilerplate_titles`) out "
        "of retrieval; they stay stored, listed and citable. Off by default: see "
        "eval/results/dedup/README.md.",
    )

    @field_validator("time_windows", mode="before")
    @classmethod
    def _boolean_time_windows(cls, value: object) -> object:
        """The setting was a boolean before soft windows: true meant the hard window."""
        words = {"true": "hard", "1": "hard", "false": "off", "0": "off"}
        if isinstance(value, bool):
            return "hard" if value else "off"
        return words.get(value.lower(), value) if isinstance(value, str) else value


class SentenceWeights(BaseModel):
    """The reader's sentence score (`rag/answer/extractive.py`): z = bias + Σ
    weight·feature ranks the candidate sentences, the reader model's support logit and
    span score among the retrieval's features. Fitted by logistic regression on held-out
    training questions' sentences (whether each holds a gold answer;
    `python -m eval.fit_reader`); never on the benchmarks."""

    model_config = ConfigDict(extra="forbid")

    bias: float = Field(-5.562, description="Intercept.")
    support: float = Field(0.335, description="The support model's logit for the sentence.")
    span: float = Field(
        0.156, description="The span head's score for its best span in it (-10 to 10)."
    )
    semantic: float = Field(1.534, description="MiniLM cosine of question and sentence.")
    lexical: float = Field(3.751, description="Share of the question's idf-weighted terms.")
    names: float = Field(-0.353, description="Share of the question's names in the passage.")
    numbers: float = Field(0.276, description="Share of the question's numbers in the passage.")
    rank: float = Field(1.678, description="1 / retrieval rank of the sentence's passage.")


class AnswerabilityWeights(BaseModel):
    """Weights of the reader's confidence that its answer is right (`extractive.py`):
    confidence = 1/(1+e^-(bias + Σ weight·feature)) over features of the whole answer.
    Fitted by logistic regression on held-out training questions, answerable and not
    (`python -m eval.fit_reader`, eval/results/README.md); never on the benchmarks."""

    model_config = ConfigDict(extra="forbid")

    bias: float = Field(-6.084, description="Intercept.")
    support: float = Field(0.419, description="The best sentence's support logit (-10 to 10).")
    margin: float = Field(0.433, description="Its lead over the runner-up's score z (at most 5).")
    names_in_sentence: float = Field(
        -1.276, description="Share of the words of the question's names in the best sentence."
    )
    names: float = Field(1.068, description="Share of the words of its names in the passage.")
    numbers: float = Field(1.673, description="Share of the question's numbers in its passage.")
    semantic: float = Field(3.87, description="MiniLM cosine of question and best sentence.")
    lexical: float = Field(3.996, description="Share of the question's idf-weighted terms.")
    passage_coverage: float = Field(
        -1.891, description="Share of the question's idf-weighted terms in the whole passage."
    )
    missing: float = Field(
        -0.991,
        description="The largest share of the question's idf-weighted terms that one term "
        "absent from the passage holds.",
    )
    typed: float = Field(0.009, description="The question asks for a fact type (1 or 0).")
    age: float = Field(
        -4.006,
        description="log(1 + days from the article to the day asked) / log(366); 0 when "
        "either date is unknown.",
    )
    dated: float = Field(
        2.483, description="Both the day asked and the article's date are known (1 or 0)."
    )
    span: float = Field(
        0.233, description="The span head's score for the best span of the quotes (-10 to 10)."
    )


class AnswerSettings(BaseModel):
    """The answerer: extractive (the reader, `rag/answer/extractive.py`: the reader model,
    its support logit and span head, and two logistic models, all fitted on
    `../shared/training/` by `python -m eval.train_reader` and `python -m eval.fit_reader`)
    or an LLM's."""

    model_config = ConfigDict(extra="forbid")

    mode: Literal["extractive", "llm"] = Field(
        "extractive", description="Extractive needs no LLM; llm needs the [llm] settings."
    )
    max_sentences: int = Field(3, ge=1, le=3, description="Sentences in an extractive answer.")
    support_candidates: int = Field(
        24,
        ge=1,
        le=200,
        description="Sentences of the retrieved passages scored by the support model: those "
        "nearest the question (MiniLM cosine plus the share of its terms).",
    )
    min_support: float = Field(
        0.5,
        gt=0.0,
        lt=1.0,
        description="A sentence past the best is quoted when the support model gives it at "
        "least this probability (fitted with classes balanced) of stating the answer.",
    )
    min_confidence: float = Field(
        0.3,
        ge=0.0,
        le=1.0,
        description="The reader abstains when its confidence (the fitted probability that "
        "its answer holds the fact asked for) is below this: the lowest "
        "threshold at which the held-out training news questions that the archive cannot "
        "answer are refused 85% of the time (eval/results/reader-fit/fit.json).",
    )
    min_span_score: float = Field(
        -10.0,
        ge=-10.0,
        le=10.0,
        description="The answer leads with a short answer, the span of its best-scored "
        "quote, when the span head scores it at least this (-10: always). A higher one shows "
        "fewer short answers, hardly surer ones: eval/results/reader-fit/fit.json, "
        "`short_outcomes`.",
    )
    sentence: SentenceWeights = SentenceWeights()
    answerability: AnswerabilityWeights = AnswerabilityWeights()


class LLMSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    provider: str = Field(
        "openai_like",
        description="The llama-index LLM class: openai_like (vLLM, llama.cpp's server, any "
        "OpenAI-compatible endpoint), openai, ollama (extra `ollama`), or any LLM class as "
        "'package.module:Class' (given `options` only).",
    )
    base_url: str | None = Field(
        None, description="The endpoint: …/v1 for openai_like (required), Ollama's URL."
    )
    model: str = Field("local-model", description="Model name sent to the endpoint.")
    api_key: str = Field("not-needed", description="Key sent to the endpoint.")
    timeout_s: float = Field(30.0, gt=0, description="Give up and answer extractively after.")
    options: dict[str, Any] = Field(
        {},
        description="More keyword arguments for the class, as JSON "
        '(`{"context_window": 8192}`); they win over the ones above.',
    )

    @field_validator("provider")
    @classmethod
    def _known_provider(cls, provider: str) -> str:
        return check_provider(provider)


class TimelineSettings(BaseModel):
    """`Assistant.timeline`: a topic's articles in date order, one or two sentences each."""

    model_config = ConfigDict(extra="forbid")

    candidates: int = Field(
        50, ge=1, le=MAX_TOP_K, description="Passages retrieved for a topic before choosing."
    )
    limit: int = Field(20, ge=1, le=MAX_TOP_K, description="Most articles on a timeline.")
    sentences: int = Field(2, ge=1, le=3, description="Key sentences quoted per article.")
    min_coverage: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="Share of the topic's idf-weighted terms a key sentence must hold: an "
        "article that does not name the topic is not on its timeline.",
    )


class ServerSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str = Field("127.0.0.1", description="Address `rag serve` binds to.")
    port: int = Field(7860, ge=1, le=65535, description="Port `rag serve` listens on.")
    max_body_bytes: int = Field(64_000, ge=1024, description="Largest accepted request body.")


class Settings(BaseSettings):
    """Every knob of newsrag.

    >>> Settings(home=Path("/tmp/news")).index_settings().store.home
    PosixPath('/tmp/news')
    """

    model_config = SettingsConfigDict(
        env_prefix="RAG_", env_nested_delimiter="__", extra="forbid", toml_file="rag.toml"
    )

    home: Path = Field(Path(".rag"), description="Folder of the index (catalog, BM25, Chroma).")
    chroma_url: str | None = Field(None, description="Use this Chroma server instead.")
    api_key: str | None = Field(None, description="Bearer key required by /v1 when set.")
    seeds: Path = Field(
        Path("seeds"), description="Corpus `rag serve` keeps the index in step with."
    )
    embedding: EmbeddingSettings = EmbeddingSettings()
    chunking: ChunkingSettings = ChunkingSettings()
    nlp: NlpSettings = NlpSettings()
    ingest: IngestSettings = IngestSettings()
    dedup: DedupSettings = DedupSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    answer: AnswerSettings = AnswerSettings()
    llm: LLMSettings = LLMSettings()
    timeline: TimelineSettings = TimelineSettings()
    server: ServerSettings = ServerSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        check_environment(os.environ)
        toml_file = os.environ.get("RAG_SETTINGS_FILE", "rag.toml")
        return (
            init_settings,
            env_settings,
            TomlConfigSettingsSource(settings_cls, toml_file=toml_file),
        )

    @classmethod
    def variable_names(cls) -> list[str]:
        """Every `RAG_*` variable the tree reads (`RAG_RETRIEVAL__TOP_K`, ...)."""
        return sorted(f"RAG_{path}" for path in _paths(cls))

    def index_settings(self) -> IndexSettings:
        return IndexSettings(
            store=StoreSettings(home=self.home, chroma_url=self.chroma_url),
            ingest=self.ingest,
            embedding=self.embedding,
            chunking=self.chunking,
            nlp=self.nlp,
            dedup=self.dedup,
        )


# Read by newsrag, not settings: the traceback switch and the settings file's name.
OTHER_VARIABLES = frozenset({"RAG_DEBUG", "RAG_SETTINGS_FILE"})


def check_environment(environ: Mapping[str, str]) -> None:
    """`InputError` for a `RAG_*` variable that names no setting: pydantic-settings would
    silently ignore `RAG_TOPK=3`, and the user would never learn it did nothing."""
    known = set(Settings.variable_names())
    for name in sorted(environ):
        upper = name.upper()
        if not upper.startswith("RAG_") or upper in OTHER_VARIABLES or _known(upper, known):
            continue
        hint = _closest(upper, known)
        hint = f"; did you mean {hint}?" if hint else ""
        raise InputError(
            f"unknown setting {name} in the environment{hint} (nested settings take "
            "`__`, e.g. RAG_RETRIEVAL__TOP_K; the README lists them)",
            field=name,
        )


def _closest(name: str, known: set[str]) -> str | None:
    """The setting `name` most likely meant: `RAG_TOPK` -> `RAG_RETRIEVAL__TOP_K`, by
    its last part with the underscores dropped."""
    squashed = name.rsplit("__", 1)[-1].removeprefix("RAG_").replace("_", "")
    leaves: dict[str, list[str]] = {}
    for variable in sorted(known):
        leaf = variable.rsplit("__", 1)[-1].removeprefix("RAG_").replace("_", "")
        leaves.setdefault(leaf, []).append(variable)
    match = difflib.get_close_matches(squashed, list(leaves), n=1, cutoff=0.75)
    if match:  # the one under the same parent, else the shortest
        parent = name.rsplit("__", 1)[0] if "__" in name else ""
        return min(leaves[match[0]], key=lambda v: (not v.startswith(parent), len(v)))
    whole = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.8)
    return whole[0] if whole else None


def _known(name: str, known: set[str]) -> bool:
    """`name` is a setting, or lies inside one that takes free keys (a dict)."""
    return name in known or any(name.startswith(f"{k}__") for k in known if k in _OPEN)


def _paths(model: type[BaseModel], prefix: str = "") -> list[str]:
    paths: list[str] = []
    for field_name, info in model.model_fields.items():
        path = f"{prefix}{field_name.upper()}"
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            paths.append(path)  # a whole nested model may be given as JSON
            paths.extend(_paths(annotation, f"{path}__"))
        else:
            paths.append(path)
            if get_origin(annotation) is dict or annotation is dict:
                _OPEN.add(f"RAG_{path}")
    return paths


_OPEN: set[str] = set()  # settings whose value is a mapping: any key below them is fine
