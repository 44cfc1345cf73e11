"""Per-question metric functions: pure, no model (semantic similarity lives in `semantic`).

Answers are compared after `normalize` (SQuAD style: lower case, no punctuation, no
articles, single spaces), so "The 2,500 troops." contains "2500 Troops".
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Sequence

import numpy as np

_PUNCT = set(string.punctuation) | set("‘’“”–—…")
_ARTICLES = re.compile(r"\b(a|an|the)\b")
HIT_KS = (1, 3, 5, 10)


def normalize(text: str) -> str:
    """Lower case, punctuation and articles removed, whitespace collapsed."""
    text = "".join(" " if ch in _PUNCT else ch for ch in text.lower())
    # A thousands separator becomes a space above; "2 500" and "2500" should still match.
    text = re.sub(r"(?<=\d) (?=\d{3}\b)", "", text)
    return " ".join(_ARTICLES.sub(" ", text).split())


def contains(text: str, needle: str) -> bool:
    """`needle` occurs in `text` after normalising both, on word boundaries."""
    target = normalize(needle)
    return bool(target) and f" {target} " in f" {normalize(text)} "


def contains_any(text: str, needles: Sequence[str]) -> bool:
    return any(contains(text, n) for n in needles)


def targets(answers: Sequence[str], evidence: str | None) -> list[str]:
    """What a supporting passage must contain: the evidence when given, else a gold answer."""
    return [evidence] if evidence else list(answers)


def first_hit_rank(passages: Sequence[str], needles: Sequence[str]) -> int | None:
    """1-based rank of the first passage containing one of `needles`, or None."""
    for rank, text in enumerate(passages, start=1):
        if contains_any(text, needles):
            return rank
    return None


def hit_at(rank: int | None, k: int) -> float:
    return 1.0 if rank is not None and rank <= k else 0.0


def reciprocal_rank(rank: int | None, k: int = 10) -> float:
    return 1.0 / rank if rank is not None and rank <= k else 0.0


def hit_within_words(passages: Sequence[str], needles: Sequence[str], budget: int) -> float:
    """1.0 if the first `budget` words of the ranked passages contain a needle.

    Compares pipelines with different chunk sizes at the same amount of text read.
    """
    words: list[str] = []
    for text in passages:
        words.extend(text.split())
        if len(words) >= budget:
            break
    return 1.0 if contains_any(" ".join(words[:budget]), needles) else 0.0


def token_f1(prediction: str, gold: str) -> float:
    """SQuAD token F1 between two strings."""
    pred, ref = normalize(prediction).split(), normalize(gold).split()
    if not pred or not ref:
        return float(pred == ref)
    common = sum((Counter(pred) & Counter(ref)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


def best_token_f1(prediction: str, golds: Sequence[str]) -> float:
    return max((token_f1(prediction, g) for g in golds), default=0.0)


def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(values, q)) if len(values) else float("nan")


# A sentence ends at . ! or ? before a capital, unless the word is an abbreviation
# ("Feb. 2", "Mr. Lund", "U.S. Central Command").
_SENTENCE_END = re.compile(
    r"(?<![A-Z][a-z]\.)(?<![A-Z][a-z][a-z]\.)(?<!\b[A-Z]\.)(?<=[.!?])[\"'”’)]*\s+(?=[\"“(]?[A-Z])"
)
_STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "to",
        "in",
        "on",
        "at",
        "for",
        "by",
        "with",
        "from",
        "and",
        "or",
        "but",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "what",
        "which",
        "who",
        "whom",
        "whose",
        "when",
        "where",
        "why",
        "how",
        "did",
        "does",
        "do",
        "this",
        "that",
        "these",
        "those",
        "it",
        "its",
        "as",
        "has",
        "have",
        "had",
        "will",
        "would",
        "can",
        "could",
        "about",
        "into",
        "than",
        "then",
    ]
)


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def best_sentence(question: str, passages: Sequence[str]) -> str:
    """The sentence of `passages` sharing the most content words with `question`.

    The baselines have no answerer; this is the answer a reader of their top passages
    would pick by eye, computed without a model. Ties go to the higher-ranked passage.
    """
    terms = {w for w in normalize(question).split() if w not in _STOP}
    best, best_score = "", -1
    for text in passages:
        for sentence in split_sentences(text):
            score = len(terms & set(normalize(sentence).split()))
            if score > best_score:
                best, best_score = sentence, score
    return best
