"""Record and replay HTTP exchanges with a real server, as JSON cassettes (an httpx transport).

`RecordingTransport` forwards every request to the real network transport and keeps the exchange;
`save()` writes them. `ReplayTransport` answers from a cassette, in order, and fails the test when a
request differs from the recorded one (method, path and JSON body), so a replayed test sends
exactly what was sent to the real server. Only the path is kept, not the host and port.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

CASSETTES = Path(__file__).parent / "cassettes"
_KEPT_HEADERS = ("content-type",)


def _body(content: bytes) -> Any:
    if not content:
        return None
    try:
        return json.loads(content)
    except ValueError:
        return content.decode("utf-8", errors="replace")


def _request_record(request: httpx.Request) -> dict[str, Any]:
    return {"method": request.method, "path": request.url.path, "body": _body(request.content)}


class RecordingTransport(httpx.AsyncBaseTransport):
    """Forwards to the network and records each exchange."""

    def __init__(self, path: Path, *, note: str = "") -> None:
        self.path = path
        self.note = note
        self.exchanges: list[dict[str, Any]] = []
        self._inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        response = await self._inner.handle_async_request(request)
        content = await response.aread()
        await response.aclose()
        self.exchanges.append(
            {
                "request": _request_record(request),
                "response": {
                    "status": response.status_code,
                    "headers": {
                        k: response.headers[k] for k in _KEPT_HEADERS if k in response.headers
                    },
                    "body": _body(content),
                },
            }
        )
        return httpx.Response(
            response.status_code, headers=response.headers, content=content, request=request
        )

    async def aclose(self) -> None:
        await self._inner.aclose()

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        cassette = {"recorded_from": self.note, "exchanges": self.exchanges}
        self.path.write_text(json.dumps(cassette, indent=1, ensure_ascii=False) + "\n")


class ReplayTransport(httpx.AsyncBaseTransport):
    """Answers from a cassette; each request must match the next recorded one."""

    def __init__(self, path: Path) -> None:
        cassette = json.loads(path.read_text())
        self.recorded_from: str = cassette.get("recorded_from", "")
        self.exchanges: list[dict[str, Any]] = list(cassette["exchanges"])
        self.replayed = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        if self.replayed >= len(self.exchanges):
            raise AssertionError(
                f"unexpected request beyond the cassette: {_request_record(request)}"
            )
        exchange = self.exchanges[self.replayed]
        sent = _request_record(request)
        assert sent == exchange["request"], "the request differs from the recorded one"
        self.replayed += 1
        recorded = exchange["response"]
        body = recorded["body"]
        content = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        return httpx.Response(
            recorded["status"], headers=recorded["headers"], content=content, request=request
        )

    @property
    def done(self) -> bool:
        """Whether every recorded exchange was replayed."""
        return self.replayed == len(self.exchanges)
