"""Generic questions ("Who is NAME?", "What happened on DATE?") made from an article: the
sentence stating the answer is positive, the answer span is the appositive, and the
negatives neither state it nor are page furniture."""

from __future__ import annotations

from eval.generic_questions import article_questions, generic_questions

TEXT = (
    "Photos: Mourners gathered in Dunholt on January 28, 2024.\n\n"
    "Three soldiers were killed in a drone attack on January 28 near the border.\n\n"
    "Attacks have declined since then, Michael Knights, an expert at the Washington "
    "Institute, told reporters on Monday.\n\n"
    "Knights said the strikes on February 2 were meant to deter the militias.\n\n"
    "Spencer J. Cox, the bill would become law in May, according to the governor's office.\n\n"
    "The militias have not claimed the attack, which was the deadliest in years."
)
ARTICLE = {"id": "a1", "title": "Drone attack", "date": "2024-02-10", "text": TEXT}


def test_who_is_asks_about_a_person_and_its_answer_is_the_appositive() -> None:
    who = next(q for q in article_questions(ARTICLE, 3) if q.question.startswith("Who"))
    assert who.question == "Who is Michael Knights?"
    assert who.answer is not None
    assert who.positive[who.answer[0] : who.answer[1]] == "an expert at the Washington Institute"
    assert who.gold == "an expert at the Washington Institute"
    # A sentence naming him without saying who he is comes first among the negatives.
    assert who.negatives[0].startswith("Knights said")
    assert all("an expert" not in n for n in who.negatives)


def test_what_happened_on_a_day_quotes_the_sentence_of_that_day_not_a_caption() -> None:
    when = next(q for q in article_questions(ARTICLE, 2) if q.question.startswith("What"))
    assert when.question == "What happened on January 28?"
    assert when.positive.startswith("Three soldiers were killed")
    assert when.answer is None and when.gold == "January 28"
    assert len(when.negatives) == 2
    assert all("January 28" not in n for n in when.negatives)
    assert "February 2" in when.negatives[0]  # another day's sentence is the hard negative


def test_a_clause_after_a_name_is_no_appositive() -> None:
    article = {"id": "a2", "title": "", "date": "", "text": TEXT.split("\n\n")[4]}
    assert list(article_questions(article, 2)) == []


def test_generic_questions_are_seeded_and_split_between_the_kinds() -> None:
    articles = [{**ARTICLE, "id": f"a{i}"} for i in range(6)]
    first = generic_questions(articles, 4, 2, seed=3)
    assert first == generic_questions(articles, 4, 2, seed=3)
    assert [q.question.split()[0] for q in first] == ["Who", "Who", "What", "What"]
    assert len({q.question_id for q in first}) == 4
