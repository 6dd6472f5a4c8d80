"""`--images` tells an OpenAI-compatible policy that its model takes the images tools return."""

from __future__ import annotations

import pytest
from toolmaster.agent import OpenAIPolicy
from toolmaster.cli._policies import PolicyFlags, policy_factory
from toolmaster.core import Task

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("images", [True, False])
async def test_the_flag_reaches_the_policy_config(images: bool) -> None:
    flags = PolicyFlags(policy="openai", base_url="http://127.0.0.1:9/v1", model="m", images=images)
    policy = policy_factory(flags, env=None, mode="direct")(Task(id="t", prompt="p"))
    assert isinstance(policy, OpenAIPolicy)
    assert policy.config.images is images
    await policy.aclose()
