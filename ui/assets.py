"""The page's theme, CSS and the small script that turns a click on a `[n]` marker or a
source card into an "open this article" event (Gradio has no click event for text
inside a chat message, so the script writes the marker into a hidden textbox)."""

from __future__ import annotations

from typing import Any

import gradio as gr

# System fonts only: the default theme would fetch Google Fonts, and the page must not
# send traffic anywhere but the server.
_FONTS = ["ui-sans-serif", "system-ui", "Segoe UI", "Roboto", "sans-serif"]
_MONO = ["ui-monospace", "SFMono-Regular", "Menlo", "monospace"]

CSS = """
/* Translucent fills and inherited text colour read well in light and dark mode. */
.rag-abstain { border-left: 4px solid #d97706; background: rgba(217, 119, 6, 0.14);
  padding: 2px 10px; border-radius: 6px; font-style: italic; }
.rag-error { border-left: 4px solid #dc2626; background: rgba(220, 38, 38, 0.14);
  padding: 2px 10px; border-radius: 6px; }
a.rag-marker { font-weight: 600; text-decoration: none; color: #2563eb; cursor: pointer; }
mark.rag-hl { background: #fde68a; color: #111827; padding: 0 1px; border-radius: 2px; }
mark.rag-focus { background: #fbbf24; outline: 2px solid #d97706; }
.rag-card { border: 1px solid #e5e7eb; border-radius: 8px; padding: 8px 10px; margin: 6px 0; }
.rag-title { font-weight: 600; }
.rag-meta { color: #6b7280; font-size: 0.85em; }
.rag-context { margin-top: 4px; line-height: 1.45; }
a.rag-open { font-weight: 600; color: #2563eb; text-decoration: none; cursor: pointer; }
a.rag-open-link { display: inline-block; margin-top: 4px; font-size: 0.85em; }
.rag-note { color: #d97706; font-style: italic; }
ol.rag-timeline { list-style: none; padding-left: 0; }
table.rag-articles { width: 100%; border-collapse: collapse; font-size: 0.9em; }
table.rag-articles th, table.rag-articles td { text-align: left; padding: 3px 6px;
  border-bottom: 1px solid rgba(127, 127, 127, 0.25); vertical-align: top; }
table.rag-articles .rag-num { text-align: right; }
a.rag-delete { color: #dc2626; text-decoration: none; cursor: pointer; font-size: 0.85em; }
.rag-article-text { white-space: pre-wrap; line-height: 1.5; max-height: 460px;
  overflow-y: auto; padding-right: 6px; }
"""

ON_LOAD_JS = """
() => {
 // A click on one of our links goes to the hidden box of its view: a [n] marker or a
 // source card of the chat, an Articles row, a [n] of the Timeline tab.
 const routes = [["#cite-", "#rag-pick"], ["#art-", "#rag-art-pick"], ["#tl-", "#rag-tl-pick"]];
 document.addEventListener("click", (event) => {
  if (!event.target.closest) return;
  for (const [prefix, target] of routes) {
   const link = event.target.closest('a[href^="' + prefix + '"]');
   if (!link) continue;
   event.preventDefault();
   event.stopPropagation();
   const box = document.querySelector(target + " textarea, " + target + " input");
   if (!box) return;
   // A counter makes every click a change, even on the same link twice.
   window.ragClicks = (window.ragClicks || 0) + 1;
   box.value = link.getAttribute("href").slice(prefix.length) + "-" + window.ragClicks;
   box.dispatchEvent(new Event("input", { bubbles: true }));
   return;
  }
 }, true);
 // Gradio labels each message with its raw content (our markers' HTML): label it with
 // the words a reader sees instead.
 const relabel = () => {
  document.querySelectorAll("#rag-chat [data-testid='bot'], #rag-chat [data-testid='user']")
   .forEach((message) => {
    const who = message.getAttribute("data-testid") === "bot" ? "Answer" : "Question";
    const label = who + ": " + message.innerText.trim().slice(0, 1000);
    if (message.getAttribute("aria-label") !== label) message.setAttribute("aria-label", label);
   });
 };
 new MutationObserver(relabel).observe(document.body,
  { childList: true, subtree: true, characterData: true, attributes: true,
    attributeFilter: ["aria-label"] });
}
"""

_SCROLL_JS = """
() => {
  // Scroll the article panel to the focused quote. The page itself moves only after a
  // click (SCROLL_JS) on a panel that is off screen: the chat stays where it was.
  const show = (tries) => {
    const mark = document.querySelector("#rag-article #rag-focus");
    const box = document.querySelector("#rag-article .rag-article-text");
    if (!mark || !box) {
      if (tries > 0) setTimeout(() => show(tries - 1), 50);
      return;
    }
    const offset = mark.getBoundingClientRect().top - box.getBoundingClientRect().top;
    box.scrollTop += offset - box.clientHeight / 3;
    const panel = box.getBoundingClientRect();
    if (PAGE && (panel.top < 0 || panel.bottom > window.innerHeight)) {
      box.scrollIntoView({ block: "nearest" });
    }
  };
  show(20);
}
"""
SCROLL_JS = _SCROLL_JS.replace("PAGE", "true")  # the reader clicked a [n]
FOLLOW_JS = _SCROLL_JS.replace("PAGE", "false")  # a new answer: the panel follows it

DOWNLOAD_JS = """
(text) => {
  if (!text) return;
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([text], { type: "text/markdown" }));
  link.download = "newsrag-conversation.md";
  document.body.appendChild(link);
  link.click();
  setTimeout(() => { URL.revokeObjectURL(link.href); link.remove(); }, 1000);
}
"""

COPY_JS = """
(text) => {
  if (text) navigator.clipboard.writeText(text).catch(() => {});
}
"""


def theme() -> gr.themes.Base:
    return gr.themes.Soft(font=_FONTS, font_mono=_MONO)


def page_assets() -> dict[str, Any]:
    """Keyword arguments for `gr.mount_gradio_app` that style and script the chat page."""
    return {"css": CSS, "js": ON_LOAD_JS, "theme": theme()}
