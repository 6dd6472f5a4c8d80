"""`toolmaster resources` and `toolmaster prompts`: list, read and render what MCP servers offer
besides tools."""

from __future__ import annotations

import json
from typing import Annotated

import anyio
import typer
from rich.console import Console
from rich.table import Table
from toolmaster.cli._common import shown, unconnected
from toolmaster.cli._oauth import oauth_options
from toolmaster.cli._tools import (
    ConnectTimeoutOption,
    JsonOption,
    OnlyOption,
    ServersOption,
    servers_of,
)
from toolmaster.core import (
    PromptSpec,
    RenderedPrompt,
    ResourceContents,
    UserError,
    terminal_safe,
)
from toolmaster.mcp import PromptListing, ResourceListing, ServerSpec, Toolbox

resources_app = typer.Typer()

TimeoutOption = Annotated[float, typer.Option(help="Seconds the server may take to answer.")]


# ---------------------------------------------------------------------- resources


async def _list_resources(
    specs: list[ServerSpec], connect_timeout: float
) -> tuple[ResourceListing, dict[str, str]]:
    async with Toolbox(
        specs, connect_timeout=connect_timeout, require_all=False, oauth=oauth_options()
    ) as toolbox:
        return await toolbox.list_resources(), toolbox.errors


async def _read_resource(
    specs: list[ServerSpec], uri: str, timeout: float, connect_timeout: float
) -> tuple[list[ResourceContents], dict[str, str]]:
    async with Toolbox(
        specs,
        timeout=timeout,
        connect_timeout=connect_timeout,
        require_all=False,
        oauth=oauth_options(),
    ) as toolbox:
        unconnected(toolbox.errors)
        return await toolbox.read_resource(uri), toolbox.errors


def _resources_table(listing: ResourceListing) -> Table:
    table = Table(show_lines=True, expand=True)
    table.add_column("uri", overflow="fold", ratio=2)
    table.add_column("server", overflow="fold")
    table.add_column("name", overflow="fold")
    table.add_column("type", overflow="fold")
    table.add_column("description", ratio=3)
    for r in listing.resources:
        kind = r.mime_type or "-"
        if r.size is not None:
            kind += f"\n{r.size} bytes"
        row = (r.uri, r.server, r.title or r.name, kind, r.description)
        table.add_row(*map(shown, row))
    for t in listing.templates:
        row = (t.uri_template, t.server, t.title or t.name, t.mime_type or "-", t.description)
        table.add_row(*map(shown, row))
    return table


@resources_app.command("resources")
def resources_command(
    config: ServersOption,
    *,
    read: Annotated[
        str | None,
        typer.Option(
            "--read",
            metavar="URI",
            help="Read this resource (listed, or matching a template) and print it: text as it "
            "is, binary data as a placeholder with its MIME type and size (--json: base64).",
            show_default=False,
        ),
    ] = None,
    server: OnlyOption = None,
    as_json: JsonOption = False,
    timeout: TimeoutOption = 60.0,
    connect_timeout: ConnectTimeoutOption = 60.0,
) -> None:
    """List the resources and resource templates of the MCP servers in an mcpServers file, or
    read one with --read. Exits with status 1 when a server could not be connected or listed."""
    specs = servers_of(config, server)
    if read is not None:
        contents, _ = anyio.run(_read_resource, specs, read, timeout, connect_timeout)
        if as_json:
            document = [c.model_dump(mode="json") for c in contents]
            typer.echo(json.dumps(document, indent=2, ensure_ascii=False))
        else:
            for part in contents:
                typer.echo(terminal_safe(part.rendered))
        return
    listing, errors = anyio.run(_list_resources, specs, connect_timeout)
    errors = {**errors, **listing.errors}
    if as_json:
        document = {
            "resources": [r.model_dump(mode="json") for r in listing.resources],
            "templates": [t.model_dump(mode="json") for t in listing.templates],
            "errors": errors,
        }
        typer.echo(json.dumps(document, indent=2, ensure_ascii=False))
    elif listing.resources or listing.templates:
        Console().print(_resources_table(listing))
    else:
        typer.echo("no resources", err=True)
    unconnected(errors)
    if errors:
        raise typer.Exit(1)


