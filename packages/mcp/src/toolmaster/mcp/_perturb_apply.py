"""Applying a plan at call time: a variant's call back to the upstream, a result forward."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, cast

import mcp_types as types
from toolmaster.mcp._perturb import Perturbation
from toolmaster.mcp._perturb_schema import properties, required
from toolmaster.mcp._perturb_steps import (
    Envelope,
    GroupArgs,
    RenameArg,
    RenameKeys,
    ToolPerturbation,
)
from toolmaster.mcp._perturb_words import reword_error, word_replacer


class ArgumentError(Exception):
    """A call's arguments do not fit the variant's schema; the message is for the caller."""


def _names(names: list[str]) -> str:
    return ", ".join(repr(name) for name in names)


def _check_object(
    tool: str, schema: Mapping[str, Any], arguments: Mapping[str, Any], where: str = ""
) -> None:
    known = properties(dict(schema))
    if known and schema.get("additionalProperties") in (None, False):
        unknown = [name for name in arguments if name not in known]
        if unknown:
            raise ArgumentError(
                f"unknown argument{'s' if len(unknown) > 1 else ''} {_names(unknown)}{where} "
                f"for tool {tool!r}; expected: {', '.join(known)}"
            )
    missing = [name for name in required(dict(schema)) if name not in arguments]
    if missing:
        raise ArgumentError(
            f"missing required argument{'s' if len(missing) > 1 else ''} {_names(missing)}"
            f"{where} for tool {tool!r}"
        )


def to_upstream_arguments(tool: ToolPerturbation, arguments: Mapping[str, Any]) -> dict[str, Any]:
    """The upstream's arguments for a call of the variant's `tool`.

    Raises `ArgumentError` for an unknown argument, a missing required one, or a grouped
    parameter that is not an object.
    """
    _check_object(tool.name, tool.input_schema, arguments)
    args = dict(arguments)
    for step in reversed(tool.arg_steps):
        if isinstance(step, RenameArg):
            if step.exposed in args:
                args[step.upstream] = args.pop(step.exposed)
        elif isinstance(step, GroupArgs):
            if step.group not in args:
                continue
            value = args.pop(step.group)
            if not isinstance(value, dict):
                raise ArgumentError(
                    f"argument {step.group!r} of tool {tool.name!r} must be an object with "
                    f"keys {', '.join(step.members)}"
                )
            grouped = cast(dict[str, Any], value)
            unknown = [key for key in grouped if key not in step.members]
            if unknown:
                raise ArgumentError(
                    f"unknown key{'s' if len(unknown) > 1 else ''} {_names(unknown)} in "
                    f"{step.group!r} for tool {tool.name!r}; expected: {', '.join(step.members)}"
                )
            args.update(grouped)
    return args


# ---------------------------------------------------------------- results


def _map_json_text(block: types.ContentBlock, change: Callable[[Any], Any], *, wrap: bool) -> Any:
    if not isinstance(block, types.TextContent):
        return block
    try:
        parsed = json.loads(block.text)
    except ValueError:
        if not wrap:
            return block
        parsed = block.text
    text = json.dumps(change(parsed), indent=2, ensure_ascii=False)
    return block.model_copy(update={"text": text})


def _rename_keys(keys: Mapping[str, str]) -> Callable[[Any], Any]:
    def change(value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        return {keys.get(k, k): v for k, v in cast(dict[str, Any], value).items()}

    return change


def to_exposed_result(
    plan: Perturbation, tool: ToolPerturbation, result: types.CallToolResult
) -> types.CallToolResult:
    """The variant's result for an upstream result: errors reworded, output steps applied."""
    if result.is_error:
        reword = error_rewriter(plan, tool)
        content = [
            block.model_copy(update={"text": reword(block.text)})
            if isinstance(block, types.TextContent)
            else block
            for block in result.content
        ]
        return types.CallToolResult(content=content, is_error=True)
    content: list[Any] = list(result.content)
    structured = result.structured_content
    for step in tool.output_steps:
        if isinstance(step, RenameKeys):
            change = _rename_keys(step.keys)
            wrap = False
        else:
            change = _envelope(step)
            wrap = True
        content = [_map_json_text(block, change, wrap=wrap) for block in content]
        if structured is not None:
            structured = change(structured)
    return types.CallToolResult(content=content, structured_content=structured)


def _envelope(step: Envelope) -> Callable[[Any], Any]:
    return lambda value: {step.data_key: value, step.version_key: step.version}


def error_rewriter(plan: Perturbation, tool: ToolPerturbation | None) -> Callable[[str], str]:
    """A function from an upstream error text to the variant's wording: renamed tools and
    parameters under their new names, then the variant's error style (if any)."""
    mapping: dict[str, str] = {}
    for renamed in plan.tools:
        if renamed.upstream != renamed.name:
            mapping[renamed.upstream] = renamed.name
            # MCPServer names its validation models after the tool (`get_userArguments`).
            for suffix in ("Arguments", "Output"):
                mapping[renamed.upstream + suffix] = renamed.name + suffix
    if tool is not None:
        mapping = {**tool.exposed_names(), **mapping}
    rename = word_replacer(mapping, min_length=3)
    style = plan.errors
    if style is None:
        return rename
    return lambda text: reword_error(rename(text), style.phrases, style.template, style.code)


def error_result(plan: Perturbation, message: str) -> types.CallToolResult:
    """A tool error that the proxy itself reports (its text already uses the variant's
    names), worded as the variant words errors."""
    style = plan.errors
    if style is not None:
        message = reword_error(message, style.phrases, style.template, style.code)
    return types.CallToolResult(content=[types.TextContent(text=message)], is_error=True)
