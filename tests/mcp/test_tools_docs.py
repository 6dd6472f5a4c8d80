"""docs/tools.md: its Python snippet runs and prints what it says; its server file parses."""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path
from typing import Any

import anyio
import pytest
from toolmaster.core import ToolSpec
from toolmaster.mcp import (
    BundledServerSpec,
    HttpServerSpec,
    StdioServerSpec,
    TrialPolicy,
    servers_from_dict,
)

pytestmark = pytest.mark.anyio

DOC = Path(__file__).resolve().parents[2] / "docs" / "tools.md"


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC.read_text(), flags=re.DOTALL)


def run_snippet(code: str) -> str:
    out = io.StringIO()
    namespace: dict[str, Any] = {"__name__": "__doc_snippet__"}
    with contextlib.redirect_stdout(out):
        exec(compile(code, str(DOC), "exec"), namespace)  # the snippet runs anyio.run itself
    return out.getvalue()


async def test_the_python_snippet_runs() -> None:
    (snippet,) = blocks("python")
    with anyio.fail_after(20):
        printed = await anyio.to_thread.run_sync(run_snippet, snippet)
    assert printed.splitlines() == [
        "['add']",
        "event: tool_result None",
        "5 None",
        "event: tool_result refused",
        "refused",
    ]


def test_the_server_file_parses() -> None:
    document, _, _ = blocks("json")
    specs = servers_from_dict(json.loads(document), environ={"SEARCH_TOKEN": "tok-123456"})
    time, search, notes, weather, calendar = specs
    assert isinstance(time, StdioServerSpec)
    assert time.args[-1] == "UTC"
    assert isinstance(search, HttpServerSpec)
    assert search.headers["Authorization"].get_secret_value() == "Bearer tok-123456"
    assert search.transport == "streamable-http"
    assert isinstance(notes, HttpServerSpec)
    assert notes.transport == "sse"
    assert weather == BundledServerSpec(name="weather", environment="weather", seed=3)
    assert calendar == BundledServerSpec(name="calendar", environment="calendar")


def test_the_oauth_example_parses_with_the_grants_it_names() -> None:
    _, document, _ = blocks("json")
    secret = "crm-secret-0123456789"
    crm, docs = servers_from_dict(json.loads(document), environ={"CRM_CLIENT_SECRET": secret})
    assert isinstance(crm, HttpServerSpec) and crm.auth is not None
    assert (crm.auth.grant, crm.auth.issuer) == ("client_credentials", "https://auth.example.com")
    assert crm.auth.scopes == ("crm.read",)
    assert secret in crm.secrets().values()
    assert secret not in repr(crm) and secret not in crm.model_dump_json()
    assert isinstance(docs, HttpServerSpec) and docs.auth is not None
    assert (docs.auth.grant, docs.auth.client_id, docs.auth.store) == (
        "authorization_code",
        None,
        "file",
    )


def test_the_trial_policy_example_parses_and_decides_as_it_says() -> None:
    _, _, document = blocks("json")
    sqlite, memory, search = servers_from_dict(json.loads(document))
    assert isinstance(sqlite, StdioServerSpec) and isinstance(memory, StdioServerSpec)
    assert sqlite.sandbox_paths == ("/srv/db",)
    assert memory.sandbox_paths == ("/srv/memory",)

    def tool(name: str, server: str) -> ToolSpec:
        return ToolSpec(name=name, server=server, input_schema={"type": "object"})

    policy = TrialPolicy.of([], [sqlite, memory, search])
    assert policy.action(tool("read_query", "sqlite")) == "allow"
    assert policy.action(tool("write_query", "sqlite")) == "sandbox"
    assert policy.action(tool("search", "search")) == "allow"
    refusing = TrialPolicy.of(["sqlite.*=refuse"], [sqlite])
    assert refusing.action(tool("read_query", "sqlite")) == "refuse"
    unsafe = TrialPolicy.of(["memory.delete_*=refuse"], [memory])
    assert unsafe.action(tool("delete_entities", "memory"), allow_unsafe=True) == "refuse"
    assert unsafe.action(tool("create_entities", "memory"), allow_unsafe=True) == "allow"
