"""Tool-call parsing: the formats it accepts, the errors it reports, and fuzzing."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import JsonValue
from toolmaster.agent import CallStyle, ParsedReply, parse_tool_calls, render_tool_calls
from toolmaster.core import ToolCall, ToolSpec

TOOLS = [
    ToolSpec(name="get_weather", server="weather"),
    ToolSpec(name="list_files", server="files"),
]
STYLES: list[CallStyle] = ["hermes", "json", "fenced_json"]


def calls_of(
    text: str, tools: list[ToolSpec] | None = TOOLS
) -> list[tuple[str, dict[str, JsonValue]]]:
    return [(c.tool, c.arguments) for c in parse_tool_calls(text, tools).calls]


# ---------------------------------------------------------------- accepted forms


def test_hermes_call_with_content() -> None:
    text = (
        'Let me check.\n<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}'
        "\n</tool_call>"
    )
    parsed = parse_tool_calls(text, TOOLS)
    assert parsed.content == "Let me check."
    assert parsed.calls == [ToolCall(id="call_0", tool="get_weather", arguments={"city": "Paris"})]
    assert parsed.errors == []


def test_several_hermes_calls_and_text_between() -> None:
    text = (
        'A<tool_call>{"name": "get_weather", "arguments": {"city": "Oslo"}}</tool_call> B '
        '<tool_call>{"name": "list_files", "arguments": {}}</tool_call>C'
    )
    parsed = parse_tool_calls(text, TOOLS)
    assert [(c.id, c.tool) for c in parsed.calls] == [
        ("call_0", "get_weather"),
        ("call_1", "list_files"),
    ]
    assert parsed.content == "A\nB\nC"


def test_whitespace_and_code_fence_inside_the_tag() -> None:
    text = (
        '<tool_call>\n\n  ```json\n{ "name" : "list_files" ,\n "arguments" : { "dir" : "/" } }'
        "\n```  \n</tool_call>"
    )
    assert calls_of(text) == [("list_files", {"dir": "/"})]


def test_missing_closing_tag_at_the_end() -> None:
    text = 'ok <tool_call>{"name": "get_weather", "arguments": {"city": "Rome"}}'
    parsed = parse_tool_calls(text, TOOLS)
    assert parsed.content == "ok"
    assert [c.arguments for c in parsed.calls] == [{"city": "Rome"}]


def test_arguments_as_a_json_string() -> None:
    text = '<tool_call>{"name": "get_weather", "arguments": "{\\"city\\": \\"Lima\\"}"}</tool_call>'
    assert calls_of(text) == [("get_weather", {"city": "Lima"})]


def test_parameters_key_and_openai_wrapping() -> None:
    assert calls_of('{"name": "list_files", "parameters": {"dir": "a"}}') == [
        ("list_files", {"dir": "a"})
    ]
    wrapped = '{"type": "function", "function": {"name": "list_files", "arguments": "{}"}}'
    assert calls_of(wrapped) == [("list_files", {})]


def test_missing_arguments_means_none() -> None:
    assert calls_of('<tool_call>{"name": "list_files"}</tool_call>') == [("list_files", {})]


def test_bare_json_object_array_and_fence() -> None:
    one = '  {"name": "get_weather", "arguments": {"city": "Paris"}}\n'
    many = (
        '[{"name": "get_weather", "arguments": {"city": "A"}}, '
        '{"name": "list_files", "arguments": {}}]'
    )
    fenced = f"```json\n{one}\n```"
    assert calls_of(one) == [("get_weather", {"city": "Paris"})]
    assert calls_of(many) == [("get_weather", {"city": "A"}), ("list_files", {})]
    assert calls_of(fenced) == [("get_weather", {"city": "Paris"})]
    assert parse_tool_calls(one, TOOLS).content == ""


def test_an_array_inside_one_tag_is_several_calls() -> None:
    text = (
        '<tool_call>[{"name": "list_files", "arguments": {}}, '
        '{"name": "list_files", "arguments": {"d": 1}}]</tool_call>'
    )
    assert calls_of(text) == [("list_files", {}), ("list_files", {"d": 1})]


@pytest.mark.parametrize(
    "text",
    [
        "The weather is sunny.",
        '{"temperature": 21, "unit": "C"}',
        "[1, 2, 3]",
        "[]",
        '```json\n{"answer": 42}\n```',
        'Answer: {"name": "get_weather", "arguments": {}} as an example',
    ],
)
def test_plain_answers_are_content(text: str) -> None:
    parsed = parse_tool_calls(text, TOOLS)
    assert (parsed.content, parsed.calls, parsed.errors) == (text.strip(), [], [])


def test_without_a_tool_list_any_name_passes() -> None:
    assert calls_of('<tool_call>{"name": "anything", "arguments": {}}</tool_call>', None) == [
        ("anything", {})
    ]


# ---------------------------------------------------------------- refused, as format errors


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (
            '<tool_call>{"name": "get_weather", "arguments": {"city": "Paris"</tool_call>',
            "not valid JSON",
        ),
        ("<tool_call>   </tool_call>", "empty"),
        ('<tool_call>{"arguments": {"city": "Paris"}}</tool_call>', 'no "name"'),
        ('<tool_call>{"name": "", "arguments": {}}</tool_call>', 'no "name"'),
        ('<tool_call>{"name": 3, "arguments": {}}</tool_call>', 'no "name"'),
        ('<tool_call>{"name": "get_weather", "arguments": [1]}</tool_call>', "not an array"),
        ('<tool_call>{"name": "get_weather", "arguments": null}</tool_call>', "not null"),
        (
            '<tool_call>{"name": "get_weather", "arguments": "{oops"}</tool_call>',
            "string that is not valid JSON",
        ),
        ('<tool_call>{"name": "get_weather", "arguments": "[1]"}</tool_call>', "not an array"),
        (
            '<tool_call>{"name": "delete_all", "arguments": {}}</tool_call>',
            "no tool named 'delete_all'",
        ),
        ('<tool_call>"get_weather"</tool_call>', "must be a JSON object, not a string"),
        (
            '<tool_call>{"name": "get_weather", "arguments": {"x": NaN}}</tool_call>',
            "not valid JSON",
        ),
        ('{"name": "delete_all", "arguments": {}}', "no tool named"),
        ('{"arguments": {"city": "Paris"}}', 'no "name"'),
        ("<tool_call>" + "[" * 5000 + "]" * 5000 + "</tool_call>", "nested too deeply"),
    ],
)
def test_invalid_calls_become_format_errors(text: str, reason: str) -> None:
    parsed = parse_tool_calls(text, TOOLS)
    assert parsed.calls == []
    assert len(parsed.errors) == 1
    assert reason in parsed.errors[0]
    assert "<tool_call>" in parsed.errors[0]  # the message shows the model the expected form


def test_valid_and_invalid_calls_in_one_reply() -> None:
    text = (
        '<tool_call>{"name": "get_weather", "arguments": {"city": "A"}}</tool_call>'
        "<tool_call>{broken</tool_call>"
        '<tool_call>{"name": "list_files", "arguments": {}}</tool_call>'
    )
    parsed = parse_tool_calls(text, TOOLS)
    assert [(c.id, c.tool) for c in parsed.calls] == [
        ("call_0", "get_weather"),
        ("call_1", "list_files"),
    ]
    assert len(parsed.errors) == 1
    assert parsed.errors[0].startswith("call 2 ")


def test_error_snippet_is_short() -> None:
    text = '<tool_call>{"name": "x", "arguments": {"data": "' + "a" * 5000 + '"}}</tool_call>'
    (error,) = parse_tool_calls(text, TOOLS).errors
    assert len(error) < 400


def test_render_refuses_content_in_json_styles() -> None:
    call = ToolCall(id="1", tool="list_files")
    with pytest.raises(ValueError, match="cannot carry content"):
        render_tool_calls([call], content="hi", style="json")


# ---------------------------------------------------------------- fuzzing

_names = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-",
    min_size=1,
    max_size=20,
)
_json_values: st.SearchStrategy[JsonValue] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=8,
)
_arguments = st.dictionaries(st.text(max_size=10), _json_values, max_size=4)
_calls = st.lists(
    st.builds(lambda name, args: ToolCall(id="x", tool=name, arguments=args), _names, _arguments),
    min_size=1,
    max_size=4,
)
_content = (
    st.text(max_size=40)
    .map(str.strip)
    .filter(lambda t: "<tool_call>" not in t and "</tool_call>" not in t)
)


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=300))
def test_fuzz_arbitrary_text_never_raises(text: str) -> None:
    parse_tool_calls(text, TOOLS)
    parse_tool_calls(text, None)


_fragments = st.sampled_from(
    [
        "<tool_call>",
        "</tool_call>",
        "{",
        "}",
        "[",
        "]",
        '"name"',
        '"arguments"',
        ":",
        ",",
        '"get_weather"',
        "```json\n",
        "```",
        "\n",
        " ",
        '"{}"',
        "null",
        "1e999",
        "NaN",
        '"\\u0000"',
        "\\",
    ]
)


@settings(max_examples=200, deadline=None)
@given(parts=st.lists(_fragments | st.text(max_size=5), max_size=30))
def test_fuzz_markup_soup_never_raises(parts: list[str]) -> None:
    parsed = parse_tool_calls("".join(parts), TOOLS)
    assert all(isinstance(e, str) and e for e in parsed.errors)


@settings(max_examples=60, deadline=None)
@given(calls=_calls, style=st.sampled_from(STYLES))
def test_fuzz_round_trip_every_style(calls: list[ToolCall], style: CallStyle) -> None:
    parsed = parse_tool_calls(render_tool_calls(calls, style=style), None)
    assert parsed.errors == []
    assert [(c.tool, c.arguments) for c in parsed.calls] == [(c.tool, c.arguments) for c in calls]
    assert [c.id for c in parsed.calls] == [f"call_{i}" for i in range(len(calls))]


@settings(max_examples=60, deadline=None)
@given(calls=_calls, content=_content)
def test_fuzz_round_trip_hermes_with_content(calls: list[ToolCall], content: str) -> None:
    text = render_tool_calls(calls, content=content, style="hermes")
    parsed = parse_tool_calls(text, [ToolSpec(name=c.tool, server="s") for c in calls])
    assert parsed.content == content
    assert [(c.tool, c.arguments) for c in parsed.calls] == [(c.tool, c.arguments) for c in calls]


@settings(max_examples=40, deadline=None)
@given(calls=_calls)
def test_fuzz_round_trip_arguments_as_strings(calls: list[ToolCall]) -> None:
    blocks = [
        "<tool_call>"
        + json.dumps({"name": c.tool, "arguments": json.dumps(c.arguments)})
        + "</tool_call>"
        for c in calls
    ]
    parsed = parse_tool_calls("\n".join(blocks), None)
    assert [(c.tool, c.arguments) for c in parsed.calls] == [(c.tool, c.arguments) for c in calls]


PIECES = ["```", "``", " ", "\t", "\n", "json", "<tool_call>", "</tool_call>", "{", "}", "[", "]"]
PIECES += ['"', ":", ",", "\\", '"name"', '"arguments"', '"f"', "1", "null", "NaN", "1e999", "é"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(PIECES), max_size=80).map("".join) | st.text(max_size=200))
def test_the_parser_never_raises(text: str) -> None:
    reply = parse_tool_calls(text, TOOLS)
    assert isinstance(reply, ParsedReply)
    assert {call.tool for call in reply.calls} <= {tool.name for tool in TOOLS}
    assert all(error.startswith("call ") for error in reply.errors)


ADVERSARIAL = {  # each took quadratic or worse time (or raised) in some parser before this one
    "fence then spaces": lambda n: "```" + " " * n + "a```x",
    "fenced call then spaces": lambda n: "<tool_call>```json" + " \t" * n + "```x</tool_call>",
    "open tags": lambda n: "<tool_call>" * n,
    "close tags": lambda n: "</tool_call>" * n,
    "fences": lambda n: "```" * n,
    "nested arrays": lambda n: "<tool_call>" + "[" * n,
    "nested objects": lambda n: (
        '{"name": "list_files", "arguments": ' + '{"a": ' * n + "1" + "}" * n + "}"
    ),
}


@pytest.mark.timeout(60)  # a guard, not a measurement: quadratic time here takes hours
@pytest.mark.parametrize("build", ADVERSARIAL.values(), ids=ADVERSARIAL.keys())
def test_the_parser_is_linear_on_adversarial_replies(build: Callable[[int], str]) -> None:
    for n in (256, 1_000, 30_000):
        text = build(n)
        reply = parse_tool_calls(text, TOOLS)
        assert isinstance(reply, ParsedReply)
        assert not reply.calls or reply.errors == []
