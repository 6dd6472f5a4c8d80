"""Tasks, verdicts, experience and the episode: the record of one agent run."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Literal, cast

from pydantic import Field, JsonValue, ValidationError, field_validator
from toolmaster.core._base import JsonObject, Record, empty_list
from toolmaster.core._errors import FormatVersionError
from toolmaster.core._messages import Message, Usage
from toolmaster.core._tools import ToolKey, ToolSpec, announced_identity
from toolmaster.core._upgrades import UPGRADES, upgrade

FORMAT_VERSION = UPGRADES[-1].version
"""The version of the episode JSON format this code writes. Readers refuse newer versions and
upgrade older ones (`toolmaster.core._upgrades`)."""

Mode = Literal["trial", "direct"]
"""`trial`: trial-and-execution (trial phase, `finish_trial`, execution). `direct`: the baseline
with no trial phase."""

Boundary = Literal["policy", "server", "verifier", "runtime"]
"""Where a failure came from: the model backend, a tool server, the verifier, or ToolMaster
itself (budgets, cancellation, a bug)."""


def new_id() -> str:
    """A fresh random identifier (32 hex digits): a version-4 UUID, as `uuid.uuid4().hex` makes
    it, without building the `UUID` object (which costs several times more than the rest)."""
    raw = bytearray(os.urandom(16))
    raw[6] = raw[6] & 0x0F | 0x40  # version 4
    raw[8] = raw[8] & 0x3F | 0x80  # the RFC 4122 variant
    return raw.hex()


def utcnow() -> datetime:
    return datetime.now(UTC)


class Task(Record):
    """Something to do, with what a verifier needs to judge it."""

    id: str
    prompt: str
    env: str | None = None
    """The bundled environment (or suite) the task belongs to, if any."""
    split: str | None = None
    """`train` or `test` for generated tasks; free-form for user suites."""
    seed: int | None = None
    """The seed the environment's state is built from."""
    expected: JsonObject = Field(default_factory=dict)
    """What the verifier checks against. Never shown to the model."""
    metadata: JsonObject = Field(default_factory=dict)


class Verdict(Record):
    """A verifier's judgement of an episode."""

    score: float = Field(ge=0.0, le=1.0)
    passed: bool
    reasons: list[str] = Field(default_factory=list)


class Experience(Record):
    """What was learnt about one version of one tool by trialing it."""

    key: ToolKey
    notes: str
    episode_id: str | None = None
    """The episode whose trial phase produced the notes."""
    created_at: datetime = Field(default_factory=utcnow)


def find_experience(
    get: Callable[[ToolKey], Experience | None], tool: ToolSpec
) -> Experience | None:
    """What was learnt about this version of `tool`, through `get` (a store's
    `get_experience`): under its key, else under the key of experience saved before keys were
    server identities (`ToolSpec.keys`)."""
    for key in tool.keys:
        if (found := get(key)) is not None:
            return found
    return None


class ServerIdentity(Record):
    """A tool server as the episode saw it."""

    name: str
    """The name given in the configuration."""
    transport: Literal["stdio", "http", "sse", "memory"]
    server_name: str | None = None
    """What the server called itself in the MCP handshake."""
    server_version: str | None = None

    @property
    def announced(self) -> str | None:
        """`server_name@server_version` (`announced_identity`), None without a server name."""
        return announced_identity(self.server_name, self.server_version)


class Sampling(Record):
    """Generation settings handed to the policy."""

    temperature: float = 0.0
    top_p: float = 1.0
    max_tokens: int = 512
    stop: list[str] = Field(default_factory=list)
    seed: int | None = None


class PolicyInfo(Record):
    """Which model produced the assistant turns."""

    name: str
    """A human name for the policy (`smollm2-135m`, `reference-solver`, ...)."""
    backend: str
    """`transformers`, `openai`, `vllm`, `scripted`, ..."""
    model: str | None = None
    adapter: str | None = None
    sampling: Sampling = Field(default_factory=Sampling)


class PhaseSpan(Record):
    """The messages `[start, end)` that belong to one phase."""

    phase: Literal["trial", "execute"]
    start: int
    end: int


class EpisodeError(Record):
    """The one failure an episode ended with, attributed to the boundary it came from."""

    boundary: Boundary
    kind: str
    """A short machine-readable kind: `timeout`, `crashed`, `format`, `budget`, `exception`, ..."""
    message: str


