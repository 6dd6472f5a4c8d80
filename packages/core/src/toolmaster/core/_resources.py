"""What MCP servers offer besides tools: resources to read and prompts to render."""

from __future__ import annotations

from pydantic import Field
from toolmaster.core._base import Record, empty_list
from toolmaster.core._content import ContentPart
from toolmaster.core._messages import Message
from toolmaster.core._tools import ToolSpec


class ResourceSpec(Record):
    """A resource an MCP server lists (`resources/list`)."""

    server: str
    """The name of the server that serves it, as given in the server configuration."""
    uri: str
    name: str
    title: str | None = None
    description: str = ""
    mime_type: str | None = None
    size: int | None = None
    """Its size in bytes, where the server says."""


class ResourceTemplateSpec(Record):
    """A family of resources an MCP server can read, by an RFC 6570 URI template
    (`resources/templates/list`), such as `file:///{path}`."""

    server: str
    uri_template: str
    name: str
    title: str | None = None
    description: str = ""
    mime_type: str | None = None


class ResourceContents(Record):
    """One part of what reading a resource returned: text, or binary data."""

    uri: str
    mime_type: str | None = None
    text: str | None = None
    """The text; None for binary contents."""
    blob: str | None = None
    """Binary contents, base64-encoded; None for text."""
    size: int = 0
    """Bytes: of the text in UTF-8, or of the decoded binary data."""

    @property
    def placeholder(self) -> str:
        """A short typed stand-in for binary contents: URI, MIME type and size, as a binary
        resource in a tool result reads (`ContentPart.placeholder`)."""
        part = ContentPart(type="resource", uri=self.uri, mime_type=self.mime_type, size=self.size)
        return part.placeholder

    @property
    def rendered(self) -> str:
        """The text, or the placeholder of binary contents."""
        return self.text if self.text is not None else self.placeholder


class PromptArgument(Record):
    """An argument a prompt template takes (always a string)."""

    name: str
    description: str = ""
    required: bool = False


class PromptSpec(Record):
    """A prompt template an MCP server lists (`prompts/list`)."""

    server: str
    name: str
    title: str | None = None
    description: str = ""
    arguments: list[PromptArgument] = Field(default_factory=empty_list)


class RenderedPrompt(Record):
    """A prompt rendered by its server (`prompts/get`): chat messages, with any non-text
    content as a short typed placeholder."""

    server: str
    name: str
    description: str = ""
    messages: list[Message] = Field(default_factory=empty_list)


class WithheldTool(Record):
    """A tool a server lists that is not offered to the model, and why."""

    tool: ToolSpec
    reason: str
