"""newsrag inside llama-index: its search as a `BaseRetriever`, its answers as a
`BaseQueryEngine`, so stock llama-index engines (`RetrieverQueryEngine`,
`CondenseQuestionChatEngine`, agents' query-engine tools) run over a newsrag index.

Every node keeps newsrag's exact spans: `article(node.metadata["article_id"]).text
[start:end] == node.text`. newsrag values become llama-index values in one place, the
conversion functions below (`passage_node`, `citation_node`, `answer_response`, and back,
`passage_from_node`); nothing else here builds a node.

>>> retriever = NewsragRetriever(home=Path(".rag"), top_k=3)  # doctest: +SKIP
>>> engine = RetrieverQueryEngine.from_args(retriever, llm=my_llm)  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from llama_index.core.base.base_query_engine import BaseQueryEngine
from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.base.response.schema import Response
from llama_index.core.callbacks import CallbackManager
from llama_index.core.prompts.mixin import PromptMixinType
from llama_index.core.schema import (
    NodeRelationship,
    NodeWithScore,
    QueryBundle,
    RelatedNodeInfo,
    TextNode,
)

from rag.assistant import Assistant, parse_date_arg, validate_top_k
from rag.errors import InputError
from rag.settings import Settings
from rag.types import Answer, ArticleRef, Citation, Passage

# Kept out of the text an LLM or an embedder sees: offsets and ids are for checking
# and linking, and would only spend the prompt (title, date and source stay in it).
_HIDDEN_KEYS = ["article_id", "start", "end", "also_in", "n"]


# --- conversions: the only place newsrag values become llama-index values ------------
def passage_node(passage: Passage) -> NodeWithScore:
    """A retrieved passage as a node: text the passage, metadata as `Passage.to_dict`
    gives it (article_id, title, date, source, start, end, also_in), id its chunk's."""
    metadata = {k: v for k, v in passage.to_dict().items() if k not in ("text", "score")}
    return _node(passage.chunk_id, passage.text, metadata, passage.score)


def citation_node(citation: Citation) -> NodeWithScore:
    """A cited sentence as a node: text the quote, metadata its span and `[n]` marker."""
    metadata = {k: v for k, v in citation.to_dict().items() if k not in ("quote", "score")}
    node_id = f"{citation.article_id}:{citation.start}-{citation.end}"
    return _node(node_id, citation.quote, metadata, citation.score)


def _node(node_id: str, text: str, metadata: dict[str, Any], score: float) -> NodeWithScore:
    node = TextNode(
        id_=node_id,
        text=text,
        metadata=metadata,
        start_char_idx=metadata["start"],
        end_char_idx=metadata["end"],
        # The article is the node's source document: `node.ref_doc_id` is its id.
        relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=metadata["article_id"])},
        excluded_llm_metadata_keys=[k for k in _HIDDEN_KEYS if k in metadata],
        excluded_embed_metadata_keys=[k for k in _HIDDEN_KEYS if k in metadata],
    )
    return NodeWithScore(node=node, score=score)


def passage_from_node(hit: NodeWithScore) -> Passage:
    """The `Passage` a node of `passage_node` was made from (a stock engine's
    `response.source_nodes` back to newsrag's type)."""
    meta = hit.node.metadata
    try:
        return Passage(
            chunk_id=hit.node.node_id,
            article_id=meta["article_id"],
            title=meta["title"],
            date=meta["date"],
            source=meta["source"],
            text=hit.node.get_content(),
            start=meta["start"],
            end=meta["end"],
            score=hit.get_score(),
            also_in=tuple(ArticleRef(**ref) for ref in meta.get("also_in", ())),
        )
    except (KeyError, TypeError) as error:
        raise InputError(
            f"node {hit.node.node_id!r} is not a newsrag passage (metadata {sorted(meta)})",
            field="node",
        ) from error


def answer_response(answer: Answer) -> Response:
    """An answer as a llama-index `Response`: its text, its citations as source nodes,
    and the rest of `Answer.to_dict` as metadata (abstained, short_answer, confidence,
    answer_type, window, notes, answer_id, ...)."""
    metadata = {
        k: v for k, v in answer.to_dict().items() if k not in ("answer", "citations", "passages")
    }
    nodes = [citation_node(c) for c in answer.citations]
    return Response(response=answer.text, source_nodes=nodes, metadata=metadata)


