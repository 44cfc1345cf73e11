"""Bad inputs, one list: HTTP bodies, files, `rag` arguments and question files.

Each case is checked the same way (`check`): it must get a clear error (a 4xx in the
documented error shape naming the field, a file reported as skipped with its reason,
or one `rag: error: ...` line with exit 2), no traceback anywhere (the response, the
CLI's output, the log), and no change to the index (its catalog fingerprint: article
ids and hashes, chunk and vector counts, generation). `tests/ui/test_bad_inputs.py`
runs every case; `bench/bad_inputs.py` tallies them into
`bench/results/bad_inputs.json`.
"""

from __future__ import annotations

import io
import json
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

from fastapi.testclient import TestClient

from rag import Assistant, InputError, Settings
from tests.fakes import HashingEmbedder
from tests.ui.http_support import make_app
from ui import cli
from ui.render import escape_markdown, report_markdown
from ui.uploads import add_uploads

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"
API_KEY = "bad-inputs-key-0123456789"
Fingerprint = tuple[object, ...]


@dataclass
class Env:
    """A seeded index (the fast fake embedder) and HTTP clients over it."""

    root: Path  # everything of this run lies below it; no output may show it
    assistant: Assistant
    client: TestClient
    keyed: TestClient  # the same API behind RAG_API_KEY

    @property
    def home(self) -> Path:
        return Path(self.assistant.settings.home)

    def fingerprint(self) -> Fingerprint:
        """What a bad input must not change: the catalog and the vector store."""
        index = self.assistant.index
        versions = sorted((i, h) for i, (h, _) in index.catalog.versions().items())
        return (
            tuple(versions),
            index.catalog.counts(),
            index.catalog.generation(),
            index.vectors.count(),
        )


def make_env(root: Path) -> Env:
    """Copy seeds/ under `root`, ingest it with the fake embedder, and serve it."""
    corpus = root / "corpus"
    shutil.copytree(SEEDS, corpus)
    settings = Settings(home=root / "home")
    assistant = Assistant(settings, embedder=HashingEmbedder())
    assistant.ingest([corpus])
    keyed = settings.model_copy(update={"api_key": API_KEY})
    return Env(
        root,
        assistant,
        TestClient(make_app(assistant, settings)),
        TestClient(make_app(assistant, keyed)),
    )


@dataclass(frozen=True)
class Seen:
    clear: bool  # the error a person understands, as the case expects it
    traceback: bool
    detail: str  # what came back, for a failing test


@dataclass(frozen=True)
class Verdict:
    case: str
    kind: str
    clear: bool
    traceback: bool
    index_changed: bool
    detail: str

    @property
    def ok(self) -> bool:
        return self.clear and not self.traceback and not self.index_changed


# --- HTTP ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Http:
    """A request; `param` is the field the error must name (checked unless `ANY`)."""

    id: str
    body: Any = None  # JSON, unless `raw` is given
    path: str = "/v1/ask"
    method: str = "POST"
    raw: bytes | None = None
    status: int = 422
    param: str | None = "ANY"
    text: str = ""  # in the message
    keyed: bool = False  # against the API behind a key
    headers: dict[str, str] = field(default_factory=dict)
    kind: str = "http"

    def run(self, env: Env) -> Seen:
        client = env.keyed if self.keyed else env.client
        if self.raw is not None:
            headers = {"Content-Type": "application/json", **self.headers}
            response = client.request(self.method, self.path, content=self.raw, headers=headers)
        elif self.body is None:
            response = client.request(self.method, self.path, headers=self.headers)
        else:
            response = client.request(self.method, self.path, json=self.body, headers=self.headers)
        detail = f"{response.status_code} {response.text[:300]}"
        try:
            error = response.json()["error"]
            shaped = set(response.json()) == {"error"} and set(error) == {
                "message",
                "type",
                "param",
                "code",
            }
        except (ValueError, KeyError, TypeError):
            return Seen(False, "Traceback" in response.text, detail)
        clear = (
            response.status_code == self.status
            and 400 <= response.status_code < 500
            and shaped
            and bool(error["message"].strip())
            and self.text in error["message"]
            and (self.param == "ANY" or error["param"] == self.param)
            and str(env.root) not in response.text
        )
        return Seen(clear, "Traceback" in response.text, detail)


