"""`toolmaster train sft|grpo|ship`: the group; each stage's command lives in its own module."""

from __future__ import annotations

import typer
from toolmaster.cli._train_grpo import grpo_app
from toolmaster.cli._train_sft import sft_app
from toolmaster.cli._train_ship import ship_app

train_app = typer.Typer(
    help="Train a policy from recorded episodes: SFT, then GRPO over live MCP environments.",
    no_args_is_help=True,
)
train_app.add_typer(sft_app)
train_app.add_typer(grpo_app)
train_app.add_typer(ship_app)
