"""Supervised fine-tuning on recorded teacher episodes with trl's `SFTTrainer`.

`run_sft(config, store=...)` builds the rows (`toolmaster.train._data`), loads the model
(`toolmaster.train._models`), trains a peft LoRA adapter (or the whole model when the config has
no `[lora]` table) with the loss on the assistant tokens only, and saves the result to
`OUTPUT_DIR/final`: the adapter (or model), the tokenizer with the *inference* chat template, and
`provenance.json`. Checkpoints go to `OUTPUT_DIR/checkpoint-N`; `resume=True` continues from the
latest one. `stop_at=N` ends the run after step N of its schedule with a checkpoint saved and no
`final/` (the schedule, `max_steps`, is unchanged: resuming later goes on from step N as if the
run had not stopped); the result then points at that checkpoint, which loads as an adapter too.

`[sft.trl]` passes through to `trl.SFTConfig` unchanged. ToolMaster sets defaults where trl's do
not fit: `assistant_only_loss = true`, `report_to = "none"`, the config's `seed`, and counting
non-padding tokens (for tokens/s); on a machine without CUDA `use_cpu` is set. `bf16 = "auto"`
(the default) trains with bf16 autocast where the GPU or CPU has bf16 units and in fp32 elsewhere
(trl's default, bf16 always, makes training several times slower on CPUs without them); on the
CPU the LM head runs on the loss positions only (`toolmaster.train._sft_speed`). Evaluation on
the held-out split runs at the end (and during training if `eval_strategy` asks).

Packing is refused unless it is valid: packed episodes share one row, so attention must not cross
from one episode into the next (flash-attention's varlen kernels, `attn_implementation =
"flash_attention_2"` or `"flash_attention_3"`, which trl's padding-free packing relies on; sdpa and
eager attention would mix them), and the strategy must be `bfd`, which never cuts an episode in
two (`wrapped` and `bfd_split` cut long episodes, separating answers from their context).
"""

from __future__ import annotations

import importlib
import json
import logging
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from toolmaster.core import Store, UserError
from toolmaster.train._config import TrainConfig
from toolmaster.train._data import (
    DATASET_INFO,
    DataStats,
    build_sft_dataset,
    load_sft_dataset,
)
from toolmaster.train._models import LoadedModel, load_model
from toolmaster.train._provenance import write_provenance
from toolmaster.train._sft_speed import bf16_supported, restrict_lm_head

if TYPE_CHECKING:
    from datasets import DatasetDict

__all__ = ["FINAL", "SFTResult", "load_sft_data", "run_sft", "sft_config"]

logger = logging.getLogger(__name__)

FINAL = "final"
"""The folder under the output directory that holds the trained adapter or model."""
_VARLEN_ATTENTION = ("flash_attention_2", "flash_attention_3")


@dataclass(frozen=True)
class SFTResult:
    """What a run produced and measured."""

    output_dir: Path
    final_dir: Path
    """The adapter (LoRA) or model (full fine-tuning), its tokenizer and `provenance.json`."""
    base: str
    """The base model's directory or hub id (load the adapter on it)."""
    lora: bool
    steps: int
    train_loss: float | None
    eval_loss: float | None
    """Loss on the held-out split after training (None without one)."""
    eval_loss_before: float | None
    """Loss on the held-out split before training (with `evaluate_before`)."""
    tokens: int
    """Non-padding tokens trained on."""
    train_seconds: float
    precision: str = "fp32"
    """`bf16` or `fp16` (autocast over fp32 weights, or half-precision weights) or `fp32`."""
    stopped: bool = False
    """Ended early by `stop_at`: `final_dir` is the checkpoint of that step, the run resumable."""

    @property
    def tokens_per_s(self) -> float:
        return self.tokens / self.train_seconds if self.train_seconds > 0 else 0.0


def load_sft_data(
    config: TrainConfig, store: Store | None
) -> tuple[DatasetDict, DataStats | dict[str, Any] | None]:
    """The rows to train on: a saved dataset (`data.dataset_dir`) or the episodes of `store`."""
    if config.data.dataset_dir is not None:
        splits = load_sft_dataset(config.data.dataset_dir)
        info = config.data.dataset_dir / DATASET_INFO
        stats = json.loads(info.read_text(encoding="utf-8")) if info.is_file() else None
        return splits, stats
    if store is None:
        raise UserError("SFT needs episodes: give a session store or `data.dataset_dir`")
    return build_sft_dataset(store, config.data)