def _history(turns: int) -> list[dict[str, str]]:
    return [{"role": "user", "content": "hi"}] * turns


def _chat(content: Any, role: str = "user", **extra: Any) -> dict[str, Any]:
    return {"messages": [{"role": role, "content": content}], **extra}


HTTP: list[Http] = [
    # /v1/ask: types, ranges, missing and unknown fields
    Http("ask: top_k true", {"question": "q", "top_k": True}, param="top_k"),
    Http("ask: top_k 0", {"question": "q", "top_k": 0}, param="top_k"),
    Http("ask: top_k negative", {"question": "q", "top_k": -3}, param="top_k"),
    Http("ask: top_k huge", {"question": "q", "top_k": 10**12}, param="top_k"),
    Http("ask: top_k float", {"question": "q", "top_k": 2.5}, param="top_k"),
    Http("ask: top_k string", {"question": "q", "top_k": "5"}, param="top_k"),
    Http("ask: no question", {}, param="question"),
    Http("ask: empty question", {"question": ""}, param="question"),
    Http("ask: blank question", {"question": " \n\t"}, param="question"),
    Http("ask: question is a number", {"question": 42}, param="question"),
    Http("ask: question is null", {"question": None}, param="question"),
    Http("ask: question too long", {"question": "x" * 2001}, param="question"),
    Http("ask: since in words", {"question": "q", "since": "last tuesday"}, param="since"),
    Http("ask: until impossible", {"question": "q", "until": "2024-02-30"}, param="until"),
    Http(
        "ask: since after until",
        {"question": "q", "since": "2024-03-01", "until": "2024-01-01"},
        param="since",
        text="is after until",
    ),
    Http("ask: history a string", {"question": "q", "history": "hi"}, param="history"),
    Http(
        "ask: history role",
        {"question": "q", "history": [{"role": "bot", "content": "x"}]},
        param="history[0].role",
    ),
    Http(
        "ask: history no content",
        {"question": "q", "history": [{"role": "user"}]},
        param="history[0].content",
    ),
    Http("ask: history pairs", {"question": "q", "history": [["user", "x"]]}, param="history[0]"),
    Http("ask: history too long", {"question": "q", "history": _history(101)}, param="history"),
    Http("ask: unknown field", {"question": "q", "topk": 3}, param="topk"),
    Http("ask: body is a list", [{"question": "q"}], param="body"),
    Http("ask: body is a string", "Who is Aron Lund?", param="body"),
    # /v1/ask: bodies that are not JSON, or too large
    Http("ask: not JSON", raw=b"Who is Aron Lund?", param=None, text="not valid JSON"),
    Http("ask: truncated JSON", raw=b'{"question": ', param=None, text="not valid JSON"),
    Http("ask: empty body", raw=b"", param="body", text="Field required"),
    Http(
        "ask: not UTF-8",
        raw=b'{"question": "\xff\xfe caf\xe9"}',
        status=400,
        param=None,
        text="not UTF-8 text",
    ),
    Http(
        "ask: nested 10,000 deep",
        raw=b"[" * 10_000 + b"]" * 10_000,
        status=400,
        param=None,
        text="nested too deeply",
    ),
    Http("ask: time_window yes", {"question": "q", "time_window": "yes"}, param="time_window"),
    Http(
        "ask: lone surrogate",
        raw=b'{"question": "Who is \\ud800 Aron Lund?"}',
        param="question",
    ),
    Http(
        "ask: lone surrogate in history",
        raw=b'{"question": "q", "history": [{"role": "user", "content": "\\udcff"}]}',
        param="history[0].content",
    ),
    Http("ask: body too large", {"question": "q" * 70_000}, status=413, param=None),
    # /v1/chat/completions
    Http("chat: no messages", {"messages": []}, "/v1/chat/completions", param="messages"),
    Http("chat: messages missing", {"model": "x"}, "/v1/chat/completions", param="messages"),
    Http("chat: messages a string", {"messages": "hi"}, "/v1/chat/completions", param="messages"),
    Http(
        "chat: last from the assistant",
        _chat("q", role="assistant"),
        "/v1/chat/completions",
        param="messages[0].role",
    ),
    Http(
        "chat: unknown role",
        _chat("q", role="robot"),
        "/v1/chat/completions",
        param="messages[0].role",
    ),
    Http(
        "chat: empty content",
        _chat("  "),
        "/v1/chat/completions",
        param="messages[0].content",
    ),
    Http(
        "chat: content too long",
        _chat("x" * 2001),
        "/v1/chat/completions",
        param="messages[0].content",
    ),
    Http(
        "chat: image part",
        _chat([{"type": "image_url", "image_url": {"url": "http://x/y.png"}}]),
        "/v1/chat/completions",
        text="messages[0].content",
    ),
    Http(
        "chat: lone surrogate",
        path="/v1/chat/completions",
        raw=b'{"messages": [{"role": "user", "content": "Aron \\ud800 Lund?"}]}',
        param="messages[0].content",
        text="invalid character",
    ),
    Http(
        "chat: lone surrogate, streamed",
        path="/v1/chat/completions",
        raw=b'{"stream": true, "messages": [{"role": "user", "content": "\\ud800?"}]}',
        param="messages[0].content",
    ),
    Http(
        "chat: lone surrogate in history",
        path="/v1/chat/completions",
        raw=b'{"messages": [{"role": "user", "content": "\\udcff"}, '
        b'{"role": "user", "content": "Who is Aron Lund?"}]}',
        param="history[0].content",
    ),
    Http("chat: top_k true", _chat("q", top_k=True), "/v1/chat/completions", param="top_k"),
    Http("chat: since in words", _chat("q", since="soon"), "/v1/chat/completions", param="since"),
    Http("chat: stream a list", _chat("q", stream=[1]), "/v1/chat/completions", param="stream"),
    Http("chat: stream yes", _chat("q", stream="yes"), "/v1/chat/completions", param="stream"),
    Http(
        "timeline: newest_first yes",
        {"topic": "dam", "newest_first": "yes"},
        "/v1/timeline",
        param="newest_first",
    ),
    # articles, methods, routes, the key
    Http(
        "article: unknown id",
        None,
        "/v1/articles/no-such-id",
        "GET",
        status=404,
        param="article_id",
    ),
    Http(
        "article: delete unknown",
        None,
        "/v1/articles/no-such-id",
        "DELETE",
        status=404,
        param="article_id",
    ),
    Http("articles: limit 0", None, "/v1/articles?limit=0", "GET", status=422, param="limit"),
    Http("articles: sort", None, "/v1/articles?sort=size", "GET", status=422, param="sort"),
    Http("ask: GET", None, "/v1/ask", "GET", status=405, param=None),
    Http("status: POST", {"x": 1}, "/v1/status", status=405, param=None),
    Http("unknown route", {"question": "q"}, "/v1/search", status=404, param=None),
    Http("key: missing", {"question": "q"}, status=401, param=None, keyed=True),
    Http(
        "key: wrong",
        {"question": "q"},
        status=401,
        param=None,
        keyed=True,
        headers={"Authorization": "Bearer not-the-key"},
    ),
]


