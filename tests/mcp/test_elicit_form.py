"""An elicitation's form: the fields the MCP specification allows (a flat object of primitive
fields), what a person types parsed and checked, schemas it does not allow declined with the
reason; `form_elicitor` against a real server whose tool calls `ctx.elicit`."""

from __future__ import annotations

import anyio
import pytest
from mcp.server.elicitation import render_elicitation_schema
from pydantic import JsonValue
from toolmaster.core import ToolCall
from toolmaster.mcp import (
    AnswerError,
    ElicitationForm,
    ElicitationReply,
    ElicitationRequest,
    ElicitationSchemaError,
    Toolbox,
    ToolEvent,
    form_elicitor,
)

from tests.mcp.servers.asking import Booking, asking_spec

pytestmark = pytest.mark.anyio


def form(schema: dict[str, JsonValue]) -> ElicitationForm:
    return ElicitationForm.of(ElicitationRequest("s", "Q?", "form", requested_schema=schema))


BOOKING: dict[str, JsonValue] = render_elicitation_schema(Booking)
"""The schema `ctx.elicit` sends for the model."""


def test_the_fields_of_a_pydantic_model_form() -> None:
    guests, seating, vegetarian, note = form(BOOKING).fields
    assert (guests.kind, guests.required, guests.minimum, guests.maximum) == ("integer", True, 1, 8)
    assert guests.hint() == "whole number, 1 to 8, required"
    assert (seating.kind, [c.value for c in seating.choices]) == ("choice", ["inside", "terrace"])
    assert seating.hint() == "one of, inside / terrace, optional, default inside"
    assert (vegetarian.kind, vegetarian.default) == ("boolean", False)
    assert (note.kind, note.max_length, note.required) == ("string", 40, False)


@pytest.mark.parametrize(
    ("name", "text", "value"),
    [
        ("guests", "3", 3),
        ("seating", "terrace", "terrace"),
        ("seating", "TERRACE", "terrace"),
        ("seating", "2", "terrace"),
        ("seating", "", "inside"),
        ("vegetarian", "yes", True),
        ("vegetarian", "n", False),
        ("vegetarian", "", False),
        ("note", "", None),
        ("note", "by the window", "by the window"),
    ],
)
def test_typed_answers_are_parsed(name: str, text: str, value: object) -> None:
    (spec,) = [f for f in form(BOOKING).fields if f.name == name]
    assert spec.parse(text) == value


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("guests", "", "an answer is required"),
        ("guests", "two", "enter a whole number"),
        ("guests", "9", "enter a number of at most 8"),
        ("guests", "0", "enter a number of at least 1"),
        ("seating", "garden", "choose one of: inside, terrace"),
        ("vegetarian", "maybe", "answer yes or no"),
        ("note", "x" * 41, "enter at most 40 characters"),
    ],
)
def test_bad_answers_say_what_would_fit(name: str, text: str, message: str) -> None:
    (spec,) = [f for f in form(BOOKING).fields if f.name == name]
    with pytest.raises(AnswerError, match=message):
        spec.parse(text)


def test_formats_titles_and_multiple_choices() -> None:
    schema: dict[str, JsonValue] = {
        "type": "object",
        "properties": {
            "email": {"type": "string", "format": "email"},
            "day": {"type": "string", "format": "date"},
            "size": {"type": "string", "oneOf": [{"const": "s", "title": "Small"}]},
            "tags": {
                "type": "array",
                "items": {"type": "string", "enum": ["a", "b", "c"]},
                "maxItems": 2,
            },
            "ratio": {"type": "number", "default": 0.5},
        },
        "required": ["email"],
    }
    email, day, size, tags, ratio = form(schema).fields
    assert email.parse("ada@example.org") == "ada@example.org"
    with pytest.raises(AnswerError, match="an email address"):
        email.parse("ada")
    with pytest.raises(AnswerError, match="a date"):
        day.parse("tomorrow")
    assert size.parse("small") == "s"
    assert tags.parse("a, c") == ["a", "c"]
    with pytest.raises(AnswerError, match="choose at most 2"):
        tags.parse("a,b,c")
    assert (ratio.parse(""), ratio.parse("1.25")) == (0.5, 1.25)
    assert form(schema).content({"email": "ada@example.org"}) == {
        "email": "ada@example.org",
        "ratio": 0.5,
    }
    with pytest.raises(AnswerError, match="email: an answer is required"):
        form(schema).content({})


@pytest.mark.parametrize(
    ("prop", "message"),
    [
        ({"type": "object", "properties": {}}, "field 'x' is a nested object"),
        ({"type": "array", "items": {"type": "string"}}, "field 'x' is a list of free values"),
        ({"anyOf": [{"type": "string"}, {"type": "null"}]}, "field 'x' is a union of types"),
        ({"type": "string", "format": "ipv4"}, "field 'x' has the unknown format 'ipv4'"),
    ],
)
def test_schemas_elicitation_does_not_allow_are_refused(
    prop: dict[str, JsonValue], message: str
) -> None:
    with pytest.raises(ElicitationSchemaError, match=message):
        form({"type": "object", "properties": {"x": prop}})


async def test_form_elicitor_sends_the_checked_answer_to_a_servers_ctx_elicit() -> None:
    shown: list[ElicitationForm] = []

    async def ask(elicited: ElicitationForm) -> ElicitationReply:
        shown.append(elicited)
        return ElicitationReply("accept", {"guests": 2, "vegetarian": True})

    events: list[ToolEvent] = []
    with anyio.fail_after(10):
        async with Toolbox([asking_spec()], elicitor=form_elicitor(ask)) as toolbox:
            toolbox.subscribe(events.append)
            result = await toolbox.call(ToolCall(id="1", tool="book_table", arguments={}))
    assert result.text == (
        "accept: {'guests': 2, 'seating': 'inside', 'vegetarian': True, 'note': None}"
    )
    assert [f.name for f in shown[0].fields] == ["guests", "seating", "vegetarian", "note"]
    (event,) = [e for e in events if e.kind == "elicitation"]
    assert event.details["content"] == {"guests": 2, "seating": "inside", "vegetarian": True}


async def test_an_answer_that_does_not_fit_is_declined_not_sent() -> None:
    async def ask(elicited: ElicitationForm) -> ElicitationReply:
        return ElicitationReply("accept", {"guests": 12})

    with anyio.fail_after(10):
        async with Toolbox([asking_spec()], elicitor=form_elicitor(ask)) as toolbox:
            result = await toolbox.call(ToolCall(id="1", tool="book_table", arguments={}))
    assert result.text == "decline"
