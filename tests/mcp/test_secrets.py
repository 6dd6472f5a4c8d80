"""Secrets given to a server never leave the Toolbox: results, events, tool descriptions,
log lines (with `SecretFilter`) and crash messages read `[secret:NAME]` instead."""

from __future__ import annotations

import logging

import anyio
import pytest
from toolmaster.core import ToolCall
from toolmaster.mcp import SecretFilter, Secrets, Toolbox, ToolEvent, parse_server, scrub

from tests.mcp.servers.memory import raw_spec

pytestmark = pytest.mark.anyio

TOKEN = "tok-live-0123456789abcdef"


async def test_a_result_that_quotes_its_token_is_scrubbed_everywhere(
    caplog: pytest.LogCaptureFixture,
) -> None:
    events: list[ToolEvent] = []
    toolbox = Toolbox([raw_spec("raw", env={"RAW_TOKEN": TOKEN})])
    toolbox.subscribe(events.append)
    caplog.handler.addFilter(SecretFilter())
    caplog.set_level(logging.DEBUG)
    with anyio.fail_after(20):
        async with toolbox:
            result = await toolbox.call(ToolCall(id="1", tool="leak"))
            # Before the fix the raw text reached the result, the events and the log.
            assert result.error_kind == "tool_error"
            assert result.text == "401 Unauthorized: token [secret:RAW_TOKEN] was rejected"
            crashed = await toolbox.call(ToolCall(id="2", tool="crash"))
            assert "fatal: lost my token [secret:RAW_TOKEN]" in crashed.text
    logging.getLogger("httpx").info("GET http://ada:%s@example.com/mcp", TOKEN)
    seen = [str(e.data()) for e in events] + [r.getMessage() for r in caplog.records]
    assert any("[secret:RAW_TOKEN]" in text for text in seen)
    assert not [text for text in seen if TOKEN in text]
    assert any("key=[secret:RAW_TOKEN]" in r.getMessage() for r in caplog.records)  # stderr
    assert scrub(f"error: {TOKEN}") == "error: [secret:RAW_TOKEN]"


async def test_an_expanded_variable_in_the_args_is_a_secret() -> None:
    spec = parse_server(
        "raw",
        {"command": "python", "args": ["--key", "${RAW_KEY}"], "env": {"LEVEL": "debug-all"}},
        environ={"RAW_KEY": TOKEN},
    )
    assert spec is not None
    secrets = Secrets(spec.secrets())
    assert secrets.scrub(f"bad key {TOKEN}; level debug-all") == (
        "bad key [secret:RAW_KEY]; level [secret:LEVEL]"
    )
    assert TOKEN not in repr(spec) + spec.model_dump_json()


def test_short_values_are_left_alone() -> None:
    secrets = Secrets({"PORT": "8080", "FLAG": "true", "KEY": "abcdef"})
    assert secrets.scrub("port 8080 is true, key abcdef") == "port 8080 is true, key [secret:KEY]"


def test_a_secret_inside_another_is_replaced_whole() -> None:
    secrets = Secrets({"SHORT": "secret", "LONG": "secret-and-more"})
    assert secrets.scrub("secret-and-more, secret") == "[secret:LONG], [secret:SHORT]"


def test_two_servers_may_name_different_secrets_alike() -> None:
    one, two = Secrets({"API_KEY": "first-key-123"}), Secrets({"API_KEY": "second-key-456"})
    both = one | two
    assert both.scrub("first-key-123 second-key-456") == "[secret:API_KEY] [secret:API_KEY]"
    assert Secrets({"A": "first-key-123"}, {"A": "second-key-456"}).scrub("second-key-456") == (
        "[secret:A]"
    )