def sft_config(config: TrainConfig, output_dir: Path, *, has_eval: bool) -> Any:
    """The `trl.SFTConfig` of a run: `[sft.trl]` plus ToolMaster's defaults (module docstring).
    Unknown fields and values trl refuses are `UserError`s."""
    torch: Any = importlib.import_module("torch")
    trl: Any = importlib.import_module("trl")
    options: dict[str, Any] = dict(config.sft.trl)
    options["output_dir"] = str(output_dir)
    options.setdefault("assistant_only_loss", True)
    options.setdefault("report_to", "none")
    options.setdefault("seed", config.seed)
    options.setdefault("include_num_input_tokens_seen", "non_padding")
    if not torch.cuda.is_available():
        options["use_cpu"] = True
    if options.get("bf16", "auto") == "auto":
        device = "cpu" if options.get("use_cpu") else "cuda"
        options["bf16"] = not options.get("fp16") and bf16_supported(device)
    if not has_eval:
        options["eval_strategy"] = "no"
    _check_packing(config, options)
    try:
        return trl.SFTConfig(**options)
    except TypeError as exc:
        raise UserError(f"[sft.trl] of {config.name}: {exc}") from exc
    except ValueError as exc:
        raise UserError(f"[sft.trl] of {config.name} is refused by trl: {exc}") from exc


def _check_packing(config: TrainConfig, options: dict[str, Any]) -> None:
    if not options.get("packing"):
        return
    attention = config.model.attn_implementation or ""
    if not any(attention.endswith(name) for name in _VARLEN_ATTENTION):
        raise UserError(
            f"{config.name}: packing needs [model] attn_implementation = "
            f'"flash_attention_2" (or 3): with {attention or "the default attention"} packed '
            "episodes would attend to each other"
        )
    strategy = options.get("packing_strategy", "bfd")
    if strategy != "bfd":
        raise UserError(
            f'{config.name}: packing_strategy = "{strategy}" cuts episodes in two; use "bfd"'
        )


def _peft_config(config: TrainConfig) -> Any:
    if config.lora is None:
        return None
    peft: Any = importlib.import_module("peft")
    lora = config.lora
    return peft.LoraConfig(
        task_type="CAUSAL_LM",
        r=lora.r,
        lora_alpha=lora.alpha,
        lora_dropout=lora.dropout,
        target_modules=lora.target_modules,
    )


def run_sft(
    config: TrainConfig,
    *,
    store: Store | None = None,
    output_dir: Path | None = None,
    resume: bool | str = False,
    evaluate_before: bool = False,
    stop_at: int | None = None,
) -> SFTResult:
    """Train on the episodes of `store` (or `data.dataset_dir`) and save the result (module
    docstring). `resume`: True for the latest checkpoint in the output directory, or a path.
    `stop_at`: end after that step of the schedule, saving a checkpoint and no `final/`."""
    output_dir = output_dir or config.output_dir
    splits, stats = load_sft_data(config, store)
    has_eval = "eval" in splits and len(splits["eval"]) > 0
    args = sft_config(config, output_dir, has_eval=has_eval)
    if stop_at is not None and (stop_at < 1 or 0 < args.max_steps <= stop_at):
        raise UserError(
            f"--stop-at {stop_at}: give a step from 1 to before the schedule's last "
            f"(max_steps = {args.max_steps})"
        )
    loaded = load_model(config.model)
    trl: Any = importlib.import_module("trl")
    trainer: Any = trl.SFTTrainer(
        model=loaded.model,
        args=args,
        train_dataset=splits["train"],
        eval_dataset=splits["eval"] if has_eval else None,
        processing_class=loaded.tokenizer,
        peft_config=_peft_config(config),
        callbacks=[] if stop_at is None else [_stop_after(stop_at)],
    )
    if args.device.type == "cpu":  # trl projects every position there (_sft_speed)
        restrict_lm_head(trainer.model.get_base_model() if config.lora else trainer.model)
    _warn_truncated(trainer, args)
    before = _eval_loss(trainer) if evaluate_before and has_eval else None
    try:
        output = trainer.train(resume_from_checkpoint=resume or None)
    except ValueError as exc:
        if "checkpoint" in str(exc).lower():
            raise UserError(f"cannot resume in {output_dir}: {exc}") from exc
        raise
    result = SFTResult(
        output_dir=output_dir,
        final_dir=output_dir / FINAL,
        base=loaded.source,
        lora=config.lora is not None,
        steps=int(trainer.state.global_step),
        train_loss=cast(float | None, output.metrics.get("train_loss")),
        eval_loss=_eval_loss(trainer) if has_eval else None,
        eval_loss_before=before,
        tokens=int(trainer.state.num_input_tokens_seen),
        train_seconds=float(output.metrics.get("train_runtime", 0.0)),
        precision=_precision(args, loaded.model),
    )
    planned = int(trainer.state.max_steps)
    if stop_at is not None and result.steps < planned:
        stopped = output_dir / f"checkpoint-{result.steps}"
        logger.info("stopped at step %d of %d: %s", result.steps, planned, stopped)
        return replace(result, final_dir=stopped, stopped=True)
    _save(trainer, loaded, config, result, stats)
    return result


