"""The GRPO reward: the verifier's outcome plus format and trial terms, minus a capped penalty for
execution errors (after ToolRL's decomposed reward; the verifier replaces its answer matching).

For one rollout, with the weights of `RewardConfig` (`[grpo.reward]` in a training config):

    reward = outcome * score
           + format  * valid_calls / attempted_calls        (0 when no call was attempted)
           + trial   * (0.5 [trialed] + 0.5 [noted])          (trial mode only; 0 in direct mode)
           - min(max_penalty, tool_error_penalty * execute_errors)

- `score`: the environment verifier's `Verdict.score` in [0, 1] for the rollout's final answer
  and final state (0 when the verifier failed or the rollout has no verdict).
- `attempted_calls`: every tool call the model wrote: the ones the chat template's parser read,
  plus each `<tool_call>` block it could not read (malformed JSON, no name). `valid_calls`: read
  and naming a tool on offer (the MCP tools, and `finish_trial` in trial mode).
- `trialed`: at least one trial call reached a tool before the trial ended; `noted`: the trial
  ended with `finish_trial` and non-empty notes (a trial cut off by the budget has no notes).
- `execute_errors`: execution-phase tool results that were errors (what the server said was
  wrong: bad arguments, unknown ids, ...). Refused trial calls and trial errors cost nothing:
  trial is for making mistakes.

Each term is its own reward function for trl, named `outcome`, `format`, `trial` and
`tool_errors`, with the weights above as `GRPOConfig.reward_weights` (`tool_errors` returns the
capped penalty and has weight -1), so trl logs every term (`rewards/<name>/mean`) beside the
total (`reward`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from toolmaster.core import Mode
from toolmaster.train._config import RewardConfig

__all__ = [
    "TERMS",
    "CallCounts",
    "RewardParts",
    "RolloutFacts",
    "count_calls",
    "final_answer",
    "reward_parts",
    "reward_weights",
]

TERMS = ("outcome", "format", "trial", "tool_errors")
"""The reward functions' names, in the order of `reward_weights`."""

_CALL_OPEN = "<tool_call>"


@dataclass(frozen=True)
class CallCounts:
    """Tool calls in one rollout's completion."""

    attempted: int = 0
    valid: int = 0

    @property
    def share(self) -> float:
        """valid / attempted; 0 when nothing was attempted."""
        return self.valid / self.attempted if self.attempted else 0.0


@dataclass(frozen=True)
class RolloutFacts:
    """What the reward of one rollout depends on."""

    mode: Mode
    score: float
    """The verifier's score in [0, 1]; 0 without a verdict."""
    calls: CallCounts
    trialed: bool = False
    noted: bool = False
    execute_errors: int = 0


@dataclass(frozen=True)
class RewardParts:
    """The terms of one rollout's reward, unweighted, and the weighted total."""

    outcome: float
    format: float
    trial: float
    tool_errors: float
    """The capped penalty (positive; subtracted)."""
    total: float

    def term(self, name: str) -> float:
        """One term by its name in `TERMS`."""
        values = {
            "outcome": self.outcome,
            "format": self.format,
            "trial": self.trial,
            "tool_errors": self.tool_errors,
        }
        return values[name]


def reward_parts(facts: RolloutFacts, config: RewardConfig) -> RewardParts:
    """The reward of one rollout (see the module docstring for the formula)."""
    outcome = min(1.0, max(0.0, facts.score))
    fmt = facts.calls.share
    trial = 0.5 * facts.trialed + 0.5 * facts.noted if facts.mode == "trial" else 0.0
    penalty = min(config.max_penalty, config.tool_error_penalty * facts.execute_errors)
    total = config.outcome * outcome + config.format * fmt + config.trial * trial - penalty
    return RewardParts(outcome=outcome, format=fmt, trial=trial, tool_errors=penalty, total=total)


def reward_weights(config: RewardConfig) -> list[float]:
    """`GRPOConfig.reward_weights` for the terms in `TERMS` order."""
    return [config.outcome, config.format, config.trial, -1.0]


def count_calls(completion: Sequence[Mapping[str, Any]], offered: set[str]) -> CallCounts:
    """Count the tool calls of a trl completion (its assistant and tool messages).

    trl parses each assistant turn with the tokenizer's response parser: calls it read are in
    `tool_calls`; a turn it could not parse comes back as plain text, markup included, so each
    `<tool_call>` left in an assistant's text is a call the model attempted and got wrong.
    """
    attempted = valid = 0
    for message in completion:
        if message.get("role") != "assistant":
            continue
        calls: Sequence[Mapping[str, Any]] = message.get("tool_calls") or []
        for call in calls:
            attempted += 1
            function: Mapping[str, Any] = call.get("function") or call
            name = function.get("name")
            arguments = function.get("arguments")
            if isinstance(name, str) and name in offered and isinstance(arguments, Mapping):
                valid += 1
        content = message.get("content")
        if isinstance(content, str):
            attempted += content.count(_CALL_OPEN)
    return CallCounts(attempted=attempted, valid=valid)


def final_answer(completion: Sequence[Mapping[str, Any]]) -> str | None:
    """The rollout's answer: the text of its last assistant turn if that turn called no tool
    (a rollout cut off while calling tools has none)."""
    last = completion[-1] if completion else None
    if last is None or last.get("role") != "assistant" or last.get("tool_calls"):
        return None
    content = last.get("content")
    return content if isinstance(content, str) and content.strip() else None
