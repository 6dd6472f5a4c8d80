"""Older episode formats brought up to the current one while parsing (`Episode.from_json`).

`UPGRADES` is an ordered tuple of steps numbered 2, 3, ...: step N takes the JSON data of an
episode of format N-1 to format N. Stored JSON is never rewritten: the store and JSONL files
keep what was written, and every reader upgrades it as it parses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pydantic import JsonValue

Data = dict[str, JsonValue]


@dataclass(frozen=True)
class Upgrade:
    """One step of the episode format: it takes an episode from `version - 1` to `version`."""

    version: int
    description: str
    apply: Callable[[Data], Data]


def _to_2(data: Data) -> Data:
    """Messages gain `parts`. A version-1 tool message kept only the text blocks of its result
    (images, audio, resources and resource links were dropped before they were recorded), so
    there is nothing to recover: its parts are empty and its `content` is what the model read."""
    messages = data.get("messages")
    if isinstance(messages, list):
        data["messages"] = [
            {**message, "parts": []}
            if isinstance(message, dict) and "parts" not in message
            else message
            for message in messages
        ]
    return data


def _to_3(data: Data) -> Data:
    """Episodes gain `notices`. Version 2 recorded none of what servers logged, reported or
    asked of the client, so there are none to recover."""
    data.setdefault("notices", [])
    return data


UPGRADES: tuple[Upgrade, ...] = (
    Upgrade(
        version=2,
        description="tool messages keep every content block of their result (`Message.parts`)",
        apply=_to_2,
    ),
    Upgrade(
        version=3,
        description="server log messages, progress, sampling and elicitation (`notices`)",
        apply=_to_3,
    ),
)


def upgrade(data: Data, newest: int) -> Data:
    """The JSON data of an episode of an older format, brought to format `newest` (data that
    says no version, or a version that is not older, is returned as it is)."""
    version = data.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool):
        return data
    for step in UPGRADES:
        if version < step.version <= newest:
            data = step.apply(data)
            version = step.version
    data["format_version"] = version
    return data
