"""`toolmaster train ship ADAPTER --run RUN...`: make a trained adapter the embedded default."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from toolmaster.agent import SHIPPED_ADAPTER
from toolmaster.cli._common import open_store
from toolmaster.core import Episode, UserError

ship_app = typer.Typer()


def _calls(episode: Episode) -> int:
    """Calls of an episode that reached a server (trial and execution)."""
    counts = (episode.metadata.get(key) for key in ("trial_calls", "execute_calls"))
    return sum(value for value in counts if isinstance(value, int))


MAX_BYTES = 20 * 1024 * 1024
"""The most an adapter shipped inside the agent package may weigh (issue 18: 20 MB)."""


@ship_app.command("ship")
def ship_command(
    ctx: typer.Context,
    adapter: Annotated[Path, typer.Argument(help="The adapter folder (OUTPUT_DIR/final).")],
    *,
    run: Annotated[
        list[str],
        typer.Option(help="Evaluation runs of this adapter whose pass rates the provenance keeps."),
    ],
    summary: Annotated[str, typer.Option(help="One line on what the adapter is.")],
    regression: Annotated[
        str | None,
        typer.Option(
            help="The run of the regression set (tests/cli/test_shipped_adapter.py): its "
            "tasks and passes are recorded for that test to hold later changes to."
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(help="The training config, kept when ADAPTER is a checkpoint-N folder."),
    ] = None,
    store: Annotated[Path | None, typer.Option(help="The store of those runs.")] = None,
    to: Annotated[
        Path | None,
        typer.Option(
            help="Where to put it (default: where the embedded policy loads its default "
            "adapter from, toolmaster/agent/adapter)."
        ),
    ] = None,
) -> None:
    """Copy a trained LoRA adapter (weights in bf16, at most 20 MB) to where the embedded policy
    loads its default from, with its training provenance (of a checkpoint-N folder: its trainer
    state and --config) and the pass rates of the given evaluation runs (per suite, setting and
    mode, with Wilson intervals)."""
    from toolmaster.eval import run_episodes, summarise  # noqa: PLC0415 (numpy)
    from toolmaster.train import ship_adapter  # noqa: PLC0415 (torch)

    with open_store(ctx, store) as opened:
        groups = summarise(run_episodes(opened, run))
        held = run_episodes(opened, [regression]) if regression else []
    if not groups:
        raise UserError(f"no episodes of the runs {', '.join(run)} in the store")
    if regression and not held:
        raise UserError(f"no episodes of the regression run {regression} in the store")
    rates: dict[str, Any] = {}
    for g in groups:
        low, high = g.pass_ci or (0.0, 0.0)
        rates[f"{g.suite}/{g.setting}/{g.mode}"] = (
            f"{g.passed}/{g.episodes} ({g.passed / g.episodes:.0%}, 95% CI {low:.0%}-{high:.0%})"
        )
    evaluations: list[dict[str, Any]] = [
        {"run": g.run, "suite": g.suite, "setting": g.setting, "mode": g.mode,
         "policy": g.policy, "episodes": g.episodes, "passed": g.passed, "pass_ci": g.pass_ci}
        for g in groups
    ]  # fmt: skip
    checks = None
    if held:
        checks = {
            "run": regression,
            "tasks": sorted(f"{item.episode.task.id}:{item.episode.mode}" for item in held),
            "passed": sum(
                1 for item in held if item.episode.verdict and item.episode.verdict.passed
            ),
            "calling": sum(1 for item in held if _calls(item.episode) > 0),
            "episodes": len(held),
        }
    to = to or SHIPPED_ADAPTER
    size = ship_adapter(
        adapter, to, summary=summary, pass_rates=rates, evaluations=evaluations,
        regression=checks, max_bytes=MAX_BYTES,
        config_text=config.read_text(encoding="utf-8") if config else None,
    )  # fmt: skip
    console = Console(highlight=False)
    console.print(f"shipped {adapter} to {to} ({size / 1e6:.1f} MB)")
    for key, value in rates.items():
        console.print(f"  {key}: {value}")
