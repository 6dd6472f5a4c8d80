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
from toolmaster.mcp import BundledServerSpec, HttpServerSpec, StdioServerSpec, servers_from_dict

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
    (document,) = blocks("json")
    specs = servers_from_dict(json.loads(document), environ={"SEARCH_TOKEN": "tok-123456"})
    time, search, weather, calendar = specs
    assert isinstance(time, StdioServerSpec)
    assert time.args[-1] == "UTC"
    assert isinstance(search, HttpServerSpec)
    assert search.headers["Authorization"].get_secret_value() == "Bearer tok-123456"
    assert weather == BundledServerSpec(name="weather", environment="weather", seed=3)
    assert calendar == BundledServerSpec(name="calendar", environment="calendar")
