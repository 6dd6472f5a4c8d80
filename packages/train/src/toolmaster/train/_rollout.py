"""GRPO rollouts over live MCP servers: trl's `environment_factory` environments.

trl's `GRPOTrainer` makes one environment object per rollout slot, calls `reset(**row)` before
each rollout and calls the object's public methods as the model's tools, synchronously, from the
training loop. Here each `reset` opens a **fresh MCP session** for the row's task:

- a bundled environment: a fresh seeded state (`Environment.open(task)`) served in process, with
  the trial sandbox (its snapshot is restored when the trial ends, as in the agent loop), judged
  by the environment's verifier on the final answer and final state;
- a suite over any MCP servers (`[[grpo.servers]]`): new connections to the servers of an
  `mcpServers` file (stdio servers are new processes), judged by a `function(task, answer)`.

MCP is asynchronous (anyio); trl calls tools synchronously. One `RolloutHub` per training run owns
an event loop in a thread (`anyio.from_thread.start_blocking_portal`): sessions are opened, called
and closed there, and closing the hub closes every session still open and stops the thread, so no
server process or file descriptor outlives the run.

The environment classes trl sees (one method per tool) are made in `toolmaster.train._environment`;
each instance drives one `Rollout` here.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from types import TracebackType
from typing import Any, Protocol, Self

from anyio.from_thread import BlockingPortal, start_blocking_portal
from pydantic import JsonValue
from toolmaster.agent import Sandbox, result_text
from toolmaster.core import (
    FINISH_TRIAL,
    Mode,
    Phase,
    Task,
    ToolCall,
    ToolResult,
    ToolSpec,
    UserError,
    Verdict,
)
from toolmaster.mcp import ServerSpec, Toolbox
from toolmaster.train._config import RewardConfig
from toolmaster.train._reward import (
    CallCounts,
    RewardParts,
    RolloutFacts,
    count_calls,
    final_answer,
    reward_parts,
)

__all__ = [
    "OpenWorld",
    "Rollout",
    "RolloutHub",
    "RolloutLog",
    "RolloutSettings",
    "Session",
    "World",
]

logger = logging.getLogger(__name__)

_TRIAL_DONE = "Trial phase finished. Now execute the task."
_BUDGET_SPENT = "The trial budget is spent: the trial phase is over. Execute the task now."


@dataclass(frozen=True)
class OpenWorld:
    """The servers of one rollout, freshly made, and how to judge it."""

    servers: list[ServerSpec]
    verify: Callable[[str | None], Verdict]
    """Judges the final answer (and the final state it closes over)."""
    sandbox: Sandbox | None = None
    """Restored to its state before the trial when the trial ends."""


class World(Protocol):
    """Where the rollouts of one `environment` (a dataset row's `environment` column) happen."""

    @property
    def name(self) -> str: ...

    @property
    def sandboxed(self) -> bool:
        """Whether trial calls run in a sandbox (else unsafe tools are refused in the trial)."""
        ...

    @property
    def allow_unsafe_trials(self) -> bool: ...

    def open(self, task: Task) -> OpenWorld:
        """Fresh servers for one rollout of `task`."""
        ...


@dataclass(frozen=True)
class RolloutSettings:
    """The rules of every rollout of a run."""

    mode: Mode = "trial"
    max_trial_calls: int = 6
    call_timeout_s: float = 30.0


@dataclass
class RolloutLog:
    """What happened in one rollout, for its reward and for inspection."""

    task: Task
    calls: list[tuple[ToolCall, ToolResult]] = field(
        default_factory=list[tuple[ToolCall, ToolResult]]
    )
    """Every call that reached a server (or was refused), with its result, in order."""
    phase: Phase = "execute"
    trial_calls: int = 0
    execute_errors: int = 0
    notes: str | None = None
    finished_trial: bool = False
    trial_end: int | None = None
    """The index in `calls` of the call that ended the trial (`finish_trial` or the budget)."""
    verdict: Verdict | None = None
    answer: str | None = None
    counts: CallCounts | None = None
    """The calls the model wrote (attempted, valid), counted from its completion."""
    parts: RewardParts | None = None


class RolloutHub:
    """Opens, calls and closes rollout sessions on one event-loop thread. Use it as a context
    manager; leaving it closes every session and stops the thread."""

    def __init__(self, settings: RolloutSettings) -> None:
        self.settings = settings
        self._portal_cm = start_blocking_portal()
        self._portal: BlockingPortal = self._portal_cm.__enter__()
        self._rollouts: list[Rollout] = []
        self.closed = False

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def rollouts(self) -> Sequence[Rollout]:
        """Every rollout slot made so far (trl keeps and reuses them across batches)."""
        return tuple(self._rollouts)

    def new_rollout(self, world: World) -> Rollout:
        if self.closed:
            raise UserError("the rollout hub is closed")
        rollout = Rollout(world, self)
        self._rollouts.append(rollout)
        return rollout

    def open(self, world: OpenWorld) -> Session:
        """Connect a fresh Toolbox to the world's servers (in the hub's thread)."""
        toolbox = Toolbox(world.servers, timeout=self.settings.call_timeout_s)
        context = self._portal.wrap_async_context_manager(toolbox)
        context.__enter__()
        return Session(toolbox=toolbox, context=context, world=world)

    def call(self, session: Session, call: ToolCall) -> ToolResult:
        """Make one tool call; faults of the tool or server come back as results."""
        return self._portal.call(
            partial(session.toolbox.call, call, timeout=self.settings.call_timeout_s)
        )

    def list_tools(self, world: World, task: Task) -> list[ToolSpec]:
        """The tools a world's servers offer (a session is opened and closed for it)."""
        session = self.open(world.open(task))
        try:
            return list(session.toolbox.tools)
        finally:
            session.close()

    def close(self) -> None:
        """Close every open session, then the event loop thread. Safe to call twice."""
        if self.closed:
            return
        self.closed = True
        try:
            for rollout in self._rollouts:
                rollout.close()
        finally:
            self._portal_cm.__exit__(None, None, None)


@dataclass
class Session:
    """One open Toolbox over a rollout's servers."""

    toolbox: Toolbox
    context: Any
    """The portal's synchronous wrapper of the Toolbox's `async with`."""
    world: OpenWorld
    open: bool = True

    def close(self) -> None:
        if self.open:
            self.open = False
            self.context.__exit__(None, None, None)


class Rollout:
    """The state machine of one rollout slot: a fresh session per task, trial-then-execute
    semantics as in the agent loop, the verdict, and the reward."""

    def __init__(self, world: World, hub: RolloutHub) -> None:
        self.world = world
        self.hub = hub
        self.session: Session | None = None
        self.log: RolloutLog | None = None
        self.history: list[RolloutLog] = []
        """The logs of every finished rollout of this slot, oldest first."""
        self._snapshot: JsonValue = None

    @property
    def settings(self) -> RolloutSettings:
        return self.hub.settings

    @property
    def logs(self) -> list[RolloutLog]:
        """Every rollout of this slot, the running one included, oldest first."""
        running = self.log is not None and (not self.history or self.history[-1] is not self.log)
        return [*self.history, self.log] if running and self.log is not None else list(self.history)

    def start(self, task: Task) -> None:
        """Close the previous session and open a fresh one for `task`."""
        self.close()
        opened = self.world.open(task)
        self.session = self.hub.open(opened)
        trial = self.settings.mode == "trial"
        self.log = RolloutLog(task=task, phase="trial" if trial else "execute")
        self._snapshot = opened.sandbox.snapshot() if trial and opened.sandbox else None

    def close(self) -> None:
        """Close the session (the log stays readable)."""
        session, self.session = self.session, None
        if self.log is not None and (not self.history or self.history[-1] is not self.log):
            self.history.append(self.log)
        if session is not None:
            session.close()

    def _live(self) -> tuple[Session, RolloutLog]:
        if self.session is None or self.log is None:
            raise UserError("no rollout is running: reset() the environment first")
        return self.session, self.log

    def call(self, tool: str, arguments: Mapping[str, Any]) -> str:
        """Call an MCP tool for the model; what the model reads comes back."""
        session, log = self._live()
        call = ToolCall(
            id=f"call_{len(log.calls)}", tool=tool, arguments=dict(arguments), phase=log.phase
        )
        refusal = self._refusal(session, log, tool)
        if refusal is not None:
            result = ToolResult.error(call.id, "refused", refusal)
            log.calls.append((call, result))
            return result_text(result)
        result = self.hub.call(session, call)
        log.calls.append((call, result))
        text = result_text(result)
        if log.phase == "trial":
            log.trial_calls += 1
            if log.trial_calls >= self.settings.max_trial_calls:
                log.trial_end = len(log.calls) - 1
                self._end_trial(session, log, notes=None)
                text = f"{text}\n\n{_BUDGET_SPENT}"
        elif result.is_error:
            log.execute_errors += 1
        return text

    def finish_trial(self, notes: object) -> str:
        """End the trial phase with the model's notes (JSON text if they are not a string)."""
        session, log = self._live()
        notes = notes if isinstance(notes, str) else json.dumps(notes)
        call = ToolCall(
            id=f"call_{len(log.calls)}",
            tool=FINISH_TRIAL,
            arguments={"notes": notes},
            phase=log.phase,
        )
        if log.phase != "trial":
            result = ToolResult.error(
                call.id, "refused", "finish_trial: there is no trial phase running."
            )
        else:
            result = ToolResult(call_id=call.id, content=[{"type": "text", "text": _TRIAL_DONE}])
            log.trial_end = len(log.calls)
            self._end_trial(session, log, notes=notes)
        log.calls.append((call, result))
        return result_text(result)

    def _refusal(self, session: Session, log: RolloutLog, tool: str) -> str | None:
        if log.phase != "trial":
            return None
        if log.trial_calls >= self.settings.max_trial_calls:
            return "The trial budget is spent; this call was not made."
        spec = session.toolbox.tool(tool)
        if spec is None or spec.read_only or session.world.sandbox is not None:
            return None
        if self.world.allow_unsafe_trials:
            return None
        return (
            f"Refused: `{tool}` is not marked read-only and trials here run without a sandbox, "
            "so it cannot be trialed. Call it in the execution phase, after finish_trial."
        )

    def _end_trial(self, session: Session, log: RolloutLog, *, notes: str | None) -> None:
        if session.world.sandbox is not None and self._snapshot is not None:
            session.world.sandbox.restore(self._snapshot)
        self._snapshot = None
        log.notes = notes
        log.finished_trial = notes is not None
        log.phase = "execute"

    def judge(self, completion: Sequence[Mapping[str, Any]], config: RewardConfig) -> RewardParts:
        """The reward of the finished rollout whose messages are `completion` (computed once;
        the verifier sees the final answer and the session's final state)."""
        session, log = self._live()
        if log.parts is None:
            log.answer = final_answer(completion)
            log.verdict = _verify(session.world, log.answer, log.task)
            offered = {t.name for t in session.toolbox.tools}
            if self.settings.mode == "trial":
                offered.add(FINISH_TRIAL)
            log.counts = count_calls(completion, offered)
            log.parts = reward_parts(self.facts(log.counts), config)
        return log.parts

    def facts(self, calls: CallCounts) -> RolloutFacts:
        """The reward's inputs from this rollout's log and its counted calls."""
        _, log = self._live()
        trialed = any(
            c.phase == "trial" and c.tool != FINISH_TRIAL and r.error_kind != "refused"
            for c, r in log.calls
        )
        return RolloutFacts(
            mode=self.settings.mode,
            score=log.verdict.score if log.verdict is not None else 0.0,
            calls=calls,
            trialed=trialed,
            noted=log.finished_trial and bool((log.notes or "").strip()),
            execute_errors=log.execute_errors,
        )


def _verify(world: OpenWorld, answer: str | None, task: Task) -> Verdict | None:
    try:
        return world.verify(answer)
    except Exception:  # a verifier bug scores 0 for this rollout and is logged, never fatal
        logger.exception("the verifier failed on a rollout of task %s", task.id)
        return None
