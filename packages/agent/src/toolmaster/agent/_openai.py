"""A policy served by an OpenAI-compatible chat-completions endpoint: vLLM `serve`, SGLang,
the llama.cpp server, hosted APIs."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Self, cast

import anyio
import httpx
from pydantic import JsonValue
from toolmaster.agent._chat import chat_input, text_mode_messages
from toolmaster.agent._parse import NATIVE_CALL_EXAMPLE, call_from_object, parse_tool_calls
from toolmaster.agent._policy import AssistantTurn, FinishReason, PolicyError
from toolmaster.core import (
    Message,
    PolicyInfo,
    Sampling,
    ToolCall,
    ToolSpec,
    Usage,
    encodable_json,
)

__all__ = ["OpenAIConfig", "OpenAIPolicy", "ToolMode"]

logger = logging.getLogger(__name__)

ToolMode = Literal["native", "text"]
"""`native`: tools go in the request's `tools` and calls come back as `tool_calls` (the server
needs a tool parser, e.g. `vllm serve --enable-auto-tool-choice --tool-call-parser hermes`).
`text`: tools are described in the system prompt and calls parsed from the reply's text."""

_RETRY_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})
_FINISH: dict[str, FinishReason] = {"stop": "stop", "length": "length", "tool_calls": "tool_calls"}


@dataclass(frozen=True)
class OpenAIConfig:
    """How to reach an OpenAI-compatible server. Nothing is read from the environment."""

    base_url: str
    """The API root, e.g. `http://127.0.0.1:8000/v1` (`/chat/completions` is appended)."""
    model: str
    """The model name the server knows (`--served-model-name` for vLLM)."""
    api_key: str | None = None
    """Sent as a bearer token when given."""
    tool_mode: ToolMode = "native"
    name: str | None = None
    """A human name for the policy in episode records (default: the model name)."""
    timeout_s: float = 120.0
    """Timeout of one HTTP attempt (connect, read, write, pool)."""
    max_retries: int = 3
    """Further attempts after a timeout, a connection failure, 408/409/429 or a 5xx."""
    backoff_s: float = 1.0
    """The wait before the first retry; it doubles each time, up to `max_backoff_s`."""
    max_backoff_s: float = 30.0
    headers: dict[str, str] = field(default_factory=dict[str, str])
    extra_body: dict[str, JsonValue] = field(default_factory=dict[str, JsonValue])
    """Merged into every request body (server-specific options such as `top_k`)."""
    images: bool = False
    """The served model takes image input (a vision model: vLLM serving Qwen2.5-VL, a hosted
    multimodal API). Images that tools return then also go to it as `image_url` parts: after a
    run of tool results, one user message with each image and its placeholder (in text mode,
    in the user message of the tool responses). Off, the model reads only the placeholders, as
    a text-only model does."""


