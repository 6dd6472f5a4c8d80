"""The trial-and-execution loop.

The model sees the tools plus the control tool `finish_trial(notes)`. Calls before it are trial
calls (budgeted, sandboxed or restricted to read-only tools); calls after it are execution calls.
Where the servers have resources, the control tool `read_resource(uri)` reads them in either
phase.
An assistant message without tool calls ends the episode and is the answer. Direct mode — the
baseline — skips the trial phase; both modes share this loop and the record format.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal, cast

import anyio
from pydantic import JsonValue
from toolmaster.agent._host import (
    EventSink,
    ExperienceStore,
    ResourceReader,
    Sandbox,
    ServerEvents,
    ToolHost,
    TrialSandbox,
)
from toolmaster.agent._policy import AssistantTurn, Policy, PolicyError
from toolmaster.agent._protocol import (
    Move,
    TrialProtocol,
    TrialRules,
    format_feedback,
)
from toolmaster.agent._resource_tool import NO_URI, resource_result, resource_tool
from toolmaster.core import (
    FORMAT_VERSION,
    MAX_KEPT_BYTES,
    Episode,
    EpisodeError,
    Event,
    EventKind,
    Experience,
    Message,
    Mode,
    Phase,
    PhaseSpan,
    Sampling,
    ServerNotice,
    Task,
    Timings,
    ToolCall,
    ToolMasterError,
    ToolResult,
    ToolSpec,
    Usage,
    UserError,
    Verdict,
    find_experience,
    kept_blocks,
    new_id,
    utcnow,
)
from toolmaster.mcp import ServerRequestError, ToolEvent, TrialPolicy

logger = logging.getLogger(__name__)

_NOTICES = frozenset({"server_log", "progress", "sampling", "elicitation"})
"""The Toolbox events recorded as the episode's `notices` (and events of the same kinds)."""

Verifier = Callable[[str | None], Verdict]
"""Judges the final answer (and whatever final state it closes over)."""

NextUser = Callable[[Sequence[Message]], Awaitable[str | None]]
"""Asked each time the model answers (the conversation so far, ending with the answer): the next
user message, to go on with the same tools and state, or None to end the episode. It may change
the host's tools first: they are read again for the next user message."""


@dataclass(frozen=True)
class AgentConfig:
    """Budgets and rules of an episode."""

    mode: Mode = "trial"
    """`trial` for trial-and-execution, `direct` for the baseline."""
    max_trial_calls: int = 20
    """Trial calls allowed before the agent moves to execution on its own."""
    max_turns: int = 32
    """Model turns per user message (with `next_user`, each user message gets them anew)."""
    max_tokens: int | None = None
    """Prompt plus completion tokens per episode; `None` for no limit."""
    wall_time_s: float | None = None
    """Seconds per episode; `None` for no limit."""
    call_timeout_s: float = 30.0
    """Seconds per tool call."""
    allow_unsafe_trials: bool = False
    """Trial tools that are not marked read-only even without a sandbox (`*=allow`)."""
    trial_policy: TrialPolicy = field(default_factory=TrialPolicy)
    """Which tools may be trialed, by name or glob (`--trial-policy`, the servers' `"trial"`)."""
    retrial_known_tools: bool = False
    """Trial even when experience exists for every tool (and the tools are unchanged)."""
    sampling: Sampling = field(default_factory=Sampling)
    max_kept_bytes: int = MAX_KEPT_BYTES
    """Binary data of one content block (an image, audio, a binary resource; decoded bytes)
    that the episode and its events keep; larger data is dropped and its size kept (the
    model still receives all of it during the run)."""


class _HostError(Exception):
    """The tool host raised instead of returning a result."""


