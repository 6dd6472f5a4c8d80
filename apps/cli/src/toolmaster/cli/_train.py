"""`toolmaster train sft|grpo`: the sub-app; each stage's command lives in its own module."""

from __future__ import annotations

import typer
from toolmaster.cli._app import app

train_app = typer.Typer(
    help="Train a policy from recorded episodes: SFT, then GRPO over live MCP environments.",
    no_args_is_help=True,
)
app.add_typer(train_app, name="train")
