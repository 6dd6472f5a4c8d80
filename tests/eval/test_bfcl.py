"""BFCL multi-turn through ToolMaster: BFCL's loader, simulators and checker as they ship,
served over MCP, run by the agent. The replay of BFCL's ground truth is the faithfulness test."""

from __future__ import annotations

import pytest
from pydantic import JsonValue
from toolmaster.core import UserError
from toolmaster.eval.bfcl import _upstream, call_string, json_schema, load_entries, parse_call

# ------------------------------------------------------------------ formats


def test_bfcl_types_become_json_schema_as_bfcl_renders_them() -> None:
    doc: dict[str, JsonValue] = {
        "type": "dict",
        "properties": {
            "numbers": {"type": "array", "items": {"type": "float"}, "description": "N."},
            "rate": {"type": "float", "description": "A rate."},
            "options": {"type": "dict", "properties": {"depth": {"type": "integer"}}},
            "odd": {"type": "something", "description": "?"},
            "untyped": {"description": "no type"},
        },
        "required": ["numbers"],
    }
    schema = json_schema(doc, top=True)
    assert schema["type"] == "object"
    assert schema["required"] == ["numbers"]
    properties = schema["properties"]
    assert isinstance(properties, dict)
    assert properties["numbers"] == {
        "type": "array",
        "items": {"type": "number"},
        "description": "N.",
    }
    assert properties["rate"] == {
        "type": "number",
        "format": "float",
        "description": "A rate. This is a float type value.",
    }
    assert properties["options"] == {"type": "object", "properties": {"depth": {"type": "integer"}}}
    assert properties["odd"] == {"type": "string", "description": "?"}
    assert properties["untyped"] == {"type": "string", "description": "no type"}


def test_call_strings_both_ways() -> None:
    assert call_string("cd", {"folder": "doc's"}) == 'cd(folder="doc\'s")'
    assert call_string("mean", {"numbers": [1.5, 2], "flag": True}) == (
        "mean(numbers=[1.5, 2],flag=True)"
    )
    call = parse_call("sort('final_report.pdf')", lambda name: ["file_name"])
    assert (call.tool, call.arguments) == ("sort", {"file_name": "final_report.pdf"})
    call = parse_call("mv(source='a', destination='b')", lambda name: [])
    assert call.arguments == {"source": "a", "destination": "b"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("cd(", "not a call"),
        ("os.system('x')", "by name"),
        ("cd(folder=name)", "literals"),
        ("cd('a', 'b')", "more positional arguments"),
        ("cd(**kw)", "arguments are not supported"),
    ],
)
def test_bad_call_strings_are_user_errors(text: str, message: str) -> None:
    with pytest.raises(UserError, match=message):
        parse_call(text, lambda name: ["folder"])


def test_argument_names_must_be_identifiers() -> None:
    with pytest.raises(UserError, match="invalid argument name"):
        call_string("cd", {"folder=__import__('os').getcwd(),x": 1})


# ------------------------------------------------------------------ data


def test_entries_load_with_bfcl_loader() -> None:
    entries = load_entries("multi_turn_base", limit=3)
    assert [e.id for e in entries] == [f"multi_turn_base_{i}" for i in range(3)]
    first = entries[0]
    assert first.turns[0].startswith("Move 'final_report.pdf'")
    assert len(first.turns) == len(first.ground_truth) == 4
    names = [str(doc["name"]) for doc in first.functions]
    # every documented function of the involved classes, as BFCL's loader offers them (this
    # BFCL version does not act on the entry's `excluded_function`)
    documented = [n for c in first.involved_classes for n in _upstream.class_functions(c)]
    assert names == documented
    assert {"cd", "mv", "post_tweet"} <= set(names)
    assert first.classes["post_tweet"] == "TwitterAPI"
    task = first.task()
    assert task.prompt == first.turns[0]
    assert task.metadata["turns"] == first.turns


def test_held_out_functions_join_at_their_turn_with_bfcls_prompt() -> None:
    (entry,) = load_entries("multi_turn_miss_func", ids=["multi_turn_miss_func_0"])
    assert list(entry.held_out) == [3]
    assert entry.turns[3] == _upstream.ADDED_FUNCTIONS_PROMPT
    names_at = [{str(d["name"]) for d in entry.functions_at(t)} for t in (2, 3)]
    assert "sort" not in names_at[0]
    assert "sort" in names_at[1]


@pytest.mark.parametrize(
    ("category", "ids", "message"),
    [
        ("multi_turn_nope", None, "unknown BFCL category"),
        ("multi_turn_base", ["multi_turn_base_9999"], "no entries multi_turn_base_9999"),
    ],
)
def test_bad_selections_are_user_errors(category: str, ids: list[str] | None, message: str) -> None:
    with pytest.raises(UserError, match=message):
        load_entries(category, ids=ids)
