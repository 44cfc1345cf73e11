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
.rag-abstain { border-left: 4px solid #d97706; background: #fffbeb; color: #78350f;
  padding: 6px 10px; border-radius: 6px; }
.rag-error { border-left: 4px solid #dc2626; background: #fef2f2; color: #7f1d1d;
  padding: 6px 10px; border-radius: 6px; }
a.rag-marker { font-weight: 600; text-decoration: none; color: #2563eb; cursor: pointer; }
mark.rag-hl { background: #fde68a; color: #111827; padding: 0 1px; border-radius: 2px; }
mark.rag-focus { background: #fbbf24; outline: 2px solid #d97706; }
.rag-card { border: 1px solid #e5e7eb; border-radius: 8px; padding: 8px 10px; margin: 6px 0; }
.rag-title { font-weight: 600; }
.rag-meta { color: #6b7280; font-size: 0.85em; }
.rag-context { margin-top: 4px; line-height: 1.45; }
a.rag-open { font-weight: 600; color: #2563eb; text-decoration: none; cursor: pointer; }
a.rag-open-link { display: inline-block; margin-top: 4px; font-size: 0.85em; }
.rag-note { color: #92400e; font-style: italic; }
.rag-sources { max-height: 380px; overflow-y: auto; padding-right: 4px; }
.rag-article-text { white-space: pre-wrap; line-height: 1.5; max-height: 460px;
  overflow-y: auto; padding-right: 6px; }
"""

ON_LOAD_JS = """
() => {
 document.addEventListener("click", (event) => {
  const link = event.target.closest && event.target.closest('a[href^="#cite-"]');
  if (!link) return;
  event.preventDefault();
  event.stopPropagation();
  const box = document.querySelector("#rag-pick textarea, #rag-pick input");
  if (!box) return;
  // A counter makes every click a change, even on the same marker twice.
  window.ragClicks = (window.ragClicks || 0) + 1;
  box.value = link.getAttribute("href").slice("#cite-".length) + "-" + window.ragClicks;
  box.dispatchEvent(new Event("input", { bubbles: true }));
 }, true);
}
"""

SCROLL_JS = """
() => {
  const show = (tries) => {
    const mark = document.querySelector("#rag-article #rag-focus");
    if (mark) mark.scrollIntoView({ block: "center", behavior: "instant" });
    else if (tries > 0) setTimeout(() => show(tries - 1), 50);
  };
  show(20);
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
