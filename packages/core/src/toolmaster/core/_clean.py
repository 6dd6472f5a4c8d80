"""Records as the JSON the store writes, with what cannot be encoded made encodable.

A model's tool-call JSON may hold a lone surrogate (`"\\ud800"`): valid in a Python string, not
in UTF-8, so pydantic cannot write it. Rather than lose the record, each lone surrogate becomes
U+FFFD and the record says so (`metadata.sanitised` on an episode, `data.sanitised` on an event).
"""

from __future__ import annotations

import re
from typing import Any, TypeVar, cast

import pydantic_core
from pydantic import JsonValue
from pydantic_core import PydanticSerializationError
from toolmaster.core._base import Record
from toolmaster.core._episode import Episode

_SURROGATE = re.compile("[\ud800-\udfff]")
REPLACEMENT = "\ufffd"

R = TypeVar("R", bound=Record)
JsonT = TypeVar("JsonT", bound=JsonValue)


def encodable(text: str) -> str:
    """`text` with every lone surrogate replaced by U+FFFD (the same string when it has none)."""
    return _SURROGATE.sub(REPLACEMENT, text)


def encodable_json(value: JsonT) -> JsonT:
    """A JSON value (tool arguments) that UTF-8 can encode: every lone surrogate in its strings
    and keys replaced by U+FFFD; `value` itself when it has none."""
    try:
        pydantic_core.to_json(value)
    except (PydanticSerializationError, UnicodeEncodeError):
        return cast("JsonT", _clean(value))
    return value


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return encodable(value)
    if isinstance(value, dict):
        items: dict[Any, Any] = value  # pyright: ignore[reportUnknownVariableType]
        return {_clean(k): _clean(v) for k, v in items.items()}
    if isinstance(value, list | tuple):
        seq: list[Any] = list(value)  # pyright: ignore[reportUnknownArgumentType]
        return [_clean(v) for v in seq]
    return value


def sanitised(record: R, mark: str) -> R:
    """A copy of `record` with its lone surrogates replaced and `{mark: {"sanitised": true}}`
    merged into its free-form field `mark` (`metadata` of an episode, `data` of an event)."""
    data = _clean(record.model_dump())
    data[mark] = {**data.get(mark, {}), "sanitised": True}
    return type(record).model_validate(data)


def record_json(record: R, mark: str) -> tuple[str, R]:
    """The record's JSON, and the record it is the JSON of: `record` itself, or its sanitised
    copy when it held text that UTF-8 cannot encode."""
    try:
        return record.model_dump_json(), record
    except (PydanticSerializationError, UnicodeEncodeError):
        clean = sanitised(record, mark)
        return clean.model_dump_json(), clean


def episode_json(episode: Episode) -> str:
    """The episode's JSON as the store writes it (sanitised if it must be: `record_json`)."""
    return record_json(episode, "metadata")[0]
