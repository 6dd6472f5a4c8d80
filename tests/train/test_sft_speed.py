"""The SFT path's speed settings change nothing it computes: the LM head on the loss positions
gives trl's loss and gradients on a fixed batch (LoRA and full fine-tuning, fp32 and bf16
autocast), models whose logits trl transforms keep trl's head, and `bf16 = "auto"` follows the
hardware's bf16 units."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from datasets import Dataset
from peft import LoraConfig
from toolmaster.core import Store
from toolmaster.train._config import ModelConfig, TrainConfig
from toolmaster.train._data import build_sft_dataset
from toolmaster.train._models import load_model
from toolmaster.train._sft import sft_config
from toolmaster.train._sft_speed import bf16_supported, restrict_lm_head
from trl import SFTConfig, SFTTrainer

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def rows(tiny_model: ModelConfig, reference_store_path: Path) -> Dataset:
    config = TrainConfig.load(REPO / "configs" / "train" / "cpu-smoke.toml")
    data = config.data.model_copy(update={"environments": ["weather"], "eval_fraction": 0.0})
    with Store(reference_store_path) as store:
        splits, _ = build_sft_dataset(store, data)
    return splits["train"].select(range(2))


def _trainer(tiny_model: ModelConfig, rows: Dataset, tmp_path: Path, *, lora: bool) -> Any:
    loaded = load_model(tiny_model)
    args = SFTConfig(
        output_dir=str(tmp_path),
        assistant_only_loss=True,
        max_length=None,
        per_device_train_batch_size=2,
        use_cpu=True,
        bf16=False,
        report_to="none",
    )
    peft = LoraConfig(task_type="CAUSAL_LM", r=4, lora_alpha=8, lora_dropout=0.0)
    return SFTTrainer(
        model=loaded.model,
        args=args,
        train_dataset=rows,
        processing_class=loaded.tokenizer,
        peft_config=peft if lora else None,
    )


def _loss_and_grads(trainer: Any, batch: dict[str, Any], *, bf16: bool) -> tuple[Any, list[Any]]:
    model = trainer.model
    model.zero_grad()
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        loss = trainer.compute_loss(model, dict(batch))
    loss.backward()
    grads = [p.grad.clone() for p in model.parameters() if p.requires_grad]
    return loss.detach(), grads


@pytest.mark.parametrize(("lora", "bf16"), [(True, False), (False, False), (True, True)])
def test_the_head_on_loss_positions_gives_trls_loss_and_gradients(
    tiny_model: ModelConfig, rows: Dataset, tmp_path: Path, *, lora: bool, bf16: bool
) -> None:
    trainer = _trainer(tiny_model, rows, tmp_path, lora=lora)
    batch = next(iter(trainer.get_train_dataloader()))
    labels = batch["labels"]
    assert labels.shape[0] == 2 and 0 < int((labels != -100).sum()) < labels.numel() // 2
    trainer.model.train()
    before, grads_before = _loss_and_grads(trainer, batch, bf16=bf16)
    base = trainer.model.get_base_model() if lora else trainer.model
    assert restrict_lm_head(base)
    after, grads_after = _loss_and_grads(trainer, batch, bf16=bf16)
    tolerance = 1e-2 if bf16 else 1e-5
    assert after.item() == pytest.approx(before.item(), rel=tolerance)
    assert len(grads_after) == len(grads_before) > 0
    for new, old in zip(grads_after, grads_before, strict=True):
        assert torch.allclose(new, old, rtol=tolerance * 10, atol=tolerance * 1e-2)
    # generation and plain forwards still go through the model's own forward
    with torch.no_grad():
        logits = base(input_ids=batch["input_ids"][:1, :8]).logits
    assert logits.shape[:2] == (1, 8)


def test_models_whose_logits_trl_scales_keep_trls_head(
    tiny_model: ModelConfig, rows: Dataset, tmp_path: Path
) -> None:
    trainer = _trainer(tiny_model, rows, tmp_path, lora=False)
    trainer.model.config.logit_scale = 2.0
    forward = trainer.model.forward
    assert not restrict_lm_head(trainer.model)
    assert trainer.model.forward == forward


def _cpuinfo_flags() -> set[str] | None:
    info = Path("/proc/cpuinfo")
    if not info.is_file():
        return None
    for line in info.read_text().splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return None


def test_bf16_auto_follows_the_cpus_bf16_units(tiny_model: ModelConfig, tmp_path: Path) -> None:
    flags = _cpuinfo_flags()
    if flags is not None:  # the kernel's view of the CPU agrees with torch's
        assert bf16_supported("cpu") == bool(flags & {"avx512_bf16", "amx_bf16"})
    assert not bf16_supported("mps")
    config = TrainConfig.load(REPO / "configs" / "train" / "cpu-smoke.toml")
    config = config.model_copy(update={"model": tiny_model})
    if not torch.cuda.is_available():
        args = sft_config(config, tmp_path, has_eval=False)
        assert args.use_cpu and args.bf16 == bf16_supported("cpu")
    sft = config.sft.model_copy(update={"trl": {**config.sft.trl, "bf16": False}})
    fixed = sft_config(config.model_copy(update={"sft": sft}), tmp_path, has_eval=False)
    assert fixed.bf16 is False
