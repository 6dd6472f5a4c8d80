"""Conversations as backends take them: tool schemas, text-mode rendering of tools and calls,
a ChatML template with tools, and prompt building with a tokenizer's chat template.

Text mode is one format throughout (Hermes / Qwen2.5 conventions): the tools are listed in the
system prompt inside `<tools>`, the model answers with `<tool_call>` blocks, and tool results come
back in a user turn inside `<tool_response>` blocks. `CHATML_TOOLS_TEMPLATE` renders exactly what
`text_mode_messages` followed by a plain ChatML template renders, so a model sees the same prompt
whether tools go through its template or through the system prompt.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment
from pydantic import JsonValue
from toolmaster.agent._parse import render_tool_calls
from toolmaster.core import Message, ToolSpec, UserError

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

__all__ = [
    "CHATML_TOOLS_TEMPLATE",
    "ChatInput",
    "chat_input",
    "render_prompt",
    "render_tools_prompt",
    "supports_tools",
    "text_mode_messages",
    "tool_schema",
]

_TOOLS_HEAD = "# Tools\n<tools>\n"
_TOOLS_TAIL = (
    "</tools>\n"
    "Call tools with one block per call:\n"
    "<tool_call>\n"
    '{"name": <tool>, "arguments": <JSON object>}\n'
    "</tool_call>"
)

_SIGNATURES = (
    "{%- macro tm_type(s) -%}"
    "{%- if s is not mapping -%}any"
    "{%- elif s.enum is defined -%}{{- s.enum | map('tojson') | join('|') -}}"
    "{%- elif s.anyOf is defined or s.oneOf is defined -%}"
    "{%- for o in (s.anyOf if s.anyOf is defined else s.oneOf) -%}"
    "{%- if not loop.first -%}|{%- endif -%}{{- tm_type(o) -}}{%- endfor -%}"
    "{%- elif s.type is defined and s.type is not string -%}{{- s.type | join('|') -}}"
    "{%- elif s.type == 'array' -%}"
    "array{%- if s['items'] is defined -%}[{{- tm_type(s['items']) -}}]{%- endif -%}"
    "{%- elif s.properties is defined -%}{{- '{' -}}"
    "{%- for key, p in s.properties.items() -%}"
    "{%- if not loop.first -%}{{- ', ' -}}{%- endif -%}{{- key + ': ' + tm_type(p) -}}"
    "{%- endfor -%}{{- '}' -}}"
    "{%- elif s.type is defined -%}{{- s.type -}}"
    "{%- else -%}any{%- endif -%}"
    "{%- endmacro -%}"
    "{%- macro tm_tool(tool) -%}"
    "{%- set f = tool.function if tool.function is defined else tool -%}"
    "{%- set p = f.parameters if f.parameters is defined and f.parameters is mapping else {} -%}"
    "{%- set props = p.properties if p.properties is defined else {} -%}"
    "{%- set required = p.required if p.required is defined else [] -%}"
    "{{- f.name + '(' -}}"
    "{%- for key, s in props.items() -%}"
    "{%- if not loop.first -%}{{- ', ' -}}{%- endif -%}"
    "{{- key + ('' if key in required else '?') + ': ' + tm_type(s) -}}"
    "{%- if s is mapping and s.default is defined -%}"
    "{{- ' = ' + s.default | tojson -}}"
    "{%- endif -%}"
    "{%- endfor -%}"
    "{{- ')' -}}"
    "{%- if f.description -%}{{- ': ' + f.description -}}{%- endif -%}"
    "{%- set ns = namespace(first=true) -%}"
    "{%- for key, s in props.items() -%}"
    "{%- if s is mapping and s.description -%}"
    "{{- (' Args: ' if ns.first else '; ') + key + ': ' + s.description -}}"
    "{%- set ns.first = false -%}"
    "{%- endif -%}"
    "{%- endfor -%}"
    "{%- endmacro -%}"
)
"""Jinja macros that write a tool as one line: `name(arg: type, opt?: type = default):
description Args: arg: what it is; ...` (the JSON schema's types, enums, defaults and
descriptions, without its boilerplate keys)."""


def _jinja_string(text: str) -> str:
    return json.dumps(text)


_TOOLS_SECTION = (
    "{{- " + _jinja_string(_TOOLS_HEAD) + " -}}"
    "{%- for tool in tools -%}{{- tm_tool(tool) -}}{{- '\\n' -}}{%- endfor -%}"
    "{{- " + _jinja_string(_TOOLS_TAIL) + " -}}"
)

CHATML_TOOLS_TEMPLATE = (
    _SIGNATURES + "{%- set system = messages[0].content "
    "if messages and messages[0].role == 'system' else none -%}"
    "{%- if tools -%}"
    "{{- '<|im_start|>system\\n' -}}"
    "{%- if system -%}{{- system + '\\n\\n' -}}{%- endif -%}"
    + _TOOLS_SECTION
    + "{{- '<|im_end|>\\n' -}}"
    "{%- elif system is not none -%}"
    "{{- '<|im_start|>system\\n' + system + '<|im_end|>\\n' -}}"
    "{%- endif -%}"
    "{%- for message in messages -%}"
    "{%- if loop.first and message.role == 'system' -%}"
    "{%- elif message.role == 'assistant' -%}"
    "{{- '<|im_start|>assistant\\n' + (message.content or '') -}}"
    "{%- for call in message.tool_calls or [] -%}"
    "{%- set function = call.function if call.function is defined else call -%}"
    "{%- if message.content or not loop.first -%}{{- '\\n' -}}{%- endif -%}"
    "{{- '<tool_call>\\n{\"name\": ' + (function.name | tojson) + ', \"arguments\": ' -}}"
    "{%- if function.arguments is string -%}{{- function.arguments -}}"
    "{%- else -%}{{- function.arguments | tojson -}}{%- endif -%}"
    "{{- '}\\n</tool_call>' -}}"
    "{%- endfor -%}"
    "{{- '<|im_end|>\\n' -}}"
    "{%- elif message.role == 'tool' -%}"
    "{%- if loop.first or messages[loop.index0 - 1].role != 'tool' -%}"
    "{{- '<|im_start|>user\\n' -}}"
    "{%- else -%}{{- '\\n' -}}{%- endif -%}"
    "{{- '<tool_response>\\n' + (message.content or '') + '\\n</tool_response>' -}}"
    "{%- if loop.last or messages[loop.index0 + 1].role != 'tool' -%}"
    "{{- '<|im_end|>\\n' -}}"
    "{%- endif -%}"
    "{%- else -%}"
    "{{- '<|im_start|>' + message.role + '\\n' + (message.content or '') + '<|im_end|>\\n' -}}"
    "{%- endif -%}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{- '<|im_start|>assistant\\n' -}}{%- endif -%}"
)
"""A ChatML chat template (SmolLM2, Qwen, Hermes tokens) that takes `tools`: give it to a tokenizer
whose own template has no tool support (`tokenizer.chat_template = CHATML_TOOLS_TEMPLATE`), or to
an OpenAI-compatible server (`vllm serve --chat-template`)."""


def tool_schema(tool: ToolSpec) -> dict[str, JsonValue]:
    """A tool in the OpenAI function format that chat templates and servers take."""
    function: dict[str, JsonValue] = {"name": tool.name, "description": tool.description}
    function["parameters"] = dict(tool.input_schema)
    return {"type": "function", "function": function}


@dataclass(frozen=True)
class ChatInput:
    """A conversation as chat templates, OpenAI-compatible servers and trl take it."""

    messages: list[dict[str, JsonValue]]
    tools: list[dict[str, JsonValue]]
    """The tool schemas (`tool_schema`), in the order the model is offered them."""


def chat_input(
    messages: Sequence[Message], tools: Sequence[ToolSpec], *, wire: bool = False
) -> ChatInput:
    """The one rendering of a conversation that inference (the policies), SFT rows and GRPO
    rollouts share: messages as role/content dicts (tool results as `tool` messages, calls as
    `tool_calls`) and the offered tools as schemas. `wire=True` gives tool-call arguments as JSON
    text (the OpenAI wire format, and what datasets store), which ToolMaster's template writes
    verbatim where it writes an arguments object with `tojson`: both render the same bytes."""
    render = Message.to_openai if wire else Message.to_chat
    return ChatInput(
        messages=[render(message) for message in messages],
        tools=[tool_schema(tool) for tool in tools],
    )


def render_tools_prompt(tools: Sequence[ToolSpec]) -> str:
    """The system-prompt section that lists the tools and says how to call them (text mode):
    the same Jinja as `CHATML_TOOLS_TEMPLATE`'s tools section, so the two cannot drift."""
    return _tools_section().render(tools=[tool_schema(tool) for tool in tools])


