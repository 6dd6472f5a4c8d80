"""The Toolbox's resources and prompts against servers in this process, and its withheld
task-only tools."""

from __future__ import annotations

import base64

import anyio
import pytest
from toolmaster.core import Message, ToolCall, UserError
from toolmaster.mcp import TASKS_REQUIRED, ServerRequestError, Toolbox

from tests.mcp.servers.library_server import LOGO, library_server
from tests.mcp.servers.memory import calc_server, memory_spec, paged_server, raw_spec

pytestmark = pytest.mark.anyio


def library() -> Toolbox:
    return Toolbox(
        [
            memory_spec("library", library_server()),
            memory_spec("calc", calc_server()),
            memory_spec("paged", paged_server(total=2)),
        ]
    )


async def test_lists_resources_and_templates_per_server() -> None:
    with anyio.fail_after(10):
        async with library() as toolbox:
            listing = await toolbox.list_resources()
            assert [(r.server, r.uri, r.mime_type) for r in listing.resources] == [
                ("library", "docs://readme", "text/markdown"),
                ("library", "docs://logo.png", "image/png"),
            ]
            assert listing.resources[0].description == "How to use the library."
            assert [(t.server, t.uri_template) for t in listing.templates] == [
                ("library", "books://{isbn}")
            ]
            assert listing.errors == {}
            alone = await toolbox.list_resources("calc")
            assert (alone.resources, alone.templates) == ([], [])


async def test_reads_text_binary_and_templated_resources() -> None:
    with anyio.fail_after(10):
        async with library() as toolbox:
            [text] = await toolbox.read_resource("docs://readme")
            assert text.text == "# Library\nBooks are lent for 21 days."
            assert (text.mime_type, text.size, text.blob) == ("text/markdown", 37, None)
            assert text.rendered == text.text
            [binary] = await toolbox.read_resource("docs://logo.png")
            assert binary.text is None
            assert binary.blob is not None
            assert base64.b64decode(binary.blob) == LOGO
            assert binary.size == len(LOGO) == 100
            assert binary.rendered == "[binary resource docs://logo.png: image/png, 100 bytes]"
            [book] = await toolbox.read_resource("books://978-0", server="library")
            assert book.text == "book 978-0: on shelf 4"


async def test_an_unknown_uri_names_the_resources_there_are() -> None:
    with anyio.fail_after(10):
        async with library() as toolbox:
            with pytest.raises(UserError) as caught:
                await toolbox.read_resource("docs://nope")
            assert str(caught.value) == (
                "unknown resource 'docs://nope'; the resources are: docs://readme, "
                "docs://logo.png; the templates are: books://{isbn}"
            )


async def test_a_server_without_resources_says_so() -> None:
    with anyio.fail_after(10):
        async with Toolbox([memory_spec("paged", paged_server(total=2))]) as toolbox:
            listing = await toolbox.list_resources()
            assert (listing.resources, listing.templates, listing.errors) == ([], [], {})
            with pytest.raises(UserError, match="no connected server offers resources"):
                await toolbox.read_resource("docs://readme")
        async with library() as toolbox:
            with pytest.raises(UserError, match="server 'calc' offers no resources"):
                await toolbox.read_resource("docs://readme", server="calc")
            with pytest.raises(UserError, match=r"no server named 'nope' \(known: library"):
                await toolbox.list_resources("nope")


async def test_a_failing_read_names_the_server() -> None:
    app = library_server()

    @app.resource("docs://broken")
    def broken() -> str:
        raise RuntimeError("disk on fire")

    with anyio.fail_after(10):
        async with Toolbox([memory_spec("library", app)]) as toolbox:
            with pytest.raises(ServerRequestError) as caught:
                await toolbox.read_resource("docs://broken")
            assert caught.value.kind == "tool_error"
            assert str(caught.value).startswith(
                "server 'library': reading 'docs://broken' failed: MCP error"
            )


async def test_lists_and_renders_prompts() -> None:
    with anyio.fail_after(10):
        async with library() as toolbox:
            listing = await toolbox.list_prompts()
            assert [p.name for p in listing.prompts] == ["review", "hello"]
            review = listing.prompts[0]
            assert review.description == "Ask for a book review."
            assert [(a.name, a.required) for a in review.arguments] == [
                ("title", True),
                ("tone", False),
            ]
            rendered = await toolbox.get_prompt("review", {"title": "Dune", "tone": "warm"})
            assert rendered.server == "library"
            assert rendered.messages == [
                Message(role="user", content="Write a warm review of Dune.")
            ]
            hello = await toolbox.get_prompt("hello")
            assert hello.messages[0].content == "Hello!"


async def test_prompt_mistakes_are_clear() -> None:
    with anyio.fail_after(10):
        async with library() as toolbox:
            with pytest.raises(UserError) as unknown:
                await toolbox.get_prompt("summary")
            assert str(unknown.value) == "unknown prompt 'summary'; the prompts are: review, hello"
            with pytest.raises(UserError) as missing:
                await toolbox.get_prompt("review", {"tone": "warm"})
            assert str(missing.value) == "prompt 'review' needs the argument(s) 'title'"
            with pytest.raises(UserError) as extra:
                await toolbox.get_prompt("review", {"title": "Dune", "mood": "x"})
            assert str(extra.value) == (
                "prompt 'review' has no argument 'mood' (its arguments: title, tone)"
            )
            with pytest.raises(UserError, match="server 'paged' offers no prompts"):
                await toolbox.get_prompt("review", server="paged")


async def test_a_prompt_two_servers_offer_needs_the_server() -> None:
    servers = [memory_spec("a", library_server("a")), memory_spec("b", library_server("b"))]
    with anyio.fail_after(10):
        async with Toolbox(servers) as toolbox:
            with pytest.raises(UserError, match=r"offered by more than one server \(a, b\)"):
                await toolbox.get_prompt("hello")
            assert (await toolbox.get_prompt("hello", server="b")).server == "b"


async def test_closed_toolbox_refuses() -> None:
    toolbox = library()
    with pytest.raises(UserError, match="not open"):
        await toolbox.read_resource("docs://readme")


async def test_task_only_tools_are_withheld_with_the_reason() -> None:
    """MCP tasks are in the 2025-11-25 protocol, which the hand-written stdio server speaks."""
    with anyio.fail_after(20):
        async with Toolbox([raw_spec("raw", "--tasks")]) as toolbox:
            names = [t.name for t in toolbox.tools]
            assert "summarize" in names  # taskSupport optional: callable without a task
            assert "render_video" not in names
            assert toolbox.tool("render_video") is None
            [withheld] = toolbox.withheld
            assert (withheld.tool.name, withheld.tool.server) == ("render_video", "raw")
            assert withheld.reason == TASKS_REQUIRED
            refused = await toolbox.call(ToolCall(id="1", tool="render_video"))
            assert refused.error_kind == "refused"
            assert refused.text == f"tool 'render_video' is not offered: {TASKS_REQUIRED}"
            assert (await toolbox.call(ToolCall(id="2", tool="summarize"))).text == "summarize"
