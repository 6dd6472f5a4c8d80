"""Playing a policy written for the upstream tools over a perturbed variant, through its plan.

A bundled environment's reference solver knows the upstream tools by name. `PlanPolicy` lets it
work a perturbed variant as a policy that was told the perturbation plan: its calls are
translated to the variant (tool and parameter names, v2 groups and required parameters) and
the results it reads are translated back (output keys, envelopes, names in error texts). The
reference solvers scoring as well on every setting as on `clean` is the evidence that a
perturbation keeps the tasks solvable: every tool is reachable, every argument can be passed,
every result still says what it said.

The translation here is the inverse of the proxy's; error texts reworded by the
`error_wording` kind are not translated back (no named setting uses it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

from pydantic import JsonValue
from toolmaster.agent import AssistantTurn, Policy
from toolmaster.core import Message, Sampling, ToolCall, ToolSpec
from toolmaster.mcp import (
    Envelope,
    GroupArgs,
    Perturbation,
    RenameArg,
    RenameKeys,
    RequireArg,
    ToolPerturbation,
)

_SUFFIXES = ("Arguments", "Output")
"""MCPServer names a tool's validation models after it: `get_forecastArguments`."""


def exposed_arguments(
    tool: ToolPerturbation, arguments: Mapping[str, JsonValue], *, fill_required: bool = True
) -> dict[str, JsonValue]:
    """The variant's arguments for upstream `arguments` of `tool`: the plan's steps applied in
    order. With `fill_required`, a parameter the variant requires but the caller left out gets
    the upstream's default (an empty object for a group)."""
    args = dict(arguments)
    groups: set[str] = set()
    for step in tool.arg_steps:
        if isinstance(step, RenameArg):
            if step.upstream in args:
                args[step.exposed] = args.pop(step.upstream)
        elif isinstance(step, GroupArgs):
            groups.add(step.group)
            members = {m: args.pop(m) for m in step.members if m in args}
            if members:
                args[step.group] = cast(JsonValue, members)
        elif fill_required and step.name not in args:
            args[step.name] = _default(step, groups)
    return args


def upstream_arguments(
    tool: ToolPerturbation, arguments: Mapping[str, JsonValue]
) -> dict[str, JsonValue]:
    """The upstream's arguments for the variant's `arguments` of `tool` (the steps undone in
    reverse order; unlike the proxy, nothing is checked)."""
    args = dict(arguments)
    for step in reversed(tool.arg_steps):
        if isinstance(step, RenameArg) and step.exposed in args:
            args[step.upstream] = args.pop(step.exposed)
        elif isinstance(step, GroupArgs) and isinstance(args.get(step.group), dict):
            group = cast(dict[str, JsonValue], args.pop(step.group))
            args.update(group)
    return args


def _default(step: RequireArg, groups: set[str]) -> JsonValue:
    return {} if step.name in groups else step.v1_default


def exposed_call(plan: Perturbation, call: ToolCall, *, fill_required: bool = True) -> ToolCall:
    """`call` of an upstream tool as a call of the variant (unchanged for a tool the plan does
    not know, such as `finish_trial`)."""
    tool = upstream_tool(plan, call.tool)
    if tool is None:
        return call
    arguments = exposed_arguments(tool, call.arguments, fill_required=fill_required)
    return call.model_copy(update={"tool": tool.name, "arguments": arguments})


def upstream_tool(plan: Perturbation, upstream: str) -> ToolPerturbation | None:
    """The variant's tool for the upstream tool named `upstream`."""
    return next((tool for tool in plan.tools if tool.upstream == upstream), None)


def upstream_text(plan: Perturbation, exposed: str, text: str) -> str:
    """The text of a result of the variant's tool `exposed` as the upstream would have written
    it: output steps undone, or, for an error, the variant's names put back."""
    tool = plan.tool(exposed)
    if tool is None:
        return text
    if text.lower().startswith("error"):
        return _names_back(plan, tool)(text)
    for step in reversed(tool.output_steps):
        text = _undo(step, text)
    return text


def _undo(step: RenameKeys | Envelope, text: str) -> str:
    try:
        value: Any = json.loads(text)
    except ValueError:
        return text
    if not isinstance(value, dict):
        return text
    mapping = cast(dict[str, Any], value)
    if isinstance(step, RenameKeys):
        back = {new: old for old, new in step.keys.items()}
        return json.dumps({back.get(k, k): v for k, v in mapping.items()}, ensure_ascii=False)
    if step.data_key not in mapping:
        return text
    inner = mapping[step.data_key]
    return inner if isinstance(inner, str) else json.dumps(inner, ensure_ascii=False)


def _names_back(plan: Perturbation, tool: ToolPerturbation) -> Callable[[str], str]:
    mapping: dict[str, str] = {}
    for other in plan.tools:
        if other.name != other.upstream:
            mapping[other.name] = other.upstream
            for suffix in _SUFFIXES:
                mapping[other.name + suffix] = other.upstream + suffix
    for upstream, exposed in tool.exposed_names().items():
        mapping.setdefault(exposed, upstream)
    if not mapping:
        return lambda text: text
    names = sorted(mapping, key=len, reverse=True)
    pattern = re.compile(
        r"(?<![A-Za-z0-9_])(" + "|".join(map(re.escape, names)) + r")(?![A-Za-z0-9_])"
    )
    return lambda text: pattern.sub(lambda m: mapping[m.group(1)], text)


class PlanPolicy:
    """`inner`, a policy written for the upstream tools, playing the variant that `plan`
    describes: it is shown the conversation with results in the upstream's form, and its calls
    go out in the variant's form."""

    def __init__(self, inner: Policy, plan: Perturbation) -> None:
        self.inner = inner
        self.plan = plan
        self.info = inner.info

    async def complete(
        self, messages: Sequence[Message], tools: Sequence[ToolSpec], sampling: Sampling
    ) -> AssistantTurn:
        seen = [self._upstream_message(m) for m in messages]
        turn = await self.inner.complete(seen, tools, sampling)
        calls = [exposed_call(self.plan, call) for call in turn.tool_calls]
        return turn.model_copy(update={"tool_calls": calls})

    def _upstream_message(self, message: Message) -> Message:
        if message.role != "tool" or message.name is None or message.content is None:
            return message
        text = upstream_text(self.plan, message.name, message.content)
        return message if text == message.content else message.model_copy(update={"content": text})
