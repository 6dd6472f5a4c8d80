"""The decode engine on a tiny model: cached, incremental, batched generation gives the tokens an
uncached `model.generate` gives; the cache store; continuous batching."""

from __future__ import annotations

import anyio
import anyio.lowlevel
import pytest
import torch
from toolmaster.agent import TransformersPolicy
from toolmaster.agent._kvcache import KVCache, PrefixStore
from toolmaster.core import Message, Sampling, ToolCall, ToolSpec
from transformers import LlamaForCausalLM, PreTrainedTokenizerFast

from tests.agent.tiny import build_model, build_tokenizer

pytestmark = pytest.mark.anyio

TOOLS = [
    ToolSpec(
        name="get_weather",
        server="weather",
        description="The weather in a city",
        input_schema={"type": "object", "properties": {"city": {"type": "string"}}},
    )
]
GREEDY = Sampling(max_tokens=12)
ASKS = [
    "What is the weather in Paris?",
    "Weather?",
    "Call the function with JSON arguments for Paris, then answer.",
    "What is the weather in Paris? It is sunny.",
]


@pytest.fixture(scope="module")
def tokenizer() -> PreTrainedTokenizerFast:
    return build_tokenizer()


@pytest.fixture(scope="module")
def model(tokenizer: PreTrainedTokenizerFast) -> LlamaForCausalLM:
    return build_model(tokenizer, seed=3)


def uncached(model: LlamaForCausalLM, tokenizer: PreTrainedTokenizerFast, prompt: str) -> str:
    """The reference: `model.generate` on the whole prompt, no cache kept, fp32."""
    ids = torch.tensor([tokenizer.encode(prompt, add_special_tokens=False)])
    with torch.inference_mode():
        out = model.generate(  # pyright: ignore[reportCallIssue]
            input_ids=ids,
            attention_mask=torch.ones_like(ids),
            max_new_tokens=GREEDY.max_tokens,
            do_sample=False,
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
        )
    return tokenizer.decode(out[0, ids.shape[1] :], skip_special_tokens=True)


def next_messages(episode: int, turn: int) -> list[Message]:
    """What the scripted user side says after an assistant turn: a tool result or a user turn."""
    if turn % 2 == 0:
        return [Message(role="tool", tool_call_id="c", content=f"sunny, {20 + episode} degrees")]
    return [Message(role="user", content=f"And tomorrow, in city {episode}?")]


async def test_cached_batched_multi_turn_generation_equals_uncached(
    model: LlamaForCausalLM, tokenizer: PreTrainedTokenizerFast
) -> None:
    policy = TransformersPolicy(model, tokenizer, compute_dtype=None, max_batch_size=8)
    prompts: dict[tuple[int, int], str] = {}
    replies: dict[tuple[int, int], str] = {}
    turns = 4

    async def episode(index: int) -> None:
        messages = [Message(role="user", content=ASKS[index])]
        for turn in range(turns):
            prompts[index, turn] = policy.prompt(messages, TOOLS)
            reply = await policy.complete(messages, TOOLS, GREEDY)
            replies[index, turn] = reply.raw or ""
            # the reply goes back as the model wrote it, calls included when there were any
            calls = [ToolCall(id="c", tool="get_weather", arguments={"city": "Paris"})]
            messages.append(
                Message(role="assistant", content=reply.raw, tool_calls=calls if turn % 2 else [])
            )
            messages += next_messages(index, turn)

    with anyio.fail_after(300):
        async with anyio.create_task_group() as group:
            for index in range(len(ASKS)):
                group.start_soon(episode, index)

    for key, prompt in prompts.items():
        assert replies[key] == uncached(model, tokenizer, prompt), key
    assert policy.engine is not None and policy.engine.largest_batch > 1
    stats = policy.cache_stats
    assert stats is not None
    assert stats.requests == len(ASKS) * turns
    assert stats.continued == len(ASKS) * (turns - 1)  # every later turn fed only its new tokens
    total = sum(len(tokenizer.encode(p, add_special_tokens=False)) for p in prompts.values())
    assert stats.reused_tokens + stats.prefilled_tokens == total
    assert stats.prefilled_tokens < total / 2


