"""The trial-and-execution protocol, written once.

`TrialProtocol` is the state machine of one episode's phases: the trial phase (exploratory calls,
budgeted, admitted by the trial policy: by default tools marked read-only run, the others run in
a sandbox or are refused where there is none), `finish_trial(notes)`, the forced move to
execution when the trial budget is spent, and the execution phase. It decides what happens to
each tool call the model writes (and whether a trial call goes to the trial sandbox), stamps the
call with the phase it belongs to, takes and restores the sandbox snapshot, and words every text
the model reads about the protocol: the system prompts, the control tool, refusals and the
budget and phase messages.

Two drivers run it, and neither keeps a rule or a string of its own:

- the agent loop (`toolmaster.agent.Agent`: live runs, teacher synthesis and evaluation), which
  drives it turn by turn;
- the GRPO rollouts (`toolmaster.train`), where trl calls one tool method at a time.

A driver asks `step(call)` for each call, in the order the model wrote them: the `Move` says
whether to send the call to the tools, answers it itself (a refusal, `finish_trial`), or leaves
it to the driver's resource reader (`read_resource`, where the episode offers it). The
driver then passes the result to `read(move, result)`, which gives the text the model reads and
ends the trial if the move ends it. The only text that reaches the model about a spent budget is
the note appended to the result of the call that spent it: both drivers can show that (trl's
rollouts cannot add a user message between tool calls).

Calls after `finish_trial`, or after the call that spends the budget, in the same assistant turn
belong to execution: `phases(calls)` says so before the calls run, so the assistant message is
recorded with the phases its calls really run in.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from pydantic import JsonValue
from toolmaster.agent._host import Sandbox, TrialSandbox
from toolmaster.core import (
    FINISH_TRIAL,
    READ_RESOURCE,
    Experience,
    Phase,
    ToolAnnotations,
    ToolCall,
    ToolResult,
    ToolSpec,
)
from toolmaster.mcp import TrialPolicy

__all__ = [
    "BUDGET_SPENT",
    "FINISH_TRIAL_SPEC",
    "Move",
    "TrialProtocol",
    "TrialRules",
    "TrialRun",
    "format_feedback",
    "offered_tools",
    "result_text",
    "system_prompt",
]

FINISH_TRIAL_SPEC = ToolSpec(
    name=FINISH_TRIAL,
    server="toolmaster",
    description=(
        "End the trial phase with notes on what you learnt, tool by tool: what the arguments "
        "really mean, defaults, formats, errors and their fixes."
    ),
    input_schema={
        "type": "object",
        "properties": {"notes": {"type": "string"}},
        "required": ["notes"],
    },
    annotations=ToolAnnotations(read_only_hint=True),
)

_TRIAL = """\
You solve tasks with tools you have not used; their documentation may be wrong or incomplete.
1. Trial: make a few exploratory calls to learn what the arguments mean, defaults, units, \
formats and errors. {safety}
2. Call finish_trial with notes on what you learnt.
3. Execute the task. If a call fails, read the error, fix the call and retry.
Then reply with the final answer as plain text, with no tool call."""

_SAFETY_SANDBOX = "Trial calls are undone when the trial ends."
_SAFETY_REFUSE = "Only read-only tools may be trialed."
_TRIAL_SANDBOXED = _TRIAL.format(safety=_SAFETY_SANDBOX)
_TRIAL_REFUSING = _TRIAL.format(safety=_SAFETY_REFUSE)

_DIRECT = """\
You solve tasks with tools. If a call fails, read the error, fix the call and retry.
Then reply with the final answer as plain text, with no tool call."""

_KNOWN = """\
You have used these tools before. What you learnt then:
{notes}"""

_TRIAL_DONE = "Trial phase finished. Now execute the task."
_NO_TRIAL = "finish_trial: there is no trial phase running."
BUDGET_SPENT = "The trial budget is spent: the trial phase is over. Execute the task now."
"""Appended to the result of the trial call that spends the budget."""


def _unsafe(tool: str) -> str:
    return (
        f"Refused: `{tool}` is not marked read-only and trials here run without a sandbox, so it "
        "cannot be trialed. Call it in the execution phase, after finish_trial."
    )


def _policy_refused(tool: str) -> str:
    return (
        f"Refused: the trial policy does not let `{tool}` be trialed. Call it in the execution "
        "phase, after finish_trial."
    )


def _no_sandbox(tool: str) -> str:
    return (
        f"Refused: `{tool}` may only be trialed in a sandbox, and there is none for its server. "
        "Call it in the execution phase, after finish_trial."
    )


def system_prompt(*, trial: bool, sandboxed: bool, experience: Sequence[Experience] = ()) -> str:
    """The system prompt for an episode: the protocol of its mode plus remembered experience."""
    prompt = (_TRIAL_SANDBOXED if sandboxed else _TRIAL_REFUSING) if trial else _DIRECT
    notes = _unique_notes(experience)
    if notes:
        prompt += "\n\n" + _KNOWN.format(notes="\n\n".join(notes))
    return prompt


def _unique_notes(experience: Sequence[Experience]) -> list[str]:
    seen: dict[str, None] = {}
    for item in experience:
        text = item.notes.strip()
        if text:
            seen.setdefault(text, None)
    return list(seen)


def offered_tools(tools: Sequence[ToolSpec], *, trial: bool) -> list[ToolSpec]:
    """The tools the model is offered: the servers' tools, plus `finish_trial` in an episode
    with a trial phase (for the whole episode)."""
    return [*tools, FINISH_TRIAL_SPEC] if trial else list(tools)


def format_feedback(errors: Sequence[str]) -> str:
    """What the model reads after writing tool calls that could not be parsed."""
    return "\n".join(f"Invalid tool call: {error}" for error in errors)


def result_text(result: ToolResult) -> str:
    """What the model reads for a tool result."""
    text = result.text
    if not text and result.structured_content is not None:
        text = json.dumps(result.structured_content, ensure_ascii=False)
    if result.is_error and not text.lower().startswith("error"):
        text = f"Error: {text}"
    return text


@dataclass(frozen=True)
class TrialRules:
    """The rules of the trial phase of an episode."""

    max_trial_calls: int = 20
    """Trial calls (that reach a tool) allowed; the one that spends the budget ends the trial."""
    sandboxed: bool = False
    """Trial calls run in a sandbox whose state is restored when the trial ends."""
    allow_unsafe: bool = False
    """Trial tools that are not marked read-only even without a sandbox (`*=allow` after the
    policy's command-line rules)."""
    policy: TrialPolicy = field(default_factory=TrialPolicy)
    """Which tools may be trialed, and how (`toolmaster.mcp.TrialPolicy`); its default allows
    read-only tools and sandboxes the others."""


Action = Literal["run", "refuse", "finish", "read"]

TrialRun = Literal["real", "sandbox", "refused"]
"""How a trial call ran: on the real server, where it is undone (the episode's snapshot or a
throwaway instance of its server), or not at all."""

_Admission = Literal["real", "snapshot", "isolated", "refused", "no_sandbox"]


@dataclass(frozen=True)
class Move:
    """What the protocol makes of one call."""

    call: ToolCall
    """The call, stamped with the phase it belongs to."""
    action: Action
    """`run`: send it to the tools; `refuse` and `finish`: `answer` is its result; `read`: a
    call of `read_resource`, for the driver's resource reader."""
    answer: ToolResult | None = None
    ends_trial: bool = False
    """The trial ends with this call (`finish_trial`, or the call that spends the budget)."""
    notes: str | None = None
    """The notes of `finish_trial`."""
    isolated: bool = False
    """A trial call to send to the trial sandbox (a throwaway instance of its server), not to
    the tools."""
    trial_run: TrialRun | None = None
    """How a trial call of a tool runs (None for `finish_trial` and execution calls)."""


ToolLookup = Callable[[str], ToolSpec | None]
"""The spec of a tool by name (None for a name no server has)."""


@dataclass
class TrialProtocol:
    """The phases of one episode. Make one per episode (and per user message that restarts it).

    `lookup` finds a tool's spec by name, for the trial policy; `sandbox` is snapshotted when a
    trial starts and restored when it ends; `trial_sandbox` says which servers' tools can be
    trialed in a throwaway instance (the driver sends those calls there).
    """

    rules: TrialRules
    lookup: ToolLookup
    trial: bool
    """Whether the episode has a trial phase (a trial-mode episode whose tools need one)."""
    sandbox: Sandbox | None = None
    trial_sandbox: TrialSandbox | None = None
    resources: bool = False
    """The episode offers `read_resource`: its calls are `read` moves in either phase, counted
    against no budget (without it the name is a tool like any other, which no server has)."""
    _phase: Phase = field(init=False)
    _trial_calls: int = field(init=False, default=0)
    _snapshot: JsonValue = field(init=False, default=None)
    execute_calls: int = field(init=False, default=0)
    refused: int = field(init=False, default=0)
    notes: str | None = field(init=False, default=None)
    """The notes `finish_trial` ended the trial with (None if it did not)."""
    forced: bool = field(init=False, default=False)
    """The trial ended because its budget was spent (or the driver ended it)."""
    trialed: dict[str, ToolSpec] = field(init=False, default_factory=dict[str, ToolSpec])
    """The tools that trial calls reached, by name."""

    def __post_init__(self) -> None:
        self.trial = self.trial and self.rules.max_trial_calls > 0
        self._phase = "trial" if self.trial else "execute"
        if self.trial and self.sandbox is not None:
            self._snapshot = self.sandbox.snapshot()

    @property
    def phase(self) -> Phase:
        return self._phase

    @property
    def trial_calls(self) -> int:
        return self._trial_calls

    @property
    def finished_trial(self) -> bool:
        """The trial ended with `finish_trial` (not by its budget)."""
        return self.notes is not None

    def system_prompt(
        self, experience: Sequence[Experience] = (), tools: Sequence[ToolSpec] = ()
    ) -> str:
        """The episode's system prompt. It says that trial calls are undone where the trials
        run under a snapshot, or where the trial sandbox takes every one of `tools` that is not
        read-only; else that only read-only tools may be trialed."""
        sandboxed = self.rules.sandboxed or (
            self.trial_sandbox is not None
            and bool(tools)
            and all(t.read_only or self._admit(t) == "isolated" for t in tools)
        )
        return system_prompt(trial=self.trial, sandboxed=sandboxed, experience=experience)

    def offered(self, tools: Sequence[ToolSpec]) -> list[ToolSpec]:
        """The tools to offer the model: `finish_trial` stays offered after the trial (a call
        of it is refused then), so every turn's prompt renders the same tools and is a prefix
        of the next one, as in the SFT rows and the GRPO rollouts."""
        return offered_tools(tools, trial=self.trial)

    def phases(self, calls: Sequence[ToolCall]) -> list[Phase]:
        """The phase each of a turn's calls will run in, decided before any runs."""
        if self._phase == "execute":  # the phase no call can change
            return ["execute"] * len(calls)
        phase, used, phases = self._phase, self._trial_calls, list[Phase]()
        for call in calls:
            phases.append(phase)
            _, phase, used = self._decide(phase, used, call)
        return phases

    def step(self, call: ToolCall) -> Move:
        """Decide the next call the model wrote, and count it."""
        phase = self._phase
        action, self._phase, self._trial_calls = self._decide(phase, self._trial_calls, call)
        stamped = call if call.phase == phase else call.model_copy(update={"phase": phase})
        if action == "refuse":
            self.refused += 1
            text = _NO_TRIAL if phase == "execute" else self._refusal(call.tool)
            answer = ToolResult.error(call.id, "refused", text)
            run: TrialRun | None = None if phase == "execute" else "refused"
            return Move(stamped, "refuse", answer, trial_run=run)
        if action == "read":
            return Move(stamped, "read")
        if action == "finish":
            answer = ToolResult(call_id=call.id, content=[{"type": "text", "text": _TRIAL_DONE}])
            notes = _notes(call.arguments.get("notes"))
            return Move(stamped, "finish", answer, ends_trial=True, notes=notes)
        if phase == "execute":
            self.execute_calls += 1
            return Move(stamped, "run")
        spec = self.lookup(call.tool)
        admission = self._admit(spec)
        if spec is not None:
            self.trialed[spec.name] = spec
        return Move(
            stamped,
            "run",
            ends_trial=self._phase == "execute",
            isolated=admission == "isolated",
            trial_run="real" if admission == "real" else "sandbox",
        )

    def read(self, move: Move, result: ToolResult) -> str:
        """The text the model reads for `result`, the result of `move` (its answer, or what the
        tools returned); ends the trial if the move does."""
        text = result_text(result)
        if move.ends_trial:
            self._end(notes=move.notes)
            if move.action == "run":
                text = f"{text}\n\n{BUDGET_SPENT}"
        return text

    def end_trial(self) -> bool:
        """End a running trial without notes (a new user message, say); whether one was running."""
        if self.phase != "trial":
            return False
        self._phase = "execute"
        self._end(notes=None)
        return True

    def _end(self, *, notes: str | None) -> None:
        if self.sandbox is not None and self._snapshot is not None:
            self.sandbox.restore(self._snapshot)
        self._snapshot = None
        self.notes = notes
        self.forced = notes is None

    def _decide(self, phase: Phase, used: int, call: ToolCall) -> tuple[Action, Phase, int]:
        """What becomes of `call` in `phase` after `used` trial calls, and the phase and the
        trial calls after it (no side effects)."""
        if self.resources and call.tool == READ_RESOURCE:
            return "read", phase, used
        if phase == "execute":
            return ("refuse" if call.tool == FINISH_TRIAL else "run"), phase, used
        if call.tool == FINISH_TRIAL:
            return "finish", "execute", used
        if self._admit(self.lookup(call.tool)) in ("refused", "no_sandbox"):
            return "refuse", phase, used
        used += 1
        return "run", ("execute" if used >= self.rules.max_trial_calls else "trial"), used

    def _admit(self, spec: ToolSpec | None) -> _Admission:
        """How a trial call of `spec` runs: for real, under the episode's snapshot (undone when
        the trial ends), in a throwaway instance of its server, or not at all (the policy
        refuses it, or it needs a sandbox and its server has none). A name no server has runs:
        the tools answer it."""
        if spec is None:
            return "real"
        rules = self.rules
        if spec.read_only and rules.policy.empty:  # the common case, decided at once
            return "snapshot" if rules.sandboxed else "real"
        action = rules.policy.action(spec, allow_unsafe=rules.allow_unsafe)
        if action == "refuse":
            return "refused"
        if rules.sandboxed:
            return "snapshot"
        if action == "allow":
            return "real"
        sandbox = self.trial_sandbox
        return "isolated" if sandbox is not None and sandbox.covers(spec.server) else "no_sandbox"

    def _refusal(self, tool: str) -> str:
        """What the model reads when a trial call of `tool` is refused."""
        spec = self.lookup(tool)
        if spec is not None and self._admit(spec) == "refused":
            return _policy_refused(tool)
        if spec is not None and spec.read_only:  # the policy wants a sandbox for it
            return _no_sandbox(tool)
        return _unsafe(tool)


def _notes(value: JsonValue) -> str:
    """`finish_trial`'s notes as text (JSON if the model wrote something else)."""
    if isinstance(value, str):
        return value
    return "" if value is None else json.dumps(value, ensure_ascii=False)
