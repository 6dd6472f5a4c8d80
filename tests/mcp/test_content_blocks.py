"""Every kind of MCP content block comes back from the Toolbox whole, and reads as the text a
text-only model gets: against a real server in this process."""

from __future__ import annotations

import base64

import anyio
import pytest
from pydantic import JsonValue
from toolmaster.core import ToolCall
from toolmaster.mcp import TRUNCATION_MARKER, Toolbox

from tests.mcp.servers.media_server import GZIPPED, NOTES, PNG, WAV, media_server
from tests.mcp.servers.memory import memory_spec

pytestmark = pytest.mark.anyio


def call(tool: str, **arguments: JsonValue) -> ToolCall:
    return ToolCall(id=f"c-{tool}", tool=tool, arguments=arguments)


async def test_every_block_comes_back_whole_and_renders_as_placeholder_and_text() -> None:
    with anyio.fail_after(10):
        async with Toolbox([memory_spec("media", media_server())]) as toolbox:
            chart = await toolbox.call(call("chart", city="Oslo"))
            clip = await toolbox.call(call("clip"))
            notes = await toolbox.call(call("notes"))
            archive = await toolbox.call(call("archive"))
            report = await toolbox.call(call("report"))
            mixed = await toolbox.call(call("mixed"))
    [image] = chart.parts
    assert (image.type, image.mime_type, image.size) == ("image", "image/png", len(PNG))
    assert base64.b64decode(image.data or "") == PNG
    assert chart.text == "[image: image/png, 100 bytes]"
    assert clip.text == f"[audio: audio/wav, {len(WAV)} bytes]"
    # an embedded text resource's text reaches the model
    assert notes.text == f"[resource file:///notes.txt: text/plain, {len(NOTES)} bytes]\n{NOTES}"
    # a gzip file as a resource is a placeholder, never an empty string
    assert archive.text == (
        f"[binary resource file:///rain.csv.gz: application/gzip, {len(GZIPPED)} bytes]"
    )
    assert base64.b64decode(archive.parts[0].data or "") == GZIPPED
    assert report.text == (
        "The report is ready.\n"
        "[resource link file:///report.md (report): text/markdown, 2048 bytes]"
    )
    assert mixed.text == "before\n[image: image/png, 100 bytes]\nafter"
    assert all(r.multimodal and not r.is_error for r in (chart, clip, notes, archive, report))


async def test_an_image_over_the_output_limit_is_dropped_and_said_so() -> None:
    with anyio.fail_after(10):
        server = media_server(big_image=3000)
        async with Toolbox([memory_spec("media", server)], max_output_bytes=1000) as toolbox:
            result = await toolbox.call(call("chart", city="Oslo"))
    assert result.error_kind == "too_large"
    assert result.text.startswith(TRUNCATION_MARKER)
    assert "1 non-text block(s) dropped" in result.text


async def test_prompt_messages_read_as_tool_results_do() -> None:
    with anyio.fail_after(10):
        async with Toolbox([memory_spec("media", media_server())]) as toolbox:
            rendered = await toolbox.get_prompt("describe")
    assert [m.content for m in rendered.messages] == [
        "[image: image/png, 100 bytes]",
        f"[resource file:///notes.txt: text/plain, {len(NOTES)} bytes]\n{NOTES}",
    ]
