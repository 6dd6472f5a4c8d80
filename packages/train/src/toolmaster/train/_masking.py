"""Name masking: training rows whose tool and parameter names are renamed, differently per row.

A model trained on one environment's episodes can pass by remembering `list_events(date=...)`
instead of reading the schema it is shown. Renaming the tools and their parameters per row (as
Hammer's function masking does) makes the names in the prompt the only ones that work, so reading
them is what generalises; on evaluation, the `renamed` setting asks exactly that.

`mask_names(row, seed=...)` renames consistently everywhere the model sees or writes a name:

- the tool schemas (`tools`): function names, parameter names and `required`;
- every tool call: the function name and the argument keys;
- text: the system prompt, assistant text, the `finish_trial` notes and tool results, where a
  name appears as an identifier: a snake_case or camelCase name as a whole word, any name quoted
  (`'date'`, `"date"`, `` `date` ``), followed by `(` (a tool) or `=` (a keyword argument), or
  alone on a line (pydantic's validation errors name the field that way).

Control tools (`finish_trial`) keep their names: they are the protocol, not a tool to learn. The
names come from `toolmaster.mcp.fresh_name` (synonyms, abbreviations, another case style), the
same generator the `renamed` perturbation uses, seeded by the seed and the episode id: the same
row always gets the same names, two rows get different ones. Only argument keys are renamed, not
the keys of tool results (the server's output format is the server's).
"""

from __future__ import annotations

import copy
import json
import random
import re
from collections.abc import Mapping
from typing import Any, cast

from toolmaster.core import FINISH_TRIAL
from toolmaster.mcp import fresh_name

__all__ = ["mask_names", "masked"]

_CONTROL = frozenset({FINISH_TRIAL})


def masked(row: Mapping[str, Any], *, seed: int, share: float) -> bool:
    """Whether `row` is one of the `share` of rows that `mask_names` renames (by its episode)."""
    return share > 0 and random.Random(f"{seed}:mask?:{row['episode_id']}").random() < share


def mask_names(row: Mapping[str, Any], *, seed: int) -> dict[str, Any]:
    """`row` (a conversational SFT row) with its tool and parameter names renamed (see the module
    docstring); the input is not changed."""
    rng = random.Random(f"{seed}:mask:{row['episode_id']}")
    tools: list[dict[str, Any]] = json.loads(row["tools"])
    tool_names, param_names = _plan(tools, rng)
    rewrite = _Rewriter(tool_names, param_names)
    for tool in tools:
        function = tool["function"]
        old = function["name"]
        if old in _CONTROL:
            continue
        function["name"] = tool_names[old]
        function["description"] = rewrite.text(function.get("description") or "")
        parameters = _object(function.get("parameters"))
        properties = _object(parameters.get("properties"))
        parameters["properties"] = {param_names.get(k, k): v for k, v in properties.items()}
        if "required" in parameters:
            required: list[str] = parameters["required"]
            parameters["required"] = [param_names.get(k, k) for k in required]
    out = dict(row)
    out["tools"] = json.dumps(tools, ensure_ascii=False)
    out["messages"] = [rewrite.message(m) for m in row["messages"]]
    return out


def _plan(tools: list[dict[str, Any]], rng: random.Random) -> tuple[dict[str, str], dict[str, str]]:
    """New tool names, and new parameter names (one per old name, across all tools)."""
    names = [t["function"]["name"] for t in tools]
    taken = set(names)
    tool_names: dict[str, str] = {}
    for name in sorted(n for n in names if n not in _CONTROL):
        tool_names[name] = new = fresh_name(rng, name, taken, tool=True)
        taken.add(new)
    params = sorted(
        {
            key
            for t in tools
            if t["function"]["name"] not in _CONTROL
            for key in _object(_object(t["function"].get("parameters")).get("properties"))
        }
    )
    taken_params: set[str] = set(params) | taken
    param_names: dict[str, str] = {}
    for name in params:
        param_names[name] = new = fresh_name(rng, name, taken_params, tool=False)
        taken_params.add(new)
    return tool_names, param_names


class _Rewriter:
    def __init__(self, tools: Mapping[str, str], params: Mapping[str, str]) -> None:
        self._tools = dict(tools)
        self._params = dict(params)
        self._both = {**self._params, **self._tools}  # a tool named like a parameter: the tool's
        patterns = [_pattern(old, tool=old in self._tools) for old in self._both]
        self._re = re.compile("|".join(patterns), re.MULTILINE) if patterns else None

    def text(self, text: str) -> str:
        if self._re is None or not text:
            return text
        return self._re.sub(lambda m: self._both[m.group(0)], text)

    def message(self, message: Mapping[str, Any]) -> dict[str, Any]:
        out = copy.deepcopy(dict(message))
        if isinstance(out.get("content"), str):
            out["content"] = self.text(out["content"])
        if out.get("name") in self._tools:
            out["name"] = self._tools[out["name"]]
        calls: list[dict[str, Any]] = out.get("tool_calls") or []
        for call in calls:
            function: dict[str, Any] = call["function"]
            name: str = function["name"]
            arguments: str | dict[str, Any] = function["arguments"]
            parsed = _object(json.loads(arguments) if isinstance(arguments, str) else arguments)
            if name in _CONTROL:
                parsed = {k: self.text(v) if isinstance(v, str) else v for k, v in parsed.items()}
            else:
                function["name"] = self._tools.get(name, name)
                parsed = {self._params.get(k, k): v for k, v in parsed.items()}
            function["arguments"] = (
                json.dumps(parsed, ensure_ascii=False) if isinstance(arguments, str) else parsed
            )
        return out


def _object(value: Any) -> dict[str, Any]:
    """`value` if it is a JSON object, else a new empty one."""
    return cast("dict[str, Any]", value) if isinstance(value, dict) else {}


def _pattern(name: str, *, tool: bool) -> str:
    word = re.escape(name)
    edge_before = r"(?<![\w-])"
    contexts = [
        rf"(?<=['\"`]){word}(?=['\"`])",  # quoted
        rf"^{word}$",  # alone on a line
        rf"{edge_before}{word}(?=\()" if tool else rf"{edge_before}{word}(?=\s*=)",
    ]
    if "_" in name or re.search(r"[a-z][A-Z]", name):  # an identifier, never an English word
        # `_` may follow: pydantic names a tool's argument model `<tool>_v1Arguments`
        contexts.append(rf"{edge_before}{word}(?![A-Za-z0-9-])")
    return "|".join(f"(?:{c})" for c in contexts)
