"""`toolmaster memory`: what experience memory holds, per tool version.

Experience is keyed by the server's identity from its MCP handshake (`name@version`, such as
`mcp-server-memory@0.6.0`), so the same server under two configuration names shares it; a
server that announced no identity, and experience saved before keys were identities, go by the
configuration name."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from toolmaster.cli._common import open_store, shown
from toolmaster.core import Experience, Store, UserError, terminal_safe

memory_app = typer.Typer(
    help="Experience memory: notes from trials, per server, tool and schema version.",
    no_args_is_help=True,
)

StoreOption = Annotated[Path | None, typer.Option("--store", help="Session store file.")]
ServerOption = Annotated[
    str | None,
    typer.Option(
        "--server",
        "-s",
        help="Only this server: its identity (name@version), its name (every version of it) "
        "or a configuration name.",
    ),
]


def _find(store: Store, tool: str, server: str | None) -> list[Experience]:
    """Experience for `tool` (`server/tool` also accepted; a server's name may hold `/`)."""
    if server is None and "/" in tool:
        server, tool = tool.rsplit("/", 1)
    found = store.experiences(server=server, tool=tool)
    if not found:
        where = f" on server {server!r}" if server else ""
        raise UserError(f"no experience for tool {tool!r}{where} (`toolmaster memory list`)")
    return found


@memory_app.command("list")
def list_memory(
    ctx: typer.Context, *, server: ServerOption = None, store: StoreOption = None
) -> None:
    """List the tools with experience: server identity, tool, schema hash, when, first line
    of notes."""
    with open_store(ctx, store) as opened:
        items = opened.experiences(server=server)
    table = Table(title=f"experience ({len(items)} tool versions)")
    for column in ("server identity", "tool", "schema", "learnt", "notes"):
        table.add_column(column)
    for item in items:
        first = item.notes.strip().splitlines()[0] if item.notes.strip() else ""
        table.add_row(
            shown(item.key.server),
            shown(item.key.tool),
            item.key.schema_hash,
            item.created_at.strftime("%Y-%m-%d %H:%M"),
            shown(first[:80]),
        )
    Console().print(table)


@memory_app.command("show")
def show_memory(
    ctx: typer.Context,
    tool: Annotated[str, typer.Argument(help="A tool name, or server/tool.")],
    *,
    server: ServerOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    store: StoreOption = None,
) -> None:
    """Show the notes remembered for a tool (every schema version of it)."""
    with open_store(ctx, store) as opened:
        items = _find(opened, tool, server)
    if as_json:
        typer.echo(json.dumps([i.model_dump(mode="json") for i in items], indent=2))
        return
    console = Console(highlight=False)
    for item in items:
        console.print(
            f"[bold]{shown(item.key.server)}/{shown(item.key.tool)}[/] "
            f"schema {item.key.schema_hash} · learnt {item.created_at:%Y-%m-%d %H:%M} · "
            f"episode {item.episode_id or '-'}"
        )
        console.print(shown(item.notes), end="\n\n")


@memory_app.command("forget")
def forget_memory(
    ctx: typer.Context,
    tool: Annotated[str, typer.Argument(help="A tool name, or server/tool.")],
    *,
    server: ServerOption = None,
    store: StoreOption = None,
) -> None:
    """Forget what was learnt about a tool, so that it is trialed again next time."""
    with open_store(ctx, store) as opened:
        items = _find(opened, tool, server)
        for item in items:
            opened.forget_experience(item.key)
    typer.echo(terminal_safe(f"forgot {len(items)} version(s) of {tool}"))
