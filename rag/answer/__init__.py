"""Answerers: turn a question and retrieved passages into a cited `Answer`."""

from rag.answer.base import Answerer
from rag.answer.extractive import ExtractiveAnswerer

__all__ = ["Answerer", "ExtractiveAnswerer"]
