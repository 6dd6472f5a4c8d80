"""`toolmaster train sft|grpo`: the sub-app; each stage's command lives in its own module."""

from __future__ import annotations

from pathlib import Path

import typer
from toolmaster.cli._app import app
from toolmaster.core import UserError

train_app = typer.Typer(
    help="Train a policy from recorded episodes: SFT, then GRPO over live MCP environments.",
    no_args_is_help=True,
)
app.add_typer(train_app, name="train")

CONFIG_DIR = Path("configs/train")
"""Where `CONFIG` names are looked up when they are not a file: `configs/train/NAME.toml`."""


def resolve_config(name: str) -> Path:
    """A config file: `name` itself when it is a file, else `configs/train/NAME.toml`."""
    given = Path(name)
    if given.is_file():
        return given
    named = CONFIG_DIR / f"{name}.toml"
    if named.is_file():
        return named
    known = sorted(p.stem for p in CONFIG_DIR.glob("*.toml")) if CONFIG_DIR.is_dir() else []
    hint = f" (known: {', '.join(known)})" if known else ""
    raise UserError(f"no training config {name!r}: not a file, nor {named}{hint}")
