"""Real third-party MCP servers from the package registries, through the Toolbox.

`mcp-server-time` (Python, PyPI) depends on mcp 1.x, so it runs in its own environment through
`uvx`, never in ours; `@modelcontextprotocol/server-everything` (Node, npm) runs through `npx`.
Both are pinned. They download on first use, so these tests are `e2e` (CI selects them).
"""

from __future__ import annotations

import os
import shutil

import anyio
import pytest
from toolmaster.core import ToolCall
from toolmaster.mcp import StdioServerSpec, Toolbox

pytestmark = [pytest.mark.anyio, pytest.mark.e2e]

TIME_SERVER = "mcp-server-time==2026.10.19"
EVERYTHING_SERVER = "@modelcontextprotocol/server-everything@2026.8.31"

_NETWORK_VARIABLES = (
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "NODE_EXTRA_CA_CERTS",
    "REQUESTS_CA_BUNDLE",
    "HTTPS_PROXY",
    "HTTP_PROXY",
    "NO_PROXY",
    "https_proxy",
    "http_proxy",
    "no_proxy",
    "UV_CACHE_DIR",
    "UV_INDEX_URL",
    "UV_DEFAULT_INDEX",
    "npm_config_cache",
    "npm_config_registry",
)


def network_env() -> dict[str, str]:
    """What a downloader needs from this machine's environment (a stdio child gets only a safe
    allow-list otherwise): certificates, proxies, caches and index settings."""
    return {k: v for k, v in os.environ.items() if k in _NETWORK_VARIABLES}


def require(program: str) -> str:
    path = shutil.which(program)
    if path is None:
        pytest.skip(f"{program} is not installed: cannot run the registry's MCP server")
    return path


def call(tool: str, **arguments: object) -> ToolCall:
    return ToolCall(id=f"c-{tool}", tool=tool, arguments=arguments)  # type: ignore[arg-type]


async def test_python_server_from_pypi_via_uvx() -> None:
    uvx = require("uvx")
    spec = StdioServerSpec.model_validate(
        {
            "name": "time",
            "command": uvx,
            "args": ["--from", TIME_SERVER, "mcp-server-time", "--local-timezone", "UTC"],
            "env": network_env(),
        }
    )
    with anyio.fail_after(300):
        async with Toolbox([spec], connect_timeout=240) as toolbox:
            assert toolbox.servers[0].server_name == "mcp-time"
            assert {"get_current_time", "convert_time"} <= {t.name for t in toolbox.tools}
            now = await toolbox.call(call("get_current_time", timezone="UTC"))
            assert now.error_kind is None
            assert now.structured_content is not None
            assert now.structured_content["timezone"] == "UTC"
            converted = await toolbox.call(
                call(
                    "convert_time",
                    source_timezone="UTC",
                    time="12:00",
                    target_timezone="Asia/Tokyo",
                )
            )
            assert converted.error_kind is None
            assert "21:00" in converted.text
            wrong = await toolbox.call(call("get_current_time", timezone="Mars/Olympus_Mons"))
            assert wrong.error_kind == "tool_error"


async def test_node_server_from_npm_via_npx() -> None:
    npx = require("npx")
    spec = StdioServerSpec.model_validate(
        {
            "name": "everything",
            "command": npx,
            "args": ["-y", EVERYTHING_SERVER, "stdio"],
            "env": network_env(),
        }
    )
    with anyio.fail_after(300):
        async with Toolbox([spec], connect_timeout=240) as toolbox:
            names = {t.name for t in toolbox.tools}
            assert {"echo", "get-sum", "get-tiny-image"} <= names
            echo = toolbox.tool("echo")
            assert echo is not None
            assert echo.read_only
            assert (await toolbox.call(call("echo", message="hi"))).text == "Echo: hi"
            total = await toolbox.call(call("get-sum", a=2, b=3))
            assert "5" in total.text
            image = await toolbox.call(call("get-tiny-image"))
            assert any(block["type"] == "image" for block in image.content)
            bad = await toolbox.call(call("get-sum", a="two"))
            assert (bad.is_error, bad.error_kind) == (True, "tool_error"), bad
