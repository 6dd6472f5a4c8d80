"""SFT end to end on recorded teacher episodes: the cpu-smoke recipe with the tiny model, what
trl trains on (exactly the assistant tokens), resuming, full fine-tuning, the saved result loaded
as a policy, the command line, bad input, and (slow) SmolLM2-135M learning held-out episodes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from datasets import load_from_disk
from safetensors.torch import load_file
from toolmaster.agent import (
    CHATML_TOOLS_TEMPLATE,
    AgentConfig,
    TransformersPolicy,
    render_tool_calls,
    run_env_task,
)
from toolmaster.cli._app import main
from toolmaster.core import Episode, Sampling, Store, UserError, get_environment
from toolmaster.train._config import ModelConfig, TrainConfig
from toolmaster.train._data import build_sft_dataset, save_sft_dataset
from toolmaster.train._sft import run_sft, sft_config
from trl import SFTConfig, SFTTrainer

from tests.cli._isolation import isolate

REPO = Path(__file__).resolve().parents[2]
SMOKE = REPO / "configs" / "train" / "cpu-smoke.toml"


def smoke(
    tiny_model: ModelConfig, out: Path, *, eval_fraction: float = 0.0, **trl: Any
) -> TrainConfig:
    """The cpu-smoke recipe on the session's tiny model and the short weather episodes (no
    held-out split unless asked: evaluation is the slow part here)."""
    config = TrainConfig.load(SMOKE)
    update = {"environments": ["weather"], "eval_fraction": eval_fraction}
    data = config.data.model_copy(update=update)
    sft = config.sft.model_copy(update={"trl": {**config.sft.trl, "max_steps": 2, **trl}})
    return config.model_copy(
        update={"model": tiny_model, "data": data, "sft": sft, "output_dir": out}
    )


@pytest.fixture(scope="module")
def trained(
    tiny_model: ModelConfig, reference_store_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Any:
    out = tmp_path_factory.mktemp("smoke")
    with Store(reference_store_path) as store:
        config = smoke(tiny_model, out, eval_fraction=0.2)
        return run_sft(config, store=store, evaluate_before=True)


def test_cpu_smoke_trains_and_saves_a_loadable_adapter(trained: Any) -> None:
    final = trained.final_dir
    assert trained.lora and trained.steps == 2 and trained.tokens > 0
    assert trained.eval_loss is not None and trained.eval_loss_before is not None
    assert trained.train_loss is not None and trained.tokens_per_s > 0
    assert {"adapter_config.json", "adapter_model.safetensors", "tokenizer.json"} <= {
        p.name for p in final.iterdir()
    }
    assert sorted(p.name for p in final.parent.glob("checkpoint-*")) == ["checkpoint-2"]
    lora_b = [
        t for name, t in load_file(final / "adapter_model.safetensors").items() if "B" in name
    ]
    assert lora_b and any(t.abs().sum() > 0 for t in lora_b)  # B starts at zero: it learnt
    provenance = json.loads((final / "provenance.json").read_text())
    assert provenance["base"] == trained.base and provenance["adapter"] is True
    assert provenance["config"]["name"] == "cpu-smoke"
    assert provenance["data"]["train_rows"] > 0 and provenance["data"]["eval_rows"] > 0
    assert provenance["metrics"]["eval_loss"] == trained.eval_loss
    assert provenance["versions"]["trl"] and "created_at" in provenance
    assert (final / "chat_template.jinja").read_text() == CHATML_TOOLS_TEMPLATE


@pytest.mark.anyio
async def test_the_result_runs_as_a_policy(trained: Any, reference_episodes: list[Episode]) -> None:
    policy = TransformersPolicy.from_pretrained(trained.base, adapter=trained.final_dir)
    assert policy.info.adapter == str(trained.final_dir)
    env = get_environment("weather")
    task = env.tasks("test")[0]
    config = AgentConfig(max_turns=1, sampling=Sampling(max_tokens=8))
    episode = await run_env_task(env, task, policy, config)
    assert episode.messages[2].role == "assistant" and episode.usage.completion_tokens > 0


def test_trl_trains_exactly_the_assistant_tokens(
    tiny_model: ModelConfig, reference_store: Store, tmp_path: Path
) -> None:
    # A plain trl script on the saved dataset: what trl would train on is exactly what the
    # assistant wrote, trial turns and the finish_trial call included.
    config = smoke(tiny_model, tmp_path)
    splits, stats = build_sft_dataset(reference_store, config.data)
    save_sft_dataset(splits, stats, tmp_path / "ds")
    dataset: Any = load_from_disk(str(tmp_path / "ds"))
    from toolmaster.train._models import load_model

    loaded = load_model(tiny_model)
    args = SFTConfig(
        output_dir=str(tmp_path / "plain"),
        assistant_only_loss=True,
        max_length=None,
        max_steps=1,
        per_device_train_batch_size=1,
        use_cpu=True,
        bf16=False,
        gradient_checkpointing=False,
        report_to="none",
    )
    trainer = SFTTrainer(
        model=loaded.model,
        args=args,
        train_dataset=dataset["train"],
        processing_class=loaded.tokenizer,
    )
    row = trainer.train_dataset[0]
    runs: list[list[int]] = []
    for position, label in enumerate(row["labels"]):
        if label == -100:
            continue
        if not runs or row["labels"][position - 1] == -100:
            runs.append([])
        runs[-1].append(label)
    episode = reference_store.get_episode(dataset["train"][0]["episode_id"])
    assert episode is not None
    assistant = [m for m in episode.messages if m.role == "assistant"]
    assert [loaded.tokenizer.decode(run) for run in runs] == [
        f"{render_tool_calls(m.tool_calls, content=m.content)}<|im_end|>" for m in assistant
    ]
    assert any(
        c.tool == "finish_trial" and c.phase == "trial" for m in assistant for c in m.tool_calls
    )
    trainer.train()  # and it trains


def test_resume_continues_from_the_latest_checkpoint(
    tiny_model: ModelConfig, reference_store: Store, tmp_path: Path
) -> None:
    first = run_sft(smoke(tiny_model, tmp_path, save_steps=1), store=reference_store)
    assert first.steps == 2
    more = smoke(tiny_model, tmp_path, save_steps=1, max_steps=3)
    again = run_sft(more, store=reference_store, resume=True)
    assert again.steps == 3
    state = json.loads((tmp_path / "checkpoint-3" / "trainer_state.json").read_text())
    assert [e["step"] for e in state["log_history"] if "loss" in e] == [1, 2, 3]


def test_stop_at_ends_early_and_resume_keeps_the_schedule(
    tiny_model: ModelConfig, reference_store: Store, tmp_path: Path
) -> None:
    """--stop-at N: a checkpoint at N and no final/; resuming then trains the rest of the same
    schedule, so the learning rates are those of a run that never stopped."""
    plan: dict[str, Any] = {"max_steps": 3, "save_steps": 10, "logging_steps": 1}
    plan["lr_scheduler_type"] = "linear"  # a rate that changes every step
    stopped = run_sft(smoke(tiny_model, tmp_path / "a", **plan), store=reference_store, stop_at=1)
    assert stopped.stopped and stopped.steps == 1
    assert stopped.final_dir == tmp_path / "a" / "checkpoint-1"
    assert (stopped.final_dir / "adapter_model.safetensors").is_file()
    assert not (tmp_path / "a" / "final").exists()
    resumed = run_sft(smoke(tiny_model, tmp_path / "a", **plan), store=reference_store, resume=True)
    whole = run_sft(smoke(tiny_model, tmp_path / "b", **plan), store=reference_store)
    assert (
        not resumed.stopped
        and resumed.steps == 3
        and (resumed.final_dir / "provenance.json").is_file()
    )

    def rates(out: Path) -> dict[int, float]:
        state = json.loads((out / "checkpoint-3" / "trainer_state.json").read_text())
        return {e["step"]: e["learning_rate"] for e in state["log_history"] if "loss" in e}

    assert whole.steps == 3 and rates(tmp_path / "a") == rates(tmp_path / "b")
    with pytest.raises(UserError, match="--stop-at 3: give a step from 1 to before"):
        run_sft(smoke(tiny_model, tmp_path / "c", **plan), store=reference_store, stop_at=3)


def test_full_fine_tuning_saves_the_model(
    tiny_model: ModelConfig, reference_store: Store, tmp_path: Path
) -> None:
    config = smoke(tiny_model, tmp_path, max_steps=1).model_copy(update={"lora": None})
    result = run_sft(config, store=reference_store)
    assert not result.lora and (result.final_dir / "model.safetensors").is_file()
    policy = TransformersPolicy.from_pretrained(result.final_dir)
    assert policy.tokenizer.chat_template == CHATML_TOOLS_TEMPLATE


def test_bad_settings_are_user_errors(
    tiny_model: ModelConfig, reference_store: Store, tmp_path: Path
) -> None:
    with pytest.raises(UserError, match=r"\[sft.trl\] of cpu-smoke: .*learning_rat"):
        sft_config(smoke(tiny_model, tmp_path, learning_rat=1.0), tmp_path, has_eval=True)
    with pytest.raises(UserError, match=r"packing needs .*flash_attention_2"):
        sft_config(smoke(tiny_model, tmp_path, packing=True), tmp_path, has_eval=True)
    with pytest.raises(UserError, match="cannot resume"):
        run_sft(smoke(tiny_model, tmp_path / "fresh"), store=reference_store, resume=True)
    with pytest.raises(UserError, match="needs episodes"):
        run_sft(smoke(tiny_model, tmp_path))
    bad = tmp_path / "bad.toml"
    bad.write_text('[model]\nname_or_pth = "tiny-random"\n')
    with pytest.raises(UserError, match=r"(?s)bad.toml is invalid.*name_or_pth"):
        TrainConfig.load(bad)


@dataclass
class Run:
    code: int
    out: str
    err: str


def run_main(capsys: pytest.CaptureFixture[str], *args: str) -> Run:
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    out, err = capsys.readouterr()
    code = exit_info.value.code
    return Run(code if isinstance(code, int) else 1, out, err)


def test_command_line(
    tiny_model: ModelConfig,
    reference_store_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    isolate(monkeypatch, tmp_path / "home")
    config = smoke(tiny_model, tmp_path / "run", max_steps=1)
    path = tmp_path / "smoke.toml"
    path.write_text(_toml(config))
    store = str(reference_store_path)
    built = run_main(
        capsys, "data", "build", str(path), "--out", str(tmp_path / "ds"), "--store", store
    )
    assert built.code == 0, built.err
    assert "train rows" in built.out and (tmp_path / "ds" / "toolmaster-dataset.json").is_file()
    again = run_main(
        capsys, "data", "build", str(path), "--out", str(tmp_path / "ds"), "--store", store
    )
    assert again.code == 2 and "exists and is not empty" in again.err
    trained = run_main(capsys, "train", "sft", str(path), "--store", store)
    assert trained.code == 0, trained.err
    assert "1 steps" in trained.out and (tmp_path / "run" / "final" / "provenance.json").is_file()
    missing = run_main(capsys, "train", "sft", str(path), "--store", str(tmp_path / "none.db"))
    assert missing.code == 2 and "no session store at" in missing.err
    unknown = run_main(capsys, "train", "sft", "no-such-recipe")
    assert unknown.code == 2 and "no training config 'no-such-recipe'" in unknown.err


def _toml(config: TrainConfig) -> str:
    """A TOML file for a config (enough of TOML for the fields cpu-smoke uses)."""
    lines = [f'name = "{config.name}"', f'output_dir = "{config.output_dir}"', "[model]"]
    lines += [
        f'name_or_path = "{config.model.name_or_path}"',
        f'cache_dir = "{config.model.cache_dir}"',
    ]
    lines += ["[lora]", "r = 8", "alpha = 16", "[data]", 'environments = ["weather"]']
    lines += ["eval_fraction = 0.0", "[sft.trl]"]
    lines += [f"{key} = {json.dumps(value)}" for key, value in config.sft.trl.items()]
    return "\n".join(lines) + "\n"


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_smollm2_lora_sft_lowers_the_held_out_loss(reference_store: Store, tmp_path: Path) -> None:
    # The weather episodes cut at 1536 tokens: the system prompt and tools (~890 tokens), the
    # task and the first ~280 tokens the teacher wrote (about 10 s a bf16 CPU step at this length).
    config = TrainConfig.load(REPO / "configs" / "train" / "cpu-small.toml")
    data = config.data.model_copy(update={"environments": ["weather"], "eval_fraction": 0.25})
    trl = {**config.sft.trl, "max_steps": 8, "eval_strategy": "no", "max_length": 1536}
    trl |= {"gradient_accumulation_steps": 1, "warmup_steps": 0, "learning_rate": 1e-3}
    config = config.model_copy(
        update={
            "data": data,
            "sft": config.sft.model_copy(update={"trl": trl}),
            "output_dir": tmp_path,
        }
    )
    result = run_sft(config, store=reference_store, evaluate_before=True)
    assert result.eval_loss_before is not None and result.eval_loss is not None
    print(f"held-out loss {result.eval_loss_before:.3f} -> {result.eval_loss:.3f}")
    assert result.eval_loss < result.eval_loss_before * 0.8
