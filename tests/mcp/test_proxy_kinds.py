"""One test per kind of perturbation, each through a real proxy over the fixture server."""

from __future__ import annotations

import json
from typing import Any, cast

import anyio
import pytest
from mcp import Client
from mcp_types import CallToolResult, TextContent
from toolmaster.mcp import ToolPerturbation

from tests.mcp.test_proxy_fixture import app, perturbed

pytestmark = pytest.mark.anyio


def _by_upstream(tools: list[ToolPerturbation], name: str) -> ToolPerturbation:
    return next(tool for tool in tools if tool.upstream == name)


def _text(result: CallToolResult) -> str:
    block = result.content[0]
    assert isinstance(block, TextContent)
    return block.text


def _descriptions(schema: dict[str, Any]) -> list[str]:
    """Every description and title keyword in a schema, however deep."""
    found: list[str] = []
    for key, value in schema.items():
        if key in ("description", "title") and isinstance(value, str):
            found.append(value)
        elif isinstance(value, dict):
            found.extend(_descriptions(cast(dict[str, Any], value)))
    return found


async def test_rename_tool() -> None:
    with anyio.fail_after(10):
        async with Client(app) as direct, perturbed(4, "rename_tool") as (proxy, client):
            upstream = {tool.name for tool in (await direct.list_tools()).tools}
            listed = (await client.list_tools()).tools
            forecast = _by_upstream(proxy.plan.tools, "get_forecast")
            old_name = await client.call_tool("get_forecast", {"city": "Oslo"})
            new_name = await client.call_tool(forecast.name, {"city": "Oslo"})
    exposed = {tool.name for tool in listed}
    assert len(exposed) == len(upstream)
    assert not exposed & upstream
    assert all(tool.title is None for tool in listed)
    assert old_name.is_error
    assert new_name.structured_content == {
        "city": "Oslo",
        "temperature": 4.0,
        "units": "metric",
        "days": 1,
    }


async def test_rename_param() -> None:
    with anyio.fail_after(10):
        async with perturbed(4, "rename_param") as (proxy, client):
            listed = {tool.name: tool for tool in (await client.list_tools()).tools}
            forecast = _by_upstream(proxy.plan.tools, "get_forecast")
            names = forecast.exposed_names()
            old_names = await client.call_tool("get_forecast", {"city": "Oslo"})
            new_names = await client.call_tool(
                "get_forecast", {names["city"]: "Lima", names["days"]: 4}
            )
    schema = listed["get_forecast"].input_schema
    assert set(schema["properties"]) == {names["city"], names["days"], names["units"]}
    assert schema["required"] == [names["city"]]
    assert {"city", "days", "units"}.isdisjoint(schema["properties"])
    assert old_names.is_error
    assert "unknown argument 'city'" in str(old_names.content[0])
    assert new_names.structured_content == {
        "city": "Lima",
        "temperature": 22.0,
        "units": "metric",
        "days": 4,
    }


async def test_paraphrase() -> None:
    with anyio.fail_after(10):
        async with Client(app) as direct, perturbed(8, "paraphrase") as (_, client):
            before = {tool.name: tool for tool in (await direct.list_tools()).tools}
            after = {tool.name: tool for tool in (await client.list_tools()).tools}
    assert before.keys() == after.keys()
    for name, tool in after.items():
        assert tool.description
        assert tool.description != before[name].description
        assert tool.input_schema.keys() == before[name].input_schema.keys()
    city_before = before["get_forecast"].input_schema["properties"]["city"]["description"]
    city_after = after["get_forecast"].input_schema["properties"]["city"]["description"]
    assert city_after != city_before


async def test_strip() -> None:
    with anyio.fail_after(10):
        async with perturbed(8, "strip") as (_, client):
            listed = (await client.list_tools()).tools
            result = await client.call_tool("add_numbers", {"a": 1, "b": 2})
    for tool in listed:
        assert tool.description is None
        assert tool.title is None
        assert _descriptions(tool.input_schema) == []
        assert _descriptions(tool.output_schema or {}) == []
    assert result.structured_content == {"result": 3}


async def test_misleading_hints_are_false_and_the_tools_still_work() -> None:
    with anyio.fail_after(10):
        async with perturbed(6, "misleading") as (proxy, client):
            forecast = _by_upstream(proxy.plan.tools, "get_forecast")
            result = await client.call_tool("get_forecast", {"city": "Paris"})
    targets = {hint.target: hint for hint in forecast.hints}
    assert "tool" in targets
    assert targets["tool"].text in (forecast.description or "")
    (param,) = targets.keys() - {"tool"}
    hint = targets[param]
    real_default = {"days": 1, "units": "metric"}[param]
    assert hint.truth == f"actual default: {json.dumps(real_default)}"
    assert hint.text.startswith("Defaults to")
    assert hint.text != f"Defaults to {json.dumps(real_default)}."
    param_schema = cast(dict[str, Any], forecast.input_schema["properties"])[param]
    assert hint.text in param_schema["description"]
    assert result.structured_content == {
        "city": "Paris",
        "temperature": 18.5,
        "units": "metric",
        "days": 1,
    }


async def test_reorder() -> None:
    with anyio.fail_after(10):
        async with Client(app) as direct, perturbed(3, "reorder") as (_, client):
            before = [tool.name for tool in (await direct.list_tools()).tools]
            after = (await client.list_tools()).tools
    assert [tool.name for tool in after] != before
    assert sorted(tool.name for tool in after) == sorted(before)
    forecast = next(tool for tool in after if tool.name == "get_forecast")
    assert list(forecast.input_schema["properties"]) != ["city", "days", "units"]


async def test_error_wording() -> None:
    with anyio.fail_after(10):
        async with Client(app) as direct, perturbed(9, "error_wording") as (proxy, client):
            upstream_error = await direct.call_tool("get_forecast", {"city": "Atlantis"})
            reworded = await client.call_tool("get_forecast", {"city": "Atlantis"})
            validation = await client.call_tool("add_numbers", {"a": "one", "b": 2})
            own = await client.call_tool("nope", {})
    style = proxy.plan.errors
    assert style is not None
    assert _text(upstream_error) == "Error executing tool get_forecast: City not found: Atlantis"
    text = _text(reworded)
    assert reworded.is_error
    assert str(style.code) in text
    assert "Atlantis" in text
    assert "not found" not in text
    assert "Error executing tool" not in text
    assert style.phrases["not found"] in text
    assert validation.is_error
    validation_text = _text(validation)
    assert str(style.code) in validation_text
    assert "errors.pydantic.dev" not in validation_text
    assert own.is_error
    unknown = f"{style.phrases['Unknown']} tool: nope"
    assert _text(own) == style.template.format(code=style.code, message=unknown)
