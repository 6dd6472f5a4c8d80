"""`toolmaster view`: the viewer, a static site of evaluation runs and recorded sessions.

The evaluation library (`toolmaster.eval`, numpy, matplotlib) is imported inside the command,
so `toolmaster --help` stays fast.
"""

from __future__ import annotations

import webbrowser
from pathlib import Path
from typing import Annotated

import typer
from toolmaster.cli._common import StoreOption, open_store
from toolmaster.core import UserError

view_app = typer.Typer()

DEFAULT_OUT = Path("toolmaster-view")


@view_app.command("view")
def view_command(
    ctx: typer.Context,
    runs: Annotated[
        list[str] | None,
        typer.Argument(
            help="Run ids, side by side in this order (default: every run and "
            "every session of the store).",
            show_default=False,
        ),
    ] = None,
    *,
    out: Annotated[Path, typer.Option(help="Folder to write the site into.")] = DEFAULT_OUT,
    store: StoreOption = None,
    confidence: Annotated[
        float, typer.Option(help="Confidence level of the Wilson and paired intervals.")
    ] = 0.95,
    open_page: Annotated[
        bool, typer.Option("--open", help="Open the page in the web browser.")
    ] = False,
) -> None:
    """Write the viewer: a static site of runs and sessions to open in a browser.

    Runs side by side; filters by run, suite, setting, mode, policy and verdict; trial minus
    direct paired by task; every episode with its phases, calls, results, errors, notes and
    verdict reasons. One folder (OUT/index.html) that opens from disk or any static host."""
    from pydantic import ValidationError  # noqa: PLC0415
    from toolmaster.eval import Intervals, build_site, write_site  # noqa: PLC0415

    try:
        intervals = Intervals(confidence=confidence)
    except ValidationError as exc:
        raise UserError(f"bad --confidence: {exc.errors()[0]['msg']}") from None
    with open_store(ctx, store) as opened:
        site = build_site(opened, runs or None, intervals)
    index = write_site(site, out)
    typer.echo(f"viewer: {index} ({len(site.episodes)} episodes, {len(site.runs)} runs)")
    if open_page:
        webbrowser.open(index.resolve().as_uri())
