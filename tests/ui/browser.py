"""Driving the chat page in headless Chromium (Debian's, never a downloaded one)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from playwright.sync_api import Browser, Dialog, Locator, Page, Playwright, Route

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
BOT = "#rag-chat [data-testid='bot']"
LOAD_TIMEOUT_MS = 30_000
ANSWER_TIMEOUT_MS = 20_000


def launch(playwright: Playwright) -> Browser:
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


@dataclass
class ChatPage:
    """A page on the chat that refuses (and records) any request not to the test server."""

    page: Page
    url: str
    elsewhere: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    @classmethod
    def open(cls, browser: Browser, url: str) -> ChatPage:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        chat = cls(page, url)
        page.route("**/*", chat._only_the_server)
        page.on("dialog", chat._dialog)
        page.goto(url)
        page.wait_for_selector("#rag-question textarea", timeout=LOAD_TIMEOUT_MS)
        page.wait_for_function(
            "() => { const status = document.querySelector('#rag-status');"
            " return status !== null && !status.innerText.includes('Loading'); }",
            timeout=LOAD_TIMEOUT_MS,
        )
        return chat

    def _dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _only_the_server(self, route: Route) -> None:
        url = route.request.url
        if url.startswith((self.url, "data:", "blob:")):
            route.continue_()
        else:
            self.elsewhere.append(url)
            route.abort()

    def open_tab(self, name: str) -> None:
        """Switch to the Chat, Timeline or Articles tab."""
        self.page.get_by_role("tab", name=name).click()

    def bot_messages(self) -> int:
        return self.page.locator(BOT).count()

    def ask(self, question: str) -> str:
        """Type `question`, press Send, wait for the whole answer; return its text."""
        if not self.page.locator("#rag-question textarea").is_visible():
            self.open_tab("Chat")
        before = self.bot_messages()
        self.page.fill("#rag-question textarea", question)
        self.page.click("#rag-send")
        self.wait_for_answer(before + 1)
        return self.page.locator(BOT).nth(before).inner_text()

    def wait_for_answer(self, count: int) -> None:
        # The copy text is emptied while an answer streams and filled when it is complete.
        self.page.wait_for_function(
            """([selector, count]) => document.querySelectorAll(selector).length >= count
                 && document.querySelector('#rag-copy-text textarea').value !== ''""",
            arg=[BOT, count],
            timeout=ANSWER_TIMEOUT_MS,
        )

    def last_bot(self) -> Locator:
        return self.page.locator(BOT).last

    def screenshot(self, path: str) -> None:
        self.page.screenshot(path=path, full_page=True)


@contextmanager
def opened(browser: Browser, url: str) -> Iterator[ChatPage]:
    """A `ChatPage` on `url`, closed after the block, which then checks that the page sent
    nothing beyond the server and ran no script of an article's."""
    chat = ChatPage.open(browser, url)
    try:
        yield chat
    finally:
        chat.page.close()
    assert chat.elsewhere == [], "the page sent requests beyond the server"
    assert chat.dialogs == [], "something in the page ran script"
