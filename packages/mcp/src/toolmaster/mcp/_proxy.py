"""The perturbation proxy: an MCP server that serves a perturbed variant of an upstream server.

The proxy lists the variant's tools, translates each call's name and arguments back to the
upstream tool, and turns the upstream's result into the variant's (output drift, error
wording). It is a low-level `mcp.server.lowlevel.Server`, so `mcp.Client(proxy.server)` talks
to it in process, and `PerturbationProxy.run_stdio` serves it to any MCP client over stdio.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import mcp_types as types
from toolmaster.mcp._listing import list_all_tools
from toolmaster.mcp._perturb import Perturbation
from toolmaster.mcp._perturb_apply import (
    ArgumentError,
    error_result,
    error_rewriter,
    to_exposed_result,
    to_upstream_arguments,
)
from toolmaster.mcp._perturb_steps import PERTURBATION_KINDS, PerturbationKind

from mcp import Client, MCPError
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server

logger = logging.getLogger(__name__)


class PerturbationProxy:
    """Serves the variant that `plan` describes, forwarding calls to `upstream`.

    `upstream` is a connected `mcp.Client` (to anything: a server in process, a stdio command,
    a URL); the caller owns its lifetime and must keep it open while the proxy serves.
    `PerturbationProxy.create` lists the upstream's tools and builds the plan in one go.
    """

    def __init__(
        self,
        upstream: Client,
        plan: Perturbation,
        *,
        name: str = "toolmaster-perturbed",
        call_timeout_s: float | None = None,
    ) -> None:
        self.upstream = upstream
        self.plan = plan
        """What the variant changes; serialise it with `plan.model_dump_json()`."""
        self.call_timeout_s = call_timeout_s
        self._tools = {tool.name: tool for tool in plan.tools}
        self._listing = plan.to_tools()
        self.server: Server[Any] = Server(
            name, on_list_tools=self._on_list_tools, on_call_tool=self._on_call_tool
        )
        """The MCP server: hand it to `mcp.Client(...)` or run it on any transport."""

    @classmethod
    async def create(
        cls,
        upstream: Client,
        *,
        seed: int,
        kinds: Iterable[PerturbationKind] | str = PERTURBATION_KINDS,
        name: str | None = None,
        call_timeout_s: float | None = None,
    ) -> PerturbationProxy:
        """A proxy for `upstream` with the plan built from its current tool list.

        `name` defaults to the upstream server's own name.
        """
        tools = await list_all_tools(upstream)
        plan = Perturbation.build(tools, seed=seed, kinds=kinds)
        info = upstream.server_info
        server_name = name or (info.name if info is not None and info.name else None)
        return cls(
            upstream,
            plan,
            name=server_name or "toolmaster-perturbed",
            call_timeout_s=call_timeout_s,
        )

    async def run_stdio(self) -> None:
        """Serve the variant over this process's stdin and stdout until the client leaves."""
        async with stdio_server() as (read_stream, write_stream):
            await self.server.run(
                read_stream, write_stream, self.server.create_initialization_options()
            )

    async def _on_list_tools(
        self, ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        del ctx, params
        return types.ListToolsResult(tools=[tool.model_copy() for tool in self._listing])

    async def _on_call_tool(
        self, ctx: ServerRequestContext[Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        del ctx
        tool = self._tools.get(params.name)
        if tool is None:
            return error_result(self.plan, f"Unknown tool: {params.name}")
        try:
            arguments = to_upstream_arguments(tool, params.arguments or {})
        except ArgumentError as error:
            return error_result(self.plan, str(error))
        try:
            result = await self.upstream.call_tool(
                tool.upstream, arguments, read_timeout_seconds=self.call_timeout_s
            )
        except MCPError as error:
            # The upstream refused the call at the protocol level: the caller sees it as a
            # tool error, in the variant's words.
            logger.info("upstream refused %s: %s", tool.upstream, error)
            text = error_rewriter(self.plan, tool)(str(error))
            return types.CallToolResult(content=[types.TextContent(text=text)], is_error=True)
        return to_exposed_result(self.plan, tool, result)
