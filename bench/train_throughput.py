"""SFT throughput: `toolmaster train sft` (the library function the command runs, `run_sft`)
against a plain trl script on the same data, model and settings; and episodes -> rows per second.

Anchor for training: a plain `trl.SFTTrainer` script that loads the saved dataset with
`load_from_disk`, the base model and tokenizer with `from_pretrained`, and trains with the same
`SFTConfig` fields and LoRA adapter. ToolMaster adds config handling, reading the episodes from the
store, provenance and saving; its training tokens/s over the anchor's should stay >= 0.95.
The two run alternately (`--rounds`), each timed by the trainer (`train_runtime`).

Anchor for the data path: none outside ToolMaster; it prints episodes -> rows per second of
`build_sft_dataset` (reading the store, filters, rows, de-duplication, the split, Arrow) and of
the row conversion alone.

    uv run python bench/train_throughput.py [--model tiny-random|embedded] [--steps 12]
        [--rounds 2] [--threads 1] [--episodes 200]

On a CUDA GPU it trains in bf16 and also prints the peak GPU memory and the model FLOPs
utilisation (MFU = 6 x parameters x tokens/s / peak FLOP/s, the usual dense estimate; with LoRA
the frozen weights need no weight gradients, so real utilisation is lower than 6N suggests):

    uv run python bench/train_throughput.py --model random:qwen2.5-0.5b --peak-tflops 989
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio
import torch
from datasets import load_from_disk
from peft import LoraConfig
from toolmaster.agent import AgentConfig, Recorder, reference_policy, run_env_tasks
from toolmaster.core import AsyncStore, Store, get_environment
from toolmaster.train import (
    TRAINING_CHAT_TEMPLATE,
    DataConfig,
    ModelConfig,
    TrainConfig,
    build_sft_dataset,
    model_source,
    resolve_dtype,
    rows_of,
    run_sft,
    save_sft_dataset,
    select_episodes,
)
from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer
from trl import SFTConfig, SFTTrainer

ENVS = ("weather", "shop", "sqlbase", "files", "calendar")


async def record(store: Store, per_env: int) -> None:
    for name in ENVS:
        env = get_environment(name)
        tasks = env.tasks("train")[:per_env]
        policy = reference_policy(env, "trial")
        await run_env_tasks(env, tasks, policy, AgentConfig(), recorder=Recorder(AsyncStore(store)))


def data_speed(store: Store, repeats: int = 5) -> None:
    """Median rows/s of reading the store, of the row conversion, and of the whole build."""
    config = DataConfig(require_trial=True)
    build_sft_dataset(store, config)  # warm: imports, caches
    read, convert, whole = [], [], []
    for _ in range(repeats):
        started = time.perf_counter()
        episodes = list(select_episodes(store, config))
        read.append(len(episodes) / (time.perf_counter() - started))
        started = time.perf_counter()
        rows_of(episodes, config)
        convert.append(len(episodes) / (time.perf_counter() - started))
        whole.append(build_sft_dataset(store, config)[1].rows_per_s)
    print(
        f"episodes -> dataset rows ({len(episodes)} episodes, median of {repeats}): "
        f"{statistics.median(whole):.0f} rows/s end to end; reading the store "
        f"{statistics.median(read):.0f}/s, rows + filters + dedup "
        f"{statistics.median(convert):.0f}/s"
    )


def trl_fields(steps: int) -> dict[str, Any]:
    """The `[sft.trl]` fields both sides train with."""
    return {
        "max_steps": steps,
        "per_device_train_batch_size": 1,
        "learning_rate": 1e-4,
        "logging_steps": 1000,
        "save_strategy": "no",
        "eval_strategy": "no",
        "max_length": 4096,
        "gradient_checkpointing": False,
        "report_to": "none",
        "include_num_input_tokens_seen": "non_padding",
        "seed": 0,
    }


def ours(config: TrainConfig, store: Store, out: Path) -> tuple[int, float]:
    result = run_sft(config, store=store, output_dir=out)
    return result.tokens, result.train_seconds


def plain(config: TrainConfig, dataset_dir: Path, out: Path) -> tuple[int, float]:
    """The anchor: what a user would write with trl alone."""
    source = model_source(config.model)
    tokenizer = AutoTokenizer.from_pretrained(source)
    tokenizer.chat_template = TRAINING_CHAT_TEMPLATE
    model = AutoModelForCausalLM.from_pretrained(source, dtype=resolve_dtype(config.model.dtype))
    lora = config.lora
    assert lora is not None
    peft_config = LoraConfig(
        task_type="CAUSAL_LM",
        r=lora.r,
        lora_alpha=lora.alpha,
        lora_dropout=lora.dropout,
        target_modules=lora.target_modules,
    )
    args = SFTConfig(
        output_dir=str(out),
        assistant_only_loss=True,
        use_cpu=not torch.cuda.is_available(),
        bf16=torch.cuda.is_available(),
        **config.sft.trl,
    )
    trainer: Any = SFTTrainer(
        model=model,
        args=args,
        train_dataset=load_from_disk(str(dataset_dir))["train"],
        processing_class=tokenizer,
        peft_config=peft_config,
    )
    output = trainer.train()
    return int(trainer.state.num_input_tokens_seen), float(output.metrics["train_runtime"])


def gpu_report(config: TrainConfig, tokens_per_s: float, peak_tflops: float) -> None:
    """Peak GPU memory of the runs and the MFU of ToolMaster's runs."""
    with torch.device("meta"):
        shape = AutoConfig.from_pretrained(model_source(config.model))
        model = AutoModelForCausalLM.from_config(shape)
    params = sum(p.numel() for p in model.parameters())
    mfu = 6 * params * tokens_per_s / (peak_tflops * 1e12)
    memory = torch.cuda.max_memory_allocated() / 2**30
    name = torch.cuda.get_device_name()
    print(f"{name}: {params / 1e6:.0f}M parameters, peak memory {memory:.1f} GiB, MFU {mfu:.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="tiny-random")
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--episodes", type=int, default=200, help="recorded for the data path")
    parser.add_argument("--peak-tflops", type=float, default=989.0, help="GPU bf16 dense peak")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    work = Path(tempfile.mkdtemp(prefix="train-bench-"))
    with Store(work / "sessions.db") as store:
        anyio.run(record, store, max(1, args.episodes // len(ENVS)))
        data_speed(store)
        base = TrainConfig.load(Path(__file__).parents[1] / "configs/train/cpu-smoke.toml")
        config = base.model_copy(
            update={
                "model": ModelConfig(name_or_path=args.model),
                "data": DataConfig(environments=["weather"], eval_fraction=0.0),
                "sft": base.sft.model_copy(update={"trl": trl_fields(args.steps)}),
            }
        )
        splits, stats = build_sft_dataset(store, config.data)
        save_sft_dataset(splits, stats, work / "dataset")
        rates: dict[str, list[float]] = {"ours": [], "plain": []}
        for round_ in range(-1, args.rounds):  # round -1 warms caches up and is not counted
            for side in ("plain", "ours"):
                out = work / f"{side}-{round_}"
                if side == "ours":
                    tokens, seconds = ours(config, store, out)
                else:
                    tokens, seconds = plain(config, work / "dataset", out)
                if round_ >= 0:
                    rates[side].append(tokens / seconds)
                print(
                    f"round {round_} {side:5}: {tokens} tokens in {seconds:.1f} s "
                    f"= {tokens / seconds:.0f} tokens/s"
                )
    mine, anchor = statistics.median(rates["ours"]), statistics.median(rates["plain"])
    if torch.cuda.is_available():
        gpu_report(config, mine, args.peak_tflops)
    print(
        f"SFT {args.model}, {args.steps} steps x {args.rounds} rounds, {args.threads} threads: "
        f"toolmaster {mine:.0f} tokens/s, plain trl {anchor:.0f} tokens/s, "
        f"ratio {mine / anchor:.3f} (target >= 0.95)"
    )


if __name__ == "__main__":
    main()