# --- the options both adapters pass through to the assistant --------------------------
@dataclass(frozen=True)
class SearchOptions:
    """What `Assistant.search` / `Assistant.ask` are called with, checked up front so a
    bad value fails when the retriever is built, not at its first question."""

    top_k: int | None = None
    since: date | str | None = None
    until: date | str | None = None
    time_window: bool | None = None

    def __post_init__(self) -> None:
        if self.top_k is not None:
            validate_top_k(self.top_k)
        first, last = parse_date_arg(self.since, "since"), parse_date_arg(self.until, "until")
        if first and last and first > last:
            raise InputError(f"since ({first}) is after until ({last})", field="since")

    def kwargs(self) -> dict[str, Any]:
        return {
            "top_k": self.top_k,
            "since": self.since,
            "until": self.until,
            "time_window": self.time_window,
        }


def _assistant(home: Path | str | None, assistant: Assistant | None) -> Assistant:
    """The given assistant, or one over the index in `home` (cheap: nothing opens yet)."""
    if assistant is not None and home is None:
        return assistant
    if assistant is None and home is not None:
        return Assistant(Settings(home=Path(home)))
    raise InputError("give either home= (an index folder) or assistant=, not both or none")


# --- the adapters -----------------------------------------------------------------------
class NewsragRetriever(BaseRetriever):
    """newsrag's retrieval as a llama-index retriever; nodes are passages with exact spans.

    >>> retriever = NewsragRetriever(home=".rag", top_k=3, since="2024-01-01")  # doctest: +SKIP
    >>> hit = retriever.retrieve("Who is Aron Lund?")[0]  # doctest: +SKIP
    >>> m = hit.node.metadata  # doctest: +SKIP
    >>> retriever.assistant.article(m["article_id"]).text[m["start"]:m["end"]]  # doctest: +SKIP
    """

    def __init__(
        self,
        *,
        home: Path | str | None = None,
        assistant: Assistant | None = None,
        top_k: int | None = None,
        since: date | str | None = None,
        until: date | str | None = None,
        time_window: bool | None = None,
        callback_manager: CallbackManager | None = None,
    ) -> None:
        self.options = SearchOptions(top_k, since, until, time_window)
        self.assistant = _assistant(home, assistant)
        super().__init__(callback_manager=callback_manager)

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        passages = self.assistant.search(query_bundle.query_str, **self.options.kwargs())
        return [passage_node(p) for p in passages]

    async def _aretrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        # The search embeds and reads stores: off the event loop.
        return await asyncio.to_thread(self._retrieve, query_bundle)


class NewsragQueryEngine(BaseQueryEngine):
    """newsrag's answers as a llama-index query engine: `query()` returns a `Response`
    whose text is the answer, `metadata["abstained"]` True for a refusal, and whose
    `source_nodes` are the cited sentences (text the quote, metadata its span and n).

    >>> engine = NewsragQueryEngine(home=".rag", until="2024-02-10")  # doctest: +SKIP
    >>> response = engine.query("Who is Aron Lund?")  # doctest: +SKIP
    >>> response.metadata["abstained"]  # doctest: +SKIP
    >>> response.source_nodes[0].node.metadata["n"]  # doctest: +SKIP
    """

    def __init__(
        self,
        *,
        home: Path | str | None = None,
        assistant: Assistant | None = None,
        top_k: int | None = None,
        since: date | str | None = None,
        until: date | str | None = None,
        time_window: bool | None = None,
        callback_manager: CallbackManager | None = None,
    ) -> None:
        self.retriever = NewsragRetriever(
            home=home,
            assistant=assistant,
            top_k=top_k,
            since=since,
            until=until,
            time_window=time_window,
            callback_manager=callback_manager,
        )
        self.assistant = self.retriever.assistant
        super().__init__(callback_manager=callback_manager)

    def _get_prompt_modules(self) -> PromptMixinType:
        return {}  # newsrag's answerer keeps its own prompts

    def retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        """The passages a query would be answered from (as `NewsragRetriever` gives them)."""
        return self.retriever.retrieve(query_bundle)

    def _query(self, query_bundle: QueryBundle) -> Response:
        options = self.retriever.options.kwargs()
        return answer_response(self.assistant.ask(query_bundle.query_str, **options))

    async def _aquery(self, query_bundle: QueryBundle) -> Response:
        return await asyncio.to_thread(self._query, query_bundle)
