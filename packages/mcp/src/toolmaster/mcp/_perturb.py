"""The perturbation plan: what a variant of an MCP server changes, as inspectable data.

A `Perturbation` is built from an upstream server's tool list, a seed and a set of kinds
(`Perturbation.build`). It holds, per tool, the exposed definition (name, description, schemas)
and the steps that translate a call back to the upstream and its result forward to the variant.
Same tools, seed and kinds give a byte-identical plan; it serialises to JSON so an evaluation
can record exactly what was changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import mcp_types as types
from toolmaster.core import Record
from toolmaster.mcp._perturb_build import plan_tools
from toolmaster.mcp._perturb_steps import (
    PERTURBATION_KINDS,
    ErrorStyle,
    PerturbationKind,
    ToolPerturbation,
    parse_kinds,
    tools_hash,
)


class Perturbation(Record):
    """A seeded, deterministic plan for one variant of an upstream server."""

    seed: int
    kinds: list[PerturbationKind]
    upstream_hash: str
    """Hash of the upstream tool list the plan was built from."""
    tools: list[ToolPerturbation]
    """In the order the variant lists them."""
    errors: ErrorStyle | None = None
    """Set when `error_wording` is on."""

    @classmethod
    def build(
        cls,
        tools: Sequence[types.Tool],
        *,
        seed: int,
        kinds: Iterable[PerturbationKind] | str = PERTURBATION_KINDS,
    ) -> Perturbation:
        """The plan for `tools` (the upstream's `tools/list`), `seed` and `kinds`."""
        chosen = parse_kinds(kinds)
        planned, errors = plan_tools(tools, seed=seed, kinds=chosen)
        return cls(
            seed=seed,
            kinds=list(chosen),
            upstream_hash=tools_hash(tools),
            tools=planned,
            errors=errors,
        )

    def tool(self, name: str) -> ToolPerturbation | None:
        """The tool the variant lists as `name`, if any."""
        return next((tool for tool in self.tools if tool.name == name), None)

    def to_tools(self) -> list[types.Tool]:
        """The variant's tool list, in its order."""
        return [tool.to_tool() for tool in self.tools]