class Timings(Record):
    started_at: datetime
    finished_at: datetime | None = None
    policy_s: float = 0.0
    """Seconds spent waiting for the model."""
    tools_s: float = 0.0
    """Seconds spent waiting for tool servers."""

    @property
    def wall_s(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


NoticeKind = Literal["server_log", "progress", "sampling", "elicitation"]
"""What a server told or asked the client outside the conversation: a log message
(`notifications/message`), progress on a call (`notifications/progress`), a request for an
LLM completion (`sampling/createMessage`), a question for the user (`elicitation/create`)."""


class ServerNotice(Record):
    """One thing a server told or asked the client during an episode, with how the client
    answered. Its texts are scrubbed of the configuration's secrets, like tool results."""

    kind: NoticeKind
    server: str | None
    """The server's configured name."""
    at: datetime
    message: str | None = None
    """The log message's text, the progress message, or what was done (`elicitation
    declined: ...`, `answered sampling request 1 of 8`)."""
    call_id: str | None = None
    """The call a `progress` notice is about."""
    details: JsonObject = Field(default_factory=dict)
    """Per kind: `server_log` its `level`, `logger` and `data`; `progress` its `progress`,
    `total` and `message`; `sampling` the `request`, the `outcome` (`answered`, `refused`,
    `over_limit`, `failed`), the `reply` or `error` and the `count`; `elicitation` the
    `request`, the `action` (`accept`, `decline`, `cancel`), the `reason` of a decline and the
    accepted `content`."""


class Episode(Record):
    """The full record of one agent run on one task."""

    id: str = Field(default_factory=new_id)
    format_version: int = FORMAT_VERSION
    task: Task
    mode: Mode
    policy: PolicyInfo
    servers: list[ServerIdentity] = Field(default_factory=empty_list)
    tools: list[ToolSpec] = Field(default_factory=empty_list)
    """The tool snapshot the model was shown."""
    messages: list[Message] = Field(default_factory=empty_list)
    phases: list[PhaseSpan] = Field(default_factory=empty_list)
    notes: str | None = None
    """The experiential knowledge the model wrote in `finish_trial`."""
    answer: str | None = None
    verdict: Verdict | None = None
    error: EpisodeError | None = None
    usage: Usage = Field(default_factory=Usage)
    timings: Timings = Field(default_factory=lambda: Timings(started_at=utcnow()))
    notices: list[ServerNotice] = Field(default_factory=empty_list)
    """What the servers logged, reported as progress and asked of the client (sampling,
    elicitation) during the run, in order."""
    metadata: JsonObject = Field(default_factory=dict)

    @field_validator("format_version")
    @classmethod
    def _known_version(cls, version: int) -> int:
        if version > FORMAT_VERSION:
            raise FormatVersionError(version, newest=FORMAT_VERSION)
        return version

    @classmethod
    def from_json(cls, data: str | bytes) -> Episode:
        """Parse an episode, refusing one written by a newer ToolMaster with a clear message,
        and bringing one of an older format up to this one."""
        try:
            episode = cls.model_validate_json(data)
        except ValueError as exc:
            cause = _find_version_error(exc)
            if cause is not None:
                raise cause from None
            older = _older(data)
            if older is None:
                raise
            return cls.model_validate_json(older)
        if episode.format_version < FORMAT_VERSION:
            older = _older(data)
            assert older is not None
            return cls.model_validate_json(older)
        return episode

    @property
    def env(self) -> str | None:
        return self.task.env

    @property
    def tool_calls(self) -> list[tuple[Message, int]]:
        """Assistant messages with tool calls and their index, in order."""
        return [(m, i) for i, m in enumerate(self.messages) if m.tool_calls]

    def sections(self) -> list[tuple[str, list[Message]]]:
        """Consecutive messages grouped by phase (`trial phase`, `execute phase`); messages
        outside every phase span are the `prompt` (before the first span) or the `end` (after
        the last). What the episode views show, section by section."""
        spans = sorted(self.phases, key=lambda span: span.start)
        first = spans[0].start if spans else len(self.messages)
        grouped: list[tuple[str, list[Message]]] = []
        for index, message in enumerate(self.messages):
            label = next(
                (f"{span.phase} phase" for span in spans if span.start <= index < span.end),
                "prompt" if index < first else "end",
            )
            if not grouped or grouped[-1][0] != label:
                grouped.append((label, []))
            grouped[-1][1].append(message)
        return grouped


def _older(text: str | bytes) -> str | None:
    """The JSON of an episode of an older format, upgraded to this one (parsed in JSON mode,
    as every episode is); None for anything else."""
    try:
        data: object = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    fields = cast("dict[str, JsonValue]", data)
    version = fields.get("format_version")
    if not isinstance(version, int) or version >= FORMAT_VERSION:
        return None
    return json.dumps(upgrade(fields, FORMAT_VERSION), ensure_ascii=False)


def _find_version_error(exc: ValueError) -> FormatVersionError | None:
    if not isinstance(exc, ValidationError):
        return None
    for error in exc.errors():
        inner = (error.get("ctx") or {}).get("error")
        if isinstance(inner, FormatVersionError):
            return inner
    return None


EventKind = Literal[
    "episode_started",
    "assistant",
    "tool_call",
    "tool_result",
    "phase",
    "experience",
    "verdict",
    "episode_finished",
    "error",
    "server_log",
    "progress",
    "sampling",
    "elicitation",
]


class Event(Record):
    """One step of a running episode, appended to its event stream in the store."""

    episode_id: str
    seq: int
    """Position in the episode's stream, from 0, without gaps."""
    kind: EventKind
    ts: datetime = Field(default_factory=utcnow)
    data: JsonObject = Field(default_factory=dict)
