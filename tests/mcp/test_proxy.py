"""The perturbation proxy as a whole: determinism, call translation, bad calls, plans as data."""

from __future__ import annotations

import json
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp_types import Tool
from toolmaster.core import UserError
from toolmaster.mcp import PERTURBATION_KINDS, Perturbation, PerturbationProxy, parse_kinds

from tests.mcp.test_proxy_fixture import app, perturbed

pytestmark = pytest.mark.anyio

UPSTREAM_CALLS: dict[str, dict[str, Any]] = {
    "get_forecast": {"city": "Paris", "days": 3, "units": "imperial"},
    "add_numbers": {"a": 2, "b": 40},
    "greet": {"name": "Ada", "excited": True},
    "search_notes": {"query": "milk", "limit": 2, "tag": "home"},
    "ping": {},
}


async def _listing(seed: int, kinds: str) -> str:
    with anyio.fail_after(10):
        async with perturbed(seed, kinds) as (_, client):
            listed = await client.list_tools()
    return json.dumps([tool.model_dump(mode="json", by_alias=True) for tool in listed.tools])


async def test_same_seed_gives_byte_identical_variant() -> None:
    first = await _listing(7, "all")
    second = await _listing(7, "all")
    assert first == second
    with anyio.fail_after(10):
        async with perturbed(7, "all") as (one, _), perturbed(7, "all") as (two, _):
            assert one.plan.model_dump_json() == two.plan.model_dump_json()


@pytest.mark.parametrize(
    "kinds", ["all", "rename_tool", "rename_param", "paraphrase", "misleading", "reorder", "drift"]
)
async def test_different_seeds_give_different_variants(kinds: str) -> None:
    assert await _listing(1, kinds) != await _listing(2, kinds)


async def test_calls_reach_the_upstream_tool_with_translated_arguments() -> None:
    kinds = "rename,paraphrase,misleading,reorder,strip,error_wording"
    with anyio.fail_after(10):
        async with Client(app) as direct, perturbed(3, kinds) as (proxy, client):
            for upstream, arguments in UPSTREAM_CALLS.items():
                tool = next(t for t in proxy.plan.tools if t.upstream == upstream)
                assert tool.name != upstream
                names = tool.exposed_names()
                exposed = {names[key]: value for key, value in arguments.items()}
                via_proxy = await client.call_tool(tool.name, exposed)
                expected = await direct.call_tool(upstream, arguments)
                assert not via_proxy.is_error, via_proxy.content
                assert via_proxy.structured_content == expected.structured_content
                assert via_proxy.content == expected.content


async def test_unknown_tool_is_a_tool_error() -> None:
    with anyio.fail_after(10):
        async with perturbed(5, "rename_tool") as (_, client):
            result = await client.call_tool("no_such_tool", {})
    assert result.is_error
    assert "Unknown tool: no_such_tool" in str(result.content[0])


async def test_unknown_and_missing_arguments_are_tool_errors() -> None:
    with anyio.fail_after(10):
        async with perturbed(5, "rename_param") as (proxy, client):
            tool = next(t for t in proxy.plan.tools if t.upstream == "get_forecast")
            city = tool.exposed_names()["city"]
            unknown = await client.call_tool(tool.name, {city: "Oslo", "colour": "red"})
            missing = await client.call_tool(tool.name, {})
    assert unknown.is_error
    assert "unknown argument 'colour'" in str(unknown.content[0])
    assert missing.is_error
    assert f"missing required argument '{city}'" in str(missing.content[0])


async def test_upstream_errors_name_the_variant_tool_and_parameters() -> None:
    with anyio.fail_after(10):
        async with perturbed(11, "rename") as (proxy, client):
            tool = next(t for t in proxy.plan.tools if t.upstream == "search_notes")
            limit = tool.exposed_names()["limit"]
            query = tool.exposed_names()["query"]
            result = await client.call_tool(tool.name, {query: "x", limit: "many"})
    assert result.is_error
    text = str(result.content[0])
    assert tool.name in text
    assert limit in text
    assert "search_notes" not in text


async def test_a_plan_round_trips_through_json_and_serves_the_same_variant() -> None:
    with anyio.fail_after(10):
        async with Client(app) as upstream:
            built = await PerturbationProxy.create(upstream, seed=21, kinds="all")
            plan = Perturbation.model_validate_json(built.plan.model_dump_json())
            assert plan == built.plan
            loaded = PerturbationProxy(upstream, plan)
            async with Client(built.server) as one, Client(loaded.server) as two:
                assert (await one.list_tools()).tools == (await two.list_tools()).tools


async def test_the_proxy_serves_over_the_jsonrpc_handshake_too() -> None:
    with anyio.fail_after(10):
        async with Client(app) as upstream:
            proxy = await PerturbationProxy.create(upstream, seed=2, kinds="rename_tool")
            async with Client(proxy.server, mode="legacy") as client:
                listed = await client.list_tools()
                ping = next(t for t in proxy.plan.tools if t.upstream == "ping")
                result = await client.call_tool(ping.name, {})
    assert {tool.name for tool in listed.tools} == {tool.name for tool in proxy.plan.tools}
    assert result.structured_content == {"result": "pong"}


def test_parse_kinds() -> None:
    assert parse_kinds("all") == PERTURBATION_KINDS
    assert parse_kinds("paraphrase, rename") == ("rename_tool", "rename_param", "paraphrase")
    assert parse_kinds(["error-wording", "drift"]) == ("error_wording", "drift")
    with pytest.raises(UserError, match="unknown perturbation kind 'typo'"):
        parse_kinds("rename,typo")


def test_a_repeated_upstream_tool_name_is_refused() -> None:
    tool = {"name": "twice", "inputSchema": {"type": "object"}}
    tools = [Tool.model_validate(tool), Tool.model_validate(tool)]
    with pytest.raises(UserError, match="twice"):
        Perturbation.build(tools, seed=0, kinds="rename")
