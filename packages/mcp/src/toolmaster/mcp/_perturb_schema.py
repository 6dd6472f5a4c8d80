"""Small edits of JSON Schemas (tool input and output schemas), in place.

Only keywords are touched: a property that happens to be called `description` or `title` is a
property, not documentation, and stays.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any, cast

Schema = dict[str, Any]

_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SCHEMA_ONE = ("items", "additionalProperties", "not", "if", "then", "else", "contains")


def _as_schema(value: object) -> Schema | None:
    return cast(Schema, value) if isinstance(value, dict) else None


def walk(schema: Schema, visit: Callable[[Schema], None]) -> None:
    """Call `visit` on `schema` and on every subschema in it."""
    visit(schema)
    for key in _SCHEMA_MAPS:
        children = _as_schema(schema.get(key))
        if children is not None:
            for child in children.values():
                if (sub := _as_schema(child)) is not None:
                    walk(sub, visit)
    for key in _SCHEMA_LISTS:
        items = schema.get(key)
        if isinstance(items, list):
            for child in cast(list[object], items):
                if (sub := _as_schema(child)) is not None:
                    walk(sub, visit)
    for key in _SCHEMA_ONE:
        if (sub := _as_schema(schema.get(key))) is not None:
            walk(sub, visit)


def properties(schema: Schema) -> Schema:
    """The `properties` of an object schema (empty when it has none)."""
    return _as_schema(schema.get("properties")) or {}


def required(schema: Schema) -> list[str]:
    """The names in `required`."""
    names = schema.get("required")
    if not isinstance(names, list):
        return []
    return [name for name in cast(list[object], names) if isinstance(name, str)]


def set_required(schema: Schema, names: list[str]) -> None:
    """Set `required`, dropping the keyword when empty."""
    if names:
        schema["required"] = names
    else:
        schema.pop("required", None)


def rename_property(schema: Schema, old: str, new: str) -> None:
    """Rename property `old` to `new`, keeping its position, `required` and dropping its
    title (a title would give the old name away)."""
    renamed: Schema = {}
    for name, value in properties(schema).items():
        if name == old:
            child = _as_schema(value)
            if child is not None:
                child.pop("title", None)
            renamed[new] = value
        else:
            renamed[name] = value
    schema["properties"] = renamed
    set_required(schema, [new if name == old else name for name in required(schema)])


def group_properties(schema: Schema, group: str, members: list[str]) -> None:
    """Move `members` into a new object property `group` (placed where the first member
    was); members required before stay required inside the group."""
    props = properties(schema)
    inner = {name: props[name] for name in members}
    inner_required = [name for name in required(schema) if name in members]
    group_schema: Schema = {"type": "object", "properties": inner, "additionalProperties": False}
    if inner_required:
        group_schema["required"] = inner_required
    regrouped: Schema = {}
    for name, value in props.items():
        if name == members[0]:
            regrouped[group] = group_schema
        if name not in members:
            regrouped[name] = value
    schema["properties"] = regrouped
    set_required(schema, [name for name in required(schema) if name not in members])


def shuffle_properties(schema: Schema, rng: random.Random) -> bool:
    """List the properties (and `required`) in another order; False if there is only one."""
    props = properties(schema)
    names = list(props)
    if len(names) < 2:
        return False
    order = names[:]
    rng.shuffle(order)
    if order == names:
        order = names[1:] + names[:1]
    schema["properties"] = {name: props[name] for name in order}
    needed = set(required(schema))
    set_required(schema, [name for name in order if name in needed])
    return True


def strip_docs(schema: Schema) -> None:
    """Remove every `description` and `title` keyword."""

    def visit(node: Schema) -> None:
        node.pop("description", None)
        node.pop("title", None)

    walk(schema, visit)


def map_descriptions(schema: Schema, change: Callable[[str], str]) -> None:
    """Replace every `description` keyword's text with `change(text)`."""

    def visit(node: Schema) -> None:
        text = node.get("description")
        if isinstance(text, str):
            node["description"] = change(text)

    walk(schema, visit)


def add_description(schema: Schema, sentence: str) -> None:
    """Append a sentence to a schema's description (or make it the description)."""
    current = schema.get("description")
    text = current.strip() if isinstance(current, str) else ""
    schema["description"] = f"{text} {sentence}".strip()


def wrap_output(schema: Schema, data_key: str, version_key: str, version: str) -> Schema:
    """The output schema of a result wrapped as `{data_key: <result>, version_key: version}`;
    `$defs` move to the root so that references keep resolving."""
    inner: Schema = dict(schema)
    inner.pop("$schema", None)
    defs = inner.pop("$defs", None)
    wrapped: Schema = {
        "type": "object",
        "properties": {data_key: inner, version_key: {"type": "string", "const": version}},
        "required": [data_key, version_key],
    }
    if defs is not None:
        wrapped["$defs"] = defs
    return wrapped
