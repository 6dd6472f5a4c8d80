"""The shortcuts the agent loop takes to build and dump records give exactly what the slow,
validated paths give: `Record.trusted`, `Record.json_data`, JSON-object fields and `new_id`."""

from __future__ import annotations

import math
import uuid
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError
from toolmaster.core import (
    Event,
    Message,
    Record,
    ToolCall,
    ToolResult,
    UserError,
    content_parts,
    new_id,
    render_parts,
    utcnow,
)

from tests.core.test_types import STRATEGIES, json_objects


def _fields(value: Record) -> dict[str, Any]:
    return {name: getattr(value, name) for name in type(value).model_fields}


@pytest.mark.parametrize("kind", list(STRATEGIES), ids=lambda kind: kind.__name__)
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_trusted_records_equal_and_dump_like_validated_ones(
    kind: type[Record], data: st.DataObject
) -> None:
    value = data.draw(STRATEGIES[kind])
    trusted = kind.trusted(**_fields(value))
    assert trusted == value
    assert trusted.model_dump_json() == value.model_dump_json()
    assert trusted.model_dump() == value.model_dump()
    assert kind.model_validate_json(trusted.model_dump_json()) == value


@pytest.mark.parametrize("kind", list(STRATEGIES), ids=lambda kind: kind.__name__)
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_json_data_is_model_dump_in_json_mode(kind: type[Record], data: st.DataObject) -> None:
    value = data.draw(STRATEGIES[kind])
    assert value.json_data() == value.model_dump(mode="json")


def test_trusted_records_are_frozen() -> None:
    call = ToolCall.trusted(id="c", tool="t", arguments={}, phase="trial")
    with pytest.raises(ValidationError):
        call.id = "d"  # pyright: ignore[reportAttributeAccessIssue] (the point of the test)


def test_trusted_records_share_a_fields_set_that_copies_do_not() -> None:
    """Trusted records of a type share one fields-set; pydantic copies it before changing it,
    so a copy with an update leaves the others' alone."""
    first = ToolCall.trusted(id="c", tool="t", arguments={}, phase="trial")
    second = ToolCall.trusted(id="d", tool="t", arguments={}, phase="trial")
    assert first.model_fields_set is second.model_fields_set
    assert first.model_fields_set == set(ToolCall.model_fields)
    for copied in (first.model_copy(update={"id": "e"}), first.model_copy(deep=True)):
        assert copied.model_fields_set is not first.model_fields_set
        assert copied.model_fields_set == set(ToolCall.model_fields)
    assert second.model_fields_set == set(ToolCall.model_fields)


@pytest.mark.parametrize(
    "content",
    [
        [],
        [{"type": "text", "text": "one"}],
        [{"type": "image", "data": "...", "mimeType": "image/png"}],
        [{"type": "text"}],
        [
            {"type": "text", "text": "a"},
            {"type": "image", "data": "..."},
            {"type": "text", "text": "b"},
        ],
    ],
)
def test_result_text_is_the_parts_rendering(content: list[dict[str, JsonValue]]) -> None:
    # Text-only results take a shortcut; it gives what rendering every part gives.
    assert ToolResult(call_id="c", content=content).text == render_parts(content_parts(content))


def test_trusted_refuses_missing_or_misordered_fields() -> None:
    with pytest.raises(UserError, match="takes every field, in order: id, tool, arguments, phase"):
        ToolCall.trusted(id="c", tool="t", arguments={})
    with pytest.raises(UserError, match="got tool, id, arguments, phase"):
        ToolCall.trusted(tool="t", id="c", arguments={}, phase="trial")
    with pytest.raises(UserError, match="takes every field"):
        Message.trusted(role="user", content="x", tool_calls=[], tool_call_id=None, name=None, x=1)


class _Plain(BaseModel):
    """The JSON-object fields typed the plain way, to compare against."""

    model_config = ConfigDict(frozen=True, extra="forbid", ser_json_inf_nan="strings")

    call_id: str
    content: list[dict[str, JsonValue]] = Field(default_factory=list[dict[str, JsonValue]])
    structured_content: dict[str, JsonValue] | None = None


def _pair(**fields: Any) -> tuple[ToolResult, _Plain]:
    return ToolResult(**fields), _Plain(**fields)


@settings(max_examples=50, deadline=None)
@given(content=st.lists(json_objects, max_size=3), structured=st.none() | json_objects)
def test_json_object_fields_dump_like_plain_json_values(
    content: list[dict[str, JsonValue]], structured: dict[str, JsonValue] | None
) -> None:
    fast, plain = _pair(call_id="c", content=content, structured_content=structured)
    fields = {"call_id", "content", "structured_content"}
    assert fast.model_dump(include=fields) == plain.model_dump()
    assert fast.model_dump(mode="json", include=fields) == plain.model_dump(mode="json")
    assert fast.model_dump_json(include=fields) == plain.model_dump_json()


def test_json_object_fields_keep_odd_numbers_as_plain_json_values_do() -> None:
    odd: dict[str, JsonValue] = {"inf": math.inf, "nan": math.nan, "big": 2**80, "neg0": -0.0}
    fast, plain = _pair(call_id="c", structured_content=odd)
    fields = {"call_id", "content", "structured_content"}
    assert fast.model_dump_json(include=fields) == plain.model_dump_json()
    assert repr(fast.model_dump(mode="json", include=fields)) == repr(plain.model_dump(mode="json"))


@pytest.mark.parametrize(
    "bad",
    [
        {"content": [{"a": (1, 2)}]},
        {"content": [{1: "key"}]},
        {"content": {"a": 1}},
        {"structured_content": {"a": object()}},
        {"structured_content": [1]},
    ],
    ids=["tuple", "int-key", "not-a-list", "object", "not-a-dict"],
)
def test_json_object_fields_refuse_what_plain_json_values_refuse(bad: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as fast:
        ToolResult(call_id="c", **bad)
    with pytest.raises(ValidationError) as plain:
        _Plain(call_id="c", **bad)
    assert fast.value.errors(include_url=False) == plain.value.errors(include_url=False)


def test_json_object_fields_keep_their_json_schema() -> None:
    def properties(schema: dict[str, Any]) -> dict[str, Any]:
        return {name: schema["properties"][name] for name in ("content", "structured_content")}

    for mode in ("validation", "serialization"):
        fast = ToolResult.model_json_schema(mode=mode)
        plain = _Plain.model_json_schema(mode=mode)
        assert properties(fast) == properties(plain)


def test_events_with_json_data_round_trip() -> None:
    data: dict[str, JsonValue] = {"message": Message(role="user", content="hi").json_data()}
    event = Event.trusted(episode_id="e", seq=0, kind="assistant", ts=utcnow(), data=data)
    assert Event.model_validate_json(event.model_dump_json()) == event


def test_new_ids_are_version_4_uuids() -> None:
    ids = {new_id() for _ in range(1000)}
    assert len(ids) == 1000
    for value in ids:
        parsed = uuid.UUID(hex=value)
        assert parsed.hex == value
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122
