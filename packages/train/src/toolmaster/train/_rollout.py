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

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from types import TracebackType
from typing import Any, Protocol, Self

from anyio.from_thread import BlockingPortal, start_blocking_portal
from toolmaster.agent import Sandbox, TrialProtocol, TrialRules
from toolmaster.core import (
    FINISH_TRIAL,
    Mode,
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
    protocol: TrialProtocol
    """The rollout's trial-and-execution protocol (phase, counts, notes)."""
    calls: list[tuple[ToolCall, ToolResult]] = field(
        default_factory=list[tuple[ToolCall, ToolResult]]
    )
    """Every call that reached a server (or was refused), with its result, in order."""
    execute_errors: int = 0
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
    """One rollout slot: a fresh session per task, driven by the agent's `TrialProtocol` (the
    same trial-and-execution rules and texts as the agent loop), the verdict, and the reward."""

    def __init__(self, world: World, hub: RolloutHub) -> None:
        self.world = world
        self.hub = hub
        self.session: Session | None = None
        self.log: RolloutLog | None = None
        self.history: list[RolloutLog] = []
        """The logs of every finished rollout of this slot, oldest first."""

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
        self.session = session = self.hub.open(opened)
        rules = TrialRules(
            max_trial_calls=self.settings.max_trial_calls,
            sandboxed=opened.sandbox is not None,
            allow_unsafe=self.world.allow_unsafe_trials,
        )
        protocol = TrialProtocol(
            rules,
            session.toolbox.tool,
            trial=self.settings.mode == "trial",
            sandbox=opened.sandbox,
        )
        self.log = RolloutLog(task=task, protocol=protocol)

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
        """Make one call the model wrote (an MCP tool or `finish_trial`) as the protocol says;
        what the model reads comes back."""
        session, log = self._live()
        protocol = log.protocol
        call = ToolCall(
            id=f"call_{len(log.calls)}", tool=tool, arguments=dict(arguments), phase=protocol.phase
        )
        move = protocol.step(call)
        result = move.answer
        if result is None:
            result = self.hub.call(session, move.call)
            if move.call.phase == "execute" and result.is_error:
                log.execute_errors += 1
        if move.ends_trial:
            log.trial_end = len(log.calls)
        log.calls.append((move.call, result))
        return protocol.read(move, result)

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
            noted=log.protocol.finished_trial and bool((log.protocol.notes or "").strip()),
            execute_errors=log.execute_errors,
        )


def _verify(world: OpenWorld, answer: str | None, task: Task) -> Verdict | None:
    try:
        return world.verify(answer)
    except Exception:  # a verifier bug scores 0 for this rollout and is logged, never fatal
        logger.exception("the verifier failed on a rollout of task %s", task.id)
        return None
