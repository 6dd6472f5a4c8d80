"""The client side of the protocol: what servers ask of ToolMaster (roots, sampling,
elicitation) and what they tell it (log messages, progress), answered here and reported as
`ToolEvent`s.

The SDK's `mcp.Client` declares a client capability for each callback it is given, and drives
both ways a server can ask: the standalone server-to-client requests of handshake-era
connections and the `InputRequiredResult` rounds of 2026-era ones. So each answer is written
once, here.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

import mcp_types as types
import pydantic_core
from pydantic import JsonValue
from toolmaster.core import Message, ToolCall, content_parts, encodable_json, render_parts
from toolmaster.mcp._events import ToolEvent

from mcp.client.session import ClientRequestContext
from mcp.shared.dispatcher import ProgressFnT

__all__ = [
    "DEFAULT_MAX_SAMPLES",
    "REASON_META_KEY",
    "UNATTENDED",
    "ClientSide",
    "ElicitValue",
    "ElicitationReply",
    "ElicitationRequest",
    "Elicitor",
    "Sampler",
    "SamplingRefusedError",
    "SamplingReply",
    "SamplingRequest",
    "ServerHandlers",
    "decline_unattended",
]

logger = logging.getLogger(__name__)

DEFAULT_MAX_SAMPLES = 8
"""How many `sampling/createMessage` requests a Toolbox answers (one Toolbox per episode)."""

REASON_META_KEY = "toolmaster/reason"
"""The `_meta` key of a declined elicitation's result that says why it was declined."""

UNATTENDED = (
    "ToolMaster is running unattended: no one is there to answer, so the request was declined"
)
"""The reason given to a server whose elicitation is declined by default."""


@dataclass(frozen=True, slots=True)
class SamplingRequest:
    """A server's `sampling/createMessage`, as a sampler sees it."""

    server: str
    """The configured name of the server that asks."""
    messages: tuple[Message, ...]
    """The conversation: the server's system prompt first (when it sent one), then its user
    and assistant messages; content that is not text reads as a placeholder (`[image:
    image/png, 68 bytes]`, as in tool results)."""
    max_tokens: int
    temperature: float | None = None
    stop: tuple[str, ...] = ()
    model_hints: tuple[str, ...] = ()
    """The model names the server would prefer, best first (a sampler may ignore them)."""


@dataclass(frozen=True, slots=True)
class SamplingReply:
    """What a sampler answers: the completion's text and the model that wrote it."""

    text: str
    model: str
    stop_reason: Literal["endTurn", "stopSequence", "maxTokens"] | None = "endTurn"


Sampler = Callable[[SamplingRequest], Awaitable[SamplingReply]]
"""Answers servers' sampling requests (the agent wires its policy). An exception it raises is
sent to the server as an error and recorded; it does not end the run (`SamplingRefusedError`
is a refusal rather than a failure)."""


class SamplingRefusedError(Exception):
    """Raised by a sampler that will not answer a request (no model to answer with yet): the
    server gets `reason` as its error, the `sampling` event's outcome is `refused`, and the
    request does not count against the cap."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class ElicitationRequest:
    """A server's `elicitation/create`: a question for the user."""

    server: str
    message: str
    mode: Literal["form", "url"]
    requested_schema: Mapping[str, JsonValue] | None = None
    """For a form: the flat JSON Schema of the answer."""
    url: str | None = None
    """For a URL elicitation: where the user is asked to go."""


ElicitValue = str | int | float | bool | list[str] | None
"""A value of an elicitation's form field (None: left out)."""


@dataclass(frozen=True, slots=True)
class ElicitationReply:
    """The answer to an elicitation: accepted with the form's content, declined (with a
    reason the server receives in the result's `_meta`), or cancelled."""

    action: Literal["accept", "decline", "cancel"]
    content: Mapping[str, ElicitValue] | None = None
    reason: str | None = None


Elicitor = Callable[[ElicitationRequest], Awaitable[ElicitationReply]]
"""Answers servers' elicitations (an interactive front end asks the user)."""


async def decline_unattended(request: ElicitationRequest) -> ElicitationReply:
    """The default elicitor: decline, saying that no one is there to answer."""
    del request
    return ElicitationReply("decline", reason=UNATTENDED)


Emit = Callable[[ToolEvent], Awaitable[None]]

_DONE = {"accept": "accepted", "decline": "declined", "cancel": "cancelled"}


