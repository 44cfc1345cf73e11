"""The report says which threshold the answers were refused below."""

from __future__ import annotations

from eval.report import _answer_settings


def test_a_report_names_the_threshold_of_the_reader_that_answered() -> None:
    learned = {"mode": "extractive", "reader": "learned", "learned": {"min_confidence": 0.2}}
    assert "learned reader) abstaining below 0.2" in _answer_settings({"answer": learned})
    rules = {"mode": "extractive", "reader": "rules", "min_confidence": 0.1}
    assert "abstaining below min_confidence=0.1" in _answer_settings({"answer": rules})
