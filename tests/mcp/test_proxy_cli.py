"""`toolmaster mutate`: a real stdio subprocess wrapping the fixture server, and its options."""

from __future__ import annotations

import json
import sys
from functools import partial
from pathlib import Path

import anyio
import pytest
from click.testing import Result
from mcp import Client, StdioServerParameters
from toolmaster.cli._app import app
from toolmaster.mcp import Perturbation
from typer.testing import CliRunner

from tests.mcp import test_proxy_fixture
from tests.mcp.test_proxy_fixture import perturbed

pytestmark = pytest.mark.anyio

FIXTURE = str(Path(test_proxy_fixture.__file__).resolve())


async def _invoke(*args: str) -> Result:
    """Run the command in a worker thread (it starts its own event loop)."""
    return await anyio.to_thread.run_sync(partial(CliRunner().invoke, app, list(args)))


@pytest.mark.e2e
async def test_mutate_serves_the_variant_over_stdio() -> None:
    kinds = "rename,drift,error_wording"
    command = [sys.executable, "-m", "toolmaster.cli", "mutate", "--seed", "7", "--kinds", kinds]
    params = StdioServerParameters(
        command=sys.executable, args=[*command[1:], "--", *[sys.executable, FIXTURE]]
    )
    with anyio.fail_after(30):
        async with Client(params) as client, perturbed(7, kinds) as (proxy, in_process):
            listed = (await client.list_tools()).tools
            assert listed == (await in_process.list_tools()).tools
            forecast = next(t for t in proxy.plan.tools if t.upstream == "get_forecast")
            city = forecast.exposed_names()["city"]
            required = forecast.input_schema["required"]
            assert isinstance(required, list)
            arguments = {str(name): 2 for name in required if name != city} | {city: "Oslo"}
            if "units" in forecast.exposed_names():
                arguments[forecast.exposed_names()["units"]] = "metric"
            over_stdio = await client.call_tool(forecast.name, arguments)
            expected = await in_process.call_tool(forecast.name, arguments)
            missing = await client.call_tool(forecast.name, {})
    assert over_stdio.structured_content == expected.structured_content
    assert missing.is_error
    assert proxy.plan.errors is not None
    assert str(proxy.plan.errors.code) in str(missing.content[0])


@pytest.mark.e2e  # the upstream runs as a subprocess
async def test_mutate_show_prints_the_plan_of_a_configured_server(tmp_path: Path) -> None:
    config = tmp_path / "mcp.json"
    servers = {
        "other": {"url": "http://127.0.0.1:9/mcp"},
        "fixture": {"command": sys.executable, "args": [FIXTURE]},
    }
    config.write_text(json.dumps({"mcpServers": servers}))
    with anyio.fail_after(30):
        shown = await _invoke(
            "mutate", "--show", "--seed", "3", "--kinds", "all",
            "--config", str(config), "--server", "fixture",
        )  # fmt: skip
        async with perturbed(3, "all") as (proxy, _):
            expected = proxy.plan
    assert shown.exit_code == 0, shown.output
    assert Perturbation.model_validate_json(shown.stdout) == expected


async def test_mutate_help() -> None:
    with anyio.fail_after(10):
        result = await _invoke("mutate", "--help")
    assert result.exit_code == 0
    for option in ("--seed", "--kinds", "--config", "--server", "--url", "--show"):
        assert option in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--kinds", "rename,typo", "--", "server"], "unknown perturbation kind 'typo'"),
        ([], "name the upstream server once"),
        (["--url", "http://127.0.0.1:9/mcp", "--", "server"], "name the upstream server once"),
        (["--server", "x", "--", "server"], "give --config FILE too"),
    ],
)
async def test_mutate_refuses_bad_usage(args: list[str], message: str) -> None:
    with anyio.fail_after(10):
        result = await _invoke("mutate", *args)
    assert result.exit_code == 2
    assert message in result.stderr


async def test_mutate_names_a_missing_config_server(tmp_path: Path) -> None:
    config = tmp_path / "mcp.json"
    config.write_text(json.dumps({"mcpServers": {"a": {"command": "x"}, "b": {"command": "y"}}}))
    with anyio.fail_after(10):
        unnamed = await _invoke("mutate", "--config", str(config))
        unknown = await _invoke("mutate", "--config", str(config), "--server", "c")
    assert unnamed.exit_code == 2
    assert "lists 2 servers (a, b); pick one with --server" in unnamed.stderr
    assert unknown.exit_code == 2
    assert "has no server 'c'" in unknown.stderr
