"""`toolmaster train sft CONFIG`: supervised fine-tuning on recorded teacher episodes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from toolmaster.cli._common import (
    ConfigArgument,
    TrainStoreOption,
    episodes_store,
    load_config,
    shown,
    with_options,
)
from toolmaster.cli._train_output import output_options
from toolmaster.core import Store

if TYPE_CHECKING:
    from toolmaster.train import SFTResult

sft_app = typer.Typer()


@sft_app.command("sft")
@with_options(output_options("sft"), after="store")
def sft_command(
    ctx: typer.Context, config: ConfigArgument, *, store: TrainStoreOption = None, **output: Any
) -> None:
    """Fine-tune on recorded episodes (trl SFTTrainer, LoRA or full, assistant-only loss) and
    save the adapter or model, its tokenizer and provenance.json to OUTPUT_DIR/final."""
    loaded = load_config(config)
    console = Console(highlight=False)
    console.print(f"[bold]SFT[/] {shown(loaded.name)}: {shown(loaded.description)}")
    from toolmaster.train import run_sft  # noqa: PLC0415 (torch, trl: seconds to import)

    if loaded.data.dataset_dir is not None:
        result = run_sft(loaded, **output)
    else:
        with Store(episodes_store(ctx, store, loaded)) as opened:
            result = run_sft(loaded, store=opened, **output)
    _report(console, result, embedded=loaded.model.name_or_path == "embedded")


def _report(console: Console, result: SFTResult, *, embedded: bool) -> None:
    def loss(value: float | None) -> str:
        return "-" if value is None else f"{value:.4f}"

    console.print(
        f"{result.steps} steps, train loss {loss(result.train_loss)}, held-out loss "
        f"{loss(result.eval_loss)}; {result.tokens} tokens at {result.tokens_per_s:.0f} tokens/s"
    )
    kind = "adapter" if result.lora else "model"
    console.print(f"[green]saved[/] the {kind} to {result.final_dir}")
    if result.lora and embedded:
        console.print(
            f"try it: toolmaster run --env weather --task weather/test/0000 --adapter "
            f"{result.final_dir}"
        )
    elif result.lora:
        console.print(
            f"evaluate it: TransformersPolicy.from_pretrained({result.base!r}, "
            f"adapter={str(result.final_dir)!r})"
        )
    else:
        console.print(f"evaluate it: TransformersPolicy.from_pretrained({str(result.final_dir)!r})")
