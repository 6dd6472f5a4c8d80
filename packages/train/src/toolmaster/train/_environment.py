"""The environment classes trl's `GRPOTrainer` instantiates (`environment_factory`).

The tools the model sees are the servers' MCP tools (plus `finish_trial(notes)` in trial mode),
one generated method each. trl dispatches a call by the method's name with the model's arguments
as keywords; the methods accept any arguments and pass them to the server unchanged, so bad
arguments come back as the server's error message, which the model reads (an unknown tool name is
answered by trl itself with an error the model reads). The methods carry signatures and Google
docstrings derived from the JSON schemas (what `transformers.utils.get_json_schema` reads), but
the prompt renders each tool's exact MCP schema (see `toolmaster.train._grpo`), as ToolMaster's
policies do at inference.
"""

from __future__ import annotations

import inspect
import keyword
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import JsonValue
from toolmaster.agent import FINISH_TRIAL_SPEC
from toolmaster.core import FINISH_TRIAL, Mode, Task, ToolSpec, UserError
from toolmaster.train._rollout import Rollout, World

__all__ = ["RESERVED_NAMES", "McpEnvironment", "environment_class"]

RESERVED_NAMES = frozenset({"reset", "get_reward", "toolmaster", FINISH_TRIAL})
"""Names no MCP tool may have here: trl's environment protocol and ToolMaster's own."""


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
        members[FINISH_TRIAL] = _tool_method(FINISH_TRIAL_SPEC)
    qualname = "".join(part.title() for part in world.name.replace("@", "_").split("_"))
    members["__doc__"] = f"GRPO rollouts of {world.name} over MCP ({mode} mode)."
    return type(f"{_identifier(qualname)}Environment", (McpEnvironment,), members)


def _tool_method(tool: ToolSpec) -> Callable[..., str]:
    name = tool.name

    def method(self: McpEnvironment, /, **arguments: Any) -> str:
        # `self` is positional-only: an argument the model calls `self` still reaches the server
        return self.toolmaster.call(name, arguments)

    _describe(method, tool)
    return method


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
