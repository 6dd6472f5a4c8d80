"""What tools return that is not text reaches the model and the record: a text-only model reads
typed placeholders, a multimodal OpenAI-compatible endpoint also gets the images, the episode
keeps every block (binary data up to a cap) and the store gives it back. The tools are a real
MCP server in this process."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from pathlib import Path

import anyio
import httpx
import pytest
from pydantic import JsonValue
from toolmaster.agent import (
    Agent,
    AgentConfig,
    OpenAIConfig,
    OpenAIPolicy,
    Policy,
    ScriptedPolicy,
    ToolMode,
)
from toolmaster.core import (
    OMITTED_META_KEY,
    Episode,
    Event,
    Store,
    Task,
    ToolCall,
    Turn,
    render_parts,
)
from toolmaster.mcp import Toolbox

from tests.mcp.servers.media_server import GZIPPED, NOTES, PNG, media_server
from tests.mcp.servers.memory import memory_spec

pytestmark = pytest.mark.anyio

TASK = Task(id="rain", prompt="Will it rain in Oslo?")
PNG_URL = "data:image/png;base64," + base64.b64encode(PNG).decode()

EXPECTED = [
    "[image: image/png, 100 bytes]",
    f"[resource file:///notes.txt: text/plain, {len(NOTES)} bytes]\n{NOTES}",
    f"[binary resource file:///rain.csv.gz: application/gzip, {len(GZIPPED)} bytes]",
    "The report is ready.\n[resource link file:///report.md (report): text/markdown, 2048 bytes]",
    "before\n[image: image/png, 100 bytes]\nafter",
]


def calls() -> list[ToolCall]:
    return [
        ToolCall(id="c1", tool="chart", arguments={"city": "Oslo"}),
        ToolCall(id="c2", tool="notes"),
        ToolCall(id="c3", tool="archive"),
        ToolCall(id="c4", tool="report"),
        ToolCall(id="c5", tool="mixed"),
    ]


async def play(
    policy: Policy, *, config: AgentConfig | None = None, events: list[Event] | None = None
) -> Episode:
    async def sink(event: Event) -> None:
        if events is not None:
            events.append(event)

    with anyio.fail_after(20):
        async with Toolbox([memory_spec("media", media_server())]) as toolbox:
            agent = Agent(policy, toolbox, config or AgentConfig(mode="direct"), events=sink)
            return await agent.run(TASK)


def tool_messages(episode: Episode) -> list[str]:
    return [m.content or "" for m in episode.messages if m.role == "tool"]


async def test_a_text_only_model_reads_placeholders_and_the_episode_keeps_every_block(
    tmp_path: Path,
) -> None:
    policy = ScriptedPolicy([Turn(tool_calls=calls()), Turn(content="yes")])
    episode = await play(policy)
    assert episode.error is None
    read = [m.content for m in policy.seen[1] if m.role == "tool"]
    assert read == EXPECTED
    assert tool_messages(episode) == EXPECTED
    tools = [m for m in episode.messages if m.role == "tool"]
    assert [[p.type for p in m.parts] for m in tools] == [
        ["image"],
        ["resource"],
        ["resource"],
        ["text", "resource_link"],
        ["text", "image", "text"],
    ]
    for message in tools:  # the record's text is the one rendering of its parts
        assert message.content == render_parts(message.parts)
    chart = tools[0].parts[0]
    assert base64.b64decode(chart.data or "") == PNG and not chart.omitted
    with Store(tmp_path / "s.db") as store:
        store.put_episode(episode)
        assert store.get_episode(episode.id) == episode


async def test_data_over_the_cap_is_not_kept_and_the_episode_says_so() -> None:
    events: list[Event] = []
    policy = ScriptedPolicy([Turn(tool_calls=calls()[:1]), Turn(content="yes")])
    config = AgentConfig(mode="direct", max_kept_bytes=50)
    episode = await play(policy, config=config, events=events)
    [part] = next(m for m in episode.messages if m.role == "tool").parts
    assert (part.data, part.omitted, part.size) == (None, True, len(PNG))
    assert policy.seen[1][-1].parts[0].data is not None, "the model got all of it"
    [result] = [e.data["result"] for e in events if e.kind == "tool_result"]
    assert isinstance(result, dict) and isinstance(result["content"], list)
    [block] = result["content"]
    assert isinstance(block, dict)
    assert block["data"] == ""
    assert block["_meta"] == {OMITTED_META_KEY: {"size": len(PNG)}}
    assert tool_messages(episode) == EXPECTED[:1]


class Endpoint:
    """An OpenAI-compatible endpoint in this process (an httpx transport): it asks for the
    tool calls of `calls()`, then answers; it keeps every request body."""

    def __init__(self, tool_mode: ToolMode) -> None:
        self.tool_mode = tool_mode
        self.bodies: list[dict[str, JsonValue]] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.bodies.append(json.loads(request.content))
        message: dict[str, JsonValue] = {"role": "assistant", "content": "yes"}
        if len(self.bodies) == 1:
            wanted = [(c.tool, c.arguments) for c in calls()]
            if self.tool_mode == "native":
                message["content"] = None
                message["tool_calls"] = [
                    {
                        "id": f"call_{i}",
                        "type": "function",
                        "function": {"name": name, "arguments": json.dumps(args)},
                    }
                    for i, (name, args) in enumerate(wanted)
                ]
            else:
                message["content"] = "".join(
                    f"<tool_call>{json.dumps({'name': name, 'arguments': args})}</tool_call>"
                    for name, args in wanted
                )
        choice = {"index": 0, "message": message, "finish_reason": "stop"}
        return httpx.Response(200, json={"choices": [choice], "usage": {}})


async def run_openai(tool_mode: ToolMode, *, images: bool) -> tuple[Episode, Endpoint]:
    endpoint = Endpoint(tool_mode)
    config = OpenAIConfig(
        base_url="http://vision.invalid/v1", model="m", tool_mode=tool_mode, images=images
    )
    transport = httpx.MockTransport(endpoint.handle)
    async with OpenAIPolicy(config, transport=transport) as policy:
        episode = await play(policy)
    assert episode.error is None and episode.answer == "yes"
    return episode, endpoint


def image_parts(messages: Sequence[JsonValue]) -> list[tuple[int, str]]:
    """(message index, URL) of every image part in a request's messages."""
    found: list[tuple[int, str]] = []
    for index, message in enumerate(messages):
        assert isinstance(message, dict)
        content = message["content"]
        for part in content if isinstance(content, list) else []:
            assert isinstance(part, dict)
            if part["type"] == "image_url":
                image = part["image_url"]
                assert isinstance(image, dict) and isinstance(image["url"], str)
                found.append((index, image["url"]))
    return found


