"""The trial policy: rules by glob, the config's `"trial"` and `"sandbox"`, and precedence."""

from __future__ import annotations

from typing import Any

import pytest
from toolmaster.core import ToolAnnotations, ToolSpec, UserError
from toolmaster.mcp import (
    HttpServerSpec,
    StdioServerSpec,
    TrialPolicy,
    TrialRule,
    parse_trial_rule,
    servers_from_dict,
)


def tool(name: str, server: str = "sqlite", *, read_only: bool = False) -> ToolSpec:
    return ToolSpec(
        name=name,
        server=server,
        input_schema={"type": "object"},
        annotations=ToolAnnotations(read_only_hint=read_only or None),
    )


def parse(entry: dict[str, Any], name: str = "sqlite") -> Any:
    (spec,) = servers_from_dict({"mcpServers": {name: entry}}, source="mcp.json")
    return spec


def test_a_glob_matches_the_bare_name_or_server_dot_tool() -> None:
    assert TrialRule("read_*", "allow").matches("sqlite", "read_query")
    assert TrialRule("sqlite.*", "allow").matches("sqlite", "write_query")
    assert not TrialRule("memory.*", "allow").matches("sqlite", "write_query")
    assert TrialRule("*", "refuse").matches("sqlite", "anything")
    assert not TrialRule("Read_*", "allow").matches("sqlite", "read_query")  # case-sensitive


def test_command_line_rules_parse_and_bad_ones_are_named() -> None:
    assert parse_trial_rule("sqlite.read_*=allow") == TrialRule("sqlite.read_*", "allow")
    assert parse_trial_rule(" delete_* = sandbox ") == TrialRule("delete_*", "sandbox")
    with pytest.raises(UserError, match="--trial-policy: expected GLOB=allow"):
        parse_trial_rule("read_query")
    with pytest.raises(UserError, match="--trial-policy: expected GLOB"):
        parse_trial_rule("=allow")
    with pytest.raises(UserError, match="must be allow, refuse or sandbox, not 'yes'"):
        parse_trial_rule("*=yes")


def test_the_default_allows_read_only_tools_and_sandboxes_the_others() -> None:
    policy = TrialPolicy()
    assert policy.action(tool("read_query", read_only=True)) == "allow"
    assert policy.action(tool("write_query")) == "sandbox"
    assert policy.action(tool("write_query"), allow_unsafe=True) == "allow"


def test_command_line_over_allow_unsafe_over_config_over_default() -> None:
    config = parse({"command": "x", "trial": {"read_query": "allow", "*": "refuse"}})
    policy = TrialPolicy.of(["delete_*=sandbox"], [config])
    assert policy.action(tool("read_query")) == "allow"  # config: an unannotated read tool
    assert policy.action(tool("write_query")) == "refuse"  # config's catch-all
    assert policy.action(tool("delete_row")) == "sandbox"  # the command line first
    assert policy.action(tool("write_query"), allow_unsafe=True) == "allow"  # over the config
    assert policy.action(tool("delete_row"), allow_unsafe=True) == "sandbox"
    assert policy.action(tool("write_query", server="other")) == "sandbox"  # not its server


def test_the_first_matching_rule_wins_in_the_order_written() -> None:
    policy = TrialPolicy.of(["*=refuse", "read_*=allow"])
    assert policy.action(tool("read_query", read_only=True)) == "refuse"
    policy = TrialPolicy.of(["read_*=allow", "*=refuse"])
    assert policy.action(tool("read_query")) == "allow"


def test_a_tool_renamed_on_a_name_clash_is_matched_by_its_own_name() -> None:
    policy = TrialPolicy.of(["sqlite.read_query=allow"])
    assert policy.action(tool("sqlite__read_query")) == "allow"


def test_the_config_keeps_trial_rules_in_order_and_sandbox_paths() -> None:
    spec = parse(
        {
            "command": "uvx",
            "args": ["mcp-server-sqlite"],
            "trial": {"read_query": "allow", "list_*": "allow", "*": "sandbox"},
            "sandbox": {"paths": ["/srv/db", "${DATA:-/data}"]},
        }
    )
    assert isinstance(spec, StdioServerSpec)
    assert [str(rule) for rule in spec.trial] == ["read_query=allow", "list_*=allow", "*=sandbox"]
    assert spec.sandbox_paths == ("/srv/db", "/data")
    http = parse({"url": "https://x.example/mcp", "trial": {"get_*": "allow"}}, "remote")
    assert isinstance(http, HttpServerSpec)
    assert http.trial == (TrialRule("get_*", "allow"),)
    bundled = parse({"env": "weather", "trial": {"*": "refuse"}}, "weather")
    assert bundled.trial == (TrialRule("*", "refuse"),)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"command": "x", "trial": ["read_*"]}, "field 'trial': must be an object of globs"),
        ({"command": "x", "trial": {"read_*": "yes"}}, "field 'trial.read_\\*': must be \"allow\""),
        ({"command": "x", "trial": {"read_*": True}}, "field 'trial.read_\\*': must be"),
        ({"command": "x", "trial": {" ": "allow"}}, "field 'trial': a glob must be a non-empty"),
        ({"command": "x", "sandbox": ["/srv"]}, "field 'sandbox': must be an object like"),
        ({"command": "x", "sandbox": {"paths": "/srv"}}, "field 'sandbox.paths': must be a list"),
        ({"command": "x", "sandbox": {"paths": [""]}}, "field 'sandbox.paths\\[0\\]': must not"),
        ({"command": "x", "sandbox": {"paths": [3]}}, None),
        ({"command": "x", "sandbox": {"dirs": []}}, "field 'sandbox.dirs': is not a known field"),
        ({"url": "http://h/mcp", "sandbox": {"paths": []}}, "field 'sandbox': an HTTP server runs"),
        ({"env": "weather", "sandbox": {"paths": []}}, "field 'sandbox': a bundled environment is"),
    ],
)
def test_malformed_trial_and_sandbox_entries_name_the_server_and_key(
    entry: dict[str, Any], message: str | None
) -> None:
    if message is None:  # a number is a path's text, as elsewhere in the file
        assert parse(entry).sandbox_paths == ("3",)
        return
    with pytest.raises(UserError, match=f"mcp.json: server 'sqlite', {message}"):
        parse(entry)