# ---------------------------------------------------------------------- prompts


async def _list_prompts(
    specs: list[ServerSpec], connect_timeout: float
) -> tuple[PromptListing, dict[str, str]]:
    async with Toolbox(
        specs, connect_timeout=connect_timeout, require_all=False, oauth=oauth_options()
    ) as toolbox:
        return await toolbox.list_prompts(), toolbox.errors


async def _get_prompt(
    specs: list[ServerSpec],
    name: str,
    arguments: dict[str, str],
    timeout: float,
    connect_timeout: float,
) -> RenderedPrompt:
    async with Toolbox(
        specs,
        timeout=timeout,
        connect_timeout=connect_timeout,
        require_all=False,
        oauth=oauth_options(),
    ) as toolbox:
        unconnected(toolbox.errors)
        return await toolbox.get_prompt(name, arguments)


def _arguments(prompt: PromptSpec) -> str:
    """`name*` for each argument (`*` = required), with its description."""
    lines = [
        f"{a.name}{'*' if a.required else ''}" + (f": {a.description}" if a.description else "")
        for a in prompt.arguments
    ]
    return "\n".join(lines) or "-"


def _prompts_table(prompts: list[PromptSpec]) -> Table:
    table = Table(show_lines=True, expand=True, caption="* required")
    table.add_column("prompt", overflow="fold")
    table.add_column("server", overflow="fold")
    table.add_column("arguments", ratio=2, overflow="fold")
    table.add_column("description", ratio=3)
    for p in prompts:
        table.add_row(*map(shown, (p.name, p.server, _arguments(p), p.description)))
    return table


def _parse_args(pairs: list[str]) -> dict[str, str]:
    arguments: dict[str, str] = {}
    for pair in pairs:
        key, equals, value = pair.partition("=")
        if not equals or not key:
            raise UserError(f"--arg takes NAME=VALUE, not {pair!r}")
        if key in arguments:
            raise UserError(f"--arg {key!r} is given twice")
        arguments[key] = value
    return arguments


@resources_app.command("prompts")
def prompts_command(
    config: ServersOption,
    *,
    get: Annotated[
        str | None,
        typer.Option(
            "--get",
            metavar="NAME",
            help="Render this prompt and print its messages.",
            show_default=False,
        ),
    ] = None,
    arg: Annotated[
        list[str] | None,
        typer.Option(
            "--arg",
            metavar="NAME=VALUE",
            help="An argument of --get (repeat for more).",
            show_default=False,
        ),
    ] = None,
    server: OnlyOption = None,
    as_json: JsonOption = False,
    timeout: TimeoutOption = 60.0,
    connect_timeout: ConnectTimeoutOption = 60.0,
) -> None:
    """List the prompts of the MCP servers in an mcpServers file with their arguments, or
    render one with --get NAME --arg NAME=VALUE. Exits with status 1 when a server could not be
    connected or listed."""
    arguments = _parse_args(arg or [])
    if arguments and get is None:
        raise UserError("--arg goes with --get NAME")
    specs = servers_of(config, server)
    if get is not None:
        rendered = anyio.run(_get_prompt, specs, get, arguments, timeout, connect_timeout)
        if as_json:
            typer.echo(rendered.model_dump_json(indent=2))
        else:
            for message in rendered.messages:
                typer.echo(f"[{message.role}]")
                typer.echo(terminal_safe(message.content or ""))
        return
    listing, errors = anyio.run(_list_prompts, specs, connect_timeout)
    errors = {**errors, **listing.errors}
    if as_json:
        document = {
            "prompts": [p.model_dump(mode="json") for p in listing.prompts],
            "errors": errors,
        }
        typer.echo(json.dumps(document, indent=2, ensure_ascii=False))
    elif listing.prompts:
        Console().print(_prompts_table(listing.prompts))
    else:
        typer.echo("no prompts", err=True)
    unconnected(errors)
    if errors:
        raise typer.Exit(1)
