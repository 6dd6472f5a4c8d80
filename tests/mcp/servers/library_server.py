"""A server with resources and prompts, in this process or (`python library_server.py`) over
stdio."""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer

LOGO = b"\x89PNG\r\n\x1a\n" + bytes(92)
"""The bytes of the binary resource (100 bytes)."""


def library_server(name: str = "library") -> MCPServer:
    """An MCPServer with text, binary and templated resources, prompts and one tool."""
    app = MCPServer(name, version="1.2.0", log_level="WARNING")

    @app.resource("docs://readme", description="How to use the library.", mime_type="text/markdown")
    def readme() -> str:
        return "# Library\nBooks are lent for 21 days."

    @app.resource("docs://logo.png", description="The logo.", mime_type="image/png")
    def logo() -> bytes:
        return LOGO

    @app.resource("books://{isbn}", description="A book by its ISBN.")
    def book(isbn: str) -> str:
        return f"book {isbn}: on shelf 4"

    @app.prompt(description="Ask for a book review.")
    def review(title: str, tone: str = "neutral") -> str:
        """Review a book."""
        return f"Write a {tone} review of {title}."

    @app.prompt(description="No arguments.")
    def hello() -> str:
        return "Hello!"

    @app.tool()
    def lend(isbn: str) -> str:
        """Lend a book."""
        return f"lent {isbn}"

    return app


if __name__ == "__main__":
    library_server().run()
