"""`toolmaster eval ...`: the group; its commands live in their own modules."""

from __future__ import annotations

import typer
from toolmaster.cli._eval_bfcl import bfcl_app
from toolmaster.cli._eval_run import runs_app

eval_app = typer.Typer(
    help="Evaluate policies on seen, unseen and perturbed tools, and on BFCL multi-turn.",
    no_args_is_help=True,
)
eval_app.add_typer(bfcl_app)
eval_app.add_typer(runs_app)
