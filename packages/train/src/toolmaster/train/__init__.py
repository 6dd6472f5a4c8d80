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
    rows_of,
    save_sft_dataset,
    select_episodes,
)
from toolmaster.train._environment import environment_class
from toolmaster.train._grpo import GRPOResult, grpo_args, run_grpo
from toolmaster.train._models import LoadedModel, load_model, model_source, resolve_dtype
from toolmaster.train._reward import reward_parts
from toolmaster.train._rollout import RolloutHub, RolloutSettings
from toolmaster.train._sft import SFTResult, run_sft
from toolmaster.train._ship import ship_adapter
from toolmaster.train._synth import (
    ModelTeacher,
    ReferenceTeacher,
    SynthConfig,
    SynthReport,
    Teacher,
    synthesize,
)
from toolmaster.train._templates import TRAINING_CHAT_TEMPLATE
from toolmaster.train._worlds import BundledWorld, WorldTasks, prompt_rows, worlds_of

__all__ = [
    "EMBEDDED",
    "TINY_RANDOM",
    "TRAINING_CHAT_TEMPLATE",
    "BundledWorld",
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
    "RolloutSettings",
    "SFTResult",
    "SFTSection",
    "SynthConfig",
    "SynthReport",
    "Teacher",
    "TrainConfig",
    "WorldTasks",
    "build_sft_dataset",
    "environment_class",
    "episode_row",
    "grpo_args",
    "load_model",
    "load_sft_dataset",
    "model_source",
    "prompt_dataset",
    "prompt_rows",
    "resolve_dtype",
    "reward_parts",
    "rows_of",
    "run_grpo",
    "run_sft",
    "save_sft_dataset",
    "select_episodes",
    "ship_adapter",
    "synthesize",
    "worlds_of",
]
