"""Version drift (v1 -> v2): changed signatures and output formats, translated by the proxy."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, cast

import anyio
import mcp_types as types
import pytest
from mcp import Client
from toolmaster.mcp import (
    Envelope,
    GroupArgs,
    Perturbation,
    PerturbationProxy,
    RenameArg,
    RenameKeys,
    RequireArg,
    ToolPerturbation,
)

from tests.mcp.test_proxy_fixture import app

pytestmark = pytest.mark.anyio

UPSTREAM_CALLS: dict[str, dict[str, Any]] = {
    "get_forecast": {"city": "Paris", "days": 3, "units": "imperial"},
    "add_numbers": {"a": 2, "b": 40},
    "greet": {"name": "Ada", "excited": True},
    "search_notes": {"query": "milk", "limit": 2, "tag": "home"},
    "ping": {},
}


def _exposed_arguments(tool: ToolPerturbation, arguments: dict[str, Any]) -> dict[str, Any]:
    """What a v2 caller sends for the v1 `arguments` (the steps, applied forwards)."""
    args = dict(arguments)
    for step in tool.arg_steps:
        if isinstance(step, RenameArg) and step.upstream in args:
            args[step.exposed] = args.pop(step.upstream)
        elif isinstance(step, GroupArgs):
            args[step.group] = {name: args.pop(name) for name in step.members if name in args}
    return args


def _expected_output(tool: ToolPerturbation, value: Any) -> Any:
    for step in tool.output_steps:
        if isinstance(step, RenameKeys) and isinstance(value, dict):
            value = {step.keys.get(k, k): v for k, v in cast(dict[str, Any], value).items()}
        elif isinstance(step, Envelope):
            value = {step.data_key: value, step.version_key: step.version}
    return value


async def _first_seed(predicate: Callable[[Perturbation], bool]) -> int:
    """The first seed whose drift plan satisfies `predicate` (deterministic: plans are)."""
    with anyio.fail_after(10):
        async with Client(app) as upstream:
            tools = (await upstream.list_tools()).tools
    for seed in range(200):
        if predicate(Perturbation.build(tools, seed=seed, kinds="drift")):
            return seed
    raise AssertionError("no seed below 200 gives such a plan")


def _drifted(plan: Perturbation, upstream: str) -> ToolPerturbation:
    return next(tool for tool in plan.tools if tool.upstream == upstream)


@pytest.mark.parametrize("seed", range(6))
async def test_v2_calls_give_the_v1_results_in_the_v2_format(seed: int) -> None:
    with anyio.fail_after(10):
        async with Client(app) as upstream:
            proxy = await PerturbationProxy.create(upstream, seed=seed, kinds="drift")
            async with Client(proxy.server) as client:
                assert any(tool.version == "v2" for tool in proxy.plan.tools)
                for name, arguments in UPSTREAM_CALLS.items():
                    tool = _drifted(proxy.plan, name)
                    v2 = await client.call_tool(tool.name, _exposed_arguments(tool, arguments))
                    v1 = await upstream.call_tool(name, arguments)
                    assert not v2.is_error, v2.content
                    expected = _expected_output(tool, v1.structured_content)
                    assert v2.structured_content == expected


async def test_parameters_grouped_into_a_required_object() -> None:
    seed = await _first_seed(
        lambda plan: any(isinstance(s, GroupArgs) for s in _drifted(plan, "search_notes").arg_steps)
    )
    with anyio.fail_after(10):
        async with Client(app) as upstream:
            proxy = await PerturbationProxy.create(upstream, seed=seed, kinds="drift")
            tool = _drifted(proxy.plan, "search_notes")
            group = next(s for s in tool.arg_steps if isinstance(s, GroupArgs))
            async with Client(proxy.server) as client:
                listed = next(t for t in (await client.list_tools()).tools if t.name == tool.name)
                v1_style = await client.call_tool(tool.name, {"query": "tea", "limit": 1})
                v2_style = await client.call_tool(
                    tool.name, {"query": "tea", group.group: {"limit": 1}}
                )
                not_object = await client.call_tool(tool.name, {"query": "tea", group.group: 5})
                bad_key = await client.call_tool(tool.name, {"query": "t", group.group: {"x": 1}})
    assert "limit" in group.members
    assert group.group in listed.input_schema["required"]
    assert set(listed.input_schema["properties"][group.group]["properties"]) == set(group.members)
    assert tool.version == "v2"
    assert v1_style.is_error
    assert v2_style.structured_content is not None
    assert _expected_output(tool, {"matches": ["tea note 0"], "total": 1, "tag": None}) == (
        v2_style.structured_content
    )
    assert not_object.is_error
    assert "must be an object" in str(not_object.content[0])
    assert bad_key.is_error
    assert "unknown key 'x'" in str(bad_key.content[0])


async def test_a_parameter_renamed_and_made_required() -> None:
    def renamed_and_required(plan: Perturbation) -> bool:
        steps = _drifted(plan, "get_forecast").arg_steps
        return any(isinstance(s, RequireArg) for s in steps) and any(
            isinstance(s, RenameArg) for s in steps
        )

    seed = await _first_seed(renamed_and_required)
    with anyio.fail_after(10):
        async with Client(app) as upstream:
            proxy = await PerturbationProxy.create(upstream, seed=seed, kinds="drift")
            tool = _drifted(proxy.plan, "get_forecast")
            rename = next(s for s in tool.arg_steps if isinstance(s, RenameArg))
            require = next(s for s in tool.arg_steps if isinstance(s, RequireArg))
            value = {"days": 5, "units": "imperial"}[rename.upstream]
            async with Client(proxy.server) as client:
                listed = next(t for t in (await client.list_tools()).tools if t.name == tool.name)
                v1_style = await client.call_tool(tool.name, {"city": "Oslo"})
                v2_style = await client.call_tool(
                    tool.name, {"city": "Oslo", rename.exposed: value}
                )
    assert require.name == rename.exposed
    assert require.v1_default == {"days": 1, "units": "metric"}[rename.upstream]
    assert rename.exposed in listed.input_schema["required"]
    assert "default" not in listed.input_schema["properties"][rename.exposed]
    assert v1_style.is_error
    assert f"missing required argument '{rename.exposed}'" in str(v1_style.content[0])
    forecast = cast(dict[str, Any], v2_style.structured_content)
    assert value in _values(forecast)


def _values(value: Any) -> list[Any]:
    """Every leaf value of a JSON value."""
    if isinstance(value, dict):
        return [leaf for child in cast(dict[str, Any], value).values() for leaf in _values(child)]
    return [value]


async def test_output_keys_renamed() -> None:
    seed = await _first_seed(
        lambda plan: any(
            isinstance(s, RenameKeys) for s in _drifted(plan, "get_forecast").output_steps
        )
    )
    with anyio.fail_after(10):
        async with Client(app) as upstream:
            proxy = await PerturbationProxy.create(upstream, seed=seed, kinds="drift")
            tool = _drifted(proxy.plan, "get_forecast")
            keys = next(s for s in tool.output_steps if isinstance(s, RenameKeys)).keys
            arguments = _exposed_arguments(tool, {"city": "Lima", "days": 1, "units": "metric"})
            async with Client(proxy.server) as client:
                listed = next(t for t in (await client.list_tools()).tools if t.name == tool.name)
                result = await client.call_tool(tool.name, arguments)
    assert keys
    assert listed.output_schema is not None
    output_keys = set(listed.output_schema["properties"])
    assert output_keys == {keys.get(k, k) for k in ("city", "temperature", "units", "days")}
    structured = cast(dict[str, Any], result.structured_content)
    assert set(structured) == output_keys
    text = result.content[0]
    assert isinstance(text, types.TextContent)
    assert json.loads(text.text) == structured


async def test_output_wrapped_in_an_envelope() -> None:
    seed = await _first_seed(
        lambda plan: any(isinstance(s, Envelope) for s in _drifted(plan, "greet").output_steps)
    )
    with anyio.fail_after(10):
        async with Client(app) as upstream:
            proxy = await PerturbationProxy.create(upstream, seed=seed, kinds="drift")
            tool = _drifted(proxy.plan, "greet")
            envelope = next(s for s in tool.output_steps if isinstance(s, Envelope))
            arguments = _exposed_arguments(tool, {"name": "Ada", "excited": False})
            async with Client(proxy.server) as client:
                result = await client.call_tool(tool.name, arguments)
    text = result.content[0]
    assert isinstance(text, types.TextContent)
    assert json.loads(text.text) == {envelope.data_key: "Hello, Ada.", envelope.version_key: "2"}
    assert result.structured_content == {
        envelope.data_key: {"result": "Hello, Ada."},
        envelope.version_key: "2",
    }


async def test_drift_keeps_the_v1_description() -> None:
    with anyio.fail_after(10):
        async with Client(app) as upstream:
            before = {tool.name: tool for tool in (await upstream.list_tools()).tools}
            proxy = await PerturbationProxy.create(upstream, seed=0, kinds="drift")
    for tool in proxy.plan.tools:
        assert tool.name == tool.upstream
        assert tool.description == before[tool.upstream].description
        if tool.version == "v2":
            assert tool.changes
            assert tool.arg_steps or tool.output_steps
