"""The decode engine on the embedded SmolLM2-135M-Instruct (slow): a multi-turn conversation
generated with the cache kept between turns and concurrent episodes batched gives the tokens of
an uncached `model.generate` (fp32), and bf16 stays sane."""

from __future__ import annotations

import anyio
import pytest
import torch
from toolmaster.agent import EmbeddedPolicy, TransformersPolicy
from toolmaster.core import Message, Sampling, ToolCall

from tests.agent.scenarios import ASK_PARIS, WEATHER

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

GREEDY = Sampling(max_tokens=24)


@pytest.fixture(scope="module")
def embedded() -> EmbeddedPolicy:
    # the bare base model: its greedy text is what these tests know
    return EmbeddedPolicy(adapter=None, max_batch_size=4)


def uncached(policy: TransformersPolicy, prompt: str) -> str:
    tokenizer = policy.tokenizer
    ids = torch.tensor([tokenizer.encode(prompt, add_special_tokens=False)])
    with torch.inference_mode():
        out = policy.model.generate(  # pyright: ignore[reportCallIssue]
            input_ids=ids,
            attention_mask=torch.ones_like(ids),
            max_new_tokens=GREEDY.max_tokens,
            do_sample=False,
            eos_token_id=tokenizer.convert_tokens_to_ids("<|im_end|>"),
            pad_token_id=tokenizer.pad_token_id,
        )
    return tokenizer.decode(out[0, ids.shape[1] :], skip_special_tokens=True)


def conversation(city: str) -> list[Message]:
    return [*ASK_PARIS[:-1], Message(role="user", content=f"What is the weather in {city}?")]


def after(city: str, reply: str | None, turn: int) -> list[Message]:
    call = ToolCall(id=f"call_{turn}", tool="get_weather", arguments={"city": city})
    return [
        Message(role="assistant", content=reply, tool_calls=[call]),
        Message(role="tool", tool_call_id=f"call_{turn}", content=f"{city}: {18 + turn} C, rain"),
    ]


async def test_cached_batched_turns_equal_uncached_generate(embedded: EmbeddedPolicy) -> None:
    policy = TransformersPolicy(
        embedded.model, embedded.tokenizer, compute_dtype=None, max_batch_size=4
    )
    prompts: dict[tuple[str, int], str] = {}
    replies: dict[tuple[str, int], str] = {}

    async def episode(city: str) -> None:
        messages = conversation(city)
        for turn in range(3):
            prompts[city, turn] = policy.prompt(messages, [WEATHER])
            reply = await policy.complete(messages, [WEATHER], GREEDY)
            replies[city, turn] = reply.raw or ""
            messages += after(city, reply.content, turn)

    with anyio.fail_after(600):
        async with anyio.create_task_group() as group:
            for city in ("Paris", "Lima", "Kyoto"):
                group.start_soon(episode, city)
    for key, prompt in prompts.items():
        assert replies[key] == uncached(policy, prompt), key
    stats = policy.cache_stats
    assert stats is not None and stats.continued == 6
    assert policy.engine is not None and policy.engine.largest_batch > 1


async def test_bf16_greedy_stays_sane(embedded: EmbeddedPolicy) -> None:
    assert embedded.engine is not None
    turn = await embedded.complete(ASK_PARIS, [WEATHER], Sampling(max_tokens=40))
    assert [(c.tool, c.arguments) for c in turn.tool_calls] == [("get_weather", {"city": "Paris"})]
    ask = [Message(role="user", content="What is the capital of France?")]
    answer = await embedded.complete(ask, [], GREEDY)
    assert answer.content is not None and "Paris" in answer.content
