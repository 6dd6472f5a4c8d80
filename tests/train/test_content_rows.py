"""SFT rows keep what tools returned that is not text in the rendering the model read at
inference (typed placeholders plus their text), and version-1 episodes still make rows."""

from __future__ import annotations

import pytest
from toolmaster.agent import ScriptedPolicy
from toolmaster.core import Episode, Turn
from toolmaster.train import episode_row

from tests.agent.test_content_blocks import EXPECTED, calls, play
from tests.core._factories import V1_EPISODE
from tests.mcp.servers.media_server import PNG

pytestmark = pytest.mark.anyio


async def test_rows_read_non_text_blocks_as_the_model_did() -> None:
    policy = ScriptedPolicy([Turn(tool_calls=calls()), Turn(content="yes")])
    episode = await play(policy)
    row = episode_row(episode)
    tools = [m for m in row["messages"] if m["role"] == "tool"]
    assert [m["content"] for m in tools] == EXPECTED
    assert [m["content"] for m in tools] == [m.content for m in policy.seen[1] if m.role == "tool"]
    assert all("parts" not in m for m in row["messages"]), "rows keep the chat shape"
    assert str(len(PNG)) in tools[0]["content"]


def test_a_version_1_episode_makes_a_row() -> None:
    episode = Episode.from_json(V1_EPISODE.read_text())
    row = episode_row(episode)
    assert row["episode_id"] == episode.id
    assert [m["role"] for m in row["messages"]][:3] == ["user", "assistant", "tool"]
    assert row["messages"][2]["content"] == '{"day": 4, "rain_mm": 0}'
