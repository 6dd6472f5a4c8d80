"""Tiny HTTP servers on localhost for CLI tests: a scripted OpenAI-compatible model that
`toolmaster run --policy openai --base-url URL` talks to like to vLLM, and a server that refuses
every request with 401."""

from __future__ import annotations

import json
import threading
from collections.abc import Generator
from contextlib import AbstractContextManager, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class _Handler(BaseHTTPRequestHandler):
    def reply(self, status: int, body: bytes, **headers: str) -> None:
        self.send_response(status)
        for name, value in {"Content-Length": str(len(body)), **headers}.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base's name)
        pass


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Generator[str]:
    """Serve `handler` on a free port in a thread; yields `http://127.0.0.1:PORT`."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


class _Refusing(_Handler):
    def do_POST(self) -> None:
        self.reply(401, b"unauthorized", WWW_Authenticate='Bearer realm="test"')

    def do_GET(self) -> None:
        self.do_POST()


def refusing() -> AbstractContextManager[str]:
    """A server that answers every request 401 Unauthorized; yields its root URL."""
    return serving(_Refusing)


def _completion(message: dict[str, Any]) -> bytes:
    finish = "tool_calls" if message.get("tool_calls") else "stop"
    return json.dumps(
        {
            "id": "chatcmpl-scripted",
            "object": "chat.completion",
            "model": "scripted",
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
        }
    ).encode()


@contextmanager
def scripted_model(
    tool: str,
    answer: str,
    requests: list[dict[str, Any]] | None = None,
    *,
    sampled: str | None = None,
) -> Generator[str]:
    """A chat-completions server that calls `tool` with no arguments on the first turn and,
    once a tool result is in the conversation, answers `answer`; with `sampled`, a request
    that offers no tools (a server's sampling request, which the policy answers) is answered
    `sampled`. Each request body is appended to `requests`. Yields its API root
    (`http://127.0.0.1:PORT/v1`)."""

    class Scripted(_Handler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            if requests is not None:
                requests.append(body)
            if sampled is not None and "tools" not in body:
                message: dict[str, Any] = {"role": "assistant", "content": sampled}
            elif any(m.get("role") == "tool" for m in body["messages"]):
                message = {"role": "assistant", "content": answer}
            else:
                call = {"name": tool, "arguments": "{}"}
                message = {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [{"id": "call_0", "type": "function", "function": call}],
                }
            self.reply(200, _completion(message), Content_Type="application/json")

    with serving(Scripted) as root:
        yield f"{root}/v1"