@dataclass
class _Run:
    """The mutable state of one episode while it runs."""

    episode_id: str
    events: EventSink | None
    protocol: TrialProtocol
    messages: list[Message] = field(default_factory=list[Message])
    phases: list[PhaseSpan] = field(default_factory=list[PhaseSpan])
    phase_start: int = 0
    seq: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    policy_s: float = 0.0
    tools_s: float = 0.0
    format_errors: int = 0
    tool_errors: int = 0
    answer: str | None = None
    error: EpisodeError | None = None
    tools: dict[str, ToolSpec] = field(default_factory=dict[str, ToolSpec])
    """The tools of the episode, by name."""
    call_ids: set[str] = field(default_factory=set[str])
    trial_runs: dict[str, JsonValue] = field(default_factory=dict[str, JsonValue])
    """How each trial call ran, by call id: `real`, `sandbox` or `refused`."""
    control_tools: list[ToolSpec] = field(default_factory=list[ToolSpec])
    """The control tools offered after the servers' tools (`read_resource`), but for
    `finish_trial`, which the protocol adds."""
    resource_reads: int = 0
    notices: list[ServerNotice] = field(default_factory=list[ServerNotice])
    """What the servers logged, reported and asked during the episode."""
    sending: anyio.Lock = field(default_factory=anyio.Lock)
    """Held while an event goes to the sink: a server's notice can arrive while the loop's
    own event is being written, and each needs the next `seq`."""

    async def emit(self, kind: EventKind, data: dict[str, JsonValue]) -> None:
        """Send the next event to the sink, if there is one. `data` is JSON made here (literals
        and the `json_data()` of validated records), so the event skips validation. A sink
        that raises does not end the episode: the event is logged as lost, and its `seq` goes
        to the next event, so a stream never has a gap."""
        if self.events is None:
            return
        async with self.sending:
            event = Event.trusted(
                episode_id=self.episode_id, seq=self.seq, kind=kind, ts=utcnow(), data=data
            )
            try:
                await self.events(event)
            except Exception:
                logger.exception("episode %s: the event sink failed on %s", self.episode_id, kind)
                return
            self.seq += 1

    async def notice(self, event: ToolEvent) -> None:
        """Keep a server's log message, progress, sampling or elicitation (a Toolbox
        subscriber), and send it as an event of its kind."""
        if event.kind not in _NOTICES:
            return
        notice = ServerNotice(
            kind=event.kind,  # pyright: ignore[reportArgumentType] — one of _NOTICES
            server=event.server,
            at=event.at,
            message=event.message,
            call_id=event.call.id if event.call is not None else None,
            details=dict(event.details),
        )
        self.notices.append(notice)
        await self.emit(notice.kind, {"notice": notice.json_data()})

    def close_phase(self, phase: Phase) -> None:
        """End the span of `phase` at the last message."""
        end = len(self.messages)
        if end > self.phase_start:
            self.phases.append(PhaseSpan.trusted(phase=phase, start=self.phase_start, end=end))
        self.phase_start = end

    def fail(self, error: EpisodeError) -> None:
        """Record the episode's error; the first one is the one that counts."""
        if self.error is None:
            self.error = error

    def counts(self) -> dict[str, JsonValue]:
        protocol = self.protocol
        counts: dict[str, JsonValue] = {
            "trial_calls": protocol.trial_calls,
            "execute_calls": protocol.execute_calls,
            "format_errors": self.format_errors,
            "tool_errors": self.tool_errors,
            "refused": protocol.refused,
        }
        if self.trial_runs:
            counts["trial_runs"] = dict(self.trial_runs)
        if self.resource_reads:
            counts["resource_reads"] = self.resource_reads
        return counts


