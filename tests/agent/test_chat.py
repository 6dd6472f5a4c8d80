"""Prompt building: tool schemas, text mode, and the ChatML template with tools."""

from __future__ import annotations

import pytest
from tokenizers import Tokenizer, models
from toolmaster.agent import (
    CHATML_TOOLS_TEMPLATE,
    parse_tool_calls,
    render_prompt,
    render_tools_prompt,
    text_mode_messages,
    tool_schema,
)
from toolmaster.core import Message, ToolCall, ToolSpec, UserError
from transformers import PreTrainedTokenizerFast

PLAIN_CHATML = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content']"
    " + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}"
    "{{ '<|im_start|>assistant\n' }}{% endif %}"
)
TOOLS = [
    ToolSpec(
        name="get_weather",
        server="weather",
        description="Weather now — in °C",
        input_schema={"type": "object", "properties": {"city": {"type": "string"}}},
    ),
    ToolSpec(name="list_files", server="files"),
]
CONVERSATION = [
    Message(role="system", content="Be brief."),
    Message(role="user", content="Weather in Paris and Rome?"),
    Message(
        role="assistant",
        content="Checking.",
        tool_calls=[
            ToolCall(id="1", tool="get_weather", arguments={"city": "Paris"}),
            ToolCall(id="2", tool="get_weather", arguments={"city": "Rome"}),
        ],
    ),
    Message(role="tool", tool_call_id="1", name="get_weather", content="20C"),
    Message(role="tool", tool_call_id="2", name="get_weather", content="25C"),
    Message(role="assistant", tool_calls=[ToolCall(id="3", tool="list_files")]),
    Message(role="tool", tool_call_id="3", name="list_files", content="a.txt"),
    Message(role="assistant", content="Paris 20C, Rome 25C."),
    Message(role="user", content="Thanks"),
]


@pytest.fixture(scope="module")
def tokenizer() -> PreTrainedTokenizerFast:
    vocab = {"[UNK]": 0}
    return PreTrainedTokenizerFast(
        tokenizer_object=Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    )


def test_tool_schema_is_the_openai_function_format() -> None:
    assert tool_schema(TOOLS[0]) == {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Weather now — in °C",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }


@pytest.mark.parametrize("cut", [1, 2, 3, 5, 8, len(CONVERSATION)])
@pytest.mark.parametrize("tools", [TOOLS, []])
def test_the_tools_template_renders_like_text_mode(
    tokenizer: PreTrainedTokenizerFast, cut: int, tools: list[ToolSpec]
) -> None:
    for messages in (CONVERSATION[:cut], CONVERSATION[1 : cut + 1]):
        native = render_prompt(tokenizer, messages, tools, chat_template=CHATML_TOOLS_TEMPLATE)
        text = render_prompt(tokenizer, messages, tools, chat_template=PLAIN_CHATML)
        assert native == text


def test_text_mode_messages(tokenizer: PreTrainedTokenizerFast) -> None:
    messages = text_mode_messages(CONVERSATION, TOOLS)
    assert [m["role"] for m in messages] == [
        "system",
        "user",
        "assistant",
        "user",
        "assistant",
        "user",
        "assistant",
        "user",
    ]
    system = str(messages[0]["content"])
    assert system.startswith("Be brief.\n\n# Tools")
    assert render_tools_prompt(TOOLS) in system
    assert "\nget_weather(city?: string): Weather now — in °C\nlist_files()\n" in system
    assert (
        messages[3]["content"]
        == "<tool_response>\n20C\n</tool_response>\n<tool_response>\n25C\n</tool_response>"
    )
    calls = parse_tool_calls(str(messages[2]["content"]), TOOLS)
    assert (calls.content, [c.arguments for c in calls.calls]) == (
        "Checking.",
        [{"city": "Paris"}, {"city": "Rome"}],
    )


def test_tools_without_a_system_message_get_one() -> None:
    messages = text_mode_messages(CONVERSATION[1:2], TOOLS)
    assert messages[0] == {"role": "system", "content": render_tools_prompt(TOOLS)}


def test_the_prompt_ends_with_the_assistant_turn(tokenizer: PreTrainedTokenizerFast) -> None:
    prompt = render_prompt(tokenizer, CONVERSATION[:2], TOOLS, chat_template=CHATML_TOOLS_TEMPLATE)
    assert prompt.endswith("Weather in Paris and Rome?<|im_end|>\n<|im_start|>assistant\n")


def test_a_tokenizer_without_a_template_is_a_user_error(tokenizer: PreTrainedTokenizerFast) -> None:
    with pytest.raises(UserError, match="chat template"):
        render_prompt(tokenizer, CONVERSATION[:2], TOOLS)


def test_tools_render_as_one_line_signatures() -> None:
    tool = ToolSpec(
        name="get_forecast",
        server="weather",
        description="Daily forecast.",
        input_schema={
            "type": "object",
            "title": "get_forecastArguments",
            "properties": {
                "city": {"title": "City", "type": "string", "description": "the city key"},
                "day": {"anyOf": [{"type": "integer"}, {"type": "string"}], "default": 0},
                "units": {"enum": ["metric", "imperial"], "default": None},
                "tags": {"type": "array", "items": {"type": "string"}, "description": "labels"},
                "window": {"type": "object", "properties": {"from": {"type": ["integer", "null"]}}},
                "raw": {},
            },
            "required": ["city"],
        },
    )
    assert render_tools_prompt([tool]).splitlines()[2] == (
        'get_forecast(city: string, day?: integer|string = 0, units?: "metric"|"imperial" = null, '
        "tags?: array[string], window?: {from: integer|null}, raw?: any): Daily forecast. "
        "Args: city: the city key; tags: labels"
    )


@pytest.mark.parametrize("tools", [TOOLS, []])
def test_the_template_lists_tools_as_text_mode_does(
    tokenizer: PreTrainedTokenizerFast, tools: list[ToolSpec]
) -> None:
    prompt = render_prompt(tokenizer, CONVERSATION[:2], tools, chat_template=CHATML_TOOLS_TEMPLATE)
    assert (render_tools_prompt(tools) in prompt) == bool(tools)
