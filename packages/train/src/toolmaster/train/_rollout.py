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

The tools the model sees are the servers' MCP tools (plus `finish_trial(notes)` in trial mode),
one generated method each. trl dispatches a call by the method's name with the model's arguments
as keywords; the methods accept any arguments and pass them to the server unchanged, so bad
arguments come back as the server's error message, which the model reads (an unknown tool name is
answered by trl itself with an error the model reads). The methods carry signatures and Google
docstrings derived from the JSON schemas, but the prompt renders each tool's exact MCP schema (see
`toolmaster.train._grpo`), as ToolMaster's policies do at inference.
"""

from __future__ import annotations

import inspect
import json
import keyword
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from types import TracebackType
from typing import Any, Protocol, Self

from anyio.from_thread import BlockingPortal, start_blocking_portal
from pydantic import JsonValue
from toolmaster.agent import FINISH_TRIAL_SPEC, Sandbox, result_text
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
    "RESERVED_NAMES",
    "McpEnvironment",
    "OpenWorld",
    "Rollout",
    "RolloutHub",
    "RolloutSettings",
    "World",
    "environment_class",
]

logger = logging.getLogger(__name__)

RESERVED_NAMES = frozenset({"reset", "get_reward", "toolmaster", FINISH_TRIAL})
"""Names no MCP tool may have here: trl's environment protocol and ToolMaster's own."""

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


class McpEnvironment:
    """Base of the generated environment classes; one instance per rollout slot of trl.

    Its only public function is `reset`; each generated subclass adds one method per MCP tool
    (and `finish_trial` in trial mode). `toolmaster` is the slot's `Rollout` (a data attribute,
    which trl does not take for a tool).
    """

    def __init__(self, rollout: Rollout) -> None:
        self.toolmaster = rollout

    def reset(self, **row: Any) -> None:
        """Start a rollout of the row's task (`row["task"]`: a `Task` as JSON) on fresh servers."""
        task = row.get("task")
        if not isinstance(task, str):
            raise UserError("a GRPO prompt row needs a `task` column holding the task as JSON")
        self.toolmaster.start(Task.model_validate_json(task))


def environment_class(world: World, tools: Sequence[ToolSpec], mode: Mode) -> type[McpEnvironment]:
    """A subclass of `McpEnvironment` with one method per tool (and `finish_trial` in trial
    mode), for trl to expose as the model's tools."""
    members: dict[str, Any] = {}
    for tool in tools:
        if tool.name in RESERVED_NAMES or tool.name.startswith("_"):
            raise UserError(
                f"{world.name}: tool name {tool.name!r} cannot be exposed to GRPO (reserved "
                f"names: {', '.join(sorted(RESERVED_NAMES))}; names may not start with '_')"
            )
        members[tool.name] = _tool_method(tool)
    if mode == "trial":
        members[FINISH_TRIAL] = _finish_trial_method()
    qualname = "".join(part.title() for part in world.name.replace("@", "_").split("_"))
    members["__doc__"] = f"GRPO rollouts of {world.name} over MCP ({mode} mode)."
    return type(f"{_identifier(qualname)}Environment", (McpEnvironment,), members)


def _tool_method(tool: ToolSpec) -> Callable[..., str]:
    name = tool.name

    def method(self: McpEnvironment, **arguments: Any) -> str:
        return self.toolmaster.call(name, arguments)

    _describe(method, tool)
    return method


def _finish_trial_method() -> Callable[..., str]:
    def finish_trial(self: McpEnvironment, notes: str = "") -> str:
        return self.toolmaster.finish_trial(notes)

    _describe(finish_trial, FINISH_TRIAL_SPEC)
    return finish_trial


def _describe(method: Callable[..., str], tool: ToolSpec) -> None:
    """Name, docstring and signature of a tool method, from the tool's JSON schema (what trl's
    schema builder, `transformers.utils.get_json_schema`, reads)."""
    parameters = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    annotations: dict[str, Any] = {}
    lines: list[str] = []
    properties = tool.input_schema.get("properties")
    required = tool.input_schema.get("required")
    needed = set(required) if isinstance(required, list) else set[Any]()
    if isinstance(properties, dict):
        for key, schema in properties.items():
            if not key.isidentifier() or keyword.iskeyword(key) or key == "self":
                continue  # still passed through at call time; only the signature omits it
            hint = _python_type(schema)
            default = inspect.Parameter.empty if key in needed else None
            parameters.append(
                inspect.Parameter(
                    key, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=hint
                )
            )
            annotations[key] = hint
            lines.append(f"    {key}: {_one_line(_describe_property(key, schema))}")
    annotations["return"] = str
    method.__name__ = tool.name
    method.__qualname__ = f"McpEnvironment.{tool.name}"
    summary = _one_line(tool.description) or f"The {tool.name} tool."
    method.__doc__ = summary + ("\n\nArgs:\n" + "\n".join(lines) if lines else "")
    method.__annotations__ = annotations
    # inspect.signature() reads __signature__: the method takes **arguments, but describes them.
    method.__dict__["__signature__"] = inspect.Signature(parameters, return_annotation=str)


_JSON_TYPES: dict[str, Any] = {
    "string": str,
    "integer": int,
    "number": float,
    "boolean": bool,
    "array": list[Any],
    "object": dict[str, Any],
}


def _python_type(schema: JsonValue) -> Any:
    """The Python type hint closest to a JSON schema (for the signature only)."""
    if not isinstance(schema, dict):
        return Any
    kind = schema.get("type")
    if isinstance(kind, str):
        return _JSON_TYPES.get(kind, Any)
    options = schema.get("anyOf")
    if isinstance(options, list):
        hints = [_python_type(option) for option in options if option != {"type": "null"}]
        if len(hints) == 1:
            return hints[0] | None
        return Any
    return Any


def _describe_property(key: str, schema: JsonValue) -> str:
    if not isinstance(schema, dict):
        return key
    text = schema.get("description") or schema.get("title") or key
    default = schema.get("default")
    suffix = f" (default: {default!r})" if "default" in schema and default is not None else ""
    return f"{text}{suffix}"


def _one_line(text: object) -> str:
    return " ".join(str(text or "").split())


def _identifier(text: str) -> str:
    cleaned = "".join(ch if ch.isalnum() else "_" for ch in text)
    return cleaned if cleaned and not cleaned[0].isdigit() else f"Env{cleaned}"
