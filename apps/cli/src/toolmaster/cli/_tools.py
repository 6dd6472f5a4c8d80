"""`toolmaster tools` and `toolmaster call`: look at and try the tools of any MCP servers."""

from __future__ import annotations

import inspect
import json
import os
import sys
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import anyio
import typer
from pydantic import JsonValue
from rich.console import Console
from rich.table import Table
from toolmaster.cli._common import shown, unconnected
from toolmaster.cli._oauth import oauth_options
from toolmaster.core import (
    ServerIdentity,
    ToolCall,
    ToolResult,
    ToolSpec,
    UserError,
    WithheldTool,
    terminal_safe,
)
from toolmaster.mcp import ServerSpec, Toolbox, servers_from_file

ServersOption = Annotated[
    Path,
    typer.Option(
        "--config",
        "-c",
        help="An mcpServers JSON file (Claude Desktop, Cursor or VS Code shape). ${VAR} and "
        "${VAR:-default} are expanded from the environment.",
        exists=False,
        dir_okay=False,
        show_default=False,
    ),
]
OnlyOption = Annotated[
    list[str] | None,
    typer.Option("--server", "-s", help="Only this server (repeat for more).", show_default=False),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
ConnectTimeoutOption = Annotated[
    float, typer.Option(help="Seconds each server may take to start and list its tools.")
]


tools_app = typer.Typer()


def servers_of(config: Path, only: list[str] | None) -> list[ServerSpec]:
    """The servers of `config` to connect: all of its enabled ones, or those `--server` names."""
    specs = servers_from_file(config, environ=os.environ)
    if only:
        unknown = sorted(set(only) - {s.name for s in specs})
        if unknown:
            known = ", ".join(s.name for s in specs) or "none"
            raise UserError(
                f"{config}: no server named {', '.join(map(repr, unknown))} (known: {known})"
            )
        specs = [s for s in specs if s.name in only]
    if not specs:
        raise UserError(f"{config}: no servers to connect (all disabled?)")
    return specs


async def _list(
    specs: list[ServerSpec], connect_timeout: float
) -> tuple[list[ServerIdentity], list[ToolSpec], list[WithheldTool], dict[str, str]]:
    async with Toolbox(
        specs, connect_timeout=connect_timeout, require_all=False, oauth=oauth_options()
    ) as toolbox:
        return list(toolbox.servers), list(toolbox.tools), list(toolbox.withheld), toolbox.errors


def _parameters(tool: ToolSpec) -> str:
    """`name: type*` for each parameter (`*` = required)."""
    properties = tool.input_schema.get("properties")
    required = tool.input_schema.get("required")
    needed = set(required) if isinstance(required, list) else set[JsonValue]()
    if not isinstance(properties, dict) or not properties:
        return "-"
    parts: list[str] = []
    for name, schema in properties.items():
        kind = schema.get("type", "any") if isinstance(schema, dict) else "any"
        if isinstance(kind, list):
            kind = "|".join(str(k) for k in kind)
        parts.append(f"{name}: {kind}{'*' if name in needed else ''}")
    return "\n".join(parts)


def _hints(tool: ToolSpec) -> str:
    a = tool.annotations
    flags = [
        ("read-only", a.read_only_hint),
        ("destructive", a.destructive_hint),
        ("idempotent", a.idempotent_hint),
        ("open-world", a.open_world_hint),
    ]
    return (
        "\n".join(name if value else f"not {name}" for name, value in flags if value is not None)
        or "-"
    )


def _table(tools: list[ToolSpec]) -> Table:
    """The tools table: tool and server names whole (they are what `call` takes, so they are
    never cut), the parameters and the description sharing the room left."""

    def widest(names: list[str], most: int) -> int:
        return min(max(map(len, names), default=4), most)

    table = Table(show_lines=True, expand=True, caption="* required")
    table.add_column("tool", width=widest([t.name for t in tools], 40), overflow="fold")
    table.add_column("server", width=widest([t.server for t in tools], 20), overflow="fold")
    table.add_column("parameters", ratio=2, overflow="fold")
    table.add_column("hints", no_wrap=True)
    table.add_column("description", ratio=3)
    return table


@tools_app.command("tools")
def tools_command(
    config: ServersOption,
    *,
    server: OnlyOption = None,
    as_json: JsonOption = False,
    connect_timeout: ConnectTimeoutOption = 60.0,
) -> None:
    """List the tools of the MCP servers in an mcpServers file, with their parameters and
    annotations, and the tools that are not offered to a model, with the reason. Exits with
    status 1 when a server could not be connected."""
    specs = servers_of(config, server)
    servers, tools, withheld, errors = anyio.run(_list, specs, connect_timeout)
    if as_json:
        document = {
            "servers": [s.model_dump(mode="json") for s in servers],
            "tools": [t.model_dump(mode="json") for t in tools],
            "withheld": [w.model_dump(mode="json") for w in withheld],
            "errors": errors,
        }
        typer.echo(json.dumps(document, indent=2, ensure_ascii=False))
    else:
        console = Console()
        for identity in servers:
            if identity.name in errors:
                continue
            version = f" {identity.server_version}" if identity.server_version else ""
            console.print(
                f"[bold]{shown(identity.name)}[/] ({identity.transport}): "
                f"{shown(identity.server_name or '?')}{shown(version)}"
            )
        table = _table(tools)
        for tool in tools:
            description = inspect.cleandoc(tool.description)
            table.add_row(
                shown(tool.name),
                shown(tool.server),
                shown(_parameters(tool)),
                _hints(tool),
                shown(description if len(description) <= 300 else description[:299] + "…"),
            )
        console.print(table)
        for item in withheld:
            console.print(
                f"not offered: [bold]{shown(item.tool.name)}[/] ({shown(item.tool.server)}): "
                f"{shown(item.reason)}"
            )
    unconnected(errors)
    if errors:
        raise typer.Exit(1)


async def _call(
    specs: list[ServerSpec], tool_call: ToolCall, timeout: float, connect_timeout: float
) -> tuple[ToolResult, dict[str, str]]:
    async with Toolbox(
        specs,
        timeout=timeout,
        connect_timeout=connect_timeout,
        require_all=False,
        oauth=oauth_options(),
    ) as toolbox:
        return await toolbox.call(tool_call), toolbox.errors


def _arguments(text: str) -> dict[str, JsonValue]:
    if text == "-":
        text = sys.stdin.read()
    try:
        value: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(
            f"the arguments are not valid JSON ({exc.msg} at column {exc.colno})"
        ) from None
    if not isinstance(value, dict):
        raise UserError(f"the arguments must be a JSON object, not {type(value).__name__}")
    return value  # pyright: ignore[reportUnknownVariableType]


@tools_app.command("call")
def call_command(
    config: ServersOption,
    tool: Annotated[str, typer.Argument(help="The tool, as `toolmaster tools` names it.")],
    arguments: Annotated[
        str, typer.Argument(help="The arguments as a JSON object ('-' reads it from stdin).")
    ] = "{}",
    *,
    server: OnlyOption = None,
    as_json: JsonOption = False,
    timeout: Annotated[float, typer.Option(help="Seconds the call may take.")] = 60.0,
    connect_timeout: ConnectTimeoutOption = 60.0,
) -> None:
    """Call one tool and print what it returned. Exits with status 1 when the result is an
    error (of the tool, a timeout, a crashed server, ...)."""
    tool_call = ToolCall(id="cli", tool=tool, arguments=_arguments(arguments))
    specs = servers_of(config, server)
    call = partial(_call, specs, tool_call, timeout, connect_timeout)
    result, errors = anyio.run(call)
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
    else:
        text = result.text
        if text:
            typer.echo(terminal_safe(text))
        if result.structured_content is not None and not text:
            typer.echo(json.dumps(result.structured_content, indent=2, ensure_ascii=False))
        others = [b for b in result.content if b.get("type") != "text"]
        if others:
            kinds = terminal_safe(", ".join(str(b.get("type")) for b in others))
            typer.echo(f"({len(others)} non-text block(s): {kinds}; use --json to see them)")
    if result.is_error:
        detail = f"error: the call failed ({result.error_kind}) after {result.latency_s:.3f}s"
        if result.error_kind == "refused" and errors:
            detail += "; servers not connected: " + ", ".join(errors)
        typer.echo(detail, err=True)
        raise typer.Exit(1)
