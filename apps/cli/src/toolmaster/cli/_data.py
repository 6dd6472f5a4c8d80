"""`toolmaster data build|prompts CONFIG --out DIR`: recorded episodes -> an SFT dataset, and
tasks -> a GRPO prompt set, on disk."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.console import Console
from rich.table import Table
from toolmaster.cli._common import ConfigArgument, TrainStoreOption, episodes_store, load_config
from toolmaster.core import Store, UserError

data_app = typer.Typer(
    help="Training data from recorded episodes (trl's conversational format).",
    no_args_is_help=True,
)


@data_app.command("build")
def build_command(
    ctx: typer.Context,
    config: ConfigArgument,
    *,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write the dataset to.")],
    store: TrainStoreOption = None,
) -> None:
    """Turn the episodes that the config's data filters keep into `train` and `eval` splits of
    {messages, tools} rows, saved with `datasets` (load them with `load_from_disk(DIR)`)."""
    loaded = load_config(config)
    _check_empty(out)
    from toolmaster.train import build_sft_dataset, save_sft_dataset  # noqa: PLC0415

    path = episodes_store(ctx, store, loaded)
    with Store(path) as opened:
        splits, stats = build_sft_dataset(opened, loaded.data)
    save_sft_dataset(splits, stats, out)
    table = Table(box=box.SIMPLE, show_header=False)
    table.add_row("episodes read", str(stats.episodes_read))
    for reason, count in sorted(stats.dropped.items()):
        table.add_row(f"dropped: {reason}", str(count))
    table.add_row("duplicates", str(stats.duplicates))
    table.add_row("train rows (tasks)", f"{stats.train_rows} ({stats.train_tasks})")
    table.add_row("eval rows (tasks)", f"{stats.eval_rows} ({stats.eval_tasks})")
    table.add_row("rows per second", f"{stats.rows_per_s:.0f}")
    console = Console(highlight=False)
    console.print(table)
    console.print(f"[green]saved[/] to {out} (datasets.load_from_disk({str(out)!r}))")


@data_app.command("prompts")
def prompts_command(
    config: ConfigArgument,
    *,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write the prompts to.")],
) -> None:
    """Turn the tasks of the config's GRPO worlds (grpo.environments, grpo.servers) into trl
    prompt rows {prompt, environment, task}, saved with `datasets`; `toolmaster train grpo`
    builds the same rows itself."""
    loaded = load_config(config)
    _check_empty(out)
    from toolmaster.train import prompt_dataset, prompt_rows, worlds_of  # noqa: PLC0415

    rows = prompt_rows(worlds_of(loaded.grpo, dict(os.environ)), loaded.grpo.mode)
    dataset: Any = prompt_dataset(rows)
    dataset.save_to_disk(str(out))
    worlds = sorted({str(row["environment"]) for row in rows})
    Console(highlight=False).print(
        f"[green]saved[/] {len(rows)} {loaded.grpo.mode}-mode prompts of {', '.join(worlds)} "
        f"to {out}"
    )


def _check_empty(out: Path) -> None:
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise UserError(f"{out} exists and is not empty: choose another --out or remove it")
