"""A few dated articles about one invented story (the Kestrel Valley dam), a wire copy of
one of them under another headline, an undated background piece and a distractor: the
corpus of the time-window and timeline tests."""

from __future__ import annotations

from pathlib import Path

STORY = {
    "plan.md": (
        "2024-01-05",
        "Kestrel Valley dam plan unveiled",
        "Engineers unveiled a plan for the Kestrel Valley dam on Friday. "
        "The Kestrel Valley dam would hold 40 million cubic metres of water.",
    ),
    "protest.md": (
        "2024-01-20",
        "Farmers march against the dam",
        "Hundreds of farmers marched against the Kestrel Valley dam on Saturday. "
        "They fear its reservoir will flood their fields.",
    ),
    "vote.md": (
        "2024-02-08",
        "Council approves the Kestrel Valley dam",
        "The regional council approved the Kestrel Valley dam by nine votes to four. "
        "Construction of the Kestrel Valley dam is due to start in May.",
    ),
    # The same wire story a day later under another headline, with its own dateline.
    "vote-copy.md": (
        "2024-02-09",
        "Kestrel dam gets green light",
        "VALLEY NEWS SERVICE. "
        "The regional council approved the Kestrel Valley dam by nine votes to four. "
        "Construction of the Kestrel Valley dam is due to start in May.",
    ),
    "ferry.md": (
        "2024-02-07",
        "Harbour ferry strike ends",
        "Ferry crews in Portwick ended their strike after a pay deal on Wednesday. "
        "Sailings resume on Monday.",
    ),
}
UNDATED = (
    "history.md",
    "A history of the valley",
    "The Kestrel Valley dam was first proposed by surveyors a century ago.",
)


def write_story(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, (day, title, text) in STORY.items():
        (folder / name).write_text(f"date {day}\n# {title}\n{text}\n", encoding="utf-8")
    name, title, text = UNDATED
    (folder / name).write_text(f"# {title}\n{text}\n", encoding="utf-8")
    return folder
