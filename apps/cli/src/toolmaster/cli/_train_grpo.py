"""`toolmaster train grpo CONFIG`: GRPO over live MCP environments, rewards from the verifiers."""

from __future__ import annotations

import os
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape  # help is Rich markup: TOML tables such as [lora] are escaped
from toolmaster.cli._common import resolve_config, shown, with_options
from toolmaster.cli._train_output import output_options
from toolmaster.core import Store, UserError

grpo_app = typer.Typer()


@grpo_app.command("grpo")
@with_options(output_options("grpo"), after="init")
def grpo_command(
    config: Annotated[
        str, typer.Argument(help="A config file, or the name of one in configs/train/.")
    ],
    *,
    init: Annotated[
        Path | None,
        typer.Option(
            help=escape(
                "Start from a trained adapter or model: an SFT output's final folder "
                "(e.g. runs/cpu-smoke/final). Default: the config's base model ([lora] adds an "
                "adapter)."
            )
        ),
    ] = None,
    max_steps: Annotated[
        int | None, typer.Option(help=escape("Override [grpo.trl] max_steps (quick tries)."))
    ] = None,
    store: Annotated[
        Path | None,
        typer.Option(
            help="Record every rollout in this session store as an episode (policy "
            "grpo-<config>; metadata: step, reward and its terms), to browse with `toolmaster "
            "tui`. Default: rollouts are not recorded."
        ),
    ] = None,
    **output: Any,
) -> None:
    r"""Train with GRPO: each rollout runs a task on a fresh MCP session of a bundled environment
    (or of the servers of [\[grpo.servers]]), the model's tool calls reach the real servers, and
    the reward is the verifier's outcome plus format and trial terms (docs/grpo.md)."""
    from toolmaster.train import TrainConfig  # noqa: PLC0415 (fast --help)

    path = resolve_config(config)
    loaded = TrainConfig.load(path)
    if max_steps is not None:
        if max_steps < 1:
            raise UserError(f"--max-steps must be 1 or more, not {max_steps}")
        grpo = loaded.grpo.model_copy(update={"trl": {**loaded.grpo.trl, "max_steps": max_steps}})
        loaded = loaded.model_copy(update={"grpo": grpo})
    console = Console(highlight=False)
    console.print(
        f"[bold]GRPO[/] {shown(loaded.name)} ({shown(path)}): {shown(loaded.description)}"
    )
    from toolmaster.train import run_grpo  # noqa: PLC0415 (torch, trl: seconds to import)

    with ExitStack() as stack:
        opened = stack.enter_context(Store(store)) if store is not None else None
        result = run_grpo(loaded, init=init, environ=dict(os.environ), store=opened, **output)
    rewards = [float(h["reward"]) for h in result.log_history if "reward" in h]
    console.print(
        f"{result.global_step} steps, {result.rollouts} rollouts on fresh MCP sessions, "
        f"{result.tool_calls} tool calls"
        + (
            f"; mean reward {rewards[0]:.3f} at the first step, {rewards[-1]:.3f} at the last"
            if rewards
            else ""
        )
    )
    console.print(f"saved to {result.final_dir} (provenance.json says how to load it)")
    if store is not None:
        console.print(f"rollouts recorded in {store}")
