"""The `read_resource(uri)` control tool: how the model reads the MCP resources of its servers.

It is offered, as the last of the servers' tools, only in an episode whose servers list resources
or resource templates when it starts (`Agent(resources=...)`); its description names them. The
protocol answers its calls itself (`Move.action == "read"`): they are neither trial nor execution
calls of a tool, count against no budget, and run in either phase. The contents come back to
the model as a tool result: text as it is, binary data as a typed placeholder (URI, MIME type,
size), all of it cut at `MAX_RESOURCE_BYTES`.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import JsonValue
from toolmaster.core import (
    READ_RESOURCE,
    ResourceContents,
    ToolAnnotations,
    ToolResult,
    ToolSpec,
)
from toolmaster.mcp import TRUNCATION_MARKER, ResourceListing

__all__ = ["MAX_RESOURCE_BYTES", "NO_URI", "resource_result", "resource_tool"]

MAX_RESOURCE_BYTES = 256 * 1024
"""What the model reads of one resource at most (UTF-8 bytes), as the Toolbox's default limit
of a tool's output."""

_LISTED = 50
"""Resources (and templates) the tool's description names; more are summed up."""

NO_URI = (
    "read_resource needs the argument `uri`, a string: a URI its description lists, or one "
    "made from a URI template there"
)
"""What the model reads for a call of `read_resource` without a URI."""


_INTRO = (
    "Read an MCP resource of the servers by its URI. Text comes back as it is; binary data as a "
    "placeholder with its MIME type and size."
)


def _entry(name: str, description: str) -> str:
    about = " ".join(description.split())
    if len(about) > 120:
        about = about[:119] + "…"
    return f"- {name}" + (f": {about}" if about else "")


def resource_tool(listing: ResourceListing) -> ToolSpec | None:
    """The `read_resource` tool for the resources of `listing`, or None if it has none."""
    if not listing.resources and not listing.templates:
        return None
    lines = [_INTRO]
    if listing.resources:
        lines.append("Resources:")
        lines += [
            _entry(r.uri, r.description or r.title or r.name) for r in listing.resources[:_LISTED]
        ]
        if len(listing.resources) > _LISTED:
            lines.append(f"- ... and {len(listing.resources) - _LISTED} more")
    if listing.templates:
        lines.append("URI templates (fill in the {braces}):")
        lines += [
            _entry(t.uri_template, t.description or t.title or t.name)
            for t in listing.templates[:_LISTED]
        ]
        if len(listing.templates) > _LISTED:
            lines.append(f"- ... and {len(listing.templates) - _LISTED} more")
    return ToolSpec(
        name=READ_RESOURCE,
        server="toolmaster",
        description="\n".join(lines),
        input_schema={
            "type": "object",
            "properties": {"uri": {"type": "string"}},
            "required": ["uri"],
        },
        annotations=ToolAnnotations(read_only_hint=True),
    )


def resource_result(
    call_id: str,
    contents: Sequence[ResourceContents],
    *,
    latency_s: float = 0.0,
    limit: int = MAX_RESOURCE_BYTES,
) -> ToolResult:
    """What reading a resource returned, as the result of the model's call: each part's text
    (or placeholder) as a text block; beyond `limit` bytes the text is cut and marked."""
    texts = [part.rendered for part in contents] or ["(the resource is empty)"]
    size = sum(len(text.encode()) for text in texts)
    if size <= limit:
        blocks: list[dict[str, JsonValue]] = [{"type": "text", "text": text} for text in texts]
        return ToolResult(call_id=call_id, content=blocks, latency_s=latency_s)
    joined = "\n\n".join(texts).encode()[:limit].decode(errors="ignore")
    note = f"{TRUNCATION_MARKER} the resource was {size} bytes; the limit is {limit} bytes."
    return ToolResult(
        call_id=call_id,
        content=[{"type": "text", "text": joined}, {"type": "text", "text": note}],
        is_error=True,
        error_kind="too_large",
        latency_s=latency_s,
        original_size=size,
    )
