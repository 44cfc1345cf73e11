from eval.subsample import subsample

QUESTIONS = [
    {"id": "q1", "question": "Who?", "answers": ["Adele"], "date": "2022-07-29"},
    {"id": "q2", "question": "What?", "answers": ["Walmart"], "date": "2022-07-28"},
]
ARTICLES = [
    {"id": "late", "date": "2022-08-30", "text": "Adele announced a residency."},
    {"id": "src", "date": "2022/07/20", "text": "Adele will play Las Vegas."},
    *({"id": f"d{i}", "date": "2022-01-01", "text": f"distractor {i}"} for i in range(10)),
]


def test_subsample_keeps_possible_sources_and_fills_up_with_distractors() -> None:
    questions, corpus = subsample(QUESTIONS, ARTICLES, n=1, size=5)
    ids = [a["id"] for a in corpus]
    assert [q["id"] for q in questions] == ["q1"]
    assert ids[0] == "src"  # an article dated after the question cannot be its source
    assert "late" not in ids[:1] and len(ids) == 5
    assert subsample(QUESTIONS, ARTICLES, n=1, size=5)[1] == corpus  # seeded
