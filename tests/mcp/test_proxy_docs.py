"""docs/perturbations.md: its snippets run, and its before/after examples are what happens."""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path
from typing import Any

import anyio
import pytest
from toolmaster.mcp import GroupArgs, RenameKeys, RequireArg, servers_from_dict

from tests.mcp.test_proxy_fixture import perturbed

pytestmark = pytest.mark.anyio

DOC = Path(__file__).resolve().parents[2] / "docs" / "perturbations.md"


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC.read_text(), flags=re.DOTALL)


def _run_snippet(code: str) -> str:
    out = io.StringIO()
    namespace: dict[str, Any] = {"__name__": "__doc_snippet__"}
    with contextlib.redirect_stdout(out):
        exec(compile(code, str(DOC), "exec"), namespace)  # the snippet runs anyio.run itself
    return out.getvalue()


async def test_the_python_snippets_run() -> None:
    (snippet,) = _blocks("python")
    with anyio.fail_after(20):
        printed = await anyio.to_thread.run_sync(_run_snippet, snippet)
    assert "Oslo: sunny for 2 day(s)" in printed
    assert "renamed tool 'get_forecast'" in printed


def test_the_config_snippet_is_a_valid_mcp_servers_file() -> None:
    configs = [json.loads(block) for block in _blocks("json") if '"mcpServers"' in block]
    assert configs
    for config in configs:
        (spec,) = servers_from_dict(config)
        assert spec.name == "weather-unfamiliar"


async def test_the_before_and_after_examples_hold() -> None:
    with anyio.fail_after(20):
        async with perturbed(1, "rename") as (renamed, _), perturbed(1, "reorder") as (_, ordered):
            listed = [tool.name for tool in (await ordered.list_tools()).tools]
        async with perturbed(1, "error_wording") as (_, reworded):
            error = await reworded.call_tool("get_forecast", {"city": "Atlantis"})
        async with perturbed(1, "paraphrase,misleading") as (paraphrased, _):
            pass
        async with perturbed(0, "drift") as (drift0, _), perturbed(1, "drift") as (drift1, _):
            pass
        async with perturbed(2, "drift") as (drift2, _):
            pass
    names = {tool.upstream: tool.name for tool in renamed.plan.tools}
    assert names["get_forecast"] == "obtainPrognosis"
    assert names["add_numbers"] == "combine_numbers"
    assert names["search_notes"] == "do_seek_notes"
    forecast = next(t for t in renamed.plan.tools if t.upstream == "get_forecast")
    assert forecast.exposed_names() == {"city": "locale", "days": "horizon", "units": "system"}
    assert listed == ["add_numbers", "get_forecast", "search_notes", "greet", "ping"]
    text = str(error.content[0])
    assert "Request failed (4430) - Problem invoking get_forecast: City is unavailable" in text
    described = next(t for t in paraphrased.plan.tools if t.upstream == "get_forecast")
    assert (described.description or "").startswith(
        "Gives back the temp for the provided days. Obtain the climate outlook for a city."
    )
    assert [h.text for h in described.hints] == [
        "Returns at most 5 results per call.",
        "Defaults to 10.",
    ]
    v2_days = next(t for t in drift0.plan.tools if t.upstream == "get_forecast")
    assert RequireArg(name="horizon", v1_default=1) in v2_days.arg_steps
    v2_group = next(t for t in drift1.plan.tools if t.upstream == "get_forecast")
    assert GroupArgs(group="options", members=["days", "units"]) in v2_group.arg_steps
    keys = next(s for s in v2_group.output_steps if isinstance(s, RenameKeys)).keys
    assert (keys["city"], keys["temperature"]) == ("town", "reading")
    greet = next(t for t in drift2.plan.tools if t.upstream == "greet")
    assert greet.output_steps[-1].model_dump() == {
        "op": "envelope",
        "data_key": "data",
        "version_key": "api_version",
        "version": "2",
    }
