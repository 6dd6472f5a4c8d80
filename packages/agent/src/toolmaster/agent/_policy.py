"""The policy protocol every LLM backend implements, the turn it returns, and its error."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol, runtime_checkable

from pydantic import Field
from toolmaster.agent._parse import parse_tool_calls
from toolmaster.core import (
    Message,
    PolicyInfo,
    Record,
    Sampling,
    ToolCall,
    ToolMasterError,
    ToolSpec,
    Usage,
)

__all__ = ["AssistantTurn", "FinishReason", "Policy", "PolicyError"]

FinishReason = Literal["stop", "length", "tool_calls"]
"""Why generation ended: a natural end or a stop string, the token limit, or (native tool calling
of OpenAI-compatible servers) tool calls."""


class PolicyError(ToolMasterError):
    """The backend failed (network, server error, engine crash), not the model's output.

    A bad generation is never a `PolicyError`: it comes back as format errors on the turn. The agent
    loop attributes this error to the `policy` boundary of the episode.
    """


class AssistantTurn(Record):
    """What a policy produced for one assistant turn."""

    content: str | None = None
    """The text of the reply without tool-call markup; None when there is none."""
    tool_calls: list[ToolCall] = Field(default_factory=list[ToolCall])
    """The valid calls, in order. Their `phase` is left at its default: the loop sets it."""
    usage: Usage = Field(default_factory=Usage)
    """Tokens of this turn: the whole prompt and the completion."""
    format_errors: list[str] = Field(default_factory=list[str])
    """One message per invalid call the model emitted, written to be shown to the model."""
    raw: str | None = None
    """The raw generated text (markup included), when the backend has one."""
    finish_reason: FinishReason | None = None
    latency_s: float = 0.0
    """Wall time of the backend call, queueing for a batch included."""

    @classmethod
    def from_text(
        cls,
        text: str,
        tools: Sequence[ToolSpec],
        *,
        usage: Usage,
        finish_reason: FinishReason | None = None,
        latency_s: float = 0.0,
    ) -> AssistantTurn:
        """The turn of a text-mode model: content and calls parsed from its generated text."""
        parsed = parse_tool_calls(text, tools)
        return cls(
            content=parsed.content or None,
            tool_calls=parsed.calls,
            usage=usage,
            format_errors=parsed.errors,
            raw=text,
            finish_reason=finish_reason,
            latency_s=latency_s,
        )

    def to_message(self) -> Message:
        """The turn as an assistant message of the conversation."""
        return Message(
            role="assistant", content=self.content, tool_calls=self.tool_calls, usage=self.usage
        )


@runtime_checkable
class Policy(Protocol):
    """An LLM backend: given the conversation and the tools on offer, produce one assistant turn.

    Implementations never raise for a bad generation (invalid calls become `format_errors`);
    they raise `PolicyError` when the backend itself fails. They are safe to call concurrently.
    """

    info: PolicyInfo
    """Which model this is, for the episode record."""

    async def complete(
        self, messages: Sequence[Message], tools: Sequence[ToolSpec], sampling: Sampling
    ) -> AssistantTurn:
        """Generate the next assistant turn."""
        ...