class ClientSide:
    """What one Toolbox answers to its servers, shared by its connections: the sampler and its
    cap (counted over all servers), the elicitor, the log level it opts in to; events go to
    `emit`, every text in them passed through `scrub` first."""

    def __init__(
        self,
        *,
        emit: Emit,
        scrub: Callable[[str], str],
        sampler: Sampler | None = None,
        max_samples: int = DEFAULT_MAX_SAMPLES,
        elicitor: Elicitor | None = None,
        log_level: types.LoggingLevel | None = "info",
    ) -> None:
        self.emit = emit
        self.scrub = scrub
        self.sampler = sampler
        self.max_samples = max_samples
        self.elicitor: Elicitor = elicitor or decline_unattended
        self.log_level: types.LoggingLevel | None = log_level
        self.samples = 0
        """The sampling requests handed to the sampler so far."""

    def handlers(
        self, server: str, roots: tuple[str, ...] | None, cwd: str | None
    ) -> ServerHandlers:
        """The callbacks of one connection to `server`."""
        return ServerHandlers(self, server, roots, cwd)


class ServerHandlers:
    """The `mcp.Client` callbacks of one server: each answers and reports for that server."""

    def __init__(
        self, side: ClientSide, server: str, roots: tuple[str, ...] | None, cwd: str | None
    ) -> None:
        self._side = side
        self._server = server
        self._roots = roots
        self._cwd = cwd

    # ------------------------------------------------------------------ roots

    def roots(self) -> list[types.Root]:
        """The configured roots, else the working folder (the server's `cwd` when set)."""
        uris = self._roots
        if uris is None:
            uris = (Path(os.path.abspath(self._cwd or os.getcwd())).as_uri(),)
        return [types.Root(uri=uri, name=_root_name(uri)) for uri in uris]  # pyright: ignore[reportArgumentType]

    async def list_roots(self, context: ClientRequestContext) -> types.ListRootsResult:
        """`roots/list`."""
        del context
        return types.ListRootsResult(roots=self.roots())

    # ------------------------------------------------------------------ sampling

    async def sample(
        self, context: ClientRequestContext, params: types.CreateMessageRequestParams
    ) -> types.CreateMessageResult | types.ErrorData:
        """`sampling/createMessage`: the sampler's answer, or an error the server reads."""
        del context
        side = self._side
        request = _sampling_request(self._server, params, side.scrub)
        details: dict[str, JsonValue] = {"request": _request_data(request)}
        if side.sampler is None:
            return await self._refuse(
                details,
                "refused",
                "the client has no model configured to answer sampling requests in this run",
            )
        if side.samples >= side.max_samples:
            return await self._refuse(
                details,
                "over_limit",
                f"the client answers at most {side.max_samples} sampling requests per episode, "
                "and they are spent",
            )
        side.samples += 1
        details["count"] = side.samples
        try:
            reply = await side.sampler(request)
        except SamplingRefusedError as exc:
            side.samples -= 1
            return await self._refuse(details, "refused", exc.reason)
        except Exception as exc:  # a failing sampler is the server's error result; recorded
            logger.warning("sampler failed for server %r: %s", self._server, exc, exc_info=exc)
            return await self._refuse(details, "failed", f"sampling failed: {exc}")
        details.update(
            outcome="answered",
            reply=side.scrub(reply.text),
            model=reply.model,
            stop_reason=reply.stop_reason,
        )
        await side.emit(
            ToolEvent(
                "sampling",
                self._server,
                message=f"answered sampling request {side.samples} of {side.max_samples}",
                details=details,
            )
        )
        return types.CreateMessageResult(
            role="assistant",
            content=types.TextContent(type="text", text=encodable_json(reply.text)),
            model=reply.model,
            stop_reason=reply.stop_reason,
        )

    async def _refuse(
        self, details: dict[str, JsonValue], outcome: str, reason: str
    ) -> types.ErrorData:
        side = self._side
        details.update(outcome=outcome, error=reason, count=side.samples)
        await side.emit(ToolEvent("sampling", self._server, message=reason, details=details))
        return types.ErrorData(code=types.INVALID_REQUEST, message=reason)

    # ------------------------------------------------------------------ elicitation

    async def elicit(
        self, context: ClientRequestContext, params: types.ElicitRequestParams
    ) -> types.ElicitResult | types.ErrorData:
        """`elicitation/create`: the elicitor's answer (by default a decline with a reason)."""
        del context
        side = self._side
        if isinstance(params, types.ElicitRequestURLParams):
            request = ElicitationRequest(
                self._server, side.scrub(params.message), "url", url=params.url
            )
        else:
            schema: dict[str, JsonValue] = dict(params.requested_schema)
            request = ElicitationRequest(
                self._server, side.scrub(params.message), "form", requested_schema=schema
            )
        try:
            reply = await side.elicitor(request)
        except Exception as exc:  # a failing elicitor declines; recorded
            logger.warning("elicitor failed for server %r: %s", self._server, exc, exc_info=exc)
            reply = ElicitationReply("decline", reason=f"the client failed to ask: {exc}")
        details: dict[str, JsonValue] = {
            "request": {
                "message": request.message,
                "mode": request.mode,
                "requested_schema": dict(request.requested_schema or {}) or None,
                "url": request.url,
            },
            "action": reply.action,
            "reason": reply.reason,
        }
        if reply.action == "accept" and reply.content:
            details["content"] = {k: _scrubbed(v, side.scrub) for k, v in reply.content.items()}
        summary = f"elicitation {_DONE[reply.action]}"
        if reply.reason:
            summary += f": {reply.reason}"
        await side.emit(ToolEvent("elicitation", self._server, message=summary, details=details))
        meta = {REASON_META_KEY: reply.reason} if reply.reason else None
        content = dict(reply.content) if reply.action == "accept" and reply.content else None
        return types.ElicitResult(action=reply.action, content=content, _meta=meta)  # pyright: ignore[reportCallIssue]

    # ------------------------------------------------------------------ notifications

    async def log(self, params: types.LoggingMessageNotificationParams) -> None:
        """`notifications/message`: a `server_log` event."""
        data: JsonValue = encodable_json(params.data)
        text = data if isinstance(data, str) else _json_text(data)
        text = self._side.scrub(text)
        details: dict[str, JsonValue] = {
            "level": params.level,
            "logger": params.logger,
            "data": text if isinstance(data, str) else data,
        }
        await self._side.emit(ToolEvent("server_log", self._server, message=text, details=details))

    def progress(self, call: ToolCall) -> ProgressFnT:
        """The progress callback of one call: each `notifications/progress` a `progress` event."""
        side = self._side
        server = self._server

        async def report(progress: float, total: float | None, message: str | None) -> None:
            text = side.scrub(message) if message else None
            details: dict[str, JsonValue] = {"progress": progress, "total": total, "message": text}
            await side.emit(ToolEvent("progress", server, call=call, message=text, details=details))

        return report


