"""Secrets scrubbed from everything ToolMaster records, prints or sends onward.

A secret is a value given to a server: an `env` value, a header value, a password in a URL, and
every `${VAR}` that a config expanded from the environment. Wherever one shows up — a tool
result that quotes its API token, a server's stderr, an error message, a log line — it is
replaced by `[secret:NAME]`. Values shorter than `MIN_SECRET` characters are left alone:
replacing `true` or `8080` everywhere would mangle text without protecting anything.

The Toolbox scrubs every result and message before a subscriber, the agent or a store sees it;
`SecretFilter` does the same for log records (apps install it on their log handlers), with the
secrets of every Toolbox made in the process.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Mapping
from typing import cast

from pydantic import JsonValue
from toolmaster.core import ToolResult

__all__ = ["MIN_SECRET", "SecretFilter", "Secrets", "remember", "scrub"]

MIN_SECRET = 6
"""Secrets shorter than this many characters are not scrubbed."""


class Secrets:
    """Named secret values, and text with them replaced by `[secret:NAME]`."""

    def __init__(self, *named: Mapping[str, str]) -> None:
        """The secrets of each mapping of names to values (two servers may use one name)."""
        self._set([(value, name) for mapping in named for name, value in mapping.items()])

    def _set(self, pairs: list[tuple[str, str]]) -> None:
        by_value: dict[str, str] = {}
        for value, name in pairs:
            if len(value) >= MIN_SECRET:
                by_value.setdefault(value, name)
        # One pass, longest first: a secret containing another is replaced whole, and a
        # marker already written is never scrubbed again.
        self._pairs = sorted(by_value.items(), key=lambda pair: len(pair[0]), reverse=True)
        self._names = dict(self._pairs)
        self._pattern = (
            re.compile("|".join(re.escape(value) for value, _ in self._pairs))
            if self._pairs
            else None
        )

    def add(self, named: Mapping[str, str]) -> None:
        """Add secrets learnt later (an OAuth token): every holder of this object scrubs them
        from then on."""
        fresh = [(value, name) for name, value in named.items() if value not in self._names]
        if fresh:
            self._set([*self._pairs, *fresh])

    def __bool__(self) -> bool:
        return bool(self._pairs)

    def values(self) -> set[str]:
        """The secret values (those long enough to be scrubbed)."""
        return set(self._names)

    def __or__(self, other: Secrets) -> Secrets:
        merged = Secrets()
        merged._set([*self._pairs, *other._pairs])
        return merged

    def scrub(self, text: str) -> str:
        """`text` with every secret replaced by its marker."""
        if self._pattern is None:
            return text
        return self._pattern.sub(lambda match: f"[secret:{self._names[match[0]]}]", text)

    def scrub_json(self, value: JsonValue) -> JsonValue:
        """A JSON value with every string (keys included) scrubbed."""
        if isinstance(value, str):
            return self.scrub(value)
        if isinstance(value, list):
            return [self.scrub_json(item) for item in value]
        if isinstance(value, dict):
            return {self.scrub(k): self.scrub_json(v) for k, v in value.items()}
        return value

    def result(self, result: ToolResult) -> ToolResult:
        """`result` with its content, structured content and error text scrubbed (the same
        object when there is nothing to scrub)."""
        if not self._pairs:
            return result
        content = cast("list[dict[str, JsonValue]]", self.scrub_json(list(result.content)))
        structured = result.structured_content
        clean = {
            "content": content,
            "structured_content": None
            if structured is None
            else cast("dict[str, JsonValue]", self.scrub_json(structured)),
        }
        if clean["content"] == result.content and clean["structured_content"] == structured:
            return result
        return result.model_copy(update=clean)


_lock = threading.Lock()
_known = Secrets()


def remember(secrets: Secrets) -> None:
    """Add secrets to the ones `SecretFilter` and `scrub` remove (for the process's life)."""
    global _known  # noqa: PLW0603 (one registry per process, like logging's own)
    with _lock:
        if not secrets.values() <= _known.values():  # a Toolbox per rollout: mostly known
            _known = _known | secrets


def scrub(text: str) -> str:
    """`text` with every secret a Toolbox of this process was given replaced by its marker
    (for messages that leave the process: a crash message, an error line)."""
    return _known.scrub(text)


class SecretFilter(logging.Filter):
    """A log filter that scrubs every secret a Toolbox of this process was given from each
    record: its message, its arguments and its traceback text. Install it on the handlers
    (`handler.addFilter(SecretFilter())`), so that it sees the records of every logger
    (httpx's request lines, a server's stderr at DEBUG)."""

    def filter(self, record: logging.LogRecord) -> bool:
        known = _known
        if not known:
            return True
        message = record.getMessage()
        clean = known.scrub(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = known.scrub(record.exc_text)
        return True
