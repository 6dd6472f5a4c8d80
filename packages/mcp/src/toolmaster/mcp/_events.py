"""What a Toolbox reports to its subscribers: every call, every result, servers coming and going."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from pydantic import JsonValue
from toolmaster.core import ToolCall, ToolResult, utcnow

__all__ = ["Subscriber", "ToolEvent", "ToolEventKind"]

logger = logging.getLogger(__name__)

ToolEventKind = Literal[
    "tool_call",
    "tool_result",
    "tool_cancelled",
    "server_up",
    "server_down",
    "tools_changed",
    "server_log",
    "progress",
    "sampling",
    "elicitation",
]
"""- `tool_call`: a call is about to be sent (or refused); `call` is set.
- `tool_result`: what came back for it, errors included; `call` and `result` are set.
- `tool_cancelled`: the caller was cancelled while waiting; no result will follow.
- `server_up`: a server connected (again, after a restart); `server_down`: it failed to
  connect, crashed or closed the connection; `message` says why.
- `tools_changed`: the set of tools changed (a server's `tools/list_changed`, a restart).
- `server_log`: a server's log message (`notifications/message`); `message` is its text,
  `details` its `level`, `logger` and `data`.
- `progress`: a server's progress on a call (`notifications/progress`); `call` is set,
  `details` has `progress`, `total` and `message`.
- `sampling`: a server asked the client for an LLM completion (`sampling/createMessage`);
  `details` has the request, the `outcome` (`answered`, `refused`, `over_limit`, `failed`),
  the reply or the error, and how many requests this Toolbox has answered.
- `elicitation`: a server asked for user input (`elicitation/create`); `details` has the
  request, the `action` taken (`accept`, `decline`, `cancel`) and the `reason` of a decline.
"""


@dataclass(frozen=True, slots=True)
class ToolEvent:
    """One thing that happened in a Toolbox. Carries no server configuration (so no secrets)."""

    kind: ToolEventKind
    server: str | None
    """The server's configured name; None for a call of an unknown tool."""
    call: ToolCall | None = None
    result: ToolResult | None = None
    message: str | None = None
    at: datetime = field(default_factory=utcnow)
    details: Mapping[str, JsonValue] = field(default_factory=dict[str, JsonValue])
    """What the kinds that carry more than a message say (`server_log`, `progress`,
    `sampling`, `elicitation`); empty for the others."""

    def data(self) -> dict[str, JsonValue]:
        """The event as JSON, for `toolmaster.core.Event.data`."""
        out: dict[str, JsonValue] = {"server": self.server}
        if self.call is not None:
            out["call"] = self.call.model_dump(mode="json")
        if self.result is not None:
            out["result"] = self.result.model_dump(mode="json")
        if self.message is not None:
            out["message"] = self.message
        if self.details:
            out["details"] = dict(self.details)
        return out


Subscriber = Callable[[ToolEvent], Awaitable[None] | None]
"""A callback for events: a plain function, or an async one (awaited before the call goes on).
It should be quick, and must not raise (an exception is logged and otherwise ignored)."""


async def emit(subscribers: tuple[Subscriber, ...], event: ToolEvent) -> None:
    """Hand `event` to each subscriber in turn."""
    for subscriber in subscribers:
        try:
            pending = subscriber(event)
            if pending is not None:
                await pending
        except Exception:  # a broken subscriber must not break calls; it is logged
            logger.exception("event subscriber %r raised on %s", subscriber, event.kind)
