"""The whole client against a real third-party server from the npm registry, the reference
`@modelcontextprotocol/server-everything` (pinned): content blocks that are not text reaching the
model, roots, sampling answered by a policy, elicitation declined, resources read. It downloads
on first use, so these tests are `e2e` (CI selects them)."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import anyio
import pytest
from toolmaster.agent import Agent, AgentConfig, ScriptedPolicy, policy_sampler
from toolmaster.core import Task, ToolCall, Turn
from toolmaster.mcp import UNATTENDED, Sampler, StdioServerSpec, Toolbox

from tests.mcp.test_registry_servers import EVERYTHING_SERVER, network_env, require

pytestmark = [pytest.mark.anyio, pytest.mark.e2e]

GZIP_INPUT = "data:text/plain;base64," + base64.b64encode(b"hello world").decode()
"""What `gzip-file-as-resource` compresses (a data URI: the default is a file on the web)."""


def everything(**fields: object) -> StdioServerSpec:
    return StdioServerSpec.model_validate(
        {
            "name": "everything",
            "command": require("npx"),
            "args": ["-y", EVERYTHING_SERVER, "stdio"],
            "env": network_env(),
            **fields,
        }
    )


def call(tool: str, **arguments: object) -> ToolCall:
    return ToolCall(id=f"c-{tool}", tool=tool, arguments=arguments)  # type: ignore[arg-type]


async def test_images_and_resources_reach_the_model_and_the_record() -> None:
    turns = [
        Turn(
            tool_calls=[
                call("get-tiny-image"),
                call("gzip-file-as-resource", data=GZIP_INPUT, outputType="resource"),
                call("get-resource-reference", resourceType="Text", resourceId=2),
                call("get-resource-links", count=2),
            ]
        ),
        Turn(content="seen"),
    ]
    policy = ScriptedPolicy(turns)
    with anyio.fail_after(300):
        async with Toolbox([everything()], connect_timeout=240) as toolbox:
            agent = Agent(policy, toolbox, AgentConfig(mode="direct"))
            episode = await agent.run(Task(id="look", prompt="Look at what the tools return."))
    assert episode.error is None, episode.error
    image, gzipped, text, links = [m.content or "" for m in policy.seen[1] if m.role == "tool"]
    assert re.search(r"^\[image: image/png, \d+ bytes\]$", image, re.MULTILINE), image
    assert re.fullmatch(
        r"\[binary resource demo://resource/session/README\.md\.gz: application/gzip, \d+ bytes\]",
        gzipped,
    ), gzipped
    # an embedded text resource: its placeholder, then its text
    assert re.search(
        r"^\[resource demo://resource/dynamic/text/2: text/plain, \d+ bytes\]\nResource 2: ",
        text,
        re.MULTILINE,
    ), text
    assert "[resource link demo://resource/dynamic/text/2 (Text Resource 2): text/plain]" in links
    # the record keeps the blocks, the image's data included
    parts = [p for m in episode.messages if m.role == "tool" for p in m.parts]
    [png] = [p for p in parts if p.type == "image"]
    assert base64.b64decode(png.data or "").startswith(b"\x89PNG")
    assert any(p.type == "resource" and p.mime_type == "application/gzip" for p in parts)


async def test_roots_sampling_elicitation_and_resources(tmp_path: Path) -> None:
    answers = ScriptedPolicy([Turn(content="forty-two")], name="sampler")
    sampler: Sampler = policy_sampler(answers)
    spec = everything(roots=[tmp_path.as_uri()])
    with anyio.fail_after(300):
        async with Toolbox([spec], connect_timeout=240, sampler=sampler) as toolbox:
            roots = await toolbox.call(call("get-roots-list"))
            sampled = await toolbox.call(
                call("trigger-sampling-request", prompt="What is six times seven?", maxTokens=20)
            )
            elicited = await toolbox.call(call("trigger-elicitation-request"))
            [features] = await toolbox.read_resource("demo://resource/static/document/features.md")
            [blob] = await toolbox.read_resource("demo://resource/dynamic/blob/3")
    # roots: the server lists the client's
    assert not roots.is_error, roots.text
    assert f"URI: {tmp_path.as_uri()}" in roots.text
    # sampling: answered by the policy, which saw the server's prompt
    assert not sampled.is_error, sampled.text
    assert '"text": "forty-two"' in sampled.text
    [conversation] = answers.seen
    assert "What is six times seven?" in (conversation[-1].content or "")
    # elicitation: declined, with the reason
    assert "declined" in elicited.text
    assert UNATTENDED in elicited.text
    # resources: text as it is, binary data as its placeholder
    assert features.mime_type == "text/markdown"
    assert (features.text or "").startswith("# Everything Server - Features")
    assert blob.text is None
    assert (
        blob.rendered
        == f"[binary resource demo://resource/dynamic/blob/3: text/plain, {blob.size} bytes]"
    )
