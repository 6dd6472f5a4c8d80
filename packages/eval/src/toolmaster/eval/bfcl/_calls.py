"""BFCL's two formats, both ways: function docs as JSON Schema, and calls as BFCL's strings.

A function doc's parameter types (`dict`, `float`, `integer`, `array`, ...) become JSON Schema
types through BFCL's own table (`GORILLA_TO_OPENAPI`), the way BFCL renders them for
function-calling models: `float` becomes `number` with `format: float` and the description
note BFCL adds; a type BFCL does not know becomes `string`, as in BFCL.

A call is BFCL's decoded form, `name(arg=repr(value), ...)`: what BFCL's executor evaluates
and its checker replays.
"""

from __future__ import annotations

import ast
import keyword
from collections.abc import Callable, Mapping, Sequence
from typing import cast

import mcp_types as types
from pydantic import JsonValue
from toolmaster.core import ToolCall, UserError
from toolmaster.eval.bfcl import _upstream

_FLOAT_NOTE = " This is a float type value."


def mcp_tool(doc: Mapping[str, JsonValue]) -> types.Tool:
    """A BFCL function doc as an MCP tool (its `response` description is not part of it)."""
    parameters = doc.get("parameters")
    schema = json_schema(parameters if isinstance(parameters, dict) else {}, top=True)
    return types.Tool(
        name=str(doc["name"]), description=str(doc.get("description", "")), input_schema=schema
    )


def json_schema(node: Mapping[str, JsonValue], *, top: bool = False) -> dict[str, JsonValue]:
    """One BFCL schema node as JSON Schema; `top` for the parameters object itself."""
    out: dict[str, JsonValue] = dict(node)
    declared = node.get("type")
    out["type"] = "object" if top else _upstream.TYPE_TO_JSON_SCHEMA.get(str(declared), "string")
    properties = node.get("properties")
    if isinstance(properties, dict):
        out["properties"] = {
            name: _property(cast("dict[str, JsonValue]", value))
            for name, value in properties.items()
            if isinstance(value, dict)
        }
    items = node.get("items")
    if isinstance(items, dict):
        out["items"] = json_schema(items)
    return out


def _property(node: dict[str, JsonValue]) -> dict[str, JsonValue]:
    out = json_schema(node)
    if node.get("type") == "float":
        out["format"] = "float"
        out["description"] = f"{node.get('description', '')}{_FLOAT_NOTE}"
    return out


def executable(arguments: Mapping[str, JsonValue]) -> str | None:
    """Why the arguments cannot go into a call string (names must be Python identifiers, or
    evaluating the string would run whatever they hold); None when they can."""
    bad = [name for name in arguments if not name.isidentifier() or keyword.iskeyword(name)]
    if bad:
        return f"invalid argument name(s): {', '.join(map(repr, bad))}"
    return None


def call_string(name: str, arguments: Mapping[str, JsonValue]) -> str:
    """A call in BFCL's decoded form: `cd(folder='document')`."""
    if reason := executable(arguments):
        raise UserError(f"{name}: {reason}")
    return f"{name}({','.join(f'{key}={value!r}' for key, value in arguments.items())})"


def parse_call(text: str, parameters: Callable[[str], Sequence[str]]) -> ToolCall:
    """A BFCL call string as a ToolCall. Positional arguments are named after the function's
    parameters (`parameters(name)`); every value must be a literal."""
    try:
        node = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as exc:
        raise UserError(f"not a call: {text!r}") from exc
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
        raise UserError(f"not a call of a function by name: {text!r}")
    name = node.func.id
    arguments: dict[str, JsonValue] = {}
    try:
        if node.args:
            names = parameters(name)
            if len(node.args) > len(names):
                raise UserError(f"{text!r}: more positional arguments than {name} takes")
            for key, value in zip(names, node.args, strict=False):
                arguments[key] = cast("JsonValue", ast.literal_eval(value))
        for item in node.keywords:
            if item.arg is None:
                raise UserError(f"{text!r}: ** arguments are not supported")
            arguments[item.arg] = cast("JsonValue", ast.literal_eval(item.value))
    except ValueError as exc:
        raise UserError(f"{text!r}: arguments must be literals ({exc})") from exc
    return ToolCall(id="", tool=name, arguments=arguments)
