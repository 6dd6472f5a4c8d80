"""`ship_adapter`: a trained adapter copied as the embedded default, weights in bf16, provenance
merged from the training run (or a checkpoint's trainer state) and the shipping's measurements."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file
from toolmaster.core import UserError
from toolmaster.train import ship_adapter

RATES = {"in-domain/clean/trial": "6/10 (60%, 95% CI 31-83%)"}


def adapter(folder: Path, *, provenance: dict[str, object] | None = None) -> Path:
    folder.mkdir(parents=True)
    weights = {
        "base_model.model.layers.0.q_proj.lora_A.weight": torch.randn(4, 16),
        "base_model.model.layers.0.q_proj.lora_B.weight": torch.randn(16, 4),
    }
    save_file(weights, str(folder / "adapter_model.safetensors"))
    config = {"r": 4, "base_model_name_or_path": "/somewhere/on/the/trainer", "peft_type": "LORA"}
    (folder / "adapter_config.json").write_text(json.dumps(config))
    if provenance is not None:
        (folder / "provenance.json").write_text(json.dumps(provenance))
    return folder


def test_a_finished_run_ships_in_bf16_with_its_provenance_and_the_pass_rates(
    tmp_path: Path,
) -> None:
    source = adapter(tmp_path / "final", provenance={"stage": "sft", "config": {"seed": 0}})
    target = tmp_path / "shipped"
    size = ship_adapter(
        source, target, summary="LoRA r4", pass_rates=RATES, evaluations=[{"run": "r1"}],
        regression={"run": "r2", "passed": 3, "episodes": 10, "tasks": []},
    )  # fmt: skip
    shipped = load_file(str(target / "adapter_model.safetensors"))
    original = load_file(str(source / "adapter_model.safetensors"))
    assert {t.dtype for t in shipped.values()} == {torch.bfloat16}
    for name, tensor in original.items():
        assert torch.equal(shipped[name], tensor.to(torch.bfloat16))
    assert size == (target / "adapter_model.safetensors").stat().st_size
    record = json.loads((target / "provenance.json").read_text())
    assert record["stage"] == "sft" and record["config"] == {"seed": 0}
    assert record["summary"] == "LoRA r4" and record["pass_rates"] == RATES
    assert record["regression"]["passed"] == 3 and record["evaluations"] == [{"run": "r1"}]
    assert record["shipped"]["weights_dtype"] == "bfloat16"
    config = json.loads((target / "adapter_config.json").read_text())
    assert "/somewhere" not in config["base_model_name_or_path"]  # no trainer's path shipped


def test_a_checkpoint_ships_with_its_trainer_state_and_config(tmp_path: Path) -> None:
    source = adapter(tmp_path / "checkpoint-3")
    state = {"global_step": 3, "max_steps": 5, "num_input_tokens_seen": 99,
             "log_history": [{"loss": 1.5, "step": 1}]}  # fmt: skip
    (source / "trainer_state.json").write_text(json.dumps(state))
    target = tmp_path / "shipped"
    ship_adapter(source, target, summary="s", pass_rates=RATES, evaluations=[],
                 config_text="seed = 0\n")  # fmt: skip
    record = json.loads((target / "provenance.json").read_text())
    assert record["checkpoint"]["step"] == 3 and record["checkpoint"]["max_steps"] == 5
    assert record["checkpoint"]["log_history"] == [{"loss": 1.5, "step": 1}]
    assert record["config_toml"] == "seed = 0\n"


def test_what_cannot_ship_is_said_and_the_shipped_copy_is_kept(tmp_path: Path) -> None:
    target = tmp_path / "shipped"
    ship_adapter(adapter(tmp_path / "a"), target, summary="first", pass_rates={}, evaluations=[])
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="not a LoRA adapter folder"):
        ship_adapter(tmp_path / "empty", target, summary="x", pass_rates={}, evaluations=[])
    with pytest.raises(UserError, match="over"):
        ship_adapter(adapter(tmp_path / "b"), target, summary="x", pass_rates={},
                     evaluations=[], max_bytes=10)  # fmt: skip
    assert json.loads((target / "provenance.json").read_text())["summary"] == "first"
