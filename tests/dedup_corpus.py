"""A made-up archive with duplicates: one wire story in three copies (two outlets and a
longer local rewrite), a cookie notice scraped under three unrelated headlines, and an
unrelated article. The corpus of the near-duplicate and boilerplate tests."""

from __future__ import annotations

import json
from pathlib import Path

_WIRE = (
    "{outlet} - The Kestrel dam breach flooded forty homes on Saturday, {who} said. "
    "Water poured through a crack in the eastern wall of the dam shortly after dawn and "
    "reached the lower streets of Millbrook within an hour. Emergency crews moved three "
    "hundred residents to the sports hall on the hill, where volunteers handed out "
    "blankets and hot food. Engineers had inspected the wall in the autumn and reported "
    "no faults, according to records published by the water board. The board said it "
    "would open an inquiry into the inspection and into the warning system, which sent "
    "its first alert twenty minutes after the water arrived. Farmers downstream said "
    "their fields were under half a metre of water and that the spring planting was "
    "lost. The regional governor visited the town in the afternoon and promised "
    "emergency payments to every household that had to leave its home. Repairs to the "
    "wall are expected to take at least six months, and the reservoir will be kept low "
    "until then."
)
_LOCAL_EXTRA = (
    " Millbrook's mayor thanked the volunteers and asked residents to stay away from "
    "the riverbank until the water board declares the area safe."
)
_COOKIES = (
    "We use cookies and similar technologies to improve your experience, to measure "
    "how our pages are used and to show you personalised advertising. By clicking "
    "accept you agree to the storing of cookies on your device. You can change your "
    "choices at any time in the privacy settings at the bottom of every page. "
    "Subscribe today for unlimited access to every article, our daily newsletter and "
    "the weekend edition, from just one pound a week for the first three months. "
    "Already a subscriber? Sign in to continue reading. Copyright {year} Valley "
    "Media Group. All rights reserved."
)

WIRE = {  # name: (date, title, text)
    "reuters.md": (
        "2024-02-10",
        "Kestrel dam breach floods Millbrook",
        _WIRE.format(outlet="MILLBROOK (Reuters)", who="officials"),
    ),
    "ap.md": (
        "2024-02-11",
        "Kestrel dam breach floods Millbrook homes",
        _WIRE.format(outlet="MILLBROOK (AP)", who="police"),
    ),
    "local.md": (  # as early as Reuters, and longer: the representative
        "2024-02-10",
        "Dam breach floods Millbrook",
        _WIRE.format(outlet="Valley Gazette", who="the fire service") + _LOCAL_EXTRA,
    ),
}
# Near-identical (the copyright year differs), so each is stored: three articles.
COOKIES = {
    "budget.md": ("2024-01-03", "Council sets its budget for the year", "2022"),
    "football.md": ("2024-01-09", "Millbrook Rovers win the cup final", "2023"),
    "weather.md": ("2024-01-15", "Snow expected across the valley", "2024"),
}
OTHER = {
    "ferry.md": (
        "2024-02-07",
        "Harbour ferry strike ends",
        "Ferry crews in Portwick ended their strike after a pay deal on Wednesday. "
        "Sailings resume on Monday, and the operator said timetables would be normal "
        "by the end of the week.",
    ),
}


def write_article(folder: Path, name: str, day: str, title: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(f"date {day}\n# {title}\n{text}\n", encoding="utf-8")
    return path


def write_corpus(folder: Path, *, skip: tuple[str, ...] = ()) -> Path:
    """The whole archive under `folder` (but the files named in `skip`)."""
    for name, (day, title, text) in {**WIRE, **OTHER}.items():
        if name not in skip:
            write_article(folder, name, day, title, text)
    for name, (day, title, year) in COOKIES.items():
        if name not in skip:
            write_article(folder, name, day, title, _COOKIES.format(year=year))
    return folder


def write_exact_cookie_copies(folder: Path) -> Path:
    """The cookie notice, word for word, under three headlines (one .jsonl file, as a
    scraper writes them): the same text, so stored once."""
    folder.mkdir(parents=True, exist_ok=True)
    text = _COOKIES.format(year="2024")
    lines = [
        json.dumps({"id": f"scraped-{n}", "title": title, "date": day, "text": text})
        for n, (day, title, _) in enumerate(COOKIES.values())
    ]
    (folder / "scraped.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def article_id(assistant: object, name: str) -> str:
    """The id of the article read from the file `name`."""
    from rag import Assistant

    assert isinstance(assistant, Assistant)
    page = assistant.articles(limit=50)
    return next(a.id for a in page.articles if a.source.endswith(name))
