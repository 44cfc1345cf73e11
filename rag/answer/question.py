"""What a question asks for, read from spaCy's parse: the expected answer type and the
question's own constraints (the names and numbers an answer must be about).

"How many targets did U.S. airstrikes hit on Feb. 2?" asks for a number (focus
"targets") and constrains the answer to "U.S." and "Feb. 2"; "Which publication did
Joel Wing write for?" asks for an organisation; "Who is Aron Lund?" names its subject
and asks for a description, so it expects no entity type.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from index.nlp import load_pipeline
from index.settings import NlpSettings

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc, Span, Token

# Answer type -> the spaCy entity labels that can fill it, best first.
TYPE_LABELS: dict[str, tuple[str, ...]] = {
    "person": ("PERSON",),
    "organization": ("ORG",),
    "place": ("GPE", "LOC", "FAC", "ORG"),
    "where": ("GPE", "LOC", "FAC", "ORG"),  # "where does she work?" is answered by an employer
    "date": ("DATE", "TIME"),
    "duration": ("DATE", "TIME", "QUANTITY"),
    "number": ("CARDINAL", "QUANTITY", "MONEY", "PERCENT"),
    "amount": ("MONEY", "CARDINAL", "QUANTITY"),
    "percent": ("PERCENT", "CARDINAL"),
    "title": ("WORK_OF_ART", "ORG", "PRODUCT", "EVENT"),
    "product": ("PRODUCT", "ORG", "WORK_OF_ART"),
    "event": ("EVENT",),
    "law": ("LAW",),
    "language": ("LANGUAGE", "NORP"),
    "group": ("NORP", "ORG"),
    "who": ("PERSON", "ORG", "NORP", "GPE"),
}


def _lexicon(**types: str) -> dict[str, str]:
    return {word: answer_type for answer_type, words in types.items() for word in words.split()}


# The focus noun of "which X" / "what X" / "the name of the X" -> answer type.
FOCUS_TYPES = _lexicon(
    person="""person man woman leader president minister official author writer actor actress
        singer star celebrity player athlete ceo executive founder director judge senator
        governor mayor candidate winner artist musician rapper comedian host journalist
        reporter analyst expert spokesman spokeswoman spokesperson commander general king
        queen prince princess pope chancellor premier lawmaker politician billionaire
        businessman businesswoman coach scientist doctor officer victim suspect son daughter
        wife husband fellow chief chairman chairwoman secretary boss manager owner
        entrepreneur investor filmmaker producer designer model astronaut rapper quarterback""",
    organization="""company firm organization organisation group team club party agency
        publication newspaper magazine network channel broadcaster bank university school
        college airline brand retailer automaker maker manufacturer carrier institution
        institute union militia charity court outlet website startup studio label band blog
        platform service store chain insurer lender department ministry""",
    place="""country nation state city town capital region province county island place
        location area continent village neighborhood neighbourhood site territory airport
        base port street river lake mountain sea ocean""",
    date="year date day month decade century season weekday",
    title="book film movie show series song album novel play title program programme painting",
    product="product car vehicle drug vaccine device phone aircraft plane jet ship weapon app",
    event="event war storm hurricane tournament championship festival election",
    law="law bill act treaty",
    language="language",
    group="nationality religion ethnicity",
    amount="price cost sum fine salary value worth fee budget amount",
    percent="percentage percent share rate",
    number="number total",
)

_HOW_TYPES = {
    "many": "number",
    "much": "amount",
    "long": "duration",
    "old": "number",
    "far": "number",
    "big": "number",
    "large": "number",
    "tall": "number",
    "often": "number",
}
TIME_UNITS = frozenset(
    [
        "second",
        "minute",
        "hour",
        "day",
        "week",
        "month",
        "year",
        "decade",
        "century",
        "season",
        "term",
    ]
)
# Entities that name a question's subject, so an answer must be about them.
_CONSTRAINT_LABELS = frozenset(
    [
        "PERSON",
        "ORG",
        "GPE",
        "LOC",
        "FAC",
        "NORP",
        "EVENT",
        "WORK_OF_ART",
        "PRODUCT",
        "LAW",
        "LANGUAGE",
    ]
)
PARSES_KEPT = 32  # questions whose parse is kept for the next caller
_DIGITS = re.compile(r"\d[\d,.]*(?:st|nd|rd|th)?")


@dataclass(frozen=True)
class QuestionAnalysis:
    """The expected answer type (None: a why / how / what-happened question, answered with
    sentences), its entity labels, and the names and numbers it gives."""

    answer_type: str | None
    labels: tuple[str, ...]
    names: tuple[str, ...]
    numbers: tuple[str, ...]


class QuestionAnalyzer:
    """Parses questions with the full spaCy pipeline, loaded on first use, once."""

    def __init__(self, settings: NlpSettings | None = None) -> None:
        self._settings = settings or NlpSettings()
        self._nlp: Language | None = None
        self._lock = threading.Lock()
        self._parsed: dict[str, Doc] = {}

    def _pipeline(self) -> Language:
        with self._lock:
            if self._nlp is None:
                self._nlp = load_pipeline(self._settings.spacy_model)
            return self._nlp

    def parse(self, question: str) -> Doc:
        """spaCy's parse of `question`; the last few are kept, so that the time window
        (`rag.timewindow`) and the reader share one parse of each question."""
        with self._lock:
            doc = self._parsed.get(question)
        if doc is None:
            doc = self._pipeline()(question)
            with self._lock:
                self._parsed[question] = doc
                while len(self._parsed) > PARSES_KEPT:
                    del self._parsed[next(iter(self._parsed))]
        return doc

    def parse_sentence(self, sentence: str) -> Doc:
        """The dependency parse of an article sentence, without entities (half the
        time of `parse`; `rag.answer.changes` reads what a number counts from it)."""
        return self._pipeline()(sentence, disable=["ner"])

    def analyze(self, question: str) -> QuestionAnalysis:
        doc = self.parse(question)
        answer_type = _answer_type(doc)
        names = tuple(
            dict.fromkeys(
                _without_determiner(e) for e in doc.ents if e.label_ in _CONSTRAINT_LABELS
            )
        )
        numbers = tuple(dict.fromkeys(m.group(0).rstrip(".,") for m in _DIGITS.finditer(question)))
        return QuestionAnalysis(
            answer_type=answer_type,
            labels=TYPE_LABELS.get(answer_type, ()) if answer_type else (),
            names=names,
            numbers=numbers,
        )


def _answer_type(doc: Doc) -> str | None:
    """The answer type from the question's wh-word and the noun it governs (its focus)."""
    wh = next((t for t in doc if t.tag_ in ("WDT", "WP", "WP$", "WRB")), None)
    if wh is None:
        return None
    word = wh.lower_
    if word == "how":
        nxt = doc[wh.i + 1] if wh.i + 1 < len(doc) else None
        if nxt is not None and nxt.lower_ in _HOW_TYPES:
            focus = nxt.head if nxt.head.pos_ == "NOUN" else None
            lemma = focus.lemma_.lower() if focus is not None else None
            if lemma in TIME_UNITS:  # "how many years": a duration ("27 years"), a DATE
                return "duration"
            return _HOW_TYPES[nxt.lower_]
        return None
    if word == "when":
        return "date"
    if word == "where":
        return "where"
    if word in ("who", "whom", "whose"):
        if _asks_who_someone_is(doc, wh):
            return None
        role = _role_asked(wh)  # "Who is the prime minister of Iraq?" asks for a person
        if role is not None and role.lemma_.lower() in FOCUS_TYPES:
            return FOCUS_TYPES[role.lemma_.lower()]
        return "who"
    if word in ("what", "which"):
        focus = _focus_noun(doc, wh)
        if focus is None:
            return None
        lemma = focus.lemma_.lower()
        return FOCUS_TYPES.get(lemma)
    return None