# --- files ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Upload:
    """A file given to the chat's upload (`ui.uploads.add_uploads`): it must be reported
    skipped, by the name the user gave, with `reason`; nothing added or updated."""

    id: str
    name: str
    content: bytes
    reason: str
    size: int | None = None  # a sparse file of this size instead of `content`
    kind: str = "file"

    def run(self, env: Env) -> Seen:
        folder = env.root / "sent" / self.id.replace(" ", "_").replace(":", "")
        folder.mkdir(parents=True)
        temp = folder / "upload.tmp"  # the name the browser's temporary file has
        temp.write_bytes(self.content)
        if self.size is not None:
            with temp.open("r+b") as handle:
                handle.truncate(self.size)
        report, names = add_uploads(env.assistant, [(temp, self.name)])
        shown = report_markdown(report, names)  # what the chat shows
        clear = (
            not report.added
            and not report.updated
            and len(report.skipped) == 1
            and self.reason in report.skipped[0].reason
            and escape_markdown(self.name) in shown
            and str(env.root) not in shown
        )
        return Seen(clear, "Traceback" in shown, shown)


@dataclass(frozen=True)
class Ingest:
    """A file or path given to `Assistant.ingest`; `unreadable` makes reading it fail with
    PermissionError (tests run as root, where chmod cannot)."""

    id: str
    name: str
    content: bytes | None  # None: the path does not exist (a dangling link)
    reason: str
    unreadable: bool = False
    kind: str = "file"

    def run(self, env: Env) -> Seen:
        folder = env.root / "given" / self.id.replace(" ", "_").replace(":", "")
        folder.mkdir(parents=True)
        path = folder / self.name
        if self.content is None:
            path.symlink_to(folder / "gone")
        else:
            path.write_bytes(self.content)
        read_bytes = Path.read_bytes

        def refuse(self_: Path) -> bytes:
            if self_ == path:
                raise PermissionError(13, "Permission denied", str(self_))
            return read_bytes(self_)

        with mock.patch.object(Path, "read_bytes", refuse) if self.unreadable else _nothing():
            try:
                report = env.assistant.ingest([path])
            except InputError as exc:
                return Seen(self.reason in str(exc), False, f"InputError: {exc}")
        reasons = [s.reason for s in report.skipped]
        clear = not report.added and not report.updated and any(self.reason in r for r in reasons)
        return Seen(clear, False, f"skipped: {reasons}")