class OpenAIPolicy:
    """An OpenAI-compatible endpoint as a `Policy`, over httpx (async).

    Use it as an async context manager, or call `aclose()`, to close its connection pool.
    `transport` replaces httpx's network transport (tests replay recorded exchanges with it).
    """

    def __init__(
        self, config: OpenAIConfig, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.config = config
        self.info = PolicyInfo(
            name=config.name or config.model, backend="openai", model=config.model
        )
        headers = dict(config.headers)
        if config.api_key:
            headers["Authorization"] = f"Bearer {config.api_key}"
        self._client = httpx.AsyncClient(
            base_url=config.base_url.rstrip("/") + "/",
            headers=headers,
            timeout=config.timeout_s,
            transport=transport,
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()

    def request_body(
        self, messages: Sequence[Message], tools: Sequence[ToolSpec], sampling: Sampling
    ) -> dict[str, JsonValue]:
        """The chat-completions request for one turn."""
        body: dict[str, JsonValue] = {"model": self.config.model}
        if self.config.tool_mode == "native":
            chat = chat_input(messages, tools, wire=True)
            wire = chat.messages
            if self.config.images:
                wire = _native_images(messages, wire)
            body["messages"] = cast(list[JsonValue], wire)
            if chat.tools:
                body["tools"] = cast(list[JsonValue], chat.tools)
        else:
            wire = text_mode_messages(messages, tools)
            if self.config.images:
                wire = _text_mode_images(messages, wire)
            body["messages"] = cast(list[JsonValue], wire)
        body.update(
            temperature=sampling.temperature, top_p=sampling.top_p, max_tokens=sampling.max_tokens
        )
        if sampling.stop:
            body["stop"] = list(sampling.stop)
        if sampling.seed is not None:
            body["seed"] = sampling.seed
        body.update(self.config.extra_body)
        return encodable_json(body)  # a model's lone surrogate echoed back would not encode

    async def complete(
        self, messages: Sequence[Message], tools: Sequence[ToolSpec], sampling: Sampling
    ) -> AssistantTurn:
        """Ask the server for the next assistant turn."""
        started = time.perf_counter()
        data = await self._post(self.request_body(messages, tools, sampling))
        try:
            turn = _turn(data, tools)
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise PolicyError(f"malformed chat-completions response: {exc!r}") from exc
        return turn.model_copy(update={"latency_s": time.perf_counter() - started})

    async def _post(self, body: dict[str, JsonValue]) -> dict[str, JsonValue]:
        """POST with retries on transient failures; the parsed JSON response."""
        delay = self.config.backoff_s
        for attempt in range(self.config.max_retries + 1):
            last = attempt == self.config.max_retries
            try:
                response = await self._client.post("chat/completions", json=body)
            except httpx.TransportError as exc:  # timeouts and connection failures
                if last:
                    raise PolicyError(f"{self.config.base_url} unreachable: {exc!r}") from exc
                logger.warning("attempt %d failed (%r), retrying in %.1fs", attempt + 1, exc, delay)
            else:
                if response.status_code < 400:
                    return _json(response)
                if response.status_code not in _RETRY_STATUS or last:
                    status, detail = response.status_code, _detail(response)
                    raise PolicyError(f"{self.config.base_url} answered {status}: {detail}")
                logger.warning(
                    "attempt %d got %d, retrying in %.1fs", attempt + 1, response.status_code, delay
                )
            await anyio.sleep(delay)
            delay = min(delay * 2, self.config.max_backoff_s)
        raise AssertionError("unreachable")  # pragma: no cover


def _image_parts(message: Message) -> list[JsonValue]:
    """The images of a tool message as chat-completions content parts: each one's placeholder
    (which names the call), then the image as a data URL. Images whose data was not kept have
    none."""
    parts: list[JsonValue] = []
    for part in message.parts:
        mime = part.mime_type or ""
        if part.type != "image" or part.data is None or not mime.startswith("image/"):
            continue
        label = f"{part.placeholder} from {message.name} (call {message.tool_call_id})"
        parts.append({"type": "text", "text": label})
        url = f"data:{mime};base64,{part.data}"
        parts.append({"type": "image_url", "image_url": {"url": url}})
    return parts


def _native_images(
    messages: Sequence[Message], wire: list[dict[str, JsonValue]]
) -> list[dict[str, JsonValue]]:
    """`wire` (one message per message) with a user message of the images after each run of
    tool messages that returned any: chat-completions tool messages take only text."""
    out: list[dict[str, JsonValue]] = []
    pending: list[JsonValue] = []
    for message, sent in zip(messages, wire, strict=True):
        if pending and message.role != "tool":
            out.append({"role": "user", "content": pending})
            pending = []
        out.append(sent)
        if message.role == "tool":
            pending += _image_parts(message)
    if pending:
        out.append({"role": "user", "content": pending})
    return out


def _text_mode_images(
    messages: Sequence[Message], wire: list[dict[str, JsonValue]]
) -> list[dict[str, JsonValue]]:
    """`wire` (`text_mode_messages`: a system message first where there is a system prompt or
    tools, then one message per message but one user message per run of tool messages) with
    the images of each run as parts of its user message."""
    rest = list(messages)
    if rest and rest[0].role == "system":
        rest.pop(0)
    out = list(wire)
    index = 1 if out and out[0]["role"] == "system" else 0
    run: list[JsonValue] = []
    for position, message in enumerate(rest):
        if message.role != "tool":
            index += 1
            continue
        run += _image_parts(message)
        last = position + 1 == len(rest) or rest[position + 1].role != "tool"
        if last:
            if run:
                text = out[index]["content"]
                out[index] = {**out[index], "content": [{"type": "text", "text": text}, *run]}
            run = []
            index += 1
    return out


def _json(response: httpx.Response) -> dict[str, JsonValue]:
    try:
        data = response.json()
    except ValueError as exc:
        raise PolicyError(
            f"the server sent a body that is not JSON: {response.text[:200]!r}"
        ) from exc
    if not isinstance(data, dict):
        raise PolicyError(f"the server sent JSON that is not an object: {response.text[:200]!r}")
    return cast(dict[str, JsonValue], data)


def _detail(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return response.text[:500]
    if isinstance(data, dict):
        fields = cast(dict[str, object], data)
        error = fields.get("error", fields)
        if isinstance(error, dict):
            message = cast(dict[str, object], error).get("message")
            if isinstance(message, str):
                return message[:500]
    return json.dumps(data)[:500]


def _turn(data: dict[str, JsonValue], tools: Sequence[ToolSpec]) -> AssistantTurn:
    """The assistant turn in a response (raises KeyError/TypeError/... when malformed)."""
    choices = cast(list[dict[str, JsonValue]], data["choices"])
    choice = choices[0]
    message = cast(dict[str, JsonValue], choice["message"])
    text = message.get("content")
    if text is not None and not isinstance(text, str):
        raise TypeError(f"content is {type(text).__name__}")
    native = cast(list[dict[str, JsonValue]], message.get("tool_calls") or [])
    calls: list[ToolCall] = []
    errors: list[str] = []
    content = text or None
    if native:
        known = {tool.name for tool in tools}
        for number, item in enumerate(native, start=1):
            outcome = _native_call(number, item, known)
            if isinstance(outcome, ToolCall):
                calls.append(outcome)
            else:
                errors.append(outcome)
    elif text:
        # Text mode, or a native-mode server that left markup it could not parse in the content.
        parsed = parse_tool_calls(text, tools)
        content, calls, errors = parsed.content or None, parsed.calls, parsed.errors
    usage: dict[str, JsonValue] = {}
    if isinstance(data.get("usage"), dict):
        usage = cast(dict[str, JsonValue], data["usage"])
    reason = choice.get("finish_reason")
    return AssistantTurn(
        content=content,
        tool_calls=calls,
        usage=Usage(
            prompt_tokens=int(cast(int, usage.get("prompt_tokens", 0))),
            completion_tokens=int(cast(int, usage.get("completion_tokens", 0))),
        ),
        format_errors=errors,
        raw=text,
        finish_reason=_FINISH.get(reason) if isinstance(reason, str) else None,
    )


def _native_call(number: int, item: dict[str, JsonValue], known: set[str]) -> ToolCall | str:
    """A native tool call, or the format error to show the model."""
    function = item.get("function")
    candidate = function if isinstance(function, dict) else item
    call_id = item.get("id")
    return call_from_object(
        candidate,
        number=number,
        call_id=call_id if isinstance(call_id, str) and call_id else f"call_{number - 1}",
        known=known,
        source=json.dumps(candidate, ensure_ascii=False),
        example=NATIVE_CALL_EXAMPLE,
    )