def _stop_after(step: int) -> Any:
    """A trainer callback that ends training after `step`, saving a checkpoint there."""
    transformers: Any = importlib.import_module("transformers")

    class StopAfter(transformers.TrainerCallback):
        def on_step_end(self, args: Any, state: Any, control: Any, **_: Any) -> Any:
            if state.global_step >= step:
                control.should_save = True
                control.should_training_stop = True
            return control

    return StopAfter()


def _precision(args: Any, model: Any) -> str:
    """The precision the matmuls ran in: autocast's, else the weights'."""
    weights = str(model.dtype).removeprefix("torch.")
    if args.bf16 or weights == "bfloat16":
        return "bf16"
    return "fp16" if args.fp16 or weights == "float16" else "fp32"


def _eval_loss(trainer: Any) -> float | None:
    metrics = cast(dict[str, float], trainer.evaluate())
    loss = metrics.get("eval_loss")
    logger.info("eval loss %s", loss)
    return loss


def _warn_truncated(trainer: Any, args: Any) -> None:
    limit = cast(int | None, args.max_length)
    if limit is None or args.packing:
        return
    lengths = [len(ids) for ids in trainer.train_dataset["input_ids"]]
    cut = sum(length >= limit for length in lengths)
    if cut:
        logger.warning(
            "%d of %d training rows reach max_length=%d and were cut: raise [sft.trl] max_length",
            cut,
            len(lengths),
            limit,
        )


def _save(
    trainer: Any,
    loaded: LoadedModel,
    config: TrainConfig,
    result: SFTResult,
    stats: DataStats | dict[str, Any] | None,
) -> None:
    """The adapter or model, the tokenizer with the inference template, and the provenance."""
    trainer.save_model(str(result.final_dir))
    if not trainer.is_world_process_zero():
        return
    tokenizer: Any = loaded.tokenizer
    tokenizer.chat_template = loaded.inference_template
    tokenizer.save_pretrained(str(result.final_dir))
    data = stats.model_dump(mode="json") if isinstance(stats, DataStats) else stats
    write_provenance(
        result.final_dir,
        {
            "stage": "sft",
            "base": result.base,
            "adapter": result.lora,
            "load": _how_to_load(result),
            "config": config.model_dump(mode="json"),
            "data": data,
            "metrics": {
                "steps": result.steps,
                "train_loss": result.train_loss,
                "eval_loss_before": result.eval_loss_before,
                "eval_loss": result.eval_loss,
                "tokens": result.tokens,
                "train_seconds": result.train_seconds,
                "tokens_per_s": result.tokens_per_s,
                "precision": result.precision,
            },
        },
    )
    logger.info("saved %s to %s", "adapter" if result.lora else "model", result.final_dir)


def _how_to_load(result: SFTResult) -> str:
    final = str(result.final_dir)
    if result.lora:
        return f"TransformersPolicy.from_pretrained({result.base!r}, adapter={final!r})"
    return f"TransformersPolicy.from_pretrained({final!r})"
