"""MCP tool results as `ToolResult`s: content as JSON, oversized output cut to a limit."""

from __future__ import annotations

from typing import Any

import mcp_types as types
import pydantic_core
from pydantic import JsonValue
from toolmaster.core import ToolResult

__all__ = ["TRUNCATION_MARKER", "block_json", "to_tool_result"]

TRUNCATION_MARKER = "[ToolMaster: output truncated]"
"""The start of the text block appended to a truncated result."""

_OTHER_BLOCK_BYTES = 256
"""What a block with no bulky payload (a resource link) counts for."""


def _payload(block: types.ContentBlock) -> str | None:
    """The bulky string of a block: text, base64 data, or an embedded resource's body."""
    if isinstance(block, types.TextContent):
        return block.text
    if isinstance(block, types.ImageContent | types.AudioContent):
        return block.data
    if isinstance(block, types.EmbeddedResource):
        resource = block.resource
        return resource.text if isinstance(resource, types.TextResourceContents) else resource.blob
    return None


def _utf8_len(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode())


def _content_size(content: list[types.ContentBlock], limit: int) -> int:
    """The bytes of the content's payloads; exact whenever it could exceed `limit`."""
    chars = 0
    for block in content:
        payload = _payload(block)
        chars += _OTHER_BLOCK_BYTES if payload is None else len(payload)
    if chars * 4 <= limit:  # UTF-8 takes at most 4 bytes a character: cannot exceed
        return chars
    total = 0
    for block in content:
        payload = _payload(block)
        total += _OTHER_BLOCK_BYTES if payload is None else _utf8_len(payload)
    return total


def _dump(content: list[types.ContentBlock]) -> list[dict[str, JsonValue]]:
    """The blocks as MCP JSON (camelCase, no nulls); plain text blocks without the serializer."""
    if len(content) == 1:
        block = content[0]
        if type(block) is types.TextContent and block.annotations is None and block.meta is None:
            return [{"type": "text", "text": block.text}]
    return pydantic_core.to_jsonable_python(content, by_alias=True, exclude_none=True)


def block_json(block: types.ContentBlock) -> dict[str, JsonValue]:
    """One content block as MCP JSON, as `ToolResult.content` holds it."""
    return _dump([block])[0]


def to_tool_result(
    call_id: str, raw: types.CallToolResult, *, latency_s: float, limit: int
) -> ToolResult:
    """`raw` as a `ToolResult`; output over `limit` bytes is cut with a visible marker.

    The size of an output is the UTF-8 bytes of its content payloads (text, base64 data,
    embedded resources), or of its structured content as JSON if that is larger. An oversized
    result has `error_kind="too_large"` (unless the tool already reported an error, which
    stays a `tool_error`), `original_size` set, its content cut to `limit` bytes followed by a
    marker block, and structured content dropped when it alone is over the limit.
    """
    size = _content_size(raw.content, limit)
    structured = raw.structured_content
    structured_size = 0 if structured is None else len(pydantic_core.to_json(structured))
    if size <= limit and structured_size <= limit:
        return ToolResult(
            call_id=call_id,
            content=_dump(raw.content),
            structured_content=structured,
            is_error=raw.is_error,
            error_kind="tool_error" if raw.is_error else None,
            latency_s=latency_s,
        )
    original = max(size, structured_size)
    content, dropped = _truncate(raw.content, limit)
    note = f"{TRUNCATION_MARKER} the output was {original} bytes; the limit is {limit} bytes"
    if dropped:
        note += f"; {dropped} non-text block(s) dropped"
    if structured is not None and structured_size > limit:
        note += "; structured content dropped"
        structured = None
    content.append({"type": "text", "text": note + "."})
    return ToolResult(
        call_id=call_id,
        content=content,
        structured_content=structured,
        is_error=True,
        error_kind="tool_error" if raw.is_error else "too_large",
        latency_s=latency_s,
        original_size=original,
    )


def _truncate(
    content: list[types.ContentBlock], limit: int
) -> tuple[list[dict[str, JsonValue]], int]:
    """The blocks that fit in `limit` bytes, the first text block that does not cut to fit."""
    budget = limit
    kept: list[dict[str, JsonValue]] = []
    dropped = 0
    for block in content:
        payload = _payload(block)
        size = _OTHER_BLOCK_BYTES if payload is None else _utf8_len(payload)
        if size <= budget:
            kept.extend(_dump([block]))
            budget -= size
        elif isinstance(block, types.TextContent) and budget > 0:
            cut = block.text.encode()[:budget].decode(errors="ignore")
            dumped: dict[str, Any] = _dump([block])[0]
            dumped["text"] = cut
            kept.append(dumped)
            budget = 0
        elif not isinstance(block, types.TextContent):
            dropped += 1
    return kept, dropped
