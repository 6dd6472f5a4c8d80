"""`--output-dir` and `--resume`, the output options of `train sft` and `train grpo`, for
`with_options`: the commands hand them to `run_sft` and `run_grpo` as they are (`**output`)."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Annotated, Literal

import typer
from toolmaster.cli._common import option

_HELP: dict[str, tuple[str, str]] = {
    "sft": (
        "Checkpoints and the result (default: the config's output_dir).",
        "Continue from the latest checkpoint in the output folder.",
    ),
    "grpo": (
        "Where checkpoints and the result go (default: OUTPUT_DIR/grpo).",
        "Continue from the last checkpoint in the output folder.",
    ),
}
"""Each stage's help for --output-dir and --resume."""


def output_options(stage: Literal["sft", "grpo"]) -> list[inspect.Parameter]:
    """--output-dir and --resume, with the stage's help."""
    output_dir, resume = _HELP[stage]
    return [
        option("output_dir", Annotated[Path | None, typer.Option(help=output_dir)]),
        option("resume", Annotated[bool, typer.Option(help=resume)], False),
    ]
