"""From an episode to BFCL's decoded answer, and BFCL's checker's verdict on it.

BFCL scores a multi-turn entry on its *decoded* model results: per user turn, per model step,
the call strings of that step. Here a step is one assistant message, a turn runs from its user
message to the next one, and only execution-phase calls count: trial calls ran on a throwaway
copy of the instances and are not part of the answer. Calls the servers refused without
running them (a function not on offer at that turn, argument names that are not identifiers)
are left out, so the answer is exactly the calls that ran on the scored instances.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import Any

from pydantic import Field
from toolmaster.core import Episode, Message, Record, Verdict, new_id
from toolmaster.eval.bfcl import _upstream
from toolmaster.eval.bfcl._calls import call_string, executable
from toolmaster.eval.bfcl._data import BfclEntry

Decoded = list[list[list[str]]]
"""BFCL's decoded multi-turn result: turns of steps of call strings."""


class CheckResult(Record):
    """What BFCL's checker said of one answer."""

    valid: bool
    error_type: str | None = None
    """BFCL's error type (`multi_turn:instance_state_mismatch`, ...), when not valid."""
    error_message: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)
    """BFCL's details of a failure (differences, missing results), not stored on episodes."""

    def verdict(self) -> Verdict:
        if self.valid:
            return Verdict(score=1.0, passed=True, reasons=["BFCL multi_turn_checker: valid"])
        return Verdict(
            score=0.0, passed=False, reasons=[f"{self.error_type}: {self.error_message}"]
        )


def decode(entry: BfclEntry, messages: Sequence[Message], turn_starts: Sequence[int]) -> Decoded:
    """The execution-phase calls of each user turn, per assistant message, as call strings.
    `turn_starts` holds the index of each turn's user message; turns never reached are absent."""
    decoded: Decoded = []
    bounds = [*turn_starts, len(messages)]
    for turn, (start, end) in enumerate(pairwise(bounds)):
        offered = {str(doc["name"]) for doc in entry.functions_at(turn)}
        steps: list[list[str]] = []
        for message in messages[start:end]:
            calls = [
                call_string(c.tool, c.arguments)
                for c in message.tool_calls
                if c.phase == "execute" and c.tool in offered and executable(c.arguments) is None
            ]
            if calls:
                steps.append(calls)
        decoded.append(steps)
    return decoded


def check(entry: BfclEntry, decoded: Decoded, *, namespace: str) -> CheckResult:
    """BFCL's verdict on `decoded`. An answer with fewer turns than the ground truth fails as
    BFCL's own evaluation fails it (`multi_turn:force_terminated`); otherwise BFCL's
    `multi_turn_checker` decides, replaying both on fresh instances under `namespace`."""
    if len(decoded) != len(entry.ground_truth):
        return CheckResult(
            valid=False,
            error_type="multi_turn:force_terminated",
            error_message=f"the episode reached {len(decoded)} of "
            f"{len(entry.ground_truth)} user turns",
        )
    try:
        result = _upstream.check(
            decoded,
            entry.ground_truth,
            entry=entry.checker_entry(),
            category=entry.category,
            namespace=namespace,
        )
    finally:
        _upstream.release(namespace)
    if result.get("valid"):
        return CheckResult(valid=True)
    return CheckResult(
        valid=False,
        error_type=str(result.get("error_type")),
        error_message=str(result.get("error_message")),
        details=dict(result.get("details") or {}),
    )


def score(episode: Episode, entry: BfclEntry, turn_starts: Sequence[int]) -> CheckResult:
    """BFCL's verdict on an episode of `entry` (fresh checker instances, forgotten after)."""
    decoded = decode(entry, episode.messages, turn_starts)
    return check(entry, decoded, namespace=f"toolmaster_check_{new_id()}")