def _asks_who_someone_is(doc: Doc, wh: Token) -> bool:
    """'Who is Aron Lund?' names its subject: it asks what the person is, not for a name."""
    root = wh.head
    if root.lemma_ != "be":
        return False
    subjects = [t for t in root.children if t.dep_ in ("nsubj", "attr") and t.i != wh.i]
    return any(t.pos_ == "PROPN" or t.ent_type_ in ("PERSON", "ORG") for t in subjects)


def _copula_nouns(wh: Token, deps: tuple[str, ...]) -> list[Token]:
    """The common nouns that a copula links to the wh-word ("What is the capital ...",
    "Who is the commander ..."); none when its head is another verb."""
    root = wh.head
    if root.lemma_ != "be":
        return []
    return [t for t in root.children if t.dep_ in deps and t.i != wh.i and t.pos_ == "NOUN"]


def _role_asked(wh: Token) -> Token | None:
    """'Who is the commander of ...' -> commander."""
    nouns = _copula_nouns(wh, ("nsubj", "attr"))
    return nouns[0] if nouns else None


def _without_determiner(entity: Span) -> str:
    """'the Boston Marathon' -> 'Boston Marathon': a name's words, not its article."""
    leading = next((i for i, t in enumerate(entity) if t.pos_ != "DET"), len(entity))
    return entity[leading:].text if leading < len(entity) else entity.text


def _noun_after(doc: Doc, wh: Token) -> Token | None:
    """'Which embattled celebrity ...' (parsed with 'which' as the subject) -> celebrity."""
    for token in doc[wh.i + 1 : wh.i + 4]:
        if token.pos_ == "NOUN":
            return token
        if token.pos_ not in ("ADJ", "VERB", "ADV", "PROPN") or token.dep_ not in (
            "amod",
            "compound",
            "advmod",
        ):
            return None
    return None


def _focus_noun(doc: Doc, wh: Token) -> Token | None:
    """'Which publication ...' -> publication; 'What is the name of the blog ...' -> blog."""
    following = _noun_after(doc, wh)
    if wh.dep_ == "det" and wh.head.pos_ in ("NOUN", "PROPN"):
        noun = wh.head
    elif following is not None:
        noun = following
    else:
        # "What is the capital of ...": the noun that the copula links to the wh-word;
        # "What did the mayor promise?" asks for no kind of mayor.
        candidates = _copula_nouns(wh, ("nsubj", "attr", "nsubjpass"))
        if not candidates:
            return None
        noun = candidates[0]
    if noun.lemma_.lower() in ("name", "title", "kind", "type", "sort"):
        of = [c for c in noun.children if c.dep_ == "prep" and c.lower_ == "of"]
        objects = [g for c in of for g in c.children if g.dep_ == "pobj"]
        if objects:
            inner = objects[0]
            if noun.lemma_.lower() in ("name", "title") and inner.lemma_.lower() not in FOCUS_TYPES:
                return noun if noun.lemma_.lower() == "title" else inner
            return inner
    return noun
