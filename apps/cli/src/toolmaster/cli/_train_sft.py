"""`toolmaster train sft CONFIG`: supervised fine-tuning on recorded teacher episodes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer
from rich.console import Console
from rich.markup import escape  # help is Rich markup: TOML tables such as [sft.trl] are escaped
from toolmaster.cli._common import (
    ConfigArgument,
    TrainStoreOption,
    episodes_store,
    load_config,
    shown,
    store_file,
    with_options,
)
from toolmaster.cli._settings import settings_of
from toolmaster.cli._synth import reference_episodes
from toolmaster.cli._train_output import output_options
from toolmaster.core import Store, UserError

if TYPE_CHECKING:
    from toolmaster.train import SFTResult, TrainConfig

sft_app = typer.Typer()


@sft_app.command("sft")
@with_options(output_options("sft"), after="store")
def sft_command(
    ctx: typer.Context,
    config: ConfigArgument,
    *,
    max_steps: Annotated[
        int | None, typer.Option(help=escape("Override [sft.trl] max_steps (quick tries)."))
    ] = None,
    stop_at: Annotated[
        int | None,
        typer.Option(
            help="Stop after this step of the schedule, with a checkpoint saved; --resume goes "
            "on later as if the run had not stopped (the learning-rate schedule is the config's)."
        ),
    ] = None,
    store: TrainStoreOption = None,
    synth: Annotated[
        bool,
        typer.Option(
            "--synth",
            help="When the store holds no episodes, record the reference teachers over the "
            "config's environments first (toolmaster synth).",
        ),
    ] = False,
    **output: Any,
) -> None:
    """Fine-tune on recorded episodes (trl SFTTrainer, LoRA or full, assistant-only loss) and
    save the adapter or model, its tokenizer and provenance.json to OUTPUT_DIR/final. With
    --resume, a run whose final/ is saved and that the config would not take further is
    complete: it says so and trains nothing."""
    loaded = load_config(config)
    if max_steps is not None:
        if max_steps < 1:
            raise UserError(f"--max-steps must be 1 or more, not {max_steps}")
        sft = loaded.sft.model_copy(update={"trl": {**loaded.sft.trl, "max_steps": max_steps}})
        loaded = loaded.model_copy(update={"sft": sft})
    console = Console(highlight=False)
    output_dir: Path = output["output_dir"] or loaded.output_dir
    done = _finished(output_dir, loaded) if output["resume"] else None
    if done is not None:
        steps = done.get("metrics", {}).get("steps")
        console.print(
            f"the run in {shown(output_dir)} is complete ({steps} steps, saved in "
            f"{shown(output_dir / 'final')}): nothing to resume"
        )
        trained = done.get("config", {}).get("model", {}).get("name_or_path")
        lora = bool(done.get("adapter"))
        base = str(done.get("base"))
        console.print(
            _evaluate(output_dir / "final", base, lora=lora, embedded=trained == "embedded")
        )
        return
    console.print(f"[bold]SFT[/] {shown(loaded.name)}: {shown(loaded.description)}")
    from toolmaster.train import run_sft  # noqa: PLC0415 (torch, trl: seconds to import)

    if loaded.data.dataset_dir is not None:
        result = run_sft(loaded, stop_at=stop_at, **output)
    else:
        if synth:
            _record_if_empty(ctx, store, loaded, console)
        with Store(episodes_store(ctx, store, loaded)) as opened:
            result = run_sft(loaded, store=opened, stop_at=stop_at, **output)
    _report(console, result, embedded=loaded.model.name_or_path == "embedded")


def _record_if_empty(
    ctx: typer.Context, flag: Path | None, config: TrainConfig, console: Console
) -> None:
    """--synth: the reference teachers' episodes, where the store has none yet."""
    path = flag or config.data.store or settings_of(ctx).sessions_db
    if path.is_file():
        with Store(path) as opened:
            if opened.count() > 0:
                return
    console.print(f"no episodes in {shown(path)}: recording the reference teachers' first")
    environments, modes = list(config.data.environments), list(config.data.modes)
    reference_episodes(
        store_file(ctx, path), environments=environments, modes=modes, console=console
    )


_PLAN = ("max_steps", "num_train_epochs")
"""The `[sft.trl]` keys that say how far a run goes: a resumed run with other values goes on."""


def _finished(output_dir: Path, config: TrainConfig) -> dict[str, Any] | None:
    """The provenance of the finished SFT run in `output_dir` (its final/ is written only when
    training ended), unless `config` plans it further; None when there is none."""
    path = output_dir / "final" / "provenance.json"
    try:
        loaded: object = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(loaded, dict):
        return None
    record = cast(dict[str, Any], loaded)
    if record.get("stage") != "sft":
        return None
    trained: dict[str, Any] = record.get("config", {}).get("sft", {}).get("trl", {})
    if any(trained.get(key) != config.sft.trl.get(key) for key in _PLAN):
        return None
    return record


def _report(console: Console, result: SFTResult, *, embedded: bool) -> None:
    def loss(value: float | None) -> str:
        return "-" if value is None else f"{value:.4f}"

    console.print(
        f"{result.steps} steps, train loss {loss(result.train_loss)}, held-out loss "
        f"{loss(result.eval_loss)}; {result.tokens} tokens at {result.tokens_per_s:.0f} tokens/s"
    )
    kind = "adapter" if result.lora else "model"
    if result.stopped:
        console.print(
            f"[yellow]stopped[/] at step {result.steps} (--stop-at): the checkpoint is "
            f"{shown(result.final_dir)}; --resume goes on from it"
        )
    else:
        console.print(f"[green]saved[/] the {kind} to {shown(result.final_dir)}")
    console.print(_evaluate(result.final_dir, result.base, lora=result.lora, embedded=embedded))


def _evaluate(final: Path, base: str, *, lora: bool, embedded: bool) -> str:
    """The command that evaluates a trained result (as Rich markup): an adapter of the embedded
    model on the command line as it is; anything else behind an OpenAI-compatible server."""
    if lora and embedded:
        command = f"toolmaster eval run --policy embedded --adapter {final} --suite in-domain"
        return f"evaluate it: {shown(command)}"
    served = f"{base} --enable-lora --lora-modules sft={final}" if lora else f"{final}"
    serve = f"vllm serve {served} --served-model-name sft"
    evaluate = (
        "toolmaster eval run --policy openai --base-url http://127.0.0.1:8000/v1 --model sft "
        "--suite in-domain"
    )
    return f"evaluate it: serve it ({shown(serve)}), then {shown(evaluate)}"
