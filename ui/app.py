"""The web application: the Gradio chat at `/`, room for JSON routers under `/v1`.

With `RAG_API_KEY` set, the chat asks for a login too: any user name, the key as the
password (the JSON API wants it as a bearer token).

>>> app = create_app(Assistant(settings), settings)  # doctest: +SKIP
>>> uvicorn.run(app, host="127.0.0.1", port=7860)  # doctest: +SKIP
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

import fastapi
import gradio as gr
from fastapi_offline import FastAPIOffline

from rag import Assistant, Settings
from ui.assets import page_assets
from ui.chat import build_chat
from ui.http_api import build_api_router
from ui.uploads import MAX_UPLOAD_BYTES


def create_app(assistant: Assistant, settings: Settings) -> fastapi.FastAPI:
    # /openapi.json and /docs describe the JSON API (the Gradio mount is not in them);
    # /docs loads Swagger UI from this server (FastAPI's default fetches it from a CDN,
    # a blank page offline).
    app = FastAPIOffline(title="newsrag", redoc_url=None, static_url="/docs-assets")
    # Routers go here: the Gradio mount at "/" below catches every path that no earlier
    # route matched, so it must stay last.
    app.include_router(build_api_router(assistant, settings))
    return gr.mount_gradio_app(
        app,
        build_chat(assistant),
        path="/",
        server_name=settings.server.host,
        server_port=settings.server.port,
        max_file_size=MAX_UPLOAD_BYTES,
        footer_links=["api"],
        auth=chat_login(settings.api_key),
        auth_message="This newsrag server is protected: sign in with any name and its API key.",
        **page_assets(),
    )


def chat_login(api_key: str | None) -> Callable[[str, str], bool] | None:
    """Gradio's login check: the password must be the API key (no login without a key)."""
    if not api_key:
        return None
    expected = api_key.encode()

    def check(username: str, password: str) -> bool:
        return secrets.compare_digest(password.encode(), expected)

    return check
