"""A server whose tools return every kind of MCP content block: images, audio, embedded text and
binary resources, resource links, and text beside them."""

from __future__ import annotations

import base64
import gzip

import mcp_types as types
from mcp.server.mcpserver import MCPServer

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(92))
"""The bytes of the image the tools return (100 bytes)."""
WAV = b"RIFF" + bytes(40)
"""The bytes of the audio clip (44 bytes)."""
GZIPPED = gzip.compress(b"rain,12\nsun,0\n" * 20, mtime=0)
"""The bytes of the binary resource: a gzip file."""
NOTES = "Oslo: rain after 14:00.\nBergen: rain all day."
"""The text of the embedded text resource."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def image_block(data: bytes = PNG) -> types.ImageContent:
    return types.ImageContent(type="image", data=_b64(data), mime_type="image/png")


def media_server(name: str = "media", *, big_image: int = 0) -> MCPServer:
    """An MCPServer whose tools each return one kind of content (`mixed` returns several);
    with `big_image`, `chart` returns an image of that many bytes instead of `PNG`."""
    app = MCPServer(name, version="0.3.0", log_level="WARNING")
    chart_png = PNG if not big_image else PNG[:8] + bytes(big_image - 8)

    @app.tool(annotations=types.ToolAnnotations(read_only_hint=True))
    def chart(city: str) -> list[types.ContentBlock]:
        """A rain chart of a city."""
        return [image_block(chart_png)]

    @app.tool(annotations=types.ToolAnnotations(read_only_hint=True))
    def clip() -> list[types.ContentBlock]:
        """A weather jingle."""
        return [types.AudioContent(type="audio", data=_b64(WAV), mime_type="audio/wav")]

    @app.tool(annotations=types.ToolAnnotations(read_only_hint=True))
    def notes() -> list[types.ContentBlock]:
        """The forecaster's notes, as an embedded resource."""
        resource = types.TextResourceContents(
            uri="file:///notes.txt", mime_type="text/plain", text=NOTES
        )
        return [types.EmbeddedResource(type="resource", resource=resource)]

    @app.tool(annotations=types.ToolAnnotations(read_only_hint=True))
    def archive() -> list[types.ContentBlock]:
        """Past rainfall, as a gzip file."""
        resource = types.BlobResourceContents(
            uri="file:///rain.csv.gz", mime_type="application/gzip", blob=_b64(GZIPPED)
        )
        return [types.EmbeddedResource(type="resource", resource=resource)]

    @app.tool(annotations=types.ToolAnnotations(read_only_hint=True))
    def report() -> list[types.ContentBlock]:
        """Where the full report is."""
        return [
            types.TextContent(type="text", text="The report is ready."),
            types.ResourceLink(
                type="resource_link",
                uri="file:///report.md",
                name="report",
                mime_type="text/markdown",
                size=2048,
            ),
        ]

    @app.tool(annotations=types.ToolAnnotations(read_only_hint=True))
    def mixed() -> list[types.ContentBlock]:
        """Text with an image between."""
        return [
            types.TextContent(type="text", text="before"),
            image_block(),
            types.TextContent(type="text", text="after"),
        ]

    @app.prompt(description="Describe a chart.")
    def describe() -> list[types.ContentBlock]:
        resource = types.TextResourceContents(
            uri="file:///notes.txt", mime_type="text/plain", text=NOTES
        )
        # bare content blocks: one user message each
        return [image_block(), types.EmbeddedResource(type="resource", resource=resource)]

    return app


if __name__ == "__main__":
    media_server().run()
