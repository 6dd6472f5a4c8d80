"""Tool calls in the text of text-mode models: parsing (tolerant of form, strict about validity)
and rendering (the same formats, for prompts and training data).

Two formats are recognised:

- Hermes / Qwen: `<tool_call>{"name": ..., "arguments": {...}}</tool_call>`, any number per reply,
  with free text around them (the text becomes the turn's content);
- bare JSON, when the whole reply is one call object or an array of call objects.

Tolerated: whitespace and newlines anywhere, Markdown code fences around the JSON, `"arguments"`
given as a JSON string (the OpenAI wire form) or named `"parameters"`, a call object wrapped as
`{"type": "function", "function": {...}}`, and a last `<tool_call>` without its closing tag (output
cut at a stop string or at the token limit). Refused, each as one format error meant to be shown to
the model, never as an exception: invalid JSON, JSON nested too deeply, a missing or empty name,
arguments that are not an object, and (when the tool list is given) a name that is not a tool.

Parsing never raises and takes time linear in the reply's length (no backtracking regular
expression: whatever a model writes cannot stall the event loop that every episode shares).
"""

from __future__ import annotations

import json
import math
import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal, cast

from pydantic import JsonValue, ValidationError
from toolmaster.core import ToolCall, ToolSpec

__all__ = ["CallStyle", "ParsedReply", "parse_tool_calls", "render_tool_calls"]

CallStyle = Literal["hermes", "json", "fenced_json"]
"""How tool calls are written in text: `hermes` (`<tool_call>` blocks after the content),
`json` (the bare call object, or an array of them), `fenced_json` (the same in a ```json fence)."""

OPEN_TAG = "<tool_call>"
CLOSE_TAG = "</tool_call>"
CALL_EXAMPLE = (
    'Write each call as <tool_call>{"name": "tool_name", "arguments": {"arg": "value"}}</tool_call>'
)
NATIVE_CALL_EXAMPLE = "Call a tool by its name with its arguments as one JSON object."
"""How to call a tool, for a model whose server parses its tool calls (native tool calling)."""

_CALL_KEYS = frozenset({"name", "arguments", "parameters", "id", "type", "function"})
_FENCE = "```"
_LANGUAGE = frozenset(string.ascii_letters + string.digits + "_-")
_SNIPPET = 160


@dataclass(frozen=True)
class ParsedReply:
    """A model reply split into its text and its tool calls."""

    content: str
    """The reply without the tool-call markup, stripped (empty when there is none)."""
    calls: list[ToolCall] = field(default_factory=list[ToolCall])
    """The valid calls, in order; ids are `call_0`, `call_1`, ... (the loop makes them unique)."""
    errors: list[str] = field(default_factory=list[str])
    """One message per invalid call, written for the model to read and correct."""


class _BadCallError(Exception):
    """An invalid call; the message is shown to the model."""


def parse_tool_calls(text: str, tools: Sequence[ToolSpec] | None = None) -> ParsedReply:
    """Split a model reply into content, valid tool calls and format errors. Never raises.

    With `tools`, a call of a name not among them is a format error; without, any name passes.
    """
    known = None if tools is None else {tool.name for tool in tools}
    if OPEN_TAG in text:
        content, bodies = _split_tagged(text)
        candidates: list[tuple[str, object | _BadCallError]] = []
        for body in bodies:
            decoded = _decode(body)
            items: list[object] = [decoded]
            if isinstance(decoded, list) and decoded:  # several calls in one block
                items = cast(list[object], decoded)
            candidates.extend((body, item) for item in items)
        return _collect(content, candidates, known)
    bare = _bare_calls(text)
    if bare is None:
        return ParsedReply(content=text.strip())
    return _collect("", [(text.strip(), item) for item in bare], known)


def render_tool_calls(
    calls: Iterable[ToolCall], *, content: str | None = None, style: CallStyle = "hermes"
) -> str:
    """Write calls (and optional content) as a text-mode model would, in the given style.

    `json` and `fenced_json` cannot carry content besides the calls: passing some is an error.
    """
    objects = [{"name": call.tool, "arguments": call.arguments} for call in calls]
    if style == "hermes":
        blocks = [f"{OPEN_TAG}\n{_dumps(obj)}\n{CLOSE_TAG}" for obj in objects]
        return "\n".join([content, *blocks] if content else blocks)
    if content:
        raise ValueError(f"style {style!r} cannot carry content besides the calls")
    body = _dumps(objects[0]) if len(objects) == 1 else _dumps(objects)
    return body if style == "json" else f"```json\n{body}\n```"


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def _split_tagged(text: str) -> tuple[str, list[str]]:
    """The text outside `<tool_call>` blocks, and the blocks' bodies (the last may be unclosed)."""
    outside: list[str] = []
    bodies: list[str] = []
    rest = text
    while OPEN_TAG in rest:
        before, _, rest = rest.partition(OPEN_TAG)
        outside.append(before)
        body, _, rest = rest.partition(CLOSE_TAG)  # unclosed: the body is all the rest
        bodies.append(body)
    outside.append(rest)
    # A stray closing tag outside any block is markup, not content.
    pieces = (piece.replace(CLOSE_TAG, "").strip() for piece in outside)
    return "\n".join(piece for piece in pieces if piece), bodies


