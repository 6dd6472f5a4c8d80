"""A scripted OpenAI-compatible chat server on localhost that keeps every request it gets:
`toolmaster run --policy openai --base-url URL` talks to it like to vLLM, and a test reads
what the model was sent."""

from __future__ import annotations

import json
import threading
from collections.abc import Generator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class ScriptedModel:
    """Calls each of `calls` in turn (a tool name and its arguments as JSON text, which may
    hold what `json.loads` turns into a lone surrogate), then answers `answer`."""

    calls: list[tuple[str, str]]
    answer: str = "done"
    requests: list[dict[str, Any]] = field(default_factory=list[dict[str, Any]])
    base_url: str = ""

    def reply(self, body: dict[str, Any]) -> dict[str, Any]:
        self.requests.append(body)
        turn = sum(1 for m in body["messages"] if m.get("role") == "assistant")
        if turn < len(self.calls):
            name, arguments = self.calls[turn]
            function = {"name": name, "arguments": arguments}
            call = {"id": f"call_{turn}", "type": "function", "function": function}
            message: dict[str, Any] = {"role": "assistant", "content": None, "tool_calls": [call]}
        else:
            message = {"role": "assistant", "content": self.answer}
        finish = "tool_calls" if message.get("tool_calls") else "stop"
        return {
            "id": "chatcmpl-scripted",
            "object": "chat.completion",
            "model": "scripted",
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
        }


@contextmanager
def serve(model: ScriptedModel) -> Generator[ScriptedModel]:
    """Serve `model` on a free port; `model.base_url` is its API root while it runs."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            data = json.dumps(model.reply(body)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base's name)
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    model.base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        yield model
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
