"""Server specs from `mcpServers` JSON: shapes, expansion, malformed input, secret redaction."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from toolmaster.core import UserError
from toolmaster.mcp import (
    BundledServerSpec,
    HttpServerSpec,
    StdioServerSpec,
    parse_server,
    servers_from_dict,
    servers_from_file,
)

CLAUDE = {
    "mcpServers": {
        "files": {
            "command": "npx",
            "args": ["-y", "@modelcontextprotocol/server-filesystem", "${HOME}/docs"],
            "env": {"API_KEY": "${API_KEY}", "LEVEL": "${LEVEL:-info}", "PORT": 8080},
            "cwd": "/tmp",
        },
        "remote": {
            "url": "https://example.com/mcp",
            "headers": {"Authorization": "Bearer ${TOKEN}"},
        },
        "weather": {"env": "weather", "seed": 3, "version": "v2"},
        "jokes": "bundled:jokes",
        "off": {"command": "nothing", "disabled": True},
    }
}
ENV = {"HOME": "/home/ada", "API_KEY": "sk-secret-123", "TOKEN": "tok-456789"}


def test_claude_desktop_shape() -> None:
    specs = servers_from_dict(CLAUDE, environ=ENV)
    assert [s.name for s in specs] == ["files", "remote", "weather", "jokes"]
    files, remote, weather, jokes = specs
    assert isinstance(files, StdioServerSpec)
    assert files.command == "npx"
    assert files.args == ("-y", "@modelcontextprotocol/server-filesystem", "/home/ada/docs")
    env = {k: v.get_secret_value() for k, v in files.env.items()}
    assert env == {"API_KEY": "sk-secret-123", "LEVEL": "info", "PORT": "8080"}
    assert files.cwd == "/tmp"
    assert isinstance(remote, HttpServerSpec)
    assert remote.headers["Authorization"].get_secret_value() == "Bearer tok-456789"
    assert weather == BundledServerSpec(name="weather", environment="weather", seed=3, version="v2")
    assert jokes == BundledServerSpec(name="jokes", environment="jokes")


def test_vscode_shapes_and_types() -> None:
    data = {
        "servers": {
            "a": {"type": "stdio", "command": "python", "args": ["-m", "srv"]},
            "b": {"type": "http", "url": "http://127.0.0.1:9/mcp"},
            "c": {"type": "streamable-http", "url": "https://x.test/mcp"},
        }
    }
    kinds = [s.kind for s in servers_from_dict(data)]
    assert kinds == ["stdio", "http", "http"]
    nested = {"mcp": {"servers": {"a": {"command": "python"}}}}
    assert [s.name for s in servers_from_dict(nested)] == ["a"]


def test_legacy_sse_by_type_or_by_a_url_ending_in_sse() -> None:
    data = {
        "mcpServers": {
            "typed": {"type": "sse", "url": "https://x.test/events", "headers": {"K": "v"}},
            "by_url": {"url": "http://127.0.0.1:9/sse/"},
            "told_http": {"type": "http", "url": "http://127.0.0.1:9/sse"},
            "plain": {"url": "http://127.0.0.1:9/mcp"},
        }
    }
    specs = servers_from_dict(data)
    assert all(isinstance(s, HttpServerSpec) for s in specs)
    transports = [s.transport for s in specs if isinstance(s, HttpServerSpec)]
    assert transports == ["sse", "sse", "streamable-http", "streamable-http"]


def test_expansion_rules() -> None:
    environ = {"SET": "v", "EMPTY": ""}
    spec = parse_server(
        "s",
        {
            "command": "run",
            "args": ["${SET}", "${env:SET}", "${EMPTY:-d}", "${EMPTY}", "$${SET}", "${NO:-}"],
        },
        environ=environ,
    )
    assert isinstance(spec, StdioServerSpec)
    assert spec.args == ("v", "v", "d", "", "${SET}", "")


def test_bundled_over_stdio() -> None:
    spec = parse_server("w", {"env": "weather", "transport": "stdio", "task": "weather/test/0001"})
    assert spec == BundledServerSpec(
        name="w", environment="weather", transport="stdio", task="weather/test/0001"
    )


def test_file_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "mcp.json"
    path.write_text(json.dumps(CLAUDE))
    assert [s.name for s in servers_from_file(path, environ=ENV)] == [
        "files",
        "remote",
        "weather",
        "jokes",
    ]


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        ({"args": ["x"]}, ["'bad'", "needs 'command'"]),
        ({"command": ""}, ["'bad'", "'command'", "must not be empty"]),
        ({"command": ["python"]}, ["'bad'", "'command'", "must be a string"]),
        ({"command": "x", "args": "a b"}, ["'bad'", "'args'", "list of strings"]),
        ({"command": "x", "args": ["ok", {"no": 1}]}, ["'bad'", "'args[1]'"]),
        ({"command": "x", "env": ["A=1"]}, ["'bad'", "'env'", "object"]),
        ({"command": "x", "env": {"K": None}}, ["'bad'", "'env.K'", "required"]),
        ({"command": "x", "comand": "y"}, ["'bad'", "'comand'", "not a known field"]),
        ({"command": "x", "url": "http://a"}, ["'bad'", "'url'"]),
        ({"url": "ftp://a"}, ["'bad'", "'url'", "http://"]),
        ({"url": "http://a", "headers": "x"}, ["'bad'", "'headers'"]),
        ({"type": "sse"}, ["'bad'", "'url'", "is required"]),
        ({"type": "sse", "url": "ws://a/sse"}, ["'bad'", "'url'", "http://"]),
        (
            {"url": "http://a/sse", "cwd": "/"},
            ["'bad'", "'cwd'", "not a known field of a legacy SSE"],
        ),
        ({"type": "sse", "url": "http://a", "sandbox": {}}, ["'sandbox'", "cannot be sandboxed"]),
        ({"type": "carrier-pigeon"}, ["'bad'", "'type'", "unknown transport", "'sse'"]),
        ({"env": "weather", "seed": "3"}, ["'bad'", "'seed'", "integer"]),
        ({"env": "weather", "transport": "http"}, ["'bad'", "'transport'"]),
        ({"command": "${MISSING}"}, ["'bad'", "'command'", "${MISSING} is not set"]),
        ({"command": "${input:pw}"}, ["'bad'", "'command'", "unsupported reference"]),
        ("weather", ["'bad'", "bundled:<environment>"]),
        ("bundled:", ["'bad'", "bundled:<environment>"]),
        (42, ["'bad'", "must be an object"]),
    ],
)
def test_malformed_entries_name_server_and_field(entry: Any, words: list[str]) -> None:
    with pytest.raises(UserError) as info:
        servers_from_dict({"mcpServers": {"bad": entry}}, environ={})
    for word in words:
        assert word in str(info.value)


@pytest.mark.parametrize(
    ("document", "words"),
    [
        ({"servers_typo": {}}, ["no 'mcpServers'"]),
        ({"mcpServers": []}, ["must be an object"]),
        ({"mcpServers": {"": {"command": "x"}}}, ["non-empty string"]),
    ],
)
def test_malformed_documents(document: dict[str, Any], words: list[str]) -> None:
    with pytest.raises(UserError) as info:
        servers_from_dict(document)
    for word in words:
        assert word in str(info.value)


def test_bad_files(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="cannot read"):
        servers_from_file(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text('{"mcpServers": {,}}')
    with pytest.raises(UserError, match=r"broken\.json: not valid JSON \(line 1"):
        servers_from_file(broken)
    listed = tmp_path / "list.json"
    listed.write_text("[]")
    with pytest.raises(UserError, match="top level must be a JSON object"):
        servers_from_file(listed)


def test_missing_variable_without_environ_says_so() -> None:
    with pytest.raises(UserError, match="no environment was given"):
        parse_server("s", {"command": "${TOOL_HOME}/run"})


def test_secrets_never_in_repr_or_serialization() -> None:
    secrets = ["sk-secret-123", "tok-456789", "hunter22"]
    with_password = HttpServerSpec(name="pw", url="https://ada:hunter22@example.com/mcp")
    specs = [*servers_from_dict(CLAUDE, environ=ENV), with_password]
    for spec in specs:
        shown = [
            repr(spec),
            str(spec),
            spec.model_dump_json(),
            json.dumps(spec.model_dump(mode="json")),
        ]
        for text in shown:
            for secret in secrets:
                assert secret not in text
    files = specs[0]
    assert "**********" in files.model_dump_json()
    assert "ada:***@example.com" in specs[-1].model_dump_json()
    assert "ada:***@example.com" in repr(specs[-1])
    assert specs[-1].secrets() == {"url password": "hunter22"}
    assert files.secrets() == {"API_KEY": "sk-secret-123", "LEVEL": "info", "PORT": "8080"}


def test_expanded_variables_are_named_secrets() -> None:
    spec = parse_server(
        "s",
        {"command": "run", "args": ["--token", "${TOKEN}", "--tz", "${TZ:-UTC}"]},
        environ=ENV,
    )
    assert spec is not None
    assert spec.secrets() == {"TOKEN": "tok-456789"}  # a default is not a secret
    assert "tok-456789" not in repr(spec) + spec.model_dump_json()
    remote = parse_server(
        "r",
        {"url": "https://x.example/mcp?key=${API_KEY}", "headers": {"X": "${TOKEN}"}},
        environ=ENV,
    )
    assert remote is not None
    assert remote.secrets() == {
        "API_KEY": "sk-secret-123",
        "TOKEN": "tok-456789",
        "X": "tok-456789",
    }
