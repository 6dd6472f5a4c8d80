"""The arms of the comparison and the evaluation stages they share between mini and paper.

Five arms, as in the paper's ablation: the base model in direct mode and with the trial prompt;
SFT on direct teacher trajectories (evaluated direct); SFT on trial-and-execution trajectories
(ToolMaster SFT, evaluated in trial mode); that SFT followed by GRPO (ToolMaster).

Each arm is one evaluation run over the in-domain test split and the out-of-domain servers in
every setting. Its run id is `ARM-HASH`, HASH from the digest of the model it evaluates (a
retrained adapter gets a new run, never the episodes of the old one) and the budgets.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from toolmaster.cli._repro._pipeline import Command, Context, Stage, Step
from toolmaster.cli._repro._services import Service

__all__ = ["ARMS", "Arm", "EvalBudgets", "arm_runs", "eval_stage", "run_id"]


@dataclass(frozen=True)
class Arm:
    """One arm: its name, the mode it is evaluated in, the stage that trains its model (None:
    the base model) and a line for the report."""

    name: str
    mode: str
    trained_by: str | None
    label: str


ARMS: tuple[Arm, ...] = (
    Arm("base-direct", "direct", None, "base model, direct"),
    Arm("base-trial", "trial", None, "base model, trial prompt"),
    Arm("sft-direct", "direct", "sft-direct", "SFT on direct teacher episodes"),
    Arm("sft-trial", "trial", "sft-trial", "SFT on trial teacher episodes (ToolMaster SFT)"),
    Arm("grpo", "trial", "grpo", "ToolMaster SFT + GRPO (ToolMaster)"),
)


@dataclass(frozen=True)
class EvalBudgets:
    """What every arm's evaluation shares: which tasks and settings, and the episode budgets."""

    suites: str = "in-domain,out-of-domain"
    settings: str = "all"
    tasks_per_env: int | None = None
    limit: int | None = None
    max_turns: int = 8
    max_trial_calls: int = 4
    max_new_tokens: int = 256
    concurrency: int = 4
    seed: int = 0

    def flags(self) -> list[str]:
        out = ["--suite", self.suites, "--setting", self.settings, "--seed", str(self.seed)]
        if self.tasks_per_env is not None:
            out += ["--tasks-per-env", str(self.tasks_per_env)]
        if self.limit is not None:
            out += ["--limit", str(self.limit)]
        out += ["--max-turns", str(self.max_turns), "--max-trial-calls", str(self.max_trial_calls)]
        out += ["--max-new-tokens", str(self.max_new_tokens)]
        return [*out, "--concurrency", str(self.concurrency)]

    def identity(self) -> str:
        """The parts that change what an episode is (not how many): they enter the run id."""
        return f"{self.max_turns}/{self.max_trial_calls}/{self.max_new_tokens}/{self.seed}"


def run_id(arm: Arm, model_digest: str, budgets: EvalBudgets) -> str:
    """`ARM-HASH`: a new run for a new model or new budgets; the same run (resumed, or
    extended with more tasks) otherwise."""
    key = f"{arm.name}|{model_digest}|{budgets.identity()}"
    return f"{arm.name}-{hashlib.sha256(key.encode()).hexdigest()[:6]}"


PolicyFlags = Callable[[Arm, Context], list[str]]
"""The `--policy ...` flags of an arm's evaluation (embedded with its adapter, or an endpoint)."""


def eval_stage(
    arm: Arm,
    *,
    store: Path,
    budgets: EvalBudgets,
    policy_flags: PolicyFlags,
    launcher: Sequence[str],
    base_digest: str,
    env: dict[str, str] | None = None,
    expected_s: float | None = None,
    services: tuple[Service, ...] = (),
    after: tuple[str, ...] = (),
) -> Stage:
    """The stage that evaluates one arm (resumable: the eval run skips recorded episodes)."""

    def steps(context: Context) -> list[Step]:
        digest = context.digest(arm.trained_by) if arm.trained_by else base_digest
        tool = (
            "eval", "run", *policy_flags(arm, context), "--mode", arm.mode, *budgets.flags(),
            "--run", run_id(arm, digest, budgets), "--store", str(store),
        )  # fmt: skip
        return [Command((*launcher, *tool), toolmaster=tool, env=env or {})]

    return Stage(
        name=f"eval-{arm.name}",
        steps=steps,
        after=(*after, *((arm.trained_by,) if arm.trained_by else ())),
        expected_s=expected_s,
        services=services,
    )


def arm_runs(context: Context, budgets: EvalBudgets, base_digest: str) -> dict[str, str]:
    """Arm name -> its evaluation run id (the trained arms' stages must have run)."""
    return {
        arm.name: run_id(
            arm, context.digest(arm.trained_by) if arm.trained_by else base_digest, budgets
        )
        for arm in ARMS
    }
