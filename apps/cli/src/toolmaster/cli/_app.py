"""The `toolmaster` command: one typer app with a sub-app per area."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer
from toolmaster.cli._settings import CliState
from toolmaster.core import ToolMasterError

app = typer.Typer(
    name="toolmaster",
    help="ToolMaster: agents that learn unfamiliar MCP tools by trialing them, then execute.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            help="TOML settings file. Default: $TOOLMASTER_CONFIG, else config.toml in the "
            "user config directory (e.g. ~/.config/toolmaster/config.toml) if it exists.",
            show_default=False,
        ),
    ] = None,
    verbose: Annotated[
        int, typer.Option("--verbose", "-v", count=True, help="More logging: -v info, -vv debug.")
    ] = 0,
) -> None:
    """ToolMaster: agents that learn unfamiliar MCP tools by trialing them, then execute."""
    level = (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    # Configured before any MCP server is built: the SDK's own basicConfig then leaves it be.
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    if verbose == 0:  # model loading draws progress bars unless told not to (read at import)
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    ctx.obj = CliState(config=config)


# Sub-commands register themselves on `app` when their module is imported. Add a module to
# this import and to the tuple below (the tuple keeps the imports used for ruff and pyright).
from toolmaster.cli import (  # noqa: E402
    _data,
    _demo,
    _eval,
    _eval_bfcl,
    _eval_run,
    _memory,
    _mutate,
    _run,
    _sessions,
    _synth,
    _tools,
    _train,
    _train_grpo,
    _train_sft,
    _tui,
)

COMMAND_MODULES = (
    _data,
    _demo,
    _eval,
    _eval_bfcl,
    _eval_run,
    _memory,
    _mutate,
    _run,
    _sessions,
    _synth,
    _tools,
    _train,
    _train_grpo,
    _train_sft,
    _tui,
)
"""The modules whose import registered their commands on `app`."""

from toolmaster.cli._repro import repro_app  # noqa: E402

app.add_typer(repro_app, name="repro")


def main(argv: Sequence[str] | None = None) -> None:
    """Run the command line. A ToolMaster error (a mistake in the input, a store that cannot be
    used, ...) is printed as one line, `error: ...`, on stderr and exits with status 2."""
    try:
        app(args=None if argv is None else list(argv), prog_name="toolmaster")
    except ToolMasterError as exc:
        message = "; ".join(line.strip() for line in str(exc).splitlines() if line.strip())
        typer.echo(f"error: {message}", err=True)
        raise SystemExit(2) from None
