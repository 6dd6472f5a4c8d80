"""Version drift: how a tool changes from v1 (the upstream) to v2 (the variant).

A drifted tool's signature changes (a parameter renamed and made required, or optional
parameters grouped into a required object) and/or its output changes shape (JSON keys renamed,
or the result wrapped in an envelope). The steps are recorded so the proxy can translate a v2
call back to the v1 upstream and a v1 result forward to v2.
"""

from __future__ import annotations

import random
from typing import Any

from toolmaster.mcp._perturb_schema import (
    Schema,
    group_properties,
    properties,
    rename_property,
    required,
    set_required,
    wrap_output,
)
from toolmaster.mcp._perturb_steps import (
    ArgStep,
    Envelope,
    GroupArgs,
    OutputStep,
    RenameArg,
    RenameKeys,
    RequireArg,
)
from toolmaster.mcp._perturb_words import fresh_name

_GROUP_NAMES = ("options", "settings", "config", "params")
_DATA_KEYS = ("data", "result", "payload")
_VERSION_KEYS = ("api_version", "version", "schema_version")


def drift_signature(rng: random.Random, schema: Schema) -> tuple[list[ArgStep], list[str]]:
    """Change a tool's input schema as a v2 would, in place; the steps and their description.
    No steps for a tool without parameters."""
    props = properties(schema)
    if not props:
        return [], []
    needed = required(schema)
    optional = [name for name in props if name not in needed]
    if len(optional) >= 2 and rng.random() < 0.5:
        size = rng.randint(2, len(optional))
        chosen = set(rng.sample(optional, size))
        members = [name for name in optional if name in chosen]
        group = next((g for g in _GROUP_NAMES if g not in props), "grouped_options")
        group_properties(schema, group, members)
        set_required(schema, [*required(schema), group])
        return [GroupArgs(group=group, members=members), RequireArg(name=group)], [
            f"v2 groups {', '.join(members)} into a required object parameter {group!r}"
        ]
    if optional:
        old = rng.choice(optional)
        new = fresh_name(rng, old, taken=set(props), tool=False)
        default: Any = props[old].pop("default", None) if isinstance(props[old], dict) else None
        rename_property(schema, old, new)
        set_required(schema, [*required(schema), new])
        return [RenameArg(exposed=new, upstream=old), RequireArg(name=new, v1_default=default)], [
            f"v2 renames parameter {old!r} to {new!r} and makes it required"
            + (f" (v1 default: {default!r})" if default is not None else "")
        ]
    old = rng.choice(list(props))
    new = fresh_name(rng, old, taken=set(props), tool=False)
    rename_property(schema, old, new)
    return [RenameArg(exposed=new, upstream=old)], [f"v2 renames parameter {old!r} to {new!r}"]


def drift_output(
    rng: random.Random, output_schema: Schema | None
) -> tuple[OutputStep, Schema | None, str]:
    """A change of a tool's output shape: the step, the v2 output schema, a description."""
    keys = list(properties(output_schema)) if output_schema is not None else []
    if keys and rng.random() < 0.6:
        assert output_schema is not None
        count = rng.randint(1, len(keys))
        chosen = set(rng.sample(keys, count))
        mapping: dict[str, str] = {}
        for key in keys:
            if key in chosen:
                mapping[key] = fresh_name(rng, key, taken={*keys, *mapping.values()}, tool=False)
        for old, new in mapping.items():
            rename_property(output_schema, old, new)
        renamed = ", ".join(f"{old!r} -> {new!r}" for old, new in mapping.items())
        return RenameKeys(keys=mapping), output_schema, f"v2 renames output keys {renamed}"
    envelope = Envelope(data_key=rng.choice(_DATA_KEYS), version_key=rng.choice(_VERSION_KEYS))
    schema = (
        None
        if output_schema is None
        else wrap_output(output_schema, envelope.data_key, envelope.version_key, envelope.version)
    )
    return (
        envelope,
        schema,
        (
            f"v2 wraps results as {{{envelope.data_key!r}: ..., {envelope.version_key!r}: "
            f"{envelope.version!r}}}"
        ),
    )
