"""The view state of one episode, folded from its event stream (live or replayed).

Nothing here touches Textual or the store: `EpisodeView.apply(event)` turns events into
timeline `Step`s and counters, so the live view, the replay and the tests share one fold.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from pydantic import JsonValue, ValidationError
from toolmaster.core import (
    FINISH_TRIAL,
    Episode,
    Event,
    EventKind,
    Message,
    Phase,
    ServerNotice,
    ToolCall,
    ToolResult,
    Verdict,
)

StepKind = Literal[
    "task", "header", "model", "call", "result", "notes", "verdict", "error", "notice"
]
"""`notice`: what a server logged, reported as progress or asked of the client (sampling,
elicitation), shown as it arrives."""

SUMMARY_CHARS = 300
"""How much of a call's arguments or a result a step's summary keeps; a collapsed timeline row
shows as much of it as its width allows."""
DETAIL_CHARS = 4000
"""How much of a call's arguments or a result an expanded row shows."""


def pretty(text: str) -> str:
    """`text` as indented JSON when it is JSON, else as it is; cut at `DETAIL_CHARS`."""
    try:
        shown = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        shown = text
    return shown if len(shown) <= DETAIL_CHARS else shown[:DETAIL_CHARS] + "\n… (truncated)"


def one_line(text: str, width: int = SUMMARY_CHARS) -> str:
    """`text` on one line, cut at `width` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


_NOTE_START = re.compile(r"(?:[-*•]\s*)?([\w.\-/]+)\s*:")
"""A line that starts a section of notes, unindented: `tool: ...`, `- tool: ...`."""


def tool_note(notes: str, tool: str) -> str | None:
    """The lines of `notes` about `tool`: each section that starts `tool:` (or `- tool:`), up
    to the next line that starts a section; None when no section is about it (free-form
    notes). An episode's notes cover every tool it trialed, and memory keeps them whole for
    each of those tools."""
    own: list[str] = []
    current: str | None = None
    for line in notes.splitlines():
        start = _NOTE_START.match(line)
        if start is not None:
            current = start.group(1)
        if current == tool:
            own.append(line)
    return "\n".join(own) or None


@dataclass(frozen=True)
class Step:
    """One row of the timeline."""

    seq: int
    """The event it came from."""
    kind: StepKind
    phase: Phase | None
    summary: str
    """One line, shown collapsed."""
    detail: str = ""
    """The full text (pretty JSON), shown when the row is expanded."""
    is_error: bool = False


@dataclass
class EpisodeView:
    """What the screens show of one episode: its steps, counters, notes and verdict."""

    episode_id: str
    task_id: str = ""
    prompt: str = ""
    mode: str = ""
    phase: Phase = "execute"
    tools: list[str] = field(default_factory=list[str])
    steps: list[Step] = field(default_factory=list[Step])
    last_seq: int = -1
    trial_calls: int = 0
    execute_calls: int = 0
    tool_errors: int = 0
    turns: int = 0
    tokens: int = 0
    notes: str | None = None
    verdict: Verdict | None = None
    answer: str | None = None
    error: str | None = None
    finished: bool = False
    notices: list[ServerNotice] = field(default_factory=list[ServerNotice])
    """What the servers logged, reported and asked, as it arrived."""
    _tools_of_calls: dict[str, str] = field(default_factory=dict[str, str])

    @property
    def env(self) -> str | None:
        """The bundled environment, read from the task id (`weather/test/0001`)."""
        head, sep, _ = self.task_id.partition("/")
        return head if sep else None

    def apply_all(self, events: list[Event]) -> list[Step]:
        """Apply events in order; returns the steps they added."""
        added: list[Step] = []
        for event in events:
            added += self.apply(event)
        return added

    def apply(self, event: Event) -> list[Step]:
        """Apply one event (ignored when already seen); returns the steps it added."""
        if event.seq <= self.last_seq:
            return []
        self.last_seq = event.seq
        handler = self._handlers().get(event.kind)
        if handler is None:
            return []
        try:
            steps = handler(event.seq, event.data)
        except (ValidationError, KeyError, TypeError) as exc:
            steps = [Step(event.seq, "error", self.phase, f"unreadable {event.kind}: {exc}")]
        self.steps += steps
        return steps

    def _handlers(self) -> dict[str, Callable[[int, dict[str, JsonValue]], list[Step]]]:
        return {
            "episode_started": self._started,
            "assistant": self._assistant,
            "tool_call": self._tool_call,
            "tool_result": self._tool_result,
            "phase": self._phase,
            "verdict": self._verdict,
            "episode_finished": self._finished,
            "error": self._format_error,
            "server_log": self._notice,
            "progress": self._notice,
            "sampling": self._notice,
            "elicitation": self._notice,
        }

    def _started(self, seq: int, data: dict[str, JsonValue]) -> list[Step]:
        self.task_id = str(data.get("task_id", ""))
        self.prompt = str(data.get("prompt", ""))
        self.mode = str(data.get("mode", ""))
        self.phase = "trial" if data.get("trial") else "execute"
        tools = data.get("tools")
        self.tools = [str(t) for t in tools] if isinstance(tools, list) else []
        return [
            Step(seq, "task", None, f"task {one_line(self.prompt)}", self.prompt),
            _header(seq, self.phase),
        ]

    def _assistant(self, seq: int, data: dict[str, JsonValue]) -> list[Step]:
        message = Message.model_validate(data["message"])
        self.turns += 1
        if message.usage is not None:
            self.tokens += message.usage.total_tokens
        if not message.content:
            return []
        label = "answer" if not message.tool_calls else "model"
        return [
            Step(seq, "model", self.phase, f"{label} {one_line(message.content)}", message.content)
        ]

    def _tool_call(self, seq: int, data: dict[str, JsonValue]) -> list[Step]:
        call = ToolCall.model_validate(data["call"])
        self._tools_of_calls[call.id] = call.tool
        if call.tool != FINISH_TRIAL:
            if call.phase == "trial":
                self.trial_calls += 1
            else:
                self.execute_calls += 1
        args = json.dumps(call.arguments, ensure_ascii=False)
        return [
            Step(
                seq,
                "call",
                call.phase,
                f"{call.tool}({one_line(args, SUMMARY_CHARS - len(call.tool))})",
                f"{call.tool}\n{pretty(args)}",
            )
        ]

    def _tool_result(self, seq: int, data: dict[str, JsonValue]) -> list[Step]:
        result = ToolResult.model_validate(data["result"])
        phase = data.get("phase")
        text = result.text
        if not text and result.structured_content is not None:
            text = json.dumps(result.structured_content, ensure_ascii=False)
        if result.is_error:
            self.tool_errors += 1
        return [
            Step(
                seq,
                "result",
                "trial" if phase == "trial" else "execute",
                one_line(text),
                pretty(text),
                is_error=result.is_error,
            )
        ]

    def _phase(self, seq: int, data: dict[str, JsonValue]) -> list[Step]:
        self.phase = "execute"
        notes = data.get("notes")
        steps = [_header(seq, "execute", forced=bool(data.get("forced")))]
        if isinstance(notes, str) and notes:
            self.notes = notes
            steps.insert(0, Step(seq, "notes", "trial", f"notes {one_line(notes)}", notes))
        return steps

    def _verdict(self, seq: int, data: dict[str, JsonValue]) -> list[Step]:
        self.verdict = Verdict.model_validate(data["verdict"])
        word = "passed" if self.verdict.passed else "failed"
        reasons = "; ".join(self.verdict.reasons)
        return [
            Step(
                seq,
                "verdict",
                None,
                f"verdict {word} score={self.verdict.score:g}",
                reasons,
                is_error=not self.verdict.passed,
            )
        ]

    def _finished(self, seq: int, data: dict[str, JsonValue]) -> list[Step]:
        self.finished = True
        answer = data.get("answer")
        self.answer = answer if isinstance(answer, str) else None
        error = data.get("error")
        if isinstance(error, dict):
            self.error = f"{error.get('boundary')}/{error.get('kind')}: {error.get('message')}"
            return [Step(seq, "error", None, f"error {one_line(self.error)}", self.error, True)]
        return []

    def _notice(self, seq: int, data: dict[str, JsonValue]) -> list[Step]:
        notice = ServerNotice.model_validate(data["notice"])
        self.notices.append(notice)
        detail = pretty(json.dumps(notice.details, ensure_ascii=False))
        return [Step(seq, "notice", self.phase, notice_summary(notice), detail)]

    def _format_error(self, seq: int, data: dict[str, JsonValue]) -> list[Step]:
        errors = data.get("errors")
        text = "; ".join(map(str, errors)) if isinstance(errors, list) else str(data)
        return [Step(seq, "error", self.phase, f"invalid call {one_line(text)}", text, True)]


def notice_summary(notice: ServerNotice) -> str:
    """A notice on one line: `log weather info: cache miss`, `progress weather 1/2 half way`,
    `sampling weather: answered sampling request 1 of 8`, `asked weather: elicitation declined:
    ...`."""
    server = notice.server or "?"
    details = notice.details
    message = one_line(notice.message or "")
    if notice.kind == "server_log":
        return f"log {server} {details.get('level', 'info')}: {message}"
    if notice.kind == "progress":
        done, total = details.get("progress"), details.get("total")
        amount = f"{done:g}" if isinstance(done, int | float) else "?"
        if isinstance(total, int | float):
            amount += f"/{total:g}"
        return f"progress {server} {amount} {message}".rstrip()
    label = "sampling" if notice.kind == "sampling" else "asked"
    return f"{label} {server}: {message}"


def _header(seq: int, phase: Phase, *, forced: bool = False) -> Step:
    why = " (trial budget spent)" if forced else ""
    return Step(seq, "header", phase, f"── {phase} phase{why} ──")


def events_from_episode(episode: Episode) -> list[Event]:
    """An event stream rebuilt from a stored episode's messages, for episodes recorded without
    events (imported ones): enough to replay it step by step."""
    out: list[Event] = []
    ts = episode.timings.started_at

    def emit(kind: EventKind, data: dict[str, JsonValue]) -> None:
        out.append(Event(episode_id=episode.id, seq=len(out), kind=kind, ts=ts, data=data))

    trial = any(span.phase == "trial" for span in episode.phases)
    emit(
        "episode_started",
        {
            "task_id": episode.task.id,
            "mode": episode.mode,
            "trial": trial,
            "tools": [t.name for t in episode.tools],
            "prompt": episode.task.prompt,
        },
    )
    phase: Phase = "trial" if trial else "execute"
    for message in episode.messages:
        if message.role == "assistant":
            emit("assistant", {"message": message.model_dump(mode="json"), "phase": phase})
            for call in message.tool_calls:
                emit("tool_call", {"call": call.model_dump(mode="json")})
        elif message.role == "tool":
            error = (message.content or "").startswith("Error")
            result = ToolResult(
                call_id=message.tool_call_id or "",
                is_error=error,
                content=[{"type": "text", "text": message.content or ""}],
            )
            emit("tool_result", {"result": result.model_dump(mode="json"), "phase": phase})
            if message.name == FINISH_TRIAL and phase == "trial":
                phase = "execute"
                emit("phase", {"phase": "execute", "forced": False, "notes": episode.notes})
    if episode.verdict is not None:
        emit("verdict", {"verdict": episode.verdict.model_dump(mode="json")})
    emit(
        "episode_finished",
        {
            "answer": episode.answer,
            "passed": episode.verdict.passed if episode.verdict else None,
            "error": episode.error.model_dump(mode="json") if episode.error else None,
        },
    )
    return out


def view_of(episode_id: str, events: list[Event]) -> EpisodeView:
    """The view of an episode after `events`."""
    view = EpisodeView(episode_id)
    view.apply_all(events)
    return view
