"""Building a `Perturbation` from an upstream tool list, a seed and kinds.

Every random choice comes from a `random.Random` seeded with the seed, the kind and the tool's
upstream name, so turning one kind on or off does not change what the others do, and the same
inputs always give the same plan.
"""

from __future__ import annotations

import copy
import json
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import mcp_types as types
from toolmaster.core import UserError
from toolmaster.mcp._perturb_drift import drift_output, drift_signature
from toolmaster.mcp._perturb_schema import (
    Schema,
    add_description,
    map_descriptions,
    properties,
    rename_property,
    required,
    shuffle_properties,
    strip_docs,
)
from toolmaster.mcp._perturb_steps import (
    ArgStep,
    ErrorStyle,
    MisleadingHint,
    OutputStep,
    PerturbationKind,
    RenameArg,
    ToolPerturbation,
)
from toolmaster.mcp._perturb_words import (
    ERROR_TEMPLATES,
    TOOL_CLAIMS,
    error_phrases,
    fresh_name,
    param_claim,
    paraphrase,
    word_replacer,
)


def _rng(seed: int, kind: str, key: str = "") -> random.Random:
    # Not for security: a seeded generator is the point (same seed, same variant).
    return random.Random(f"{seed}:{kind}:{key}")


@dataclass
class _Draft:
    """A tool of the variant while the plan is being built."""

    upstream: str
    name: str
    title: str | None
    description: str | None
    input_schema: Schema
    output_schema: Schema | None
    annotations: Schema | None
    version: str | None = None
    arg_steps: list[ArgStep] = field(default_factory=list[ArgStep])
    output_steps: list[OutputStep] = field(default_factory=list[OutputStep])
    hints: list[MisleadingHint] = field(default_factory=list[MisleadingHint])
    changes: list[str] = field(default_factory=list[str])

    @classmethod
    def of(cls, tool: types.Tool) -> _Draft:
        annotations = (
            None
            if tool.annotations is None
            else tool.annotations.model_dump(mode="json", by_alias=True, exclude_none=True)
        )
        return cls(
            upstream=tool.name,
            name=tool.name,
            title=tool.title,
            description=tool.description,
            input_schema=copy.deepcopy(tool.input_schema),
            output_schema=copy.deepcopy(tool.output_schema),
            annotations=annotations,
        )

    def hide_titles(self) -> None:
        """Drop display titles, which would give the upstream name away."""
        self.title = None
        if self.annotations is not None:
            self.annotations.pop("title", None)
        self.input_schema.pop("title", None)
        if self.output_schema is not None:
            self.output_schema.pop("title", None)

    def map_text(self, change: Callable[[str], str], *, schemas_only: bool = False) -> None:
        """Apply `change` to every description of the tool (or only to those in its schemas)."""
        if self.description and not schemas_only:
            self.description = change(self.description)
        map_descriptions(self.input_schema, change)
        if self.output_schema is not None:
            map_descriptions(self.output_schema, change)

    def frozen(self) -> ToolPerturbation:
        return ToolPerturbation.model_validate(
            {
                "upstream": self.upstream,
                "name": self.name,
                "title": self.title,
                "description": self.description,
                "input_schema": self.input_schema,
                "output_schema": self.output_schema,
                "annotations": self.annotations,
                "version": self.version,
                "arg_steps": self.arg_steps,
                "output_steps": self.output_steps,
                "hints": self.hints,
                "changes": self.changes,
            }
        )


def plan_tools(
    tools: Sequence[types.Tool], *, seed: int, kinds: tuple[PerturbationKind, ...]
) -> tuple[list[ToolPerturbation], ErrorStyle | None]:
    """The variant's tools and error style for `tools`, `seed` and `kinds` (the parts of the
    plan `Perturbation.build` makes)."""
    names = [tool.name for tool in tools]
    if len(set(names)) != len(names):
        raise UserError("the upstream lists a tool name twice; cannot build a perturbation")
    on = set(kinds)
    drafts = [_Draft.of(tool) for tool in tools]
    if "drift" in on:
        _drift(drafts, seed)
    if "rename_param" in on:
        for draft in drafts:
            _rename_params(draft, seed)
    if "rename_tool" in on:
        _rename_tools(drafts, seed)
    _translate_names(drafts)
    for draft in drafts:
        _document(draft, seed, on)
    if "reorder" in on and len(drafts) > 1:
        order = drafts[:]
        _rng(seed, "reorder").shuffle(order)
        if order == drafts:
            order = drafts[1:] + drafts[:1]
        drafts = order
    errors = None
    if "error_wording" in on:
        rng = _rng(seed, "error_wording")
        errors = ErrorStyle(
            template=rng.choice(ERROR_TEMPLATES),
            code=rng.randint(1000, 9899),
            phrases=error_phrases(rng),
        )
    return [draft.frozen() for draft in drafts], errors


