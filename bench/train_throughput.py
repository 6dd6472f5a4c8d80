"""SFT throughput: `toolmaster train sft` (the library function the command runs, `run_sft`)
against this machine's matmul ceiling and against a plain trl script on the same rows, in one run;
and episodes -> rows per second.

Ceiling: the bench times the model's own matmul shapes (its linear layers and LM head on a
1024-token row) in fp32 and in bf16 on the threads torch uses, and takes the fastest of each as
the peak. Training FLOPs per token, the dense estimate:

    full fine-tuning  6 N + 3 A        LoRA  4 N + 3 A

N is the parameters of the linear layers, the LM head included (forward 2N; the backward 4N with
weight gradients, 2N without: LoRA freezes the weights, its own rank-r matmuls are under 2% and
left out). A is the attention's forward FLOPs per token, 4 x layers x heads x head_dim x the mean
number of keys a token attends to (causal: (s + 1) / 2 for a row of s tokens, averaged over the
rows, weighted by length); attention has no weights, so its backward is 2A in both cases. The
ceiling of a precision is its peak / FLOPs per token. The LM head counts on every position, as in
the usual estimate, though the SFT path computes it on the loss positions only.

Anchor: a plain `trl.SFTTrainer` script with trl's defaults (on a CPU: `use_cpu`, and trl's
bf16 autocast), the saved rows (`load_from_disk`), the base model and tokenizer
(`from_pretrained`), the same `SFTConfig` fields and the recipe's LoRA adapter; target: ToolMaster
>= 1.0x its tokens/s. The two run alternately (`--rounds`), each timed by its trainer
(`train_runtime`, non-padding tokens); a short warm-up round is not counted.

Data path: episodes -> rows per second of `build_sft_dataset` (reading the store, filters, rows,
de-duplication, the split, Arrow) and of the row conversion alone (no outside anchor).

    uv run python bench/train_throughput.py [--model embedded] [--recipe mini-trial] [--steps 8]
        [--rounds 1] [--threads N] [--full] [--lora-dropout P] [--trl KEY=JSON ...]

`--full` trains the whole model on both sides (no LoRA); `--lora-dropout` and `--trl` override
the recipe on both sides (e.g. `--trl bf16=false` for fp32). On a CUDA GPU it also prints the peak
GPU memory and the model FLOPs utilisation against `--peak-tflops` (the datasheet's dense bf16):

    uv run python bench/train_throughput.py --model random:qwen2.5-1.5b --steps 30 --peak-tflops 989
"""

from __future__ import annotations

import argparse
import json
import os
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
ROW_TOKENS = 1024
"""Rows of the matmul shapes (about one training row)."""


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


def matmul_shapes(shape: Any) -> dict[str, tuple[int, int]]:
    """(in, out) features of the model's linear layers and LM head."""
    head_dim = getattr(shape, "head_dim", None) or shape.hidden_size // shape.num_attention_heads
    h = shape.hidden_size
    return {
        "q/o": (h, h),
        "k/v": (h, shape.num_key_value_heads * head_dim),
        "gate/up": (h, shape.intermediate_size),
        "down": (shape.intermediate_size, h),
        "lm_head": (h, shape.vocab_size),
    }


def matmul_rates(
    shapes: dict[str, tuple[int, int]], dtype: torch.dtype, device: str, repeats: int = 5
) -> dict[str, float]:
    """GFLOP/s of `linear(x, w)` per shape, x of ROW_TOKENS rows, the best of `repeats`."""
    rates: dict[str, float] = {}
    for name, (d_in, d_out) in shapes.items():
        x = torch.randn(ROW_TOKENS, d_in, device=device).to(dtype)
        w = torch.randn(d_out, d_in, device=device).to(dtype)
        torch.nn.functional.linear(x, w)  # warm-up: kernels, caches
        best = float("inf")
        for _ in range(repeats):
            if device == "cuda":
                torch.cuda.synchronize()
            started = time.perf_counter()
            torch.nn.functional.linear(x, w)
            if device == "cuda":
                torch.cuda.synchronize()
            best = min(best, time.perf_counter() - started)
        rates[name] = 2 * ROW_TOKENS * d_in * d_out / best / 1e9
    return rates


