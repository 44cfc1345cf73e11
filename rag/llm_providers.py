"""Which llama-index LLM class answers, built from `LLMSettings`.

`llm.provider` names a class of llama-index's catalogue that newsrag knows how to
configure from `base_url`, `model`, `api_key` and `timeout_s`, or the import path of any
other llama-index LLM class (`package.module:Class`), which gets `llm.options` only.
`llm.options` (JSON in `RAG_LLM__OPTIONS`) is passed as keyword arguments over the
ones the catalogue sets, so `{"context_window": 8192}` or `{"temperature": 0.2}` reach
the class unchanged.

>>> build_llm(LLMSettings(provider="ollama", model="llama3.2"))  # doctest: +SKIP
Ollama(model='llama3.2', base_url='http://localhost:11434', ...)
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # rag.settings validates `provider` with check_provider
    from rag.settings import LLMSettings

CLASS_PATH = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")
OLLAMA_URL = "http://localhost:11434"


class ProviderUnavailable(Exception):
    """The configured class cannot be built: a missing package, a wrong path or argument."""


@dataclass(frozen=True)
class Provider:
    """A catalogue entry: the class, the extra that installs it, its arguments."""

    path: str  # "module:Class"
    extra: str  # pip install 'newsrag[<extra>]'
    arguments: Callable[[LLMSettings], dict[str, Any]]


def _openai_like(s: LLMSettings) -> dict[str, Any]:
    if not s.base_url:
        raise ProviderUnavailable("openai_like needs llm.base_url (RAG_LLM__BASE_URL)")
    return {
        "model": s.model,
        "api_base": s.base_url,
        "api_key": s.api_key,
        "is_chat_model": True,
        "timeout": s.timeout_s,
        "max_retries": 0,  # a retry would double the wait; the fallback is the retry
        "temperature": 0.0,
    }


def _openai(s: LLMSettings) -> dict[str, Any]:
    base = {"api_base": s.base_url} if s.base_url else {}
    return {
        "model": s.model,
        "api_key": s.api_key,
        "timeout": s.timeout_s,
        "max_retries": 0,
        "temperature": 0.0,
        **base,
    }


def _ollama(s: LLMSettings) -> dict[str, Any]:
    return {
        "model": s.model,
        "base_url": s.base_url or OLLAMA_URL,
        "request_timeout": s.timeout_s,
        "temperature": 0.0,
    }


PROVIDERS: dict[str, Provider] = {
    # vLLM, llama.cpp's server, LM Studio, hosted OpenAI-compatible APIs
    "openai_like": Provider("llama_index.llms.openai_like:OpenAILike", "llm", _openai_like),
    "openai": Provider("llama_index.llms.openai:OpenAI", "llm", _openai),
    "ollama": Provider("llama_index.llms.ollama:Ollama", "ollama", _ollama),
}


def check_provider(provider: str) -> str:
    """`provider` if it is a catalogue name or a `module:Class` path; else a ValueError."""
    if provider in PROVIDERS or CLASS_PATH.match(provider):
        return provider
    names = ", ".join(sorted(PROVIDERS))
    raise ValueError(
        f"unknown LLM provider {provider!r}: use one of {names}, or the import path of a "
        "llama-index LLM class as 'package.module:Class'"
    )


def build_llm(settings: LLMSettings) -> Any:
    """The llama-index LLM `settings` describe; `ProviderUnavailable` says why not."""
    from llama_index.core.llms import LLM

    entry = PROVIDERS.get(settings.provider)
    path = entry.path if entry else settings.provider
    arguments = {**(entry.arguments(settings) if entry else {}), **settings.options}
    module_name, class_name = path.split(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        hint = f"; install it with pip install 'newsrag[{entry.extra}]'" if entry else ""
        raise ProviderUnavailable(f"cannot import {module_name} ({error}){hint}") from error
    cls = getattr(module, class_name, None)
    if not (isinstance(cls, type) and issubclass(cls, LLM)):
        raise ProviderUnavailable(f"{path} is not a llama-index LLM class")
    try:
        return cls(**arguments)
    except Exception as error:  # pydantic's validation error names the bad argument
        raise ProviderUnavailable(f"{path} rejected its arguments: {error}") from error