def _document(draft: _Draft, seed: int, on: set[PerturbationKind]) -> None:
    """The description kinds (strip or paraphrase, misleading) and the parameter order."""
    if "strip" in on:
        draft.description = None
        strip_docs(draft.input_schema)
        if draft.output_schema is not None:
            strip_docs(draft.output_schema)
        draft.hide_titles()
        draft.changes.append("removed descriptions and titles")
    elif "paraphrase" in on:
        rng = _rng(seed, "paraphrase", draft.upstream)
        if draft.description:
            draft.description = paraphrase(rng, draft.description)
        draft.map_text(lambda text: paraphrase(rng, text, wrap=False), schemas_only=True)
        draft.changes.append("paraphrased descriptions")
    if "misleading" in on:
        _mislead(draft, seed)
    if "reorder" in on and shuffle_properties(
        draft.input_schema, _rng(seed, "reorder", draft.upstream)
    ):
        draft.changes.append("listed parameters in another order")


def _drift(drafts: list[_Draft], seed: int) -> None:
    chosen = [d for d in drafts if _rng(seed, "drift-pick", d.upstream).random() < 0.5]
    if not chosen and drafts:
        chosen = [_rng(seed, "drift-pick").choice(drafts)]
    for draft in chosen:
        rng = _rng(seed, "drift", draft.upstream)
        change_output = rng.random() < 0.6
        steps, changes = drift_signature(rng, draft.input_schema)
        if change_output or not steps:
            step, schema, change = drift_output(rng, draft.output_schema)
            draft.output_steps.append(step)
            draft.output_schema = schema
            changes.append(change)
        draft.arg_steps.extend(steps)
        draft.changes.extend(changes)
        draft.version = "v2"


def _rename_params(draft: _Draft, seed: int) -> None:
    rng = _rng(seed, "rename_param", draft.upstream)
    names = list(properties(draft.input_schema))
    taken = set(names)
    for old in names:
        new = fresh_name(rng, old, taken, tool=False)
        taken.add(new)
        rename_property(draft.input_schema, old, new)
        draft.arg_steps.append(RenameArg(exposed=new, upstream=old))
        draft.changes.append(f"renamed parameter {old!r} to {new!r}")


def _rename_tools(drafts: list[_Draft], seed: int) -> None:
    taken = {draft.name for draft in drafts}
    for draft in drafts:
        new = fresh_name(_rng(seed, "rename_tool", draft.upstream), draft.name, taken, tool=True)
        taken.add(new)
        draft.changes.append(f"renamed tool {draft.name!r} to {new!r}")
        draft.name = new
        draft.hide_titles()


_IDENTIFIER = re.compile(r"[_\-0-9]|[a-z][A-Z]")


def _translate_names(drafts: list[_Draft]) -> None:
    """Descriptions that mention a renamed tool or parameter by an identifier (`get_user`,
    `maxResults`; not a plain word, which is more likely prose) use its new name."""
    tool_names = {d.upstream: d.name for d in drafts if d.name != d.upstream}
    for draft in drafts:
        params = draft.frozen().exposed_names()
        mapping = {k: v for k, v in {**params, **tool_names}.items() if _IDENTIFIER.search(k)}
        if mapping:
            draft.map_text(word_replacer(mapping))


def _mislead(draft: _Draft, seed: int) -> None:
    rng = _rng(seed, "misleading", draft.upstream)
    claim = rng.choice(TOOL_CLAIMS)
    draft.description = f"{draft.description or ''} {claim}".strip()
    draft.hints.append(MisleadingHint(target="tool", text=claim))
    draft.changes.append(f"added a false hint to the tool: {claim}")
    props = properties(draft.input_schema)
    candidates = [name for name, schema in props.items() if isinstance(schema, dict)]
    if not candidates:
        return
    with_default = [name for name in candidates if "default" in props[name]]
    scalar = [name for name in candidates if props[name].get("type") != "object"]
    name = rng.choice(with_default or scalar or candidates)
    schema: dict[str, Any] = props[name]
    is_required = name in required(draft.input_schema)
    text = param_claim(rng, schema, required=is_required)
    truth = None
    if "default" in schema:
        truth = f"actual default: {json.dumps(schema['default'])}"
    elif text.startswith("Optional"):
        truth = "the parameter is required"
    add_description(schema, text)
    draft.hints.append(MisleadingHint(target=name, text=text, truth=truth))
    draft.changes.append(f"added a false hint to parameter {name!r}: {text}")