def linear_params(source: str) -> tuple[Any, int]:
    """The model's config and the parameters of its linear layers (LM head included, once)."""
    shape = AutoConfig.from_pretrained(source)
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(shape)
    params = sum(m.weight.numel() for m in model.modules() if isinstance(m, torch.nn.Linear))
    return shape, params


def attention_flops(shape: Any, lengths: list[int]) -> float:
    """Forward attention FLOPs per token (QK^T and AV, causal), over rows of these lengths."""
    head_dim = getattr(shape, "head_dim", None) or shape.hidden_size // shape.num_attention_heads
    width = shape.num_attention_heads * head_dim
    keys = sum(s * (s + 1) / 2 for s in lengths) / sum(lengths)  # mean keys per token
    return 4 * shape.num_hidden_layers * width * keys


def trl_fields(steps: int, overrides: dict[str, Any]) -> dict[str, Any]:
    """The `[sft.trl]` fields both sides train with."""
    return {
        "max_steps": steps,
        "per_device_train_batch_size": 1,
        "gradient_accumulation_steps": 1,
        "learning_rate": 1e-4,
        "logging_steps": 1000,
        "save_strategy": "no",
        "eval_strategy": "no",
        "max_length": 4096,
        "gradient_checkpointing": False,
        "report_to": "none",
        "include_num_input_tokens_seen": "non_padding",
        "seed": 0,
        **overrides,
    }


def ours(config: TrainConfig, store: Store, out: Path) -> tuple[int, float, str]:
    result = run_sft(config, store=store, output_dir=out)
    return result.tokens, result.train_seconds, result.precision


