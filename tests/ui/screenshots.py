"""Regenerate the chat's screenshots in docs/screenshots/: `make screenshots`.

Serves the seeds article and a short invented story (tests/rag/story.py) with the real
model on a free loopback port, drives headless Chromium through every view of the chat
and saves one PNG per view:

- chat.png: an answer, its Sources and its first cited article;
- timeline.png: the Timeline tab, a [n] opened in the Article panel;
- articles.png: the Articles tab, listed on open;
- corpus.png: an upload and its report.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from playwright.sync_api import Browser, sync_playwright

from rag import Assistant, Settings
from tests.conftest import SEEDS
from tests.rag.story import write_story
from tests.ui.browser import ChatPage, launch
from tests.ui.server import running_app

VIEWS = ("chat.png", "timeline.png", "articles.png", "corpus.png")
UPLOAD = (
    "date 2024-03-05\n# Otter crosses the lake\n\n"
    "An otter named Bob swam 12 miles across Lake Tahoe on Monday, rangers said.\n"
)


def take(out: Path, browser: Browser | None = None) -> list[Path]:
    """Write every view's screenshot under `out` (with `browser`, or a Chromium of its
    own); returns their paths."""
    if browser is None:
        with sync_playwright() as playwright:
            own = launch(playwright)
            try:
                return take(out, own)
            finally:
                own.close()
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="newsrag-shots-") as work:
        root = Path(work)
        shutil.copytree(SEEDS, root / "corpus")
        write_story(root / "corpus" / "kestrel")
        upload = root / "otter.md"
        upload.write_text(UPLOAD, encoding="utf-8")
        assistant = Assistant(Settings(home=root / "home"))
        assistant.ingest([root / "corpus"])
        with running_app(assistant) as url:
            chat = ChatPage.open(browser, url)
            try:
                _views(chat, out, upload)
            finally:
                chat.page.close()
    return [out / name for name in VIEWS]


def _views(chat: ChatPage, out: Path, upload: Path) -> None:
    page = chat.page
    chat.ask("How many targets did U.S. airstrikes hit on Feb. 2?")
    page.locator("#rag-article #rag-focus").wait_for(timeout=10_000)
    page.screenshot(path=str(out / "chat.png"))

    chat.open_tab("Timeline")
    page.fill("#rag-timeline-topic textarea, #rag-timeline-topic input", "Kestrel Valley dam")
    page.click("#rag-timeline-show")
    page.locator("#rag-timeline li.rag-event a.rag-marker").nth(2).click()
    page.locator("#rag-article #rag-focus").wait_for(timeout=10_000)
    page.screenshot(path=str(out / "timeline.png"))

    chat.open_tab("Articles")
    page.locator("#rag-articles-list tbody tr").first.wait_for(timeout=10_000)
    page.screenshot(path=str(out / "articles.png"))

    page.set_input_files("#rag-upload input[type=file]", str(upload))
    page.click("#rag-add")
    page.wait_for_function(
        "() => document.querySelector('#rag-report').innerText.includes('Added 1')",
        timeout=60_000,
    )
    page.locator("#rag-corpus").screenshot(path=str(out / "corpus.png"))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    for path in take(parser.parse_args(argv).out):
        print(path)


if __name__ == "__main__":
    main()
