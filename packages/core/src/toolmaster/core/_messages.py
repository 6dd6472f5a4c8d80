"""Chat messages in the OpenAI shape, with the tool calls ToolMaster records on them."""

from __future__ import annotations

import json
from typing import Literal

from pydantic import Field, JsonValue
from toolmaster.core._base import Record, empty_list
from toolmaster.core._content import MAX_KEPT_BYTES, ContentPart
from toolmaster.core._tools import ToolCall

Role = Literal["system", "user", "assistant", "tool"]


class Usage(Record):
    """Token counts of one model turn, or summed over an episode."""

    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
        )


class Message(Record):
    """One chat message. `tool_calls` only on assistant messages; `tool_call_id`, `name` and
    `parts` only on tool messages (the result of the call with that id)."""

    role: Role
    content: str | None = None
    tool_calls: list[ToolCall] = Field(default_factory=empty_list)
    tool_call_id: str | None = None
    name: str | None = None
    """For tool messages: the tool that produced it."""
    usage: Usage | None = None
    """For assistant messages: the tokens this turn cost."""
    parts: list[ContentPart] = Field(default_factory=empty_list)
    """For tool messages whose result was not text only: every content block of the result, in
    order (binary data kept up to a cap); `content` is their text rendering, what a text-only
    model read. Empty otherwise: `content` says it all."""

    def kept(self, cap: int = MAX_KEPT_BYTES) -> Message:
        """The message with the binary data of its parts over `cap` bytes dropped (each such
        part says `omitted`); the same message when there is none."""
        if not any(part.kept(cap) is not part for part in self.parts):
            return self
        return self.model_copy(update={"parts": [part.kept(cap) for part in self.parts]})

    def to_chat(self) -> dict[str, JsonValue]:
        """The message as chat templates and OpenAI-compatible APIs take it.

        Tool-call arguments stay objects (what `transformers` chat templates expect); use
        `to_openai()` for the wire format with arguments as JSON strings.
        """
        out: dict[str, JsonValue] = {"role": self.role, "content": self.content or ""}
        if self.tool_calls:
            out["tool_calls"] = [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.tool, "arguments": call.arguments},
                }
                for call in self.tool_calls
            ]
        if self.tool_call_id is not None:
            out["tool_call_id"] = self.tool_call_id
        if self.name is not None and self.role == "tool":
            out["name"] = self.name
        return out

    def to_openai(self) -> dict[str, JsonValue]:
        """The message in the OpenAI chat-completions wire format."""
        out = self.to_chat()
        calls = out.get("tool_calls")
        if isinstance(calls, list):
            for call in calls:
                assert isinstance(call, dict)
                function = call["function"]
                assert isinstance(function, dict)
                function["arguments"] = json.dumps(function["arguments"], ensure_ascii=False)
        return out
