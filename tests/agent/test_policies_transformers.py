"""TransformersPolicy on a tiny model built in memory (fast)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import anyio
import pytest
import torch
from toolmaster.agent import AssistantTurn, Generation, Policy, PolicyError, TransformersPolicy
from toolmaster.core import Message, Sampling, ToolCall, ToolSpec
from transformers import LlamaForCausalLM, PreTrainedTokenizerFast

from tests.agent.tiny import build_model, build_tokenizer, teach

pytestmark = pytest.mark.anyio

TOOLS = [
    ToolSpec(
        name="get_weather",
        server="weather",
        description="The weather in a city",
        input_schema={
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    )
]
ASK = [Message(role="user", content="What is the weather in Paris?")]
REPLY = '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>'
GREEDY = Sampling(max_tokens=24)


@pytest.fixture(scope="module")
def tokenizer() -> PreTrainedTokenizerFast:
    return build_tokenizer()


@pytest.fixture(scope="module")
def model(tokenizer: PreTrainedTokenizerFast) -> LlamaForCausalLM:
    return build_model(tokenizer)


@pytest.fixture(scope="module")
def taught(tokenizer: PreTrainedTokenizerFast) -> TransformersPolicy:
    """A model that learnt to answer ASK with a call of get_weather."""
    model = build_model(tokenizer, seed=1)
    policy = TransformersPolicy(model, tokenizer, name="tiny-taught")
    teach(model, tokenizer, policy.prompt(ASK, TOOLS), REPLY)
    return policy


def bare_generate(
    model: LlamaForCausalLM, tokenizer: PreTrainedTokenizerFast, prompt: str, max_new_tokens: int
) -> list[int]:
    ids = torch.tensor([tokenizer.encode(prompt, add_special_tokens=False)])
    with torch.inference_mode():
        out = model.generate(  # pyright: ignore[reportCallIssue]
            input_ids=ids,
            attention_mask=torch.ones_like(ids),
            max_new_tokens=max_new_tokens,
            do_sample=False,
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
        )
    return out[0, ids.shape[1] :].tolist()


async def test_a_taught_model_calls_the_tool(taught: TransformersPolicy) -> None:
    turn = await taught.complete(ASK, TOOLS, Sampling(max_tokens=64))
    assert turn.tool_calls == [
        ToolCall(id="call_0", tool="get_weather", arguments={"city": "Paris"})
    ]
    assert (turn.content, turn.format_errors, turn.raw) == (None, [], REPLY)
    assert turn.finish_reason == "stop"
    prompt_ids = taught.tokenizer.encode(taught.prompt(ASK, TOOLS), add_special_tokens=False)
    reply_ids = taught.tokenizer.encode(REPLY, add_special_tokens=False)
    assert turn.usage.prompt_tokens == len(prompt_ids)
    assert turn.usage.completion_tokens == len(reply_ids) + 1  # and the end-of-turn token
    assert turn.latency_s > 0


@pytest.mark.parametrize("engine", [True, False])
async def test_greedy_equals_a_bare_generate(
    model: LlamaForCausalLM, tokenizer: PreTrainedTokenizerFast, engine: bool
) -> None:
    policy = TransformersPolicy(model, tokenizer, compute_dtype=None, engine=engine)
    assert (policy.engine is not None) == engine
    turn = await policy.complete(ASK, TOOLS, GREEDY)
    tokens = bare_generate(model, tokenizer, policy.prompt(ASK, TOOLS), GREEDY.max_tokens)
    assert turn.raw == tokenizer.decode(tokens, skip_special_tokens=True)
    assert turn.usage.completion_tokens == len(tokens)
    again = await policy.complete(ASK, TOOLS, GREEDY)
    assert again.raw == turn.raw


async def test_length_limit(model: LlamaForCausalLM, tokenizer: PreTrainedTokenizerFast) -> None:
    turn = await TransformersPolicy(model, tokenizer).complete(ASK, TOOLS, Sampling(max_tokens=5))
    assert (turn.finish_reason, turn.usage.completion_tokens) == ("length", 5)


async def test_stop_strings_cut_the_reply(
    model: LlamaForCausalLM, tokenizer: PreTrainedTokenizerFast
) -> None:
    policy = TransformersPolicy(model, tokenizer)
    full = (await policy.complete(ASK, TOOLS, GREEDY)).raw or ""
    stop = full[6:9]
    assert len(stop) == 3
    turn = await policy.complete(ASK, TOOLS, GREEDY.model_copy(update={"stop": [stop]}))
    assert turn.raw == full[: full.find(stop)]
    assert turn.finish_reason == "stop"
    assert turn.usage.completion_tokens < GREEDY.max_tokens


async def test_seeded_sampling_is_reproducible(
    model: LlamaForCausalLM, tokenizer: PreTrainedTokenizerFast
) -> None:
    policy = TransformersPolicy(model, tokenizer)
    sampling = Sampling(temperature=1.0, top_p=0.95, max_tokens=16, seed=7)
    first = await policy.complete(ASK, TOOLS, sampling)
    second = await policy.complete(ASK, TOOLS, sampling)
    other = await policy.complete(ASK, TOOLS, sampling.model_copy(update={"seed": 8}))
    assert first.raw == second.raw
    assert other.raw != first.raw


async def concurrently(
    policy: TransformersPolicy, conversations: list[list[Message]]
) -> dict[int, AssistantTurn]:
    """The turns of `conversations`, asked of `policy` all at once (greedy)."""
    turns: dict[int, AssistantTurn] = {}

    async def one(index: int) -> None:
        turns[index] = await policy.complete(conversations[index], TOOLS, GREEDY)

    with anyio.fail_after(120):
        async with anyio.create_task_group() as group:
            for index in range(len(conversations)):
                group.start_soon(one, index)
    return turns


class _Recording(TransformersPolicy):
    """Records the size of every batch it generates."""

    batches: list[int]

    def generate(self, prompts: Sequence[str], sampling: Sampling) -> list[Generation]:
        self.batches.append(len(prompts))
        return super().generate(prompts, sampling)


async def test_concurrent_calls_are_batched_by_generate(
    model: LlamaForCausalLM, tokenizer: PreTrainedTokenizerFast
) -> None:
    policy = _Recording(model, tokenizer, max_batch_size=8, engine=False)
    policy.batches = []
    single = await policy.complete(ASK, TOOLS, GREEDY)
    conversations = [ASK, [Message(role="user", content="Weather?")], ASK, ASK]
    turns = await concurrently(policy, conversations)
    assert policy.batches[0] == 1
    assert sum(policy.batches[1:]) == 4 and len(policy.batches) <= 3  # the first call waits alone
    short = conversations[1]
    prompt = policy.prompt(short, TOOLS)
    assert turns[1].usage.prompt_tokens == len(tokenizer.encode(prompt, add_special_tokens=False))
    assert turns[0].usage == single.usage


async def test_concurrent_calls_join_the_engine_batch(
    model: LlamaForCausalLM, tokenizer: PreTrainedTokenizerFast
) -> None:
    policy = TransformersPolicy(model, tokenizer, max_batch_size=8, compute_dtype=None)
    assert policy.engine is not None
    single = await policy.complete(ASK, TOOLS, GREEDY)
    conversations = [ASK, [Message(role="user", content="Weather?")], ASK, ASK]
    turns = await concurrently(policy, conversations)
    assert policy.engine.largest_batch > 1
    prompt = policy.prompt(conversations[1], TOOLS)
    assert turns[1].usage.prompt_tokens == len(tokenizer.encode(prompt, add_special_tokens=False))
    assert turns[0].usage == single.usage
    assert turns[0].raw == turns[2].raw == turns[3].raw


async def test_a_lora_adapter_is_loaded(
    tmp_path: Path, model: LlamaForCausalLM, tokenizer: PreTrainedTokenizerFast
) -> None:
    from peft import LoraConfig, PeftModel, get_peft_model

    base = build_model(tokenizer)
    get_peft_model(base, LoraConfig(r=4, target_modules=["q_proj", "v_proj"])).save_pretrained(
        tmp_path
    )
    policy = TransformersPolicy(build_model(tokenizer), tokenizer, adapter=tmp_path)
    assert policy.info.adapter == str(tmp_path)
    assert policy.engine is not None  # merged into the weights
    turn = await policy.complete(ASK, TOOLS, GREEDY)
    plain = await TransformersPolicy(model, tokenizer).complete(ASK, TOOLS, GREEDY)
    assert turn.raw == plain.raw  # a fresh LoRA adapter starts as the identity
    unmerged = TransformersPolicy(build_model(tokenizer), tokenizer, adapter=tmp_path, engine=False)
    assert isinstance(unmerged.model, PeftModel)


async def test_a_trained_lora_adapter_merged_gives_the_unmerged_tokens(
    tmp_path: Path, tokenizer: PreTrainedTokenizerFast
) -> None:
    from peft import LoraConfig, get_peft_model

    peft = get_peft_model(
        build_model(tokenizer), LoraConfig(r=4, target_modules=["q_proj", "v_proj"])
    )
    with torch.no_grad():
        for name, parameter in peft.named_parameters():
            if "lora_B" in name:
                parameter.normal_(std=0.5)  # a fresh adapter is the identity: make it act
    peft.save_pretrained(tmp_path)
    merged = TransformersPolicy(
        build_model(tokenizer), tokenizer, adapter=tmp_path, compute_dtype=None
    )
    unmerged = TransformersPolicy(build_model(tokenizer), tokenizer, adapter=tmp_path, engine=False)
    bare = await TransformersPolicy(build_model(tokenizer), tokenizer).complete(ASK, TOOLS, GREEDY)
    turn = await merged.complete(ASK, TOOLS, GREEDY)
    assert turn.raw == (await unmerged.complete(ASK, TOOLS, GREEDY)).raw
    assert turn.raw != bare.raw


def test_it_is_a_policy(model: LlamaForCausalLM, tokenizer: PreTrainedTokenizerFast) -> None:
    policy = TransformersPolicy(model, tokenizer, name="tiny")
    assert isinstance(policy, Policy)
    assert (policy.info.name, policy.info.backend) == ("tiny", "transformers")


async def test_from_pretrained_loads_a_saved_model(
    tmp_path: Path, model: LlamaForCausalLM, tokenizer: PreTrainedTokenizerFast
) -> None:
    model.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    loaded = TransformersPolicy.from_pretrained(tmp_path, name="saved")
    assert (loaded.info.name, loaded.info.model) == ("saved", str(tmp_path))
    turn = await loaded.complete(ASK, TOOLS, GREEDY)
    plain = await TransformersPolicy(model, tokenizer).complete(ASK, TOOLS, GREEDY)
    assert turn.raw == plain.raw


async def test_a_failing_backend_raises_a_policy_error(tokenizer: PreTrainedTokenizerFast) -> None:
    broken = TransformersPolicy(
        build_model(tokenizer).to("meta"), tokenizer
    )  # weights with no data
    with pytest.raises(PolicyError, match="generation failed"):
        await broken.complete(ASK, TOOLS, GREEDY)
