"""The GRPO reward formula and the counting of the model's tool calls in a trl completion."""

from __future__ import annotations

from typing import Any

import pytest
from toolmaster.train._config import RewardConfig
from toolmaster.train._reward import (
    TERMS,
    CallCounts,
    RolloutFacts,
    count_calls,
    final_answer,
    reward_parts,
    reward_weights,
)

OFFERED = {"find_city", "get_forecast", "finish_trial"}


def assistant(content: str = "", *calls: tuple[str, Any]) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if calls:
        message["tool_calls"] = [
            {"type": "function", "function": {"name": name, "arguments": arguments}}
            for name, arguments in calls
        ]
    return message


def tool(text: str) -> dict[str, Any]:
    return {"role": "tool", "name": "x", "content": text}


def test_parsed_calls_to_offered_tools_are_valid() -> None:
    completion = [
        assistant("", ("find_city", {"query": "Oslo"}), ("get_forecast", {"city": "c1"})),
        tool("..."),
        tool("..."),
        assistant("It rains."),
    ]
    assert count_calls(completion, OFFERED) == CallCounts(attempted=2, valid=2)


def test_unknown_tools_and_non_object_arguments_are_invalid() -> None:
    completion = [
        assistant("", ("get_weather", {"city": "Oslo"}), ("find_city", "Oslo")),
        tool("{'error': 'Tool get_weather not found.'}"),
        assistant("", ("find_city", {"query": "Oslo"})),
    ]
    assert count_calls(completion, OFFERED) == CallCounts(attempted=3, valid=1)


def test_markup_the_parser_could_not_read_counts_as_malformed_calls() -> None:
    # trl's parser falls back to plain text, markup included, when a call does not parse.
    broken = '<tool_call>\n{"name": "find_city", "arguments": {"query": </tool_call>'
    completion = [
        assistant(broken + "\n<tool_call>\n{nonsense}\n</tool_call>"),
    ]
    counts = count_calls(completion, OFFERED)
    assert counts == CallCounts(attempted=2, valid=0)
    assert counts.share == 0.0


def test_tool_messages_are_not_the_models_calls() -> None:
    completion = [tool("<tool_call> inside a result"), assistant("done")]
    assert count_calls(completion, OFFERED) == CallCounts()
    assert CallCounts().share == 0.0


def test_final_answer_is_the_last_assistant_text_without_calls() -> None:
    assert final_answer([assistant("", ("find_city", {})), tool("r"), assistant("Yes.")]) == "Yes."
    assert final_answer([assistant("thinking", ("find_city", {}))]) is None
    assert final_answer([assistant("", ("find_city", {})), tool("r")]) is None
    assert final_answer([assistant("   ")]) is None
    assert final_answer([]) is None


def test_the_formula_with_default_weights() -> None:
    config = RewardConfig()
    facts = RolloutFacts(
        mode="trial",
        score=1.0,
        calls=CallCounts(attempted=4, valid=3),
        trialed=True,
        noted=True,
        execute_errors=2,
    )
    parts = reward_parts(facts, config)
    assert (parts.outcome, parts.format, parts.trial) == (1.0, 0.75, 1.0)
    assert parts.tool_errors == pytest.approx(0.1)
    assert parts.total == pytest.approx(1.0 * 1.0 + 0.2 * 0.75 + 0.1 * 1.0 - 0.1)


def test_the_penalty_is_capped() -> None:
    config = RewardConfig(tool_error_penalty=0.05, max_penalty=0.2)
    facts = RolloutFacts(mode="direct", score=0.0, calls=CallCounts(10, 10), execute_errors=9)
    parts = reward_parts(facts, config)
    assert parts.tool_errors == pytest.approx(0.2)
    assert parts.total == pytest.approx(0.2 * 1.0 - 0.2)


def test_trial_term_halves_and_is_zero_in_direct_mode() -> None:
    config = RewardConfig()
    base = {"score": 0.5, "calls": CallCounts(1, 1)}
    trialed_only = reward_parts(RolloutFacts(mode="trial", trialed=True, **base), config)
    noted_only = reward_parts(RolloutFacts(mode="trial", noted=True, **base), config)
    direct = reward_parts(RolloutFacts(mode="direct", trialed=True, noted=True, **base), config)
    assert trialed_only.trial == noted_only.trial == 0.5
    assert direct.trial == 0.0
    assert direct.total == pytest.approx(0.5 + 0.2)


def test_partial_scores_scale_the_outcome_and_are_clamped() -> None:
    config = RewardConfig(outcome=2.0, format=0.0, trial=0.0)
    half = reward_parts(RolloutFacts(mode="direct", score=0.5, calls=CallCounts()), config)
    over = reward_parts(RolloutFacts(mode="direct", score=3.0, calls=CallCounts()), config)
    assert half.total == pytest.approx(1.0)
    assert over.outcome == 1.0


def test_weights_follow_the_terms_and_subtract_the_penalty() -> None:
    config = RewardConfig(outcome=1.0, format=0.3, trial=0.2)
    weights = reward_weights(config)
    assert TERMS == ("outcome", "format", "trial", "tool_errors")
    assert weights == [1.0, 0.3, 0.2, -1.0]
    facts = RolloutFacts(
        mode="trial", score=0.8, calls=CallCounts(3, 2), trialed=True, execute_errors=1
    )
    parts = reward_parts(facts, config)
    weighted = sum(w * parts.term(name) for w, name in zip(weights, TERMS, strict=True))
    assert weighted == pytest.approx(parts.total)
