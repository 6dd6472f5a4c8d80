"""One episode as the viewer shows it: its row in the episode list, and its detail page (facts,
verdict and reasons, error, notes, answer, and the messages phase by phase as steps).

Everything is text and numbers; the page puts it in the DOM as text, never as markup.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, JsonValue
from toolmaster.core import Episode, EpisodeError, Message, Verdict
from toolmaster.eval._tags import EvalTag

NO_RUN = "(no run)"
"""The run of an episode that no evaluation tagged (a session of `toolmaster run`, ...)."""
NONE = "-"
"""What a field shows when the episode has no such value."""
PROMPT_CHARS = 240
"""The prompt's first characters in the episode list (the detail page has all of it)."""

VerdictName = Literal["passed", "failed", "unjudged"]
StepKind = Literal["system", "user", "assistant", "call", "result"]


class EpisodeRow(BaseModel):
    """An episode in the list: what the filters select on and what the table shows."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    index: int
    """Its position in the site; its detail page is `episodes/<index>.js`."""
    id: str
    run: str
    suite: str
    setting: str
    policy: str
    """The policy's label in the run (its `PolicyInfo.name` outside runs)."""
    mode: str
    task: str
    sample: int
    verdict: VerdictName
    score: float | None
    trial_calls: int
    execute_calls: int
    tool_errors: int
    turns: int
    tokens: int
    wall_s: float | None
    error: str | None
    """`boundary/kind` of the error the episode ended with."""
    started_at: datetime
    prompt: str
    """The task's prompt, shortened to `PROMPT_CHARS`."""


class Step(BaseModel):
    """One thing that happened: a message, a call the model made, or a result it read."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: StepKind
    text: str
    """The message's content; a call's arguments as indented JSON."""
    tool: str | None = None
    call_id: str | None = None
    phase: str | None = None
    """For calls: the phase the call was stamped with."""
    is_error: bool = False
    """A result that is an error, or feedback on calls that could not be parsed."""


class Section(BaseModel):
    """Consecutive messages of one phase (`prompt` before the first phase, `end` after)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    label: str
    steps: list[Step]


class ToolView(BaseModel):
    """A tool as the model was shown it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    server: str
    description: str
    read_only: bool | None
    schema_text: str
    """The input schema as indented JSON."""


class EpisodeDetail(BaseModel):
    """Everything the detail page of an episode shows."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    row: EpisodeRow
    facts: list[tuple[str, str]]
    prompt: str
    verdict: Verdict | None
    error: EpisodeError | None
    notes: str | None
    answer: str | None
    sections: list[Section]
    tools: list[ToolView]
    expected: dict[str, JsonValue]
    """What the verifier checked against (never shown to the model)."""


def episode_row(index: int, tag: EvalTag | None, episode: Episode) -> EpisodeRow:
    """The list row of `episode` (tagged by an evaluation, or not)."""
    verdict = episode.verdict
    error = episode.error
    prompt = episode.task.prompt
    return EpisodeRow(
        index=index,
        id=episode.id,
        run=tag.run if tag else NO_RUN,
        suite=tag.suite if tag else episode.task.env or NONE,
        setting=tag.setting if tag else NONE,
        policy=tag.policy if tag else episode.policy.name,
        mode=episode.mode,
        task=episode.task.id,
        sample=tag.sample if tag else 0,
        verdict="unjudged" if verdict is None else "passed" if verdict.passed else "failed",
        score=None if verdict is None else verdict.score,
        trial_calls=_count(episode, "trial_calls"),
        execute_calls=_count(episode, "execute_calls"),
        tool_errors=_count(episode, "tool_errors"),
        turns=sum(1 for m in episode.messages if m.role == "assistant"),
        tokens=episode.usage.total_tokens,
        wall_s=episode.timings.wall_s,
        error=None if error is None else f"{error.boundary}/{error.kind}",
        started_at=episode.timings.started_at,
        prompt=prompt if len(prompt) <= PROMPT_CHARS else prompt[:PROMPT_CHARS] + "…",
    )


def episode_detail(row: EpisodeRow, tag: EvalTag | None, episode: Episode) -> EpisodeDetail:
    """The detail page of `episode`, whose list row is `row`."""
    return EpisodeDetail(
        row=row,
        facts=_facts(tag, episode),
        prompt=episode.task.prompt,
        verdict=episode.verdict,
        error=episode.error,
        notes=episode.notes,
        answer=episode.answer,
        sections=sections(episode),
        tools=[
            ToolView(
                name=t.name,
                server=t.server,
                description=t.description,
                read_only=t.annotations.read_only_hint,
                schema_text=json.dumps(t.input_schema, indent=2, ensure_ascii=False),
            )
            for t in episode.tools
        ],
        expected=episode.task.expected,
    )


def _count(episode: Episode, key: str) -> int:
    value: JsonValue = episode.metadata.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _facts(tag: EvalTag | None, episode: Episode) -> list[tuple[str, str]]:
    task, policy, timings = episode.task, episode.policy, episode.timings
    where = ", ".join(
        f"{name} {value}"
        for name, value in (("env", task.env), ("split", task.split), ("seed", task.seed))
        if value is not None
    )
    model = ", ".join(x for x in (policy.backend, policy.model, policy.adapter) if x)
    facts = [
        ("episode", episode.id),
        ("task", task.id + (f" ({where})" if where else "")),
        ("mode", episode.mode),
        ("policy", f"{policy.name} ({model})"),
    ]
    if tag is not None:
        facts += [("run", tag.run), ("suite", tag.suite), ("setting", tag.setting),
                  ("label", tag.policy), ("sample", str(tag.sample))]  # fmt: skip
        if tag.kinds:
            facts.append(("perturbed", f"{', '.join(tag.kinds)} (seed {tag.seed})"))
    facts.append(("started", timings.started_at.isoformat(timespec="seconds")))
    if timings.wall_s is not None:
        spent = f"policy {timings.policy_s:.2f}s, tools {timings.tools_s:.2f}s"
        facts.append(("took", f"{timings.wall_s:.2f}s ({spent})"))
    usage = episode.usage
    facts.append(("tokens", f"{usage.prompt_tokens} prompt + {usage.completion_tokens} completion"))
    if episode.servers:
        facts.append(("servers", ", ".join(f"{s.name} ({s.transport})" for s in episode.servers)))
    return facts


def sections(episode: Episode) -> list[Section]:
    """The messages as steps, grouped by phase (`Episode.sections`)."""
    grouped = [
        (label, [step for message in messages for step in _steps(message)])
        for label, messages in episode.sections()
    ]
    return [Section(label=label, steps=steps) for label, steps in grouped]


def _steps(message: Message) -> list[Step]:
    text = message.content or ""
    if message.role == "tool":
        error = text.lower().startswith("error")
        return [Step(kind="result", text=text, tool=message.name, call_id=message.tool_call_id,
                     is_error=error)]  # fmt: skip
    if message.role != "assistant":
        feedback = message.role == "user" and text.startswith("Invalid tool call")
        return [Step(kind=message.role, text=text, is_error=feedback)]
    steps = [Step(kind="assistant", text=text)] if text else []
    steps += [
        Step(kind="call", text=json.dumps(call.arguments, indent=2, ensure_ascii=False),
             tool=call.tool, call_id=call.id, phase=call.phase)
        for call in message.tool_calls
    ]  # fmt: skip
    return steps
