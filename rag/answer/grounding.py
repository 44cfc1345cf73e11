"""Check a generated answer against its passages: keep only what the passages say.

An LLM's `[n]` markers are a claim, not a fact. Each sentence of its answer is
matched, in code, to the passage span that supports it: the one to three adjacent
sentences of a passage that contain most of the sentence's idf-weighted terms
(stemmed, stop words dropped) and every number it states. Markers that point to no
passage are discarded; a marker that points to a passage which does not support the
sentence is moved to the one that does; a sentence no passage supports is dropped.
The supporting span is cited, so `article text[start:end] == quote` holds as for the
extractive answerer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from index.keyword import Analyzer
from index.sentences import sentence_spans
from rag.types import Passage

# [1]  [1, 2]  [1][2]  [Passage 3]
_MARKER = re.compile(r"\[\s*(?:passages?\s*)?(\d+(?:\s*[,;]\s*(?:passages?\s*)?\d+)*)\s*\]", re.I)
_LEADING_MARKERS = re.compile(rf"(?:\s*{_MARKER.pattern})+", re.I)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")
_MIN_WEIGHT = 0.05  # every term counts a little, even one found in every chunk
_MAX_SPAN = 3  # sentences one citation may quote
_SPAN_GAIN = 0.15  # quote one more sentence only when it adds this much support
# Framing that states no fact of its own: "According to the passages, Lund argues ...".
_FRAMING_WORDS = (
    "according based passage passages article articles source sources context provided "
    "argue argues argued note notes noted say says said explain explains explained add adds "
    "added claim claims claimed believe believes believed mention mentions mentioned suggest "
    "suggests suggested tell tells told overall summary also however"
)


@dataclass(frozen=True)
class Claim:
    """One sentence of a generated answer, its markers taken out."""

    text: str
    cited: tuple[int, ...]  # the numbers as the model wrote them, valid or not


@dataclass(frozen=True)
class Support:
    """The span of a passage that supports a claim."""

    passage: Passage
    start: int  # in the article
    end: int
    quote: str
    coverage: float  # share of the claim's term weight the quote contains


@dataclass(frozen=True)
class CheckedClaim:
    claim: Claim
    support: Support | None  # None: no passage supports it
    moved: bool  # the model cited a passage, but another one supports the claim


def split_claims(text: str) -> list[Claim]:
    """Sentences of `text` with their `[n]` markers; a marker after a full stop stays put."""
    claims: list[Claim] = []
    for line in text.splitlines():
        line = _BULLET.sub("", line.replace("**", "")).strip()
        if not line:
            continue
        for start, end in sentence_spans(line):
            sentence = line[start:end]
            # "Foo. [2] Bar [3].": Punkt starts the next sentence with the first one's marker.
            leading = _LEADING_MARKERS.match(sentence)
            if leading and claims:
                previous = claims[-1]
                claims[-1] = Claim(previous.text, previous.cited + _marker_numbers(leading[0]))
                sentence = sentence[leading.end() :]
            bare = _clean(_MARKER.sub(" ", sentence))
            if _has_words(bare):
                claims.append(Claim(bare, _marker_numbers(sentence)))
    return claims


class Grounder:
    """Finds the passage span that supports each sentence of a generated answer.

    >>> grounder = Grounder(Analyzer(), idf=lambda term: 1.0)
    >>> [c.support is None for c in grounder.check("Made up. [1]", passages)]  # doctest: +SKIP
    [True]
    """

    def __init__(
        self, analyzer: Analyzer, idf: Callable[[str], float], min_support: float = 0.6
    ) -> None:
        if not 0.0 < min_support <= 1.0:
            raise ValueError(f"min_support must be in (0, 1], got {min_support}")
        self._analyzer = analyzer
        self._idf = idf
        self._min_support = min_support
        self._framing = set(analyzer.terms(_FRAMING_WORDS))

    def check(self, text: str, passages: Sequence[Passage]) -> list[CheckedClaim]:
        sentences = [self._sentences(p) for p in passages]
        checked: list[CheckedClaim] = []
        for claim in split_claims(text):
            weights = {
                t: max(self._idf(t), _MIN_WEIGHT)
                for t in self._analyzer.terms(claim.text)
                if t not in self._framing
            }
            numbers = _numbers(claim.text)
            candidates = [
                support
                for i, passage in enumerate(passages)
                if (support := self._best_span(weights, numbers, passage, sentences[i]))
            ]
            cited = {passages[n - 1].chunk_id for n in claim.cited if 1 <= n <= len(passages)}
            # Keep the model's own choice when it holds; else the best supporting passage.
            candidates.sort(key=lambda s: (s.passage.chunk_id in cited, s.coverage), reverse=True)
            best = candidates[0] if candidates else None
            moved = best is not None and bool(cited) and best.passage.chunk_id not in cited
            checked.append(CheckedClaim(claim, best, moved))
        return checked

    def _sentences(self, passage: Passage) -> list[tuple[int, int, set[str], set[str]]]:
        # The prompt shows each passage's date and title, so their numbers count as stated.
        shown = _numbers(f"{passage.date} {passage.title}")
        return [
            (
                s,
                e,
                set(self._analyzer.terms(passage.text[s:e])),
                shown | _numbers(passage.text[s:e]),
            )
            for s, e in sentence_spans(passage.text)
        ]

    def _best_span(
        self,
        weights: dict[str, float],
        numbers: set[str],
        passage: Passage,
        sentences: list[tuple[int, int, set[str], set[str]]],
    ) -> Support | None:
        total = sum(weights.values())
        if total == 0:
            return None  # nothing checkable: "Sure!", "In summary:"

        def coverage(terms: set[str], found: set[str]) -> float:
            if not numbers <= found:
                return 0.0  # a number the span does not state is not supported by it
            return sum(w for t, w in weights.items() if t in terms) / total

        best: tuple[float, int, int] | None = None
        for i, (start, end, terms, found) in enumerate(sentences):
            # Grow the span while each further sentence adds real support (a claim may
            # merge what a passage says over two or three sentences).
            span = (coverage(terms, found), start, end)
            for _, more_end, more_terms, more_found in sentences[i + 1 : i + _MAX_SPAN]:
                terms, found = terms | more_terms, found | more_found
                wider = coverage(terms, found)
                if wider < span[0] + _SPAN_GAIN:
                    break
                span = (wider, start, more_end)
            # The best-supported span wins; of equals, the shortest quote.
            if best is None or (span[0], best[2] - best[1]) > (best[0], span[2] - span[1]):
                best = span
        if best is None or best[0] < self._min_support:
            return None
        score, start, end = best
        return Support(
            passage,
            passage.start + start,
            passage.start + end,
            passage.text[start:end],
            round(score, 4),
        )


def _marker_numbers(text: str) -> tuple[int, ...]:
    return tuple(int(n) for m in _MARKER.finditer(text) for n in re.findall(r"\d+", m[1]))


def _clean(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return re.sub(r"\s+([.,;:!?])", r"\1", text)


def _has_words(text: str) -> bool:
    return bool(re.search(r"[^\W\d_]{2,}", text))


def _numbers(text: str) -> set[str]:
    return {n.replace(",", "").rstrip(".") for n in _NUMBER.findall(text)}