@functools.cache
def _tools_section() -> jinja2.Template:
    """The tools section, compiled as transformers compiles chat templates (a sandbox with
    `trim_blocks`, `lstrip_blocks` and its `tojson`)."""
    environment = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    environment.filters["tojson"] = _tojson
    return environment.from_string(_SIGNATURES + _TOOLS_SECTION)


def _tojson(
    value: object,
    ensure_ascii: bool = False,
    indent: int | None = None,
    separators: tuple[str, str] | None = None,
    sort_keys: bool = False,
) -> str:
    """transformers' `tojson` filter for chat templates (Jinja's own escapes HTML)."""
    return json.dumps(
        value, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys
    )


def text_mode_messages(
    messages: Sequence[Message], tools: Sequence[ToolSpec]
) -> list[dict[str, JsonValue]]:
    """The conversation as plain role/content messages, with tools, calls and results as text.

    The tools go into the first system message (one is added when there is none), assistant calls
    become `<tool_call>` blocks, and each run of tool results becomes one user message of
    `<tool_response>` blocks. Any chat template renders the result.
    """
    out: list[dict[str, JsonValue]] = []
    rest = list(messages)
    system = rest.pop(0).content if rest and rest[0].role == "system" else None
    if tools:
        head = f"{system}\n\n" if system else ""
        out.append({"role": "system", "content": head + render_tools_prompt(tools)})
    elif system is not None:
        out.append({"role": "system", "content": system})
    previous_was_tool = False
    for message in rest:
        if message.role == "tool":
            block = f"<tool_response>\n{message.content or ''}\n</tool_response>"
            if previous_was_tool:
                out[-1]["content"] = f"{out[-1]['content']}\n{block}"
            else:
                out.append({"role": "user", "content": block})
        elif message.role == "assistant":
            text = render_tool_calls(message.tool_calls, content=message.content)
            out.append({"role": "assistant", "content": text})
        else:
            out.append({"role": message.role, "content": message.content or ""})
        previous_was_tool = message.role == "tool"
    return out


def supports_tools(template: str) -> bool:
    """Whether a chat template renders a `tools` argument (a heuristic: it mentions `tools`)."""
    return "tools" in template


def render_prompt(
    tokenizer: PreTrainedTokenizerBase,
    messages: Sequence[Message],
    tools: Sequence[ToolSpec],
    *,
    chat_template: str | None = None,
) -> str:
    """The prompt text for the next assistant turn.

    A template that supports tools gets the conversation and the tool schemas as they are;
    any other gets the text-mode rendering (`text_mode_messages`).
    """
    tok: Any = tokenizer  # transformers is only partly typed
    template = chat_template or cast(str | None, tok.chat_template)
    if not template:
        raise UserError("the tokenizer has no chat template: pass chat_template=...")
    if supports_tools(template):
        chat = chat_input(messages, tools)
        conversation, schemas = chat.messages, chat.tools or None
    else:
        conversation, schemas = text_mode_messages(messages, tools), None
    rendered: object = tok.apply_chat_template(
        conversation,
        tools=schemas,
        chat_template=template,
        tokenize=False,
        add_generation_prompt=True,
    )
    if not isinstance(rendered, str):
        raise TypeError(f"chat template rendered {type(rendered).__name__}, expected str")
    return rendered
