"""BFCL's ground truth as a scripted policy, to show the adapter is faithful.

The policy plays each user turn's ground-truth calls one per assistant message (several per
message where a turn has more calls than BFCL's step limit allows steps), then answers, through
the same Agent, Toolbox and MCP servers as a model. In trial mode it first trials the first
few calls of the first turn that has any (on the throwaway copy) and calls `finish_trial`, so
the replay also shows that trials leave the scored state alone. `wrong=True` drops the last call of
the last turn that has calls: a wrong sequence the checker must fail.
"""

from __future__ import annotations

from toolmaster.agent import AssistantTurn, ScriptedPolicy
from toolmaster.core import FINISH_TRIAL, Mode, ToolCall
from toolmaster.eval.bfcl import _upstream
from toolmaster.eval.bfcl._calls import parse_call
from toolmaster.eval.bfcl._data import BfclEntry

GROUND_TRUTH_POLICY = "bfcl-ground-truth"
"""`PolicyInfo.name` of the replay."""

_TRIAL_NOTES = "Trialed the first turn's ground-truth calls on a throwaway copy."


def ground_truth_calls(entry: BfclEntry, *, wrong: bool = False) -> list[list[ToolCall]]:
    """The ground truth of `entry` as ToolCalls, per turn (`wrong`: the last call dropped)."""

    def parameters(name: str) -> list[str]:
        return _upstream.parameter_names(entry.classes[name], name)

    turns = [[parse_call(text, parameters) for text in turn] for turn in entry.ground_truth]
    if wrong:
        last = max((i for i, turn in enumerate(turns) if turn), default=None)
        if last is not None:
            turns[last] = turns[last][:-1]
    return turns


def ground_truth_policy(
    entry: BfclEntry, mode: Mode, *, wrong: bool = False, trial_calls: int = 3
) -> ScriptedPolicy:
    """A fresh scripted policy that replays `entry`'s ground truth (one per episode). In trial
    mode it trials up to `trial_calls` calls first: keep it within the agent's trial budget, or
    the calls past the budget would run in the execution phase."""
    turns = ground_truth_calls(entry, wrong=wrong)
    script: list[AssistantTurn] = []
    if mode == "trial":
        probes = next((turn for turn in turns if turn), list[ToolCall]())
        script += _steps(probes[: max(0, trial_calls)])
        notes = ToolCall(id="", tool=FINISH_TRIAL, arguments={"notes": _TRIAL_NOTES})
        script.append(AssistantTurn(tool_calls=[notes]))
    for turn in turns:
        script += _steps(turn)
        script.append(AssistantTurn(content="Done."))
    name = f"{GROUND_TRUTH_POLICY}-wrong" if wrong else GROUND_TRUTH_POLICY
    return ScriptedPolicy(script, name=name)


def _steps(calls: list[ToolCall]) -> list[AssistantTurn]:
    """The calls one per step, or evenly grouped so they fit in BFCL's step limit."""
    size = max(1, -(-len(calls) // _upstream.STEP_LIMIT))
    return [AssistantTurn(tool_calls=calls[i : i + size]) for i in range(0, len(calls), size)]