def plain(config: TrainConfig, dataset_dir: Path, out: Path) -> tuple[int, float, str, list[int]]:
    """The anchor: what a user would write with trl alone (trl's defaults otherwise)."""
    source = model_source(config.model)
    tokenizer = AutoTokenizer.from_pretrained(source)
    tokenizer.chat_template = TRAINING_CHAT_TEMPLATE
    model = AutoModelForCausalLM.from_pretrained(source, dtype=resolve_dtype(config.model.dtype))
    peft_config = None
    if config.lora is not None:
        peft_config = LoraConfig(
            task_type="CAUSAL_LM",
            r=config.lora.r,
            lora_alpha=config.lora.alpha,
            lora_dropout=config.lora.dropout,
            target_modules=config.lora.target_modules,
        )
    args = SFTConfig(
        output_dir=str(out),
        assistant_only_loss=True,
        use_cpu=not torch.cuda.is_available(),
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
    lengths = [len(ids) for ids in trainer.train_dataset["input_ids"]]
    tokens = int(trainer.state.num_input_tokens_seen)
    precision = "bf16" if args.bf16 else "fp16" if args.fp16 else "fp32"
    return tokens, float(output.metrics["train_runtime"]), precision, lengths


def gpu_report(params: int, flops_per_token: float, tokens_per_s: float, peak: float) -> None:
    """Peak GPU memory of the runs and the MFU of ToolMaster's runs."""
    mfu = flops_per_token * tokens_per_s / (peak * 1e12)
    memory = torch.cuda.max_memory_allocated() / 2**30
    name = torch.cuda.get_device_name()
    print(
        f"{name}: {params / 1e6:.0f}M linear parameters, peak memory {memory:.1f} GiB, "
        f"MFU {mfu:.1%}"
    )


def parse_overrides(pairs: list[str]) -> dict[str, Any]:
    overrides: dict[str, Any] = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        overrides[key] = json.loads(value)
    return overrides


def recipe_config(args: argparse.Namespace, steps: int) -> TrainConfig:
    base = TrainConfig.load(Path(__file__).parents[1] / f"configs/train/{args.recipe}.toml")
    lora = None if args.full else base.lora
    if lora is not None and args.lora_dropout is not None:
        lora = lora.model_copy(update={"dropout": args.lora_dropout})
    return base.model_copy(
        update={
            "model": ModelConfig(name_or_path=args.model),
            "lora": lora,
            "data": DataConfig(environments=["weather"], eval_fraction=0.0),
            "sft": base.sft.model_copy(
                update={"trl": trl_fields(steps, parse_overrides(args.trl))}
            ),
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="embedded")
    parser.add_argument("--recipe", default="mini-trial", help="configs/train/RECIPE.toml")
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--threads", type=int, default=None, help="default: torch's")
    parser.add_argument("--full", action="store_true", help="full fine-tuning on both sides")
    parser.add_argument("--lora-dropout", type=float, default=None)
    parser.add_argument("--trl", action="append", default=[], metavar="KEY=JSON")
    parser.add_argument("--episodes", type=int, default=200, help="recorded for the data path")
    parser.add_argument("--peak-tflops", type=float, default=989.0, help="GPU bf16 dense peak")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    load_before = os.getloadavg()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    work = Path(tempfile.mkdtemp(prefix="train-bench-"))
    config = recipe_config(args, args.steps)
    shape, params = linear_params(model_source(config.model))
    shapes = matmul_shapes(shape)
    peaks: dict[str, float] = {}
    for precision, dtype in (("fp32", torch.float32), ("bf16", torch.bfloat16)):
        rates = matmul_rates(shapes, dtype, device)
        peaks[precision] = max(rates.values())
        listed = ", ".join(f"{name} {rate:.0f}" for name, rate in rates.items())
        print(
            f"matmul {precision} on {device}, {torch.get_num_threads()} threads, "
            f"{ROW_TOKENS}-token rows: peak {peaks[precision]:.0f} GFLOP/s ({listed})"
        )
    rates_seen: dict[str, list[float]] = {"ours": [], "plain": []}
    precisions: dict[str, str] = {}
    lengths: list[int] = []
    with Store(work / "sessions.db") as store:
        anyio.run(record, store, max(1, args.episodes // len(ENVS)))
        data_speed(store)
        splits, stats = build_sft_dataset(store, config.data)
        save_sft_dataset(splits, stats, work / "dataset")
        warm = recipe_config(args, 1)
        for round_ in range(-1, args.rounds):  # round -1 warms caches up and is not counted
            for side in ("plain", "ours"):
                out = work / f"{side}-{round_}"
                run = config if round_ >= 0 else warm
                if side == "ours":
                    tokens, seconds, precisions[side] = ours(run, store, out)
                else:
                    tokens, seconds, precisions[side], lengths = plain(run, work / "dataset", out)
                if round_ >= 0:
                    rates_seen[side].append(tokens / seconds)
                print(
                    f"round {round_} {side:5}: {tokens} tokens in {seconds:.1f} s "
                    f"= {tokens / seconds:.0f} tokens/s ({precisions[side]})"
                )
    mine, anchor = statistics.median(rates_seen["ours"]), statistics.median(rates_seen["plain"])
    attention = attention_flops(shape, lengths)
    weights = 4 if config.lora is not None else 6
    per_token = weights * params + 3 * attention
    ceilings = {precision: peak * 1e9 / per_token for precision, peak in peaks.items()}
    print(
        f"{args.model}: {params / 1e6:.1f}M linear parameters, {len(lengths)} rows of "
        f"{statistics.mean(lengths):.0f} tokens on average; FLOPs per token "
        f"{weights}N + 3A = {per_token / 1e6:.0f}M (attention 3A = {3 * attention / 1e6:.0f}M); "
        f"ceilings fp32 {ceilings['fp32']:.0f} tokens/s, bf16 {ceilings['bf16']:.0f} tokens/s"
    )
    if device == "cuda":
        gpu_report(params, per_token, mine, args.peak_tflops)
    used = precisions["ours"] if precisions["ours"] in ceilings else "bf16"
    share = f"{mine / ceilings[used]:.0%} of the {used} ceiling"
    if used != "bf16":
        share += f", {mine / ceilings['bf16']:.0%} of the bf16 ceiling"
    load_after = os.getloadavg()
    print(
        f"SFT {args.model} {'LoRA' if config.lora else 'full'}, {args.steps} steps x "
        f"{args.rounds} rounds, {torch.get_num_threads()} threads: toolmaster {mine:.0f} "
        f"tokens/s ({precisions['ours']}) = {share} (target >= 40% of bf16's); plain trl "
        f"{anchor:.0f} tokens/s ({precisions['plain']}); ratio {mine / anchor:.2f} "
        f"(target >= 1.0); load average {load_before[0]:.1f} before, {load_after[0]:.1f} after"
    )


if __name__ == "__main__":
    main()
