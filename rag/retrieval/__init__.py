"""Retrievers: dense (Chroma), keyword (BM25), their reciprocal-rank fusion, soft date windows."""

from rag.retrieval.base import DateFilter, Retriever
from rag.retrieval.dense import DenseRetriever
from rag.retrieval.hybrid import HybridRetriever
from rag.retrieval.keyword import KeywordRetriever
from rag.retrieval.recency import SoftWindow

__all__ = [
    "DateFilter",
    "DenseRetriever",
    "HybridRetriever",
    "KeywordRetriever",
    "Retriever",
    "SoftWindow",
]