async def test_without_a_cache_store_every_turn_is_a_full_prefill(
    model: LlamaForCausalLM, tokenizer: PreTrainedTokenizerFast
) -> None:
    cached = TransformersPolicy(model, tokenizer, compute_dtype=None)
    nothing_kept = TransformersPolicy(model, tokenizer, compute_dtype=None, kv_cache_bytes=0)
    messages = [Message(role="user", content=ASKS[0])]
    for turn in range(3):
        first = await cached.complete(messages, TOOLS, GREEDY)
        second = await nothing_kept.complete(messages, TOOLS, GREEDY)
        assert first.raw == second.raw and first.usage == second.usage
        messages += [Message(role="assistant", content=first.raw), *next_messages(0, turn)]
    assert nothing_kept.cache_stats is not None and cached.cache_stats is not None
    assert nothing_kept.cache_stats.missed == 3 and nothing_kept.cache_stats.reused_tokens == 0
    assert cached.cache_stats.continued == 2


async def test_a_changed_prefix_reuses_only_the_common_part(
    model: LlamaForCausalLM, tokenizer: PreTrainedTokenizerFast
) -> None:
    policy = TransformersPolicy(model, tokenizer, compute_dtype=None)
    system = Message(role="system", content="You can call the functions below.")
    first = [system, Message(role="user", content=ASKS[0])]
    await policy.complete(first, TOOLS, GREEDY)
    changed = [system, Message(role="user", content=ASKS[3])]  # same system prompt and tools
    turn = await policy.complete(changed, TOOLS, GREEDY)
    assert turn.raw == uncached(model, tokenizer, policy.prompt(changed, TOOLS))
    stats = policy.cache_stats
    assert stats is not None and (stats.shared, stats.continued) == (1, 0)
    assert 0 < stats.reused_tokens < turn.usage.prompt_tokens


async def test_sampling_is_seeded_per_request_in_a_batch(
    model: LlamaForCausalLM, tokenizer: PreTrainedTokenizerFast
) -> None:
    policy = TransformersPolicy(model, tokenizer, compute_dtype=None, max_batch_size=4)
    sampling = Sampling(temperature=1.0, top_p=0.9, max_tokens=10, seed=11)
    alone = await policy.complete([Message(role="user", content=ASKS[0])], TOOLS, sampling)
    raws: list[str | None] = []

    async def one(ask: str) -> None:
        turn = await policy.complete([Message(role="user", content=ask)], TOOLS, sampling)
        if ask == ASKS[0]:
            raws.append(turn.raw)

    with anyio.fail_after(60):
        async with anyio.create_task_group() as group:
            for ask in ASKS:
                group.start_soon(one, ask)
    assert raws == [alone.raw]


async def test_a_cancelled_call_leaves_the_others_running(
    model: LlamaForCausalLM, tokenizer: PreTrainedTokenizerFast
) -> None:
    policy = TransformersPolicy(model, tokenizer, compute_dtype=None, max_batch_size=4)
    long = Sampling(max_tokens=400)
    ask = [Message(role="user", content=ASKS[1])]
    expected = await policy.complete(ask, TOOLS, GREEDY)
    with anyio.fail_after(120):
        async with anyio.create_task_group() as group:
            with anyio.CancelScope() as scope:
                group.start_soon(policy.complete, ask, TOOLS, long)
                await anyio.lowlevel.checkpoint()
                scope.cancel()
            again = await policy.complete(ask, TOOLS, GREEDY)
            group.cancel_scope.cancel()
    assert again.raw == expected.raw
    assert policy.engine is not None and not policy.engine.busy


def test_the_store_keeps_the_most_recent_within_its_bytes() -> None:
    def cache(tokens: int) -> KVCache:
        kv = KVCache(2, 1, 4, dtype=torch.float32, device=torch.device("cpu"), capacity=tokens)
        kv.length = tokens
        return kv

    one = cache(10).nbytes
    store = PrefixStore(max_bytes=2 * one, min_shared=2)
    for start in (100, 200, 300):
        tokens = list(range(start, start + 10))
        store.release(tokens, 8, cache(10))
    assert len(store) == 2 and store.stats.evicted == 1
    assert store.acquire(list(range(100, 120)), 32) == (None, 0)  # the oldest went first
    taken, reused = store.acquire([*range(300, 310), 7, 8], 32)
    assert taken is not None and reused == 10 and taken.length == 10
    assert len(store) == 1  # a continuation takes its entry out
    copied, reused = store.acquire([200, 201, 202, 5], 32)
    assert copied is not None and reused == 3 and copied.length == 3
    assert len(store) == 1  # a shared prefix is copied, the entry stays
    assert (store.stats.continued, store.stats.shared, store.stats.missed) == (1, 1, 1)


def test_a_cache_stored_for_other_tokens_is_refused() -> None:
    kv = KVCache(1, 1, 4, dtype=torch.float32, device=torch.device("cpu"))
    kv.length = 3
    with pytest.raises(ValueError, match="3 positions stored for 2 tokens"):
        PrefixStore(max_bytes=1 << 20).release([1, 2], 2, kv)
