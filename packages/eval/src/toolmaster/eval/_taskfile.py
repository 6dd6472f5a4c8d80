"""Task files: a user's tasks for a user's servers, one JSON object per line, with what to check.

```json
{"id": "oslo-rain", "prompt": "Will it rain in Oslo tomorrow? Answer yes or no.",
 "expect": {"answer": {"contains": ["yes"]},
            "calls": [{"tool": "get_forecast", "arguments": {"city": "Oslo"}}]}}
```

- `id` (optional, default `line-N`), `prompt` (required), `metadata` (optional object);
- `expect.answer` checks the final answer: `contains` (a string or a list; every one must
  appear), `regex` (Python `re.search`), `number` with `tolerance` (absolute; some number in the
  answer must be within it), `case_sensitive` (default false, for `contains` and `regex`);
- `expect.calls` lists tool calls that must have been made, and succeeded: `tool` (the upstream
  name, as the server lists it), `arguments` (a subset: every key given must be there with an
  equal value; objects compare the same way, recursively), `server` (optional), `phase`
  (`execute`, the default, or `any`).

Every check is one point: the verdict's score is the share of checks that hold, and it passes
when all do. Under a perturbed setting the calls are translated back through the plan before
they are compared, so expectations are written once, against the real tools.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Literal, Self, cast

from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError, model_validator
from toolmaster.core import Task, UserError, Verdict

_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?|-?\.\d+")


class _Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AnswerCheck(_Spec):
    """Checks on the final answer; at least one of `contains`, `regex`, `number`."""

    contains: str | list[str] | None = None
    regex: str | None = None
    number: float | None = None
    tolerance: float = Field(default=0.0, ge=0.0)
    case_sensitive: bool = False

    @model_validator(mode="after")
    def _something(self) -> Self:
        if self.contains is None and self.regex is None and self.number is None:
            raise ValueError("answer needs at least one of contains, regex, number")
        if self.regex is not None:
            try:
                re.compile(self.regex)
            except re.error as exc:
                raise ValueError(f"regex {self.regex!r} does not compile: {exc}") from None
        return self

    def checks(self, answer: str | None) -> list[tuple[bool, str]]:
        """(held, reason) for each check."""
        text = answer or ""
        folded = text if self.case_sensitive else text.lower()
        out: list[tuple[bool, str]] = []
        wanted = [self.contains] if isinstance(self.contains, str) else self.contains or []
        for part in wanted:
            needle = part if self.case_sensitive else part.lower()
            out.append((needle in folded, f"answer contains {part!r}"))
        if self.regex is not None:
            flags = 0 if self.case_sensitive else re.IGNORECASE
            out.append((re.search(self.regex, text, flags) is not None, f"answer ~ /{self.regex}/"))
        if self.number is not None:
            numbers = [float(n.replace(",", "")) for n in _NUMBER.findall(text)]
            close = any(math.isclose(n, self.number, abs_tol=self.tolerance) for n in numbers)
            out.append((close, f"answer has {self.number:g} (±{self.tolerance:g})"))
        return out


class CallCheck(_Spec):
    """A tool call that must have been made, and succeeded."""

    tool: str = Field(min_length=1)
    arguments: dict[str, JsonValue] = Field(default_factory=dict[str, JsonValue])
    server: str | None = None
    phase: Literal["execute", "any"] = "execute"

    def matches(self, made: MadeCall) -> bool:
        if made.tool != self.tool or made.failed:
            return False
        if self.server is not None and made.server != self.server:
            return False
        if self.phase == "execute" and made.phase != "execute":
            return False
        return _subset(self.arguments, made.arguments)


class Expect(_Spec):
    """What a task's verifier checks."""

    answer: AnswerCheck | None = None
    calls: list[CallCheck] = Field(default_factory=list[CallCheck])

    @model_validator(mode="after")
    def _something(self) -> Self:
        if self.answer is None and not self.calls:
            raise ValueError("expect needs an answer check or calls")
        return self


class TaskLine(_Spec):
    """One line of a task file."""

    id: str | None = Field(default=None, min_length=1)
    prompt: str = Field(min_length=1)
    expect: Expect
    metadata: dict[str, JsonValue] = Field(default_factory=dict[str, JsonValue])


class MadeCall(_Spec):
    """A call the episode made, in the upstream's terms."""

    tool: str
    server: str | None
    arguments: dict[str, JsonValue]
    phase: str
    failed: bool


def _subset(expected: JsonValue, actual: JsonValue) -> bool:
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return False
        return all(k in actual and _subset(v, actual[k]) for k, v in expected.items())
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return float(expected) == float(actual)
    return expected == actual


def load_tasks(path: Path, suite: str) -> list[Task]:
    """The tasks of a task file, for the suite called `suite`. A malformed line is a
    `UserError` naming the file and line; blank lines and lines starting with `#` are skipped."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise UserError(f"cannot read task file {path}: {exc.strerror or exc}") from None
    return parse_tasks(lines, suite, source=str(path))


def parse_tasks(lines: Iterable[str], suite: str, *, source: str = "<tasks>") -> list[Task]:
    """Tasks from task-file lines (see `load_tasks`)."""
    tasks: list[Task] = []
    seen: set[str] = set()
    for number, raw in enumerate(lines, start=1):
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        line = _parse_line(text, f"{source}: line {number}")
        task_id = line.id or f"line-{number}"
        if task_id in seen:
            raise UserError(f"{source}: line {number}: task id {task_id!r} is used twice")
        seen.add(task_id)
        tasks.append(
            Task(
                id=task_id,
                prompt=line.prompt,
                env=suite,
                split="tasks",
                expected=cast(dict[str, JsonValue], line.expect.model_dump(mode="json")),
                metadata=line.metadata,
            )
        )
    if not tasks:
        raise UserError(f"{source}: no tasks")
    return tasks


def _parse_line(text: str, where: str) -> TaskLine:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(f"{where}: not valid JSON ({exc.msg}, column {exc.colno})") from None
    try:
        return TaskLine.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or 'line'}: {error['msg']}"
            for error in exc.errors(include_url=False)
        )
        raise UserError(f"{where}: {problems}") from None


def verify(task: Task, answer: str | None, calls: Sequence[MadeCall]) -> Verdict:
    """Judge an episode of a task-file task: its answer and the calls it made."""
    expect = Expect.model_validate(task.expected)
    results = expect.answer.checks(answer) if expect.answer is not None else []
    for check in expect.calls:
        held = any(check.matches(call) for call in calls)
        results.append((held, f"called {check.tool}({_brief(check.arguments)})"))
    passed = sum(1 for held, _ in results if held)
    reasons = [("ok: " if held else "missing: ") + reason for held, reason in results]
    return Verdict(score=passed / len(results), passed=passed == len(results), reasons=reasons)


def _brief(arguments: Mapping[str, JsonValue]) -> str:
    return ", ".join(f"{k}={json.dumps(v)}" for k, v in arguments.items())