def _sampling_request(
    server: str, params: types.CreateMessageRequestParams, scrub: Callable[[str], str]
) -> SamplingRequest:
    messages: list[Message] = []
    if params.system_prompt:
        messages.append(Message(role="system", content=scrub(params.system_prompt)))
    for message in params.messages:
        text = "\n".join(_block_text(block) for block in message.content_as_list)
        messages.append(Message(role=message.role, content=scrub(text)))
    hints: tuple[str, ...] = ()
    if params.model_preferences and params.model_preferences.hints:
        hints = tuple(h.name for h in params.model_preferences.hints if h.name)
    return SamplingRequest(
        server=server,
        messages=tuple(messages),
        max_tokens=params.max_tokens,
        temperature=params.temperature,
        stop=tuple(params.stop_sequences or ()),
        model_hints=hints,
    )


def _block_text(block: types.SamplingMessageContentBlock) -> str:
    """A sampling message's block as text: images and audio as the typed placeholder a tool
    result's read as (`ContentPart.rendered`); tool use and results by their type."""
    if isinstance(block, types.TextContent):
        return block.text
    if isinstance(block, types.ImageContent | types.AudioContent):
        data = pydantic_core.to_jsonable_python(block, by_alias=True, exclude_none=True)
        return render_parts(content_parts([data]))
    return f"[{block.type}]"


def _request_data(request: SamplingRequest) -> dict[str, JsonValue]:
    return {
        "messages": [m.model_dump(mode="json", exclude_defaults=True) for m in request.messages],
        "max_tokens": request.max_tokens,
        "temperature": request.temperature,
        "stop": list(request.stop),
        "model_hints": list(request.model_hints),
    }


def _scrubbed(value: ElicitValue, scrub: Callable[[str], str]) -> JsonValue:
    """An answered field as the record keeps it: its text with secrets scrubbed."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return value


def _json_text(data: JsonValue) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def _root_name(uri: str) -> str:
    path = unquote(urlsplit(uri).path).rstrip("/")
    return path.rsplit("/", 1)[-1] or "/"
