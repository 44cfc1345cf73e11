"""Translate between OpenAI's chat-completions format and `Assistant.ask`.

The last message is the question, earlier user/assistant messages are the history.
The reply's content is the answer with its `[n]` markers followed by a short list
of the sources, so a plain chat front end shows where each claim comes from; the
structured citations travel in the extra `citations` field.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator

from rag import Answer, InputError
from rag.assistant import is_text
from rag.settings import MAX_QUESTION_CHARS
from ui.api_models import (
    AssistantMessage,
    ChatCompletion,
    ChatMessage,
    Choice,
    CitationOut,
    Usage,
)


def question_and_history(messages: list[ChatMessage]) -> tuple[str, list[dict[str, str]]]:
    """The question (last message, from the user) and the earlier turns of the chat."""
    last = len(messages) - 1
    if messages[last].role != "user":
        raise InputError(
            f"messages[{last}].role must be 'user' (the last message is the question), "
            f"got {messages[last].role!r}",
            field=f"messages[{last}].role",
        )
    question = messages[last].text()
    if not question.strip():
        raise InputError(f"messages[{last}].content is empty", field=f"messages[{last}].content")
    if not is_text(question):
        raise InputError(
            f"messages[{last}].content holds an invalid character (a lone UTF-16 surrogate)",
            field=f"messages[{last}].content",
        )
    if len(question) > MAX_QUESTION_CHARS:
        raise InputError(
            f"messages[{last}].content is {len(question)} characters long; "
            f"the limit is {MAX_QUESTION_CHARS}",
            field=f"messages[{last}].content",
        )
    history = [
        {"role": m.role, "content": m.text()}
        for m in messages[:last]
        if m.role in ("user", "assistant")
    ]
    return question, history


def reply_text(answer: Answer) -> str:
    searched = f"\n\n({answer.window.text})" if answer.window else ""
    if not answer.citations:
        return answer.text + searched
    sources = [
        f"[{c.n}] {c.title or c.article_id} ({c.date or 'undated'}), {c.source}"
        for c in answer.citations
    ]
    return answer.text + "\n\nSources:\n" + "\n".join(sources) + searched


def _citations(answer: Answer) -> list[CitationOut]:
    return [CitationOut(**c.to_dict()) for c in answer.citations]


def completion(answer: Answer, model: str) -> ChatCompletion:
    content = reply_text(answer)
    prompt_words, reply_words = len(answer.question.split()), len(content.split())
    return ChatCompletion(
        id=_completion_id(),
        created=int(time.time()),
        model=model,
        choices=[Choice(message=AssistantMessage(content=content))],
        # Word counts: nothing here is tokenized, but clients expect the field.
        usage=Usage(
            prompt_tokens=prompt_words,
            completion_tokens=reply_words,
            total_tokens=prompt_words + reply_words,
        ),
        citations=_citations(answer),
        abstained=answer.abstained,
        answer_id=answer.answer_id,
    )


def stream_events(answer: Answer, model: str) -> Iterator[str]:
    """Server-sent events of `chat.completion.chunk`s: role, the text word by word, then
    an empty delta with `finish_reason`, `citations` and `abstained`; then `[DONE]`."""
    base = {
        "id": _completion_id(),
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
    }

    def event(delta: dict[str, str], finish: str | None = None, **extra: object) -> str:
        chunk = {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
        return f"data: {json.dumps({**chunk, **extra}, ensure_ascii=False)}\n\n"

    yield event({"role": "assistant", "content": ""})
    for piece in _pieces(reply_text(answer)):
        yield event({"content": piece})
    citations = [c.model_dump() for c in _citations(answer)]
    yield event(
        {}, "stop", citations=citations, abstained=answer.abstained, answer_id=answer.answer_id
    )
    yield "data: [DONE]\n\n"


def _pieces(text: str) -> Iterator[str]:
    """Words with their following whitespace, so the pieces join back into `text`."""
    start = 0
    for i in range(1, len(text)):
        if text[i - 1].isspace() and not text[i].isspace():
            yield text[start:i]
            start = i
    if start < len(text):
        yield text[start:]


def _completion_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex[:24]}"
