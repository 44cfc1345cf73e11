from rag import Assistant


def test_fake_assistant_answers_with_a_checkable_citation(seeded_fake_assistant: Assistant) -> None:
    answer = seeded_fake_assistant.ask("How many targets did U.S. airstrikes hit on Feb. 2?")
    assert not answer.abstained
    citation = answer.citations[0]
    article = seeded_fake_assistant.article(citation.article_id)
    assert article.text[citation.start : citation.end] == citation.quote
    assert "85 targets" in citation.quote