async def test_a_multimodal_endpoint_gets_the_images_after_the_tool_results() -> None:
    episode, endpoint = await run_openai("native", images=True)
    messages = endpoint.bodies[1]["messages"]
    assert isinstance(messages, list)
    roles = [m["role"] for m in messages if isinstance(m, dict)]
    assert roles == ["system", "user", "assistant", *["tool"] * 5, "user"]
    assert image_parts(messages) == [(8, PNG_URL), (8, PNG_URL)]
    last = messages[8]
    assert isinstance(last, dict) and isinstance(last["content"], list)
    labels = [p["text"] for p in last["content"] if isinstance(p, dict) and p["type"] == "text"]
    assert labels == [
        "[image: image/png, 100 bytes] from chart (call call_0)",
        "[image: image/png, 100 bytes] from mixed (call call_4)",
    ]
    tools = [m for m in messages if isinstance(m, dict) and m["role"] == "tool"]
    assert [m["content"] for m in tools] == EXPECTED, "tool messages stay text"
    assert tool_messages(episode) == EXPECTED


async def test_text_mode_puts_the_images_in_the_tool_responses_message() -> None:
    _, endpoint = await run_openai("text", images=True)
    messages = endpoint.bodies[1]["messages"]
    assert isinstance(messages, list)
    assert [m["role"] for m in messages if isinstance(m, dict)] == [
        "system",
        "user",
        "assistant",
        "user",
    ]
    assert image_parts(messages) == [(3, PNG_URL), (3, PNG_URL)]
    responses = messages[3]
    assert isinstance(responses, dict) and isinstance(responses["content"], list)
    first = responses["content"][0]
    assert isinstance(first, dict) and isinstance(first["text"], str)
    assert first["text"].startswith("<tool_response>\n[image: image/png, 100 bytes]")


@pytest.mark.parametrize("tool_mode", ["native", "text"])
async def test_a_text_only_endpoint_gets_only_the_placeholders(tool_mode: ToolMode) -> None:
    episode, endpoint = await run_openai(tool_mode, images=False)
    sent = json.dumps(endpoint.bodies[1])
    assert "image_url" not in sent
    assert base64.b64encode(PNG).decode() not in sent
    assert "[image: image/png, 100 bytes]" in sent
    assert tool_messages(episode) == EXPECTED