def _unfence(text: str) -> str:
    """The body of a Markdown code fence around the whole text (without its language tag), or
    the text itself; stripped. One pass over the text."""
    stripped = text.strip()
    if len(stripped) < 2 * len(_FENCE) or not (
        stripped.startswith(_FENCE) and stripped.endswith(_FENCE)
    ):
        return stripped
    inner = stripped[len(_FENCE) : -len(_FENCE)]
    start = 0
    while start < len(inner) and inner[start] in _LANGUAGE:
        start += 1
    while start < len(inner) and inner[start] in " \t":
        start += 1
    if start < len(inner) and inner[start] == "\n":
        start += 1
    return inner[start:].strip()


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"{text} is out of range")
    return value


def _loads(text: str) -> object:
    return json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)


def _decode(body: str) -> object | _BadCallError:
    """The JSON inside a block, or the reason it is not JSON."""
    payload = _unfence(body)
    if not payload:
        return _BadCallError("the <tool_call> block is empty")
    try:
        return _loads(payload)
    except ValueError as exc:  # json.JSONDecodeError is a ValueError
        return _BadCallError(f"not valid JSON ({exc})")
    except RecursionError:
        return _BadCallError("JSON nested too deeply")


def _looks_like_call(value: object) -> bool:
    if not isinstance(value, dict):
        return False
    keys = set(cast(dict[str, object], value))
    return keys <= _CALL_KEYS and bool(keys & {"name", "arguments", "parameters", "function"})


def _bare_calls(text: str) -> list[object] | None:
    """The call objects when the whole reply is JSON made of calls; None when it is not."""
    payload = _unfence(text)
    if not payload.startswith(("{", "[")):
        return None
    try:
        value = _loads(payload)
    except (ValueError, RecursionError):
        return None
    if _looks_like_call(value):
        return [value]
    if isinstance(value, list) and value:
        items = cast(list[object], value)
        if all(_looks_like_call(item) for item in items):
            return items
    return None


def _collect(
    content: str, candidates: list[tuple[str, object | _BadCallError]], known: set[str] | None
) -> ParsedReply:
    calls: list[ToolCall] = []
    errors: list[str] = []
    for number, (source, candidate) in enumerate(candidates, start=1):
        outcome = call_from_object(
            candidate, number=number, call_id=f"call_{len(calls)}", known=known, source=source
        )
        if isinstance(outcome, ToolCall):
            calls.append(outcome)
        else:
            errors.append(outcome)
    return ParsedReply(content=content, calls=calls, errors=errors)


def call_from_object(
    candidate: object,
    *,
    number: int,
    call_id: str,
    known: set[str] | None,
    source: str,
    example: str = CALL_EXAMPLE,
) -> ToolCall | str:
    """A decoded call object as a `ToolCall`, or the format error to show the model.

    `number` (from 1), `source` (the text it came from) and `example` (how to write a call, in
    the model's calling convention) only serve the error message.
    """
    try:
        if isinstance(candidate, _BadCallError):
            raise candidate
        name, arguments = _validate(candidate, known)
        return ToolCall(id=call_id, tool=name, arguments=arguments)
    except _BadCallError as exc:
        return _error_message(number, source, str(exc), example)
    except ValidationError as exc:  # arguments JSON cannot hold, e.g. nested past its limit
        reason = exc.errors()[0]["msg"] if exc.errors() else str(exc)
        return _error_message(number, source, f"the arguments are not valid ({reason})", example)


def _validate(candidate: object, known: set[str] | None) -> tuple[str, dict[str, JsonValue]]:
    if not isinstance(candidate, dict):
        raise _BadCallError(f"a call must be a JSON object, not {_json_type(candidate)}")
    call = cast(dict[str, object], candidate)
    function = call.get("function")
    if isinstance(function, dict) and "name" not in call:
        call = cast(dict[str, object], function)
    name = call.get("name")
    if not isinstance(name, str) or not name.strip():
        raise _BadCallError('the call has no "name" (a non-empty string)')
    name = name.strip()
    if known is not None and name not in known:
        listed = ", ".join(sorted(known)) or "none"
        raise _BadCallError(f"there is no tool named {name!r} (tools: {listed})")
    key = "arguments" if "arguments" in call else "parameters"
    arguments: object = call.get(key, {})
    if isinstance(arguments, str):
        try:
            arguments = _loads(arguments) if arguments.strip() else {}
        except (ValueError, RecursionError) as exc:
            raise _BadCallError(f'"{key}" is a string that is not valid JSON ({exc})') from None
    if not isinstance(arguments, dict):
        raise _BadCallError(f'"{key}" must be a JSON object, not {_json_type(arguments)}')
    return name, cast(dict[str, JsonValue], arguments)


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _error_message(number: int, source: str, reason: str, example: str) -> str:
    snippet = " ".join(source.split())
    if len(snippet) > _SNIPPET:
        snippet = snippet[: _SNIPPET - 3] + "..."
    return f"call {number} ({snippet!r}) was not run: {reason}. {example}"
