"""`toolmaster tui`: the terminal UI over the session store."""

from __future__ import annotations

from typing import Annotated

import typer
from toolmaster.cli._common import StoreOption
from toolmaster.cli._settings import settings_of
from toolmaster.tui import TuiConfig, run_tui

tui_app = typer.Typer()


@tui_app.command("tui")
def tui_command(
    ctx: typer.Context,
    store: StoreOption = None,
    poll: Annotated[
        float, typer.Option(help="Seconds between polls of the followed episode's events.")
    ] = 0.1,
) -> None:
    """Watch trials live (also runs started in another terminal), start runs, browse and replay
    recorded sessions, export them to JSONL, and see what experience memory holds."""
    path = store or settings_of(ctx).sessions_db
    run_tui(TuiConfig(store_path=path, poll_interval_s=poll))
