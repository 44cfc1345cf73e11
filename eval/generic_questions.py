"""Generic questions about news articles, made from training articles for the reader.

Quiz and SQuAD questions each ask one specific fact in the words of its source. Users of
a news archive also ask the open questions its chat suggests: "Who is Michael Knights?"
(answered by an appositive: "Michael Knights, an Iraq expert at the Washington
Institute, said...") and "What happened on January 28?" (answered by a sentence about
that day). A reader trained on quiz questions alone refuses them. Each generic question
here is one (question, positive sentence, answer, negative sentences) example, from a
sentence that states it:

- "Who is NAME?": a person spaCy's NER tags, followed by ", a/an/the ...,", the
  appositive being the answer; negatives are the article's other sentences that name the
  person without saying who they are, then others.
- "What happened on DATE?": a month-and-day date; the first sentence stating it is
  positive (no span: the whole sentence is the answer); sentences with other dates, then
  others, are negatives.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from index.sentences import sentence_spans

_MONTHS = (
    "January|February|March|April|May|June|July|August|September|October|November|December"
    "|Jan\\.|Feb\\.|Aug\\.|Sept\\.|Oct\\.|Nov\\.|Dec\\."
)
_DATE = re.compile(rf"\b(?:{_MONTHS}) \d{{1,2}}\b(?!,? \d{{3}}\b)")
_CLAUSE = re.compile(r"\b(?:is|was|are|were|will|would|has|have|had|said|says)\b")
# Captions, datelines and page furniture, which state dates without an event.
_BOILERPLATE = re.compile(r"^(?:Photos?|Hide Caption|Image)\b|\bUpdated\b|\d:\d\d [ap]\.m\.")
# "NAME, a fellow at Century International," (two or three capitalised words).
_APPOSITIVE = re.compile(
    r"\b([A-Z][a-z]+(?: [A-Z]\.)?(?: [A-Z][a-z'\-]+){1,2}), "  # the name
    r"((?:a|an|the) [^,;()\"“”]{3,90}?)(?:[,;]|(?<![A-Z])\.(?=\s|$))"  # up to "," or "."
)


@dataclass(frozen=True)
class GenericQuestion:
    """One generic question about `article_id`: its positive sentence, the answer's
    character span in it (None: the whole sentence), and negative sentences."""

    question_id: str
    article_id: str
    title: str
    date: str
    question: str
    positive: str
    answer: tuple[int, int] | None
    negatives: tuple[str, ...]
    gold: str  # the string a right answer contains (the appositive, or the date)


@cache
def _people() -> Any:
    from index.nlp import load_pipeline
    from index.settings import NlpSettings

    return load_pipeline(NlpSettings().spacy_model, exclude=("parser", "lemmatizer"))


def _is_person(sentence: str, name: str) -> bool:
    doc = _people()(sentence)
    return any(e.label_ == "PERSON" and e.text == name for e in doc.ents)


def article_questions(article: dict[str, Any], negatives: int) -> Iterator[GenericQuestion]:
    """At most one "Who is" and one "What happened on" question for `article`."""
    text = article.get("text") or ""
    sentences = [" ".join(text[s:e].split()) for s, e in sentence_spans(text)]
    sentences = [s for s in sentences if 40 <= len(s) <= 400 and not _BOILERPLATE.search(s)]
    title, day = article.get("title") or "", article.get("date") or ""
    who = _who_is(sentences, negatives)
    if who is not None:
        yield GenericQuestion(f"generic-who-{article['id']}", article["id"], title, day, *who)
    when = _what_happened(sentences, negatives)
    if when is not None:
        yield GenericQuestion(f"generic-when-{article['id']}", article["id"], title, day, *when)


def _who_is(
    sentences: Sequence[str], negatives: int
) -> tuple[str, str, tuple[int, int], tuple[str, ...], str] | None:
    for sentence in sentences:
        match = _APPOSITIVE.search(sentence)
        if match is None or _CLAUSE.search(match.group(2)):
            continue  # "Spencer J. Cox, the bill would become law": no appositive
        if not _is_person(sentence, match.group(1)):
            continue
        name, surname = match.group(1), match.group(1).split()[-1]
        others = [s for s in sentences if s != sentence]
        naming = [s for s in others if surname in s and not _APPOSITIVE.search(s)]
        rest = [s for s in others if surname not in s]
        chosen = (*naming, *rest)[:negatives]
        question = f"Who is {name}?"
        return question, sentence, match.span(2), tuple(chosen), match.group(2)
    return None


def _what_happened(
    sentences: Sequence[str], negatives: int
) -> tuple[str, str, None, tuple[str, ...], str] | None:
    for sentence in sentences:
        match = _DATE.search(sentence)
        if match is None:
            continue
        day = match.group(0)
        others = [s for s in sentences if day not in s]
        dated = [s for s in others if _DATE.search(s)]
        rest = [s for s in others if not _DATE.search(s)]
        chosen = (*dated, *rest)[:negatives]
        return f"What happened on {day}?", sentence, None, tuple(chosen), day
    return None


def generic_questions(
    articles: Sequence[dict[str, Any]], limit: int, negatives: int, seed: int
) -> list[GenericQuestion]:
    """Up to `limit` generic questions from `articles` taken in a seeded order, half of
    each kind at most; ids `generic-who-ARTICLE` and `generic-when-ARTICLE`."""
    order = list(articles)
    random.Random(seed).shuffle(order)
    kinds: dict[bool, list[GenericQuestion]] = {True: [], False: []}
    for article in order:
        for q in article_questions(article, negatives):
            kind = kinds[q.answer is not None]
            if len(kind) < limit // 2:
                kind.append(q)
        if all(len(kind) >= limit // 2 for kind in kinds.values()):
            break
    return [*kinds[True], *kinds[False]]
