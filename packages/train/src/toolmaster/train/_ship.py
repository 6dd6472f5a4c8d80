"""Ship a trained LoRA adapter as the embedded default: half-precision weights and provenance.

`ship_adapter` copies an adapter folder (`OUTPUT_DIR/final` of `toolmaster train sft|grpo`) to
where the embedded policy loads it from (`toolmaster.agent.SHIPPED_ADAPTER`): the config as is,
the weights cast to bf16 (half the bytes of the fp32 training copy; the policy merges them into
its own weights, so nothing is computed in bf16 that was not before), and the training's
`provenance.json` with what the shipping adds (the measured pass rates, a one-line summary).
"""

from __future__ import annotations

import importlib
import json
import shutil
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from toolmaster.core import UserError
from toolmaster.train._provenance import PROVENANCE, git_commit

__all__ = ["ADAPTER_FILES", "ship_adapter"]

ADAPTER_FILES = ("adapter_config.json", "adapter_model.safetensors")
"""What a LoRA adapter folder must hold (peft's names)."""


def ship_adapter(
    source: Path,
    target: Path,
    *,
    summary: str,
    pass_rates: Mapping[str, Any],
    evaluations: Sequence[Mapping[str, Any]],
    regression: Mapping[str, Any] | None = None,
    config_text: str | None = None,
    max_bytes: int | None = None,
) -> int:
    """Copy the adapter in `source` to `target` (replaced), weights in bf16, with provenance;
    the size of the weights file in bytes. `pass_rates` ("suite/setting/mode" to a readable
    figure), `evaluations` (the runs they came from) and `regression` (the tasks and passes of
    the regression set the shipped-adapter test replays) go into the provenance, and the
    training config's text (`config_text`) where the source has no provenance of its own."""
    import torch  # noqa: PLC0415 (heavy)

    tensors: Any = importlib.import_module("safetensors.torch")  # partly typed

    missing = [name for name in ADAPTER_FILES if not (source / name).is_file()]
    if missing:
        raise UserError(f"{source} is not a LoRA adapter folder: no {', '.join(missing)}")
    weights: dict[str, torch.Tensor] = tensors.load_file(str(source / "adapter_model.safetensors"))
    half = {
        name: tensor.to(torch.bfloat16) if tensor.is_floating_point() else tensor
        for name, tensor in weights.items()
    }
    staging = target.with_name(f".{target.name}.staging")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    tensors.save_file(half, str(staging / "adapter_model.safetensors"), metadata={"format": "pt"})
    size = (staging / "adapter_model.safetensors").stat().st_size
    if max_bytes is not None and size > max_bytes:
        shutil.rmtree(staging)
        raise UserError(f"the adapter is {size / 1e6:.1f} MB in bf16, over {max_bytes / 1e6} MB")
    config = json.loads((source / "adapter_config.json").read_text(encoding="utf-8"))
    config["base_model_name_or_path"] = "SmolLM2-135M-Instruct (toolmaster embedded)"
    (staging / "adapter_config.json").write_text(json.dumps(config, indent=2) + "\n", "utf-8")
    record = _training_record(source)
    if config_text is not None and "config" not in record:
        record["config_toml"] = config_text
    record["shipped"] = {
        "summary": summary,
        "source": str(source),
        "shipped_at": datetime.now(UTC).isoformat(),
        "git": git_commit(),
        "weights_dtype": "bfloat16",
        "weights_bytes": size,
    }
    record["summary"] = summary
    record["pass_rates"] = dict(pass_rates)
    record["evaluations"] = list(evaluations)
    if regression is not None:
        record["regression"] = dict(regression)
    (staging / PROVENANCE).write_text(
        json.dumps(record, indent=2, default=str) + "\n", encoding="utf-8"
    )
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    return size


def _training_record(source: Path) -> dict[str, Any]:
    """What trained the adapter: the `provenance.json` of a finished run (`OUTPUT_DIR/final`), or
    for a checkpoint (`OUTPUT_DIR/checkpoint-N`, a run stopped early) what its trainer state says
    (the step, tokens seen, the loss history) and the run's final provenance if there is one."""
    trained = source / PROVENANCE
    if trained.is_file():
        return cast(dict[str, Any], json.loads(trained.read_text(encoding="utf-8")))
    state = source / "trainer_state.json"
    if not state.is_file():
        return {}
    facts = json.loads(state.read_text(encoding="utf-8"))
    return {
        "stage": "sft",
        "checkpoint": {
            "step": facts.get("global_step"),
            "max_steps": facts.get("max_steps"),
            "tokens": facts.get("num_input_tokens_seen"),
            "log_history": facts.get("log_history", []),
        },
    }
