"""`rag eval`: score the assistant (and the baselines) against a question set, no LLM judge.

The evaluator calls only `rag`'s public API, exactly as a user's code would::

    from eval.runner import evaluate
    results = evaluate(Path("eval/questions/seeds.jsonl"), Settings(), corpus=Path("seeds"))
    results["pipelines"]["newsrag"]["aggregate"]["overall"]["hit@5"]["value"]
"""