class Agent:
    """Runs episodes of one policy over one tool host."""

    def __init__(
        self,
        policy: Policy,
        host: ToolHost,
        config: AgentConfig | None = None,
        *,
        sandbox: Sandbox | None = None,
        trial_sandbox: TrialSandbox | None = None,
        memory: ExperienceStore | None = None,
        events: EventSink | None = None,
        resources: ResourceReader | None = None,
        server_events: ServerEvents | None = None,
    ) -> None:
        """`sandbox`: the state of the tools, snapshotted for the trial and restored after it;
        `trial_sandbox`: throwaway instances of servers for the trial calls the trial policy
        sandboxes (discarded when the trial ends); `resources`: the servers' MCP resources
        (the Toolbox), read through the `read_resource` control tool, which episodes offer
        where there are any; `server_events`: what the servers log, report and ask of the
        client (the Toolbox), kept as the episode's `notices` and sent as events."""
        self.policy = policy
        self.host = host
        self.config = config or AgentConfig()
        self.sandbox = sandbox
        self.trial_sandbox = trial_sandbox
        self.memory = memory
        self.events = events
        self.resources = resources
        self.server_events = server_events

    async def run(
        self,
        task: Task,
        *,
        verify: Verifier | None = None,
        episode_id: str | None = None,
        next_user: NextUser | None = None,
    ) -> Episode:
        """Run `task` to an Episode. Never raises for a failure of the model, a server or the
        verifier: the failure is recorded on the episode, attributed to its boundary.

        With `next_user` the conversation goes on over several user messages (multi-turn
        benchmarks, simulated users): the trial phase belongs to the first one."""
        started = utcnow()
        tools = list(self.host.tools)
        known = self._known_experience(tools)
        trial = self.config.mode == "trial" and (
            self.config.retrial_known_tools or len(known) < len(tools)
        )
        reader = await self._resource_tool()
        if reader is not None:
            tools.append(reader)
        by_name = {t.name: t for t in tools}
        run = _Run(
            episode_id=episode_id or new_id(),
            events=self.events,
            protocol=self._protocol(trial, by_name, resources=reader is not None),
            tools=by_name,
            control_tools=[] if reader is None else [reader],
        )
        trial = run.protocol.trial
        prompt = run.protocol.system_prompt(list(known.values()), tools)
        run.messages += [_text("system", prompt), _text("user", task.prompt)]
        run.phase_start = len(run.messages)
        await run.emit(
            "episode_started",
            {
                "task_id": task.id,
                "mode": self.config.mode,
                "trial": trial,
                "tools": [t.name for t in tools],
                "known_tools": list(known),
                "prompt": task.prompt,
            },
        )
        stop_notices = None
        if self.server_events is not None:
            stop_notices = self.server_events.subscribe(run.notice)
        try:
            await self._play(run, tools, next_user)
        except PolicyError as exc:
            run.fail(EpisodeError(boundary="policy", kind="error", message=str(exc)))
        except _HostError as exc:
            run.fail(EpisodeError(boundary="server", kind="exception", message=str(exc)))
        except Exception as exc:  # a bug here: recorded, never fatal
            logger.exception("episode %s failed in the runtime", run.episode_id)
            run.fail(EpisodeError(boundary="runtime", kind="exception", message=repr(exc)))
        finally:
            if stop_notices is not None:
                stop_notices()
        if self.trial_sandbox is not None:  # a trial that never ended
            await self.trial_sandbox.discard()
        run.close_phase(run.protocol.phase)
        verdict = await self._verify(run, verify)
        timings = Timings.trusted(  # clock readings and sums of them, made here
            started_at=started, finished_at=utcnow(), policy_s=run.policy_s, tools_s=run.tools_s
        )
        episode = self._episode(run, task, tools, trial=trial, verdict=verdict, timings=timings)
        await run.emit(
            "episode_finished",
            {
                "answer": episode.answer,
                "passed": verdict.passed if verdict else None,
                "error": run.error.json_data() if run.error else None,
            },
        )
        return episode

    async def _resource_tool(self) -> ToolSpec | None:
        """`read_resource` for the servers' resources, if there are any. A listing that fails
        leaves it out (logged), not the episode."""
        if self.resources is None:
            return None
        try:
            listing = await self.resources.list_resources()
        except ToolMasterError as exc:
            logger.warning("resources could not be listed: %s", exc)
            return None
        for server, reason in listing.errors.items():
            logger.info("server %r: resources could not be listed: %s", server, reason)
        return resource_tool(listing)

    def _protocol(
        self, trial: bool, tools: dict[str, ToolSpec], *, resources: bool = False
    ) -> TrialProtocol:
        """The protocol of a new episode, whose tools (kept up to date) are `tools`."""
        config = self.config
        rules = TrialRules(
            max_trial_calls=config.max_trial_calls,
            sandboxed=self.sandbox is not None,
            allow_unsafe=config.allow_unsafe_trials,
            policy=config.trial_policy,
        )

        def lookup(name: str) -> ToolSpec | None:
            # another name form of a tool, or one the host gained mid-episode: the host says
            return tools.get(name) or self.host.tool(name)

        return TrialProtocol(
            rules,
            lookup,
            trial=trial,
            sandbox=self.sandbox,
            trial_sandbox=self.trial_sandbox,
            resources=resources,
        )

    def _episode(
        self,
        run: _Run,
        task: Task,
        tools: list[ToolSpec],
        *,
        trial: bool,
        verdict: Verdict | None,
        timings: Timings,
    ) -> Episode:
        """The record of the finished run. Its parts are validated records and values made
        here, so the episode is built without validating them again (that took as long as
        several tool calls)."""
        return Episode.trusted(
            id=run.episode_id,
            format_version=FORMAT_VERSION,
            task=task,
            mode=self.config.mode,
            policy=self.policy.info.model_copy(update={"sampling": self.config.sampling}),
            servers=list(self.host.servers),
            tools=list(tools),
            messages=[message.kept(self.config.max_kept_bytes) for message in run.messages],
            phases=list(run.phases),
            notes=run.protocol.notes,
            answer=run.answer,
            verdict=verdict,
            error=run.error,
            usage=Usage.trusted(
                prompt_tokens=run.prompt_tokens, completion_tokens=run.completion_tokens
            ),
            timings=timings,
            notices=list(run.notices),
            metadata={**run.counts(), "trial": trial},
        )

    async def _play(self, run: _Run, tools: list[ToolSpec], next_user: NextUser | None) -> None:
        """The turns, within the wall-time budget (no cancel scope to enter without one)."""
        if self.config.wall_time_s is None:
            await self._turns(run, tools, next_user)
            return
        with anyio.move_on_after(self.config.wall_time_s) as scope:
            await self._turns(run, tools, next_user)
        if scope.cancelled_caught:
            run.fail(
                EpisodeError(boundary="runtime", kind="budget", message="wall-time budget spent")
            )

    def _known_experience(self, tools: Sequence[ToolSpec]) -> dict[str, Experience]:
        if self.memory is None:
            return {}
        known: dict[str, Experience] = {}
        for tool in tools:
            experience = find_experience(self.memory.get_experience, tool)
            if experience is not None:
                known[tool.name] = experience
        return known

    async def _turns(self, run: _Run, tools: list[ToolSpec], next_user: NextUser | None) -> None:
        """The turns of the episode, over every user message."""
        config = self.config
        budget = config.max_turns
        while budget > 0:
            budget -= 1
            turn = await self._complete(run, run.protocol.offered(tools))
            calls, calls_data = await self._record_turn(run, turn)
            if not calls:
                if turn.format_errors:
                    await self._feedback(run, turn.format_errors)
                    continue
                run.answer = turn.content
                if next_user is None or not await self._follow_up(run, next_user):
                    return
                tools = [*self.host.tools, *run.control_tools]
                budget = config.max_turns
                continue
            for index, call in enumerate(calls):
                if run.events is not None:
                    await run.emit("tool_call", {"call": calls_data[index]})
                move = run.protocol.step(call)
                result = move.answer
                if move.action == "read":
                    result = await self._read(run, move.call)
                elif result is None:
                    result = await self._call(run, move)
                await self._record_result(run, move, result)
            if turn.format_errors:  # after the results: tool messages follow their calls
                await self._feedback(run, turn.format_errors)
            spent = run.prompt_tokens + run.completion_tokens
            if config.max_tokens is not None and spent >= config.max_tokens:
                run.fail(
                    EpisodeError(boundary="runtime", kind="budget", message="token budget spent")
                )
                return
        run.fail(
            EpisodeError(
                boundary="runtime", kind="budget", message=f"turn budget ({config.max_turns}) spent"
            )
        )

    async def _record_turn(
        self, run: _Run, turn: AssistantTurn
    ) -> tuple[list[ToolCall], list[JsonValue]]:
        """Append the assistant message. Its stamped calls, and their JSON as the event of the
        message has it (none without events)."""
        phase = run.protocol.phase
        calls = self._stamp_calls(run, turn)
        message = Message.trusted(  # made of the validated parts of the turn
            role="assistant",
            content=turn.content,
            tool_calls=calls,
            tool_call_id=None,
            name=None,
            usage=turn.usage,
            parts=[],
        )
        run.messages.append(message)
        calls_data: list[JsonValue] = []
        if run.events is not None:
            data = message.json_data()
            calls_data = cast("list[JsonValue]", data["tool_calls"])
            await run.emit("assistant", {"message": data, "phase": phase})
        return calls, calls_data

    @staticmethod
    async def _feedback(run: _Run, errors: Sequence[str]) -> None:
        """Tell the model which of its calls were invalid (after the valid calls' results)."""
        run.format_errors += len(errors)
        run.messages.append(_text("user", format_feedback(errors)))
        await run.emit("error", {"boundary": "policy", "kind": "format", "errors": list(errors)})

    async def _follow_up(self, run: _Run, next_user: NextUser) -> bool:
        """Append the next user message if `next_user` gives one (a trial still running ends
        first: it belongs to the first user message); whether the conversation goes on."""
        follow_up = await next_user(run.messages)
        if follow_up is None:
            return False
        if run.protocol.end_trial():
            await self._trial_ended(run)
        run.messages.append(Message(role="user", content=follow_up))  # from outside the loop
        run.tools.clear()
        run.tools.update((t.name, t) for t in self.host.tools)
        return True

    async def _call(self, run: _Run, move: Move) -> ToolResult:
        """Send a move's call to the host (or to the trial sandbox). A host reports a tool's
        faults as results; one that raises (a bug in a server adapter) fails the episode at the
        server boundary."""
        call = move.call
        started = time.perf_counter()
        try:
            if move.isolated and self.trial_sandbox is not None:
                spec = run.tools.get(call.tool) or self.host.tool(call.tool)
                if spec is not None:
                    timeout = self.config.call_timeout_s
                    return await self.trial_sandbox.call(spec, call, timeout=timeout)
            return await self.host.call(call, timeout=self.config.call_timeout_s)
        except Exception as exc:
            raise _HostError(f"the tool host raised {exc!r} on {call.tool}") from exc
        finally:
            run.tools_s += time.perf_counter() - started

    async def _read(self, run: _Run, call: ToolCall) -> ToolResult:
        """Read the resource a `read_resource` call names. A mistake (no URI, an unknown one)
        is refused and a server's failure is an error, both for the model to read; a reader
        that raises anything else fails the episode at the server boundary."""
        assert self.resources is not None  # the protocol reads only where the episode offers it
        uri = call.arguments.get("uri")
        if not isinstance(uri, str) or not uri:
            return ToolResult.error(call.id, "refused", NO_URI)
        run.resource_reads += 1
        started = time.perf_counter()
        try:
            contents = await self.resources.read_resource(uri, timeout=self.config.call_timeout_s)
        except UserError as exc:
            return ToolResult.error(call.id, "refused", str(exc))
        except ServerRequestError as exc:
            latency = time.perf_counter() - started
            return ToolResult.error(call.id, exc.kind, str(exc), latency_s=latency)
        except Exception as exc:
            raise _HostError(f"the resource reader raised {exc!r} on {uri!r}") from exc
        finally:
            run.tools_s += time.perf_counter() - started
        return resource_result(call.id, contents, latency_s=time.perf_counter() - started)

    async def _complete(self, run: _Run, offered: list[ToolSpec]) -> AssistantTurn:
        started = time.perf_counter()
        try:
            turn = await self.policy.complete(run.messages, offered, self.config.sampling)
        except PolicyError:
            raise
        except Exception as exc:  # a policy bug (a scripted one, say) is the policy's failure
            raise PolicyError(f"the policy raised {exc!r}") from exc
        finally:
            run.policy_s += time.perf_counter() - started
        run.prompt_tokens += turn.usage.prompt_tokens
        run.completion_tokens += turn.usage.completion_tokens
        return turn

    @staticmethod
    def _stamp_calls(run: _Run, turn: AssistantTurn) -> list[ToolCall]:
        """Give every call the phase it will run in and an id unique within the episode."""
        seen = run.call_ids
        phases = run.protocol.phases(turn.tool_calls)
        stamped: list[ToolCall] = []
        for call, phase in zip(turn.tool_calls, phases, strict=True):
            call_id = call.id
            if not call_id or call_id in seen:
                call_id = f"call_{len(seen)}"
            seen.add(call_id)
            if call_id == call.id and call.phase == phase:
                stamped.append(call)
            else:  # made of the fields of a validated call: no need to validate them again
                stamped.append(
                    ToolCall.trusted(
                        id=call_id, tool=call.tool, arguments=call.arguments, phase=phase
                    )
                )
        return stamped

    async def _record_result(self, run: _Run, move: Move, result: ToolResult) -> None:
        """Append what the model reads of `result`; end the trial if the move ends it."""
        call = move.call
        if result.is_error and move.action in ("run", "read"):
            run.tool_errors += 1
            if result.error_kind == "server_crashed":
                run.fail(
                    EpisodeError(boundary="server", kind="server_crashed", message=result.text)
                )
        run.messages.append(
            Message.trusted(  # the call's validated id and name, and text made here
                role="tool",
                content=run.protocol.read(move, result),
                tool_calls=[],
                tool_call_id=call.id,
                name=call.tool,
                usage=None,
                parts=result.parts if result.multimodal else [],
            )
        )
        if move.trial_run is not None:
            run.trial_runs[call.id] = move.trial_run
        if run.events is not None:
            data: dict[str, JsonValue] = {"result": self._kept(result), "phase": call.phase}
            if move.trial_run is not None:
                data["trial_run"] = move.trial_run
            await run.emit("tool_result", data)
        if move.ends_trial:
            await self._trial_ended(run)

    def _kept(self, result: ToolResult) -> dict[str, JsonValue]:
        """The result as its event keeps it: binary data over the cap emptied (`kept_blocks`)."""
        data = result.json_data()
        if result.multimodal:
            data["content"] = cast(
                "list[JsonValue]", kept_blocks(result.content, self.config.max_kept_bytes)
            )
        return data

    async def _trial_ended(self, run: _Run) -> None:
        """Close the trial's span, keep what it taught, and say so."""
        protocol = run.protocol
        notes = protocol.notes
        if notes and self.memory is not None:
            for spec in protocol.trialed.values():
                experience = Experience(key=spec.key, notes=notes, episode_id=run.episode_id)
                self.memory.put_experience(experience)
                await run.emit("experience", {"tool": spec.name, "notes": notes})
        if self.trial_sandbox is not None:
            await self.trial_sandbox.discard()
        run.close_phase("trial")
        await run.emit("phase", {"phase": "execute", "forced": protocol.forced, "notes": notes})

    async def _verify(self, run: _Run, verify: Verifier | None) -> Verdict | None:
        if verify is None:
            return None
        try:
            verdict = verify(run.answer)
        except Exception as exc:  # noqa: BLE001 — a verifier bug is recorded, not raised
            logger.warning("verifier failed on episode %s: %r", run.episode_id, exc)
            run.fail(EpisodeError(boundary="verifier", kind="exception", message=repr(exc)))
            return None
        await run.emit("verdict", {"verdict": verdict.json_data()})
        return verdict


def _text(role: Literal["system", "user"], text: str) -> Message:
    """A system or user message of text made here (or a validated task's prompt)."""
    return Message.trusted(
        role=role,
        content=text,
        tool_calls=[],
        tool_call_id=None,
        name=None,
        usage=None,
        parts=[],
    )
