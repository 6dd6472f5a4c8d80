"""Tools as the agent sees them, the calls it makes and what comes back."""

from __future__ import annotations

import hashlib
import json
from typing import Literal

from pydantic import Field
from toolmaster.core._base import JsonObject, Record, empty_list
from toolmaster.core._content import ContentPart, content_parts, render_parts

Phase = Literal["trial", "execute"]
"""Which phase of an episode a call belongs to: exploratory trial calls come before
`finish_trial`, execution calls after it (and every call in direct mode)."""

ErrorKind = Literal["tool_error", "timeout", "server_crashed", "protocol", "refused", "too_large"]
"""Why a tool call did not produce a normal result.

- `tool_error`: the server ran the tool and reported an error (`isError`), bad arguments included.
- `timeout`: no answer within the per-call timeout; the call was cancelled.
- `server_crashed`: the server process exited or the connection dropped.
- `protocol`: the server answered with something that is not valid MCP.
- `refused`: ToolMaster did not send the call (trial safety, unknown tool, budget).
- `too_large`: the output exceeded the size limit; `content` holds a truncated copy.
"""


class ToolAnnotations(Record):
    """MCP tool annotations: hints, never guarantees, about what a tool does."""

    title: str | None = None
    read_only_hint: bool | None = None
    """The tool does not change its environment."""
    destructive_hint: bool | None = None
    """The tool may destroy or overwrite data (meaningful only when not read-only)."""
    idempotent_hint: bool | None = None
    """Calling it twice with the same arguments has no further effect."""
    open_world_hint: bool | None = None
    """The tool reaches outside systems (the web, other services)."""


class ToolKey(Record):
    """Identity of one version of one tool: experience is stored and looked up under it."""

    server: str
    """The server's identity from its MCP handshake (`mcp-server-memory@0.6.0`, see
    `announced_identity`), or its configuration name where it sent none (and in experience
    saved before keys were identities)."""
    tool: str
    """The tool's own name on its server."""
    schema_hash: str


def announced_identity(name: str | None, version: str | None) -> str | None:
    """How a server identifies itself in the MCP handshake (its `serverInfo`): `name@version`,
    the name alone without a version, None without a name."""
    if not name:
        return None
    return f"{name}@{version}" if version else name


class ToolSpec(Record):
    """A tool offered by an MCP server, as listed at the start of an episode."""

    name: str
    """The name the model calls it by (after any prefixing for name clashes)."""
    server: str
    """The name of the server that serves it, as given in the server configuration."""
    server_identity: str | None = None
    """Who the server is, by its MCP handshake (`announced_identity`: `serverInfo` name and
    version, `mcp-server-memory@0.6.0`); None when it did not say. Experience is keyed by it,
    so the same server under two configuration names shares what trials taught."""
    upstream_name: str | None = None
    """The tool's own name on its server where `name` differs from it (prefixed with the
    configuration name on a clash); None: `name` is that name."""
    title: str | None = None
    description: str = ""
    input_schema: JsonObject = Field(default_factory=lambda: {"type": "object"})
    output_schema: JsonObject | None = None
    annotations: ToolAnnotations = Field(default_factory=ToolAnnotations)

    @property
    def upstream(self) -> str:
        """The tool's own name on its server (`name` without any clash prefix)."""
        return self.upstream_name or self.name

    @property
    def schema_hash(self) -> str:
        """A stable hash of what defines the tool's behaviour for a model: its own name on its
        server, description and schemas. Key order in the schemas does not change it; a
        changed parameter does.

        Computed on each access (not cached): `model_copy(update=...)` must never carry a stale
        hash over to a changed tool."""
        return self._hash(self.upstream)

    @property
    def key(self) -> ToolKey:
        """Where experience of this tool version is kept: the server's identity (its
        configuration name where it announced none), the tool's own name, the schema hash."""
        return ToolKey(
            server=self.server_identity or self.server,
            tool=self.upstream,
            schema_hash=self.schema_hash,
        )

    @property
    def keys(self) -> tuple[ToolKey, ...]:
        """The keys to look experience up under, in order: `key`, then the key ToolMaster used
        before keys were identities (configuration name, name as offered, its hash), where that
        differs. Experience is saved under `key` only."""
        legacy = ToolKey(server=self.server, tool=self.name, schema_hash=self._hash(self.name))
        return (self.key,) if legacy == self.key else (self.key, legacy)

    def _hash(self, name: str) -> str:
        defining = {
            "name": name,
            "description": self.description,
            "input_schema": self.input_schema,
            "output_schema": self.output_schema,
        }
        canonical = json.dumps(defining, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]

    @property
    def read_only(self) -> bool:
        """Whether the server marks the tool read-only (absent hints mean: not read-only)."""
        return self.annotations.read_only_hint is True


class ToolCall(Record):
    """One call the model asked for."""

    id: str
    tool: str
    arguments: JsonObject = Field(default_factory=dict)
    phase: Phase = "execute"


class ToolResult(Record):
    """What came back for one call: a result, or an error of a known kind. Never an exception."""

    call_id: str
    content: list[JsonObject] = Field(default_factory=empty_list)
    """MCP content blocks as JSON (`{"type": "text", "text": ...}`, images, resources)."""
    structured_content: JsonObject | None = None
    is_error: bool = False
    error_kind: ErrorKind | None = None
    latency_s: float = 0.0
    original_size: int | None = None
    """For `too_large`: the size in bytes of the output before truncation."""

    @property
    def text(self) -> str:
        """Every block as a text-only model reads it, one per line: text blocks as they are,
        other blocks as a typed placeholder plus any text they carry (`ContentPart.rendered`)."""
        if all(block.get("type") == "text" for block in self.content):
            return "\n".join(str(block.get("text", "")) for block in self.content)
        return render_parts(self.parts)

    @property
    def parts(self) -> list[ContentPart]:
        """The content blocks as `ContentPart`s, with all their data."""
        return content_parts(self.content)

    @property
    def multimodal(self) -> bool:
        """Whether any content block is not plain text."""
        return any(block.get("type") != "text" for block in self.content)

    @classmethod
    def error(
        cls, call_id: str, kind: ErrorKind, message: str, *, latency_s: float = 0.0
    ) -> ToolResult:
        """A result that reports an error to the model as text."""
        return cls(
            call_id=call_id,
            content=[{"type": "text", "text": message}],
            is_error=True,
            error_kind=kind,
            latency_s=latency_s,
        )
