"""`toolmaster eval ...`: the sub-app; its commands live in their own modules."""

from __future__ import annotations

import typer
from toolmaster.cli._app import app

eval_app = typer.Typer(
    help="Evaluate policies on seen, unseen and perturbed tools, and on BFCL multi-turn.",
    no_args_is_help=True,
)
app.add_typer(eval_app, name="eval")
