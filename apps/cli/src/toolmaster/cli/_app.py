"""The `toolmaster` command: the root typer app, to which every command module's app is added."""

from __future__ import annotations

import logging
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer
from toolmaster.cli._common import unconnected
from toolmaster.cli._data import data_app
from toolmaster.cli._demo import demo_app
from toolmaster.cli._eval import eval_app
from toolmaster.cli._memory import memory_app
from toolmaster.cli._mutate import mutate_app
from toolmaster.cli._oauth import quiet_oauth_failures
from toolmaster.cli._repro import repro_app
from toolmaster.cli._resources import resources_app
from toolmaster.cli._run import run_app
from toolmaster.cli._sessions import sessions_app
from toolmaster.cli._settings import CliState
from toolmaster.cli._synth import synth_app
from toolmaster.cli._tools import tools_app
from toolmaster.cli._train import train_app
from toolmaster.cli._tui import tui_app
from toolmaster.cli._view import view_app
from toolmaster.core import ToolMasterError, terminal_safe
from toolmaster.mcp import SecretFilter, ServerConnectError, scrub

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
            "user config directory (e.g. ~/.config/toolmaster/config.toml) if it exists. It "
            "holds data_dir, store_path and, in a \\[policy] table, the defaults of every "
            "command's policy flags: base_url, model, api_key_env (the variable's name), "
            "temperature and max_tokens (TOOLMASTER_POLICY__MODEL, ... from the environment).",
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
    for handler in logging.getLogger().handlers:  # servers' secrets never reach a log line
        if not any(isinstance(f, SecretFilter) for f in handler.filters):
            handler.addFilter(SecretFilter())
    quiet_oauth_failures(logging.getLogger("mcp.client.auth.oauth2"), quiet=verbose < 2)
    if verbose == 0:  # model loading draws progress bars unless told not to (read at import)
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    ctx.obj = CliState(config=config)


# Each command module owns its typer app. The single commands' apps have no name, so their
# commands join the root; the groups are added under their names. `toolmaster --help` lists
# them in this order.
for commands in (
    demo_app,
    mutate_app,
    resources_app,
    run_app,
    synth_app,
    tools_app,
    tui_app,
    view_app,
):
    app.add_typer(commands)
app.add_typer(train_app, name="train")
app.add_typer(data_app, name="data")
app.add_typer(eval_app, name="eval")
app.add_typer(sessions_app, name="sessions")
app.add_typer(memory_app, name="memory")
app.add_typer(repro_app, name="repro")


def main(argv: Sequence[str] | None = None) -> None:
    """Run the command line. A ToolMaster error (a mistake in the input, a store that cannot be
    used, ...) is printed as one line, `error: ...`, on stderr and exits with status 2. Any
    other crash prints its traceback, with the servers' secrets scrubbed like every message."""
    try:
        app(args=None if argv is None else list(argv), prog_name="toolmaster")
    except ServerConnectError as exc:  # one line per server, as where the others go on
        unconnected(exc.failures)
        raise SystemExit(2) from None
    except ToolMasterError as exc:
        message = "; ".join(line.strip() for line in str(exc).splitlines() if line.strip())
        typer.echo(f"error: {terminal_safe(scrub(message))}", err=True)
        raise SystemExit(2) from None
    except Exception as exc:  # noqa: BLE001 (the top level: a crash, its traceback scrubbed)
        sys.stderr.write(scrub("".join(traceback.format_exception(exc))))
        raise SystemExit(1) from None