@contextmanager
def _nothing() -> Iterator[None]:
    yield


_JSONL_OK = {"id": "x1", "title": "T", "date": "2024-01-01", "text": "Some text."}

FILES: list[Upload | Ingest] = [
    Upload("upload: empty", "empty.txt", b"", "file is empty"),
    Upload("upload: blank", "blank.md", b"  \n\n\t\n", "file is empty"),
    Upload("upload: binary", "photo.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
    Upload("upload: not UTF-8", "latin1.txt", "date 2024-01-01\ncafé".encode("latin-1"), "UTF-8"),
    Upload("upload: pdf", "report.pdf", b"%PDF-1.4 ...", "not a .txt, .md or .jsonl"),
    Upload("upload: no suffix", "README", b"date 2024-01-01\nText.", "not a .txt, .md or .jsonl"),
    # Upper case is a supported type: refused for its content, not its name.
    Upload("upload: A.TXT empty", "A.TXT", b"", "file is empty"),
    Upload("upload: date line only", "dated.txt", b"date 2024-01-01\n\n", "no text after"),
    Upload("upload: too large", "huge.txt", b"x", "larger than 20 MB", size=20_000_001),
    Upload("upload: jsonl bad line", "bad.jsonl", b'{"id": "a", "text": ', "malformed JSON"),
    Upload(
        "upload: jsonl no id",
        "noid.jsonl",
        json.dumps({**_JSONL_OK, "id": ""}).encode(),
        "missing 'id'",
    ),
    Upload(
        "upload: jsonl no text",
        "notext.jsonl",
        json.dumps({**_JSONL_OK, "text": 5}).encode(),
        "missing or empty 'text'",
    ),
    Upload("upload: jsonl list", "list.jsonl", b"[1, 2, 3]", "not a JSON object"),
    Upload(
        "upload: jsonl lone surrogate",
        "surrogate.jsonl",
        b'{"id": "s", "date": "2024-01-01", "text": "broken \\ud800 text"}',
        "invalid character",
    ),
    Ingest("ingest: unreadable", "secret.txt", b"date 2024-01-01\nText.", "cannot read", True),
    Ingest("ingest: dangling link", "link.txt", None, "path does not exist"),
    Ingest("ingest: unsupported suffix", "notes.docx", b"PK\x03\x04", "unsupported file type"),
]


# --- the command line ------------------------------------------------------------------------


@dataclass(frozen=True)
class Cli:
    """`rag ARGS` (in-process unless `subprocess`); `{dir}` and `{home}` in the arguments
    are this case's folder and the index home; `files` are written into `{dir}`."""

    id: str
    args: tuple[str, ...]
    text: str  # in the one error line
    code: int = 2
    files: dict[str, bytes] = field(default_factory=dict)
    subprocess: bool = False
    kind: str = "cli"

    def run(self, env: Env) -> Seen:
        folder = env.root / "cli" / self.id.replace(" ", "_").replace(":", "")
        folder.mkdir(parents=True)
        for name, content in self.files.items():
            (folder / name).write_bytes(content)
        args = [a.format(dir=folder, home=env.home) for a in self.args]
        args = ["--home", str(env.home), *args] if "--home" not in args else args
        if self.subprocess:
            code, out, err = _rag_process(args, folder)
        else:
            code, out, err = _rag_in_process(args, env.assistant)
        lines = err.strip().splitlines()
        clear = (
            code == self.code
            and len(lines) == 1
            and lines[0].startswith("rag: error: ")
            and self.text in lines[0]
            and not out.strip()
        )
        return Seen(clear, "Traceback" in out + err, f"exit {code}: {err.strip()[:400]}")


def _rag_in_process(args: list[str], assistant: Assistant) -> tuple[int, str, str]:
    """`ui.cli.main(args)`, answering from `assistant` (its fake embedder)."""
    out, err = io.StringIO(), io.StringIO()
    with (
        mock.patch.object(cli, "_assistant", lambda settings: assistant),
        redirect_stdout(out),
        redirect_stderr(err),
    ):
        code = cli.main(args)
    return code, out.getvalue(), err.getvalue()


def _rag_process(args: list[str], folder: Path) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env["RAG_SETTINGS_FILE"] = str(folder / "none.toml")
    result = subprocess.run(
        [sys.executable, "-m", "ui.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )
    return result.returncode, result.stdout, result.stderr


def _questions(*lines: object) -> dict[str, bytes]:
    text = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines)
    return {"q.jsonl": (text + "\n").encode()}


_Q = {"id": "q1", "question": "Who is Aron Lund?", "answers": ["a fellow"]}
_EVAL = ("eval", "{dir}/q.jsonl", "--out", "{dir}/out")

CLI: list[Cli] = [
    Cli(
        "rag ask: --top-k 0", ("ask", "q?", "--top-k", "0"), "top_k must be between 1 and 50, got 0"
    ),
    Cli("rag ask: --top-k -3", ("ask", "q?", "--top-k", "-3"), "got -3"),
    Cli("rag ask: --top-k 51", ("ask", "q?", "--top-k", "51"), "got 51"),
    Cli("rag ask: --top-k abc", ("ask", "q?", "--top-k", "abc"), "invalid int value: 'abc'"),
    Cli("rag ask: --since words", ("ask", "q?", "--since", "yesterday"), "since must be a date"),
    Cli(
        "rag ask: --until month 13", ("ask", "q?", "--until", "2024-13-01"), "until must be a date"
    ),
    Cli(
        "rag ask: since after until",
        ("ask", "q?", "--since", "2024-03-01", "--until", "2024-01-01"),
        "is after until",
    ),
    Cli("rag ask: empty question", ("ask", "  "), "question is empty"),
    Cli("rag ask: question too long", ("ask", "x" * 2001), "2001 characters long"),
    # What Python makes of an argument that is not UTF-8 (`rag ask $'\xff'`).
    Cli("rag ask: not UTF-8", ("ask", "who \udcff?"), "question holds an invalid character"),
    Cli("rag ask: no question", ("ask",), "required: question"),
    Cli("rag unknown command", ("frobnicate",), "invalid choice: 'frobnicate'"),
    Cli("rag ingest: missing path", ("ingest", "{dir}/no/such/dir"), "path does not exist"),
    Cli("rag ingest: empty folder", ("ingest", "{dir}"), "no article files"),
    Cli(
        "rag ingest: only a pdf",
        ("ingest", "{dir}"),
        "no article files",
        files={"report.pdf": b"%PDF-1.4"},
    ),
    Cli("rag serve: --port abc", ("serve", "--port", "abc"), "invalid int value: 'abc'"),
    Cli("rag serve: public without key", ("serve", "--host", "0.0.0.0"), "without an API key"),
    Cli("rag eval: no question file", _EVAL, "question file not found"),
    Cli("rag eval: empty file", _EVAL, "no questions in", files={"q.jsonl": b"\n\n"}),
    Cli(
        "rag eval: bad JSON line", _EVAL, "q.jsonl:2: malformed JSON", files=_questions(_Q, "{oops")
    ),
    Cli(
        "rag eval: missing question",
        _EVAL,
        "q.jsonl:1: missing 'question'",
        files=_questions({"id": "q1", "answers": []}),
    ),
    Cli(
        "rag eval: answers not a list",
        _EVAL,
        "q.jsonl:1: 'answers' must be a list",
        files=_questions({**_Q, "answers": "a fellow"}),
    ),
    Cli(
        "rag eval: date in words",
        _EVAL,
        "q.jsonl:2: 'date' must be a date",
        files=_questions(_Q, {**_Q, "id": "q2", "date": "June 10, 2022"}),
    ),
    Cli(
        "rag eval: impossible date",
        _EVAL,
        "q.jsonl:1: 'date' must be a date",
        files=_questions({**_Q, "date": "2022/02/30"}),
    ),
    Cli(
        "rag eval: history shape",
        _EVAL,
        "q.jsonl:1: 'history' must be a list",
        files=_questions({**_Q, "history": ["hi"]}),
    ),
    Cli(
        "rag eval: duplicate id",
        _EVAL,
        "q.jsonl:2: duplicate question id 'q1'",
        files=_questions(_Q, _Q),
    ),
    Cli(
        "rag eval: not an object", _EVAL, "q.jsonl:1: a question must be", files=_questions([1, 2])
    ),
    Cli(
        "rag eval: not UTF-8",
        _EVAL,
        "q.jsonl:1: not UTF-8 text (byte 0xe9)",
        files={"q.jsonl": '{"id": "q", "question": "café?", "answers": []}'.encode("latin-1")},
    ),
    Cli("rag eval: --limit 0", (*_EVAL, "--limit", "0"), "--limit must be at least 1, got 0"),
    Cli("rag eval: --top-k 0", (*_EVAL, "--top-k", "0"), "top_k must be between 1 and 50, got 0"),
    Cli(
        "rag eval: --compare missing",
        (*_EVAL, "--compare", "{dir}/none.json"),
        "not found",
        files=_questions(_Q),
    ),
    Cli(
        "rag eval: --thresholds malformed",
        (*_EVAL, "--thresholds", "{dir}/t.json"),
        "malformed JSON",
        files={**_questions(_Q), "t.json": b"{min: 1}"},
    ),
    Cli(
        "rag eval: --corpus and --home",
        (*_EVAL, "--corpus", "{dir}/c.jsonl"),
        "give --corpus",
        files=_questions(_Q),
    ),
    # End to end, in a process of its own: what a user's shell shows.
    Cli("process: ask --top-k 0", ("ask", "q?", "--top-k", "0"), "got 0", subprocess=True),
    Cli(
        "process: eval bad line",
        _EVAL,
        "q.jsonl:2: malformed JSON",
        files=_questions(_Q, "not json"),
        subprocess=True,
    ),
]

Case = Http | Upload | Ingest | Cli
CASES: Sequence[Case] = [*HTTP, *FILES, *CLI]
# Cases that fail today, with why; the test expects them to fail (strictly), the bench
# counts them as they are.
KNOWN_GAPS: dict[str, str] = {}


class _Tracebacks(logging.Handler):
    """Counts log records that carry a traceback (a 500's `log.exception`, ...)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info:
            self.records.append(record)


def check(case: Case, env: Env) -> Verdict:
    """Run `case` against `env`: did it get a clear error, a traceback, an index change?"""
    before = env.fingerprint()
    handler = _Tracebacks()
    logging.getLogger().addHandler(handler)
    try:
        seen = case.run(env)
    except Exception as exc:  # escaped to the caller: the traceback a user would see
        seen = Seen(False, True, f"raised {type(exc).__name__}: {exc}")
    finally:
        logging.getLogger().removeHandler(handler)
    traceback = seen.traceback or bool(handler.records)
    changed = env.fingerprint() != before
    return Verdict(case.id, case.kind, seen.clear, traceback, changed, seen.detail)


def tally(verdicts: Sequence[Verdict]) -> dict[str, Any]:
    """The figure: inputs, clear errors, tracebacks and index changes, overall and by kind."""

    def counts(group: Sequence[Verdict]) -> dict[str, int]:
        return {
            "inputs": len(group),
            "clear_error": sum(v.clear for v in group),
            "tracebacks": sum(v.traceback for v in group),
            "index_changes": sum(v.index_changed for v in group),
        }

    kinds = sorted({v.kind for v in verdicts})
    return {
        **counts(verdicts),
        "by_kind": {k: counts([v for v in verdicts if v.kind == k]) for k in kinds},
        "failures": [{"case": v.case, "detail": v.detail} for v in verdicts if not v.ok],
    }
