"""ToolMaster trainer: teacher synthesis, episodes to SFT and GRPO data, trl + peft runners.

Importing this package is cheap: torch, transformers and trl load when a run starts.
See docs/training.md (data, SFT, configs) and docs/grpo.md (synthesis, GRPO, the reward).
"""

from toolmaster.train._config import (
    EMBEDDED,
    TINY_RANDOM,
    DataConfig,
    GRPOSection,
    LoraConfig,
    ModelConfig,
    RewardConfig,
    SFTSection,
    TrainConfig,
)
from toolmaster.train._data import (
    DataStats,
    build_sft_dataset,
    episode_row,
    load_sft_dataset,
    prompt_dataset,
    save_sft_dataset,
    select_episodes,
)
from toolmaster.train._grpo import GRPOResult, grpo_args, run_grpo
from toolmaster.train._models import LoadedModel, load_model
from toolmaster.train._reward import reward_parts
from toolmaster.train._rollout import RolloutHub
from toolmaster.train._sft import SFTResult, run_sft
from toolmaster.train._synth import (
    ModelTeacher,
    ReferenceTeacher,
    SynthConfig,
    SynthReport,
    synthesize,
)

__all__ = [
    "EMBEDDED",
    "TINY_RANDOM",
    "DataConfig",
    "DataStats",
    "GRPOResult",
    "GRPOSection",
    "LoadedModel",
    "LoraConfig",
    "ModelConfig",
    "ModelTeacher",
    "ReferenceTeacher",
    "RewardConfig",
    "RolloutHub",
    "SFTResult",
    "SFTSection",
    "SynthConfig",
    "SynthReport",
    "TrainConfig",
    "build_sft_dataset",
    "episode_row",
    "grpo_args",
    "load_model",
    "load_sft_dataset",
    "prompt_dataset",
    "reward_parts",
    "run_grpo",
    "run_sft",
    "save_sft_dataset",
    "select_episodes",
    "synthesize",
]
