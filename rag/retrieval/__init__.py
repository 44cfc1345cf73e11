"""Retrievers: dense (Chroma), keyword (BM25) and their reciprocal-rank fusion."""

from rag.retrieval.base import DateFilter, Retriever
from rag.retrieval.dense import DenseRetriever
from rag.retrieval.hybrid import HybridRetriever
from rag.retrieval.keyword import KeywordRetriever

__all__ = ["DateFilter", "DenseRetriever", "HybridRetriever", "KeywordRetriever", "Retriever"]
