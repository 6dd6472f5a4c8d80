"""The parts of a perturbation plan: the kinds, the steps that map a variant's calls and results
to its upstream's, and one tool of the variant (`ToolPerturbation`). The plan itself, and how
it is built, are in `_perturb` and `_perturb_build`."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from typing import Annotated, Any, Literal, get_args

import mcp_types as types
from pydantic import Field, JsonValue
from toolmaster.core import Record, UserError

PerturbationKind = Literal[
    "rename_tool",
    "rename_param",
    "paraphrase",
    "strip",
    "misleading",
    "reorder",
    "error_wording",
    "drift",
]
"""One way a variant differs from its upstream.

- `rename_tool`: every tool gets a new name (synonyms, abbreviations, another case style).
- `rename_param`: every top-level parameter gets a new name; `required` follows.
- `paraphrase`: tool and parameter descriptions are reworded (synonyms and templates).
- `strip`: tool and parameter descriptions and titles are removed.
- `misleading`: plausible but false hints are added (wrong defaults, units, limits).
- `reorder`: tools and parameters are listed in another order.
- `error_wording`: error texts are reworded and wrapped in another template.
- `drift`: some tools move from v1 to v2: parameters renamed, grouped into an object or made
  required, and/or their output changes shape (JSON keys renamed, results wrapped).
"""

PERTURBATION_KINDS: tuple[PerturbationKind, ...] = get_args(PerturbationKind)
"""Every kind, in the canonical order a plan lists them."""


def parse_kinds(text: str | Iterable[str]) -> tuple[PerturbationKind, ...]:
    """Kinds from a comma-separated string or names (`all` means every kind), in canonical
    order; `rename` is short for both renames. Raises `UserError` for an unknown name."""
    names = text.split(",") if isinstance(text, str) else list(text)
    chosen: set[str] = set()
    for raw in names:
        name = raw.strip().replace("-", "_")
        if not name:
            continue
        if name == "all":
            chosen.update(PERTURBATION_KINDS)
        elif name == "rename":
            chosen.update(("rename_tool", "rename_param"))
        elif name in PERTURBATION_KINDS:
            chosen.add(name)
        else:
            known = ", ".join(("all", "rename", *PERTURBATION_KINDS))
            raise UserError(f"unknown perturbation kind {raw.strip()!r}; known kinds: {known}")
    return tuple(kind for kind in PERTURBATION_KINDS if kind in chosen)


# ---------------------------------------------------------------- argument steps


class RenameArg(Record):
    """A parameter is called `exposed` in the variant and `upstream` one step before."""

    op: Literal["rename"] = "rename"
    exposed: str
    upstream: str


class GroupArgs(Record):
    """v2 moved parameters into one object parameter, `group`, with the members' own names."""

    op: Literal["group"] = "group"
    group: str
    members: list[str]


class RequireArg(Record):
    """v2 requires a parameter that v1 did not: one v1 had a default for, or a new group."""

    op: Literal["require"] = "require"
    name: str
    v1_default: JsonValue = None
    """The default the upstream uses when the argument is left out (None if it had none);
    the proxy sends whatever the caller gives."""


ArgStep = Annotated[RenameArg | GroupArgs | RequireArg, Field(discriminator="op")]
"""One change to a tool's parameters. A tool's steps are listed in the order they were applied
going from the upstream to the variant; a call is translated back by undoing them in reverse."""


# ---------------------------------------------------------------- output steps


class RenameKeys(Record):
    """The keys of the result object are renamed (structured content and JSON text)."""

    op: Literal["rename_keys"] = "rename_keys"
    keys: dict[str, str]
    """Upstream key -> exposed key."""


class Envelope(Record):
    """The result is wrapped: `{data_key: <v1 result>, version_key: version}`; plain text
    becomes JSON text."""

    op: Literal["envelope"] = "envelope"
    data_key: str = "data"
    version_key: str = "api_version"
    version: str = "2"


OutputStep = Annotated[RenameKeys | Envelope, Field(discriminator="op")]
"""One change to the shape of a tool's results, applied in order."""


class MisleadingHint(Record):
    """A false statement added to a description."""

    target: str
    """`tool`, or the exposed name of the parameter whose description carries it."""
    text: str
    truth: str | None = None
    """What is actually true, where the schema says it (the real default)."""


class ErrorStyle(Record):
    """How the variant words errors."""

    template: str
    """With `{code}` and `{message}`."""
    code: int
    phrases: dict[str, str]
    """Phrase in upstream errors -> its replacement."""


# ---------------------------------------------------------------- the plan


class ToolPerturbation(Record):
    """One tool of the variant: what it looks like and how it maps to its upstream tool."""

    upstream: str
    """The upstream tool's name."""
    name: str
    """The name the variant lists it under."""
    title: str | None = None
    description: str | None = None
    input_schema: dict[str, JsonValue]
    output_schema: dict[str, JsonValue] | None = None
    annotations: dict[str, JsonValue] | None = None
    version: str | None = None
    """`v2` when the tool drifted."""
    arg_steps: list[ArgStep] = Field(default_factory=list[ArgStep])
    output_steps: list[OutputStep] = Field(default_factory=list[OutputStep])
    hints: list[MisleadingHint] = Field(default_factory=list[MisleadingHint])
    changes: list[str] = Field(default_factory=list[str])
    """What was changed, in words, in the order it was applied."""

    def to_tool(self) -> types.Tool:
        """The MCP tool definition the variant lists."""
        return types.Tool(
            name=self.name,
            title=self.title,
            description=self.description,
            input_schema=dict(self.input_schema),
            output_schema=None if self.output_schema is None else dict(self.output_schema),
            annotations=None
            if self.annotations is None
            else types.ToolAnnotations.model_validate(self.annotations),
        )

    def exposed_names(self) -> dict[str, str]:
        """Upstream top-level parameter name -> its exposed name, for renamed parameters that
        are still top-level in the variant."""
        current: dict[str, str] = {}
        grouped: set[str] = set()
        for step in self.arg_steps:
            if isinstance(step, RenameArg):
                origin = next((k for k, v in current.items() if v == step.upstream), step.upstream)
                current[origin] = step.exposed
            elif isinstance(step, GroupArgs):
                grouped.update(step.members)
        return {k: v for k, v in current.items() if k != v and k not in grouped}


def tools_hash(tools: Sequence[types.Tool]) -> str:
    """A stable hash of a tool list as the upstream lists it (order included)."""
    dumped: list[dict[str, Any]] = [
        tool.model_dump(mode="json", by_alias=True, exclude_none=True) for tool in tools
    ]
    canonical = json.dumps(dumped, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]
