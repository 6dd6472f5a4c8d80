"""The `toolmaster` command: one typer app with a sub-app per area."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="toolmaster",
    help="ToolMaster: agents that learn unfamiliar MCP tools by trialing them, then execute.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Sub-commands register themselves on `app` when their module is imported.
from toolmaster.cli import _sessions  # noqa: E402, F401  (registration)
from toolmaster.cli import _mutate  # noqa: E402, F401  (registration)


def main() -> None:
    app()
