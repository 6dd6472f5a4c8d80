"""`toolmaster repro mini` (`just repro-mini`): the paper in miniature on a CPU,
SmolLM2-135M-Instruct + LoRA.

Stages (each skipped when done, each resumable; `_pipeline`):

1. `synth`: the reference teachers over the in-domain train tasks, trial and direct mode
   (`toolmaster synth`, its own store `OUT/teacher.db`);
2. `sft-direct`, `sft-trial`: LoRA SFT on the passed direct / trial episodes
   (configs/train/mini-direct.toml, mini-trial.toml);
3. `grpo`: GRPO from the trial SFT adapter over live MCP sessions (mini-trial.toml `[grpo]`);
4. `eval-ARM` for the five arms (`_arms`): the in-domain test split and the
   out-of-domain servers in every setting (`toolmaster eval run`, store `OUT/eval.db`);
5. `report`: `toolmaster eval report` of the five runs, the arms summary and the stage timings
   into the results folder (docs/results/mini/ by default).

Profiles size the stages: `default` (42 minutes measured on the 2-core CPU; docs/results/mini.md
has the measurements behind it and what its budgets cannot show) and `quick` (a wiring check: a
handful of tasks, a couple of steps, one task per suite). `--model tiny-random --eval-policy
reference` runs the same stages with the tiny random model and the reference teachers
(tests/cli/test_repro.py).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Literal

from toolmaster.cli._repro._arms import ARMS, Arm, EvalBudgets, PolicyFlags, arm_runs, eval_stage
from toolmaster.cli._repro._configs import derive_config
from toolmaster.cli._repro._pipeline import RECORDS, Call, Command, Context, Stage, Step

__all__ = [
    "PROFILES",
    "EvalPolicyName",
    "MiniOptions",
    "MiniSizes",
    "ModelName",
    "ProfileName",
    "mini_stages",
    "with_overrides",
    "write_pipeline",
]

RECIPES = Path("configs/train")
LAUNCHER: tuple[str, ...] = (sys.executable, "-m", "toolmaster.cli")
"""How the stages call `toolmaster`: this interpreter (the workspace's), so no PATH lookup."""

ProfileName = Literal["default", "quick"]
ModelName = Literal["embedded", "tiny-random"]
EvalPolicyName = Literal["embedded", "reference"]


@dataclass(frozen=True)
class MiniSizes:
    """How big each stage is."""

    synth_tasks_per_env: int
    synth_samples: int
    sft_direct_steps: int
    sft_trial_steps: int
    sft_grad_accum: int
    sft_max_length: int
    grpo_steps: int
    grpo_tasks_per_env: int
    grpo_generations: int
    grpo_completion: int
    grpo_max_turns: int
    grpo_max_trial_calls: int
    eval: EvalBudgets
    batch: int
    """Generation batch of the embedded model in the evaluations."""
    expected_min: dict[str, float]
    """Expected minutes per stage kind (synth, sft-direct, sft-trial, grpo, eval-base,
    eval-trained, report), from the measurements in docs/results/mini.md."""


PROFILES: dict[ProfileName, MiniSizes] = {
    "default": MiniSizes(
        synth_tasks_per_env=8, synth_samples=1,
        sft_direct_steps=12, sft_trial_steps=12, sft_grad_accum=1, sft_max_length=4096,
        grpo_steps=2, grpo_tasks_per_env=4, grpo_generations=2, grpo_completion=192,
        grpo_max_turns=6, grpo_max_trial_calls=3,
        eval=EvalBudgets(limit=1, max_turns=4, max_trial_calls=2, max_new_tokens=128,
                         concurrency=6),
        batch=6,
        expected_min={"synth": 0.5, "sft-direct": 11, "sft-trial": 12, "grpo": 3,
                      "eval-base": 2, "eval-trained": 7, "report": 0.5},
    ),
    "quick": MiniSizes(
        synth_tasks_per_env=2, synth_samples=1,
        sft_direct_steps=2, sft_trial_steps=2, sft_grad_accum=1, sft_max_length=2048,
        grpo_steps=1, grpo_tasks_per_env=1, grpo_generations=2, grpo_completion=48,
        grpo_max_turns=2, grpo_max_trial_calls=1,
        eval=EvalBudgets(limit=1, max_turns=3, max_trial_calls=1, max_new_tokens=48,
                         concurrency=2),
        batch=2,
        expected_min={"synth": 0.5, "sft-direct": 3, "sft-trial": 3, "grpo": 4,
                      "eval-base": 3, "eval-trained": 4, "report": 0.5},
    ),
}  # fmt: skip


@dataclass(frozen=True)
class MiniOptions:
    """One invocation: the profile's sizes, where things go, and the model and policy."""

    profile: ProfileName
    sizes: MiniSizes
    out: Path
    results: Path
    model: ModelName = "embedded"
    """`embedded` (SmolLM2-135M) or `tiny-random` (the wiring test)."""
    eval_policy: EvalPolicyName = "embedded"
    """`embedded` (the arms' models) or `reference` (the teachers in every arm: wiring only)."""
    threads: int | None = None
    """OMP_NUM_THREADS for every stage (None: torch's default)."""


def _expected(sizes: MiniSizes, kind: str) -> float:
    return 60.0 * sizes.expected_min.get(kind, 0.0)


def _env(options: MiniOptions) -> dict[str, str]:
    return {} if options.threads is None else {"OMP_NUM_THREADS": str(options.threads)}


_FOLDERS = {"mini-direct": "sft-direct", "mini-trial": "sft-trial"}


def _sft_config(options: MiniOptions, recipe: str, steps: int) -> tuple[Path, dict[str, Any]]:
    s = options.sizes
    overrides: dict[str, Any] = {
        "output_dir": str(options.out / _FOLDERS[recipe]),
        "model": {"name_or_path": options.model},
        "sft": {"trl": {"max_steps": steps, "gradient_accumulation_steps": s.sft_grad_accum,
                        "max_length": s.sft_max_length, "save_steps": max(1, steps // 3)}},
        "grpo": {"tasks_per_env": s.grpo_tasks_per_env, "max_turns": s.grpo_max_turns,
                 "max_trial_calls": s.grpo_max_trial_calls,
                 "trl": {"max_steps": s.grpo_steps, "num_generations": s.grpo_generations,
                         "per_device_train_batch_size": s.grpo_generations,
                         "max_completion_length": s.grpo_completion, "save_steps": 1}},
    }  # fmt: skip
    if recipe == "mini-direct":
        del overrides["grpo"]
    path = options.out / "configs" / f"{recipe}.toml"
    return path, derive_config(RECIPES / f"{recipe}.toml", overrides, path)


def _train_stages(options: MiniOptions) -> list[Stage]:
    s, out, env = options.sizes, options.out, _env(options)
    teacher = out / "teacher.db"
    synth = ("synth", "--run", "teacher", "--mode", "trial", "--mode", "direct",
             "--tasks-per-env", str(s.synth_tasks_per_env), "--samples", str(s.synth_samples),
             "--concurrency", "4", "--no-events", "--store", str(teacher))  # fmt: skip
    stages = [
        Stage("synth", [Command((*LAUNCHER, *synth), synth, env)], output=teacher,
              owned=(teacher,), expected_s=_expected(s, "synth")),
    ]  # fmt: skip
    for arm, recipe, steps in (("sft-direct", "mini-direct", s.sft_direct_steps),
                               ("sft-trial", "mini-trial", s.sft_trial_steps)):  # fmt: skip
        config, values = _sft_config(options, recipe, steps)
        folder = out / arm
        # What the SFT stage trains with: the config without its `[grpo]` table, so resizing
        # GRPO does not redo the SFT it starts from.
        sft_inputs = {key: value for key, value in values.items() if key != "grpo"}
        tool = ("train", "sft", str(config), "--store", str(teacher), "--output-dir", str(folder))
        stages.append(
            Stage(arm, [Command((*LAUNCHER, *tool), tool, env, resume_flag="--resume")],
                  after=("synth",), output=folder / "final" / "provenance.json", inputs=sft_inputs,
                  resume_dir=folder, digest_output=True, expected_s=_expected(s, arm))
        )  # fmt: skip
    config, values = _sft_config(options, "mini-trial", s.sft_trial_steps)
    folder, rollouts = out / "grpo", out / "rollouts.db"
    tool = ("train", "grpo", str(config), "--init", str(out / "sft-trial" / "final"),
            "--output-dir", str(folder), "--store", str(rollouts))  # fmt: skip
    stages.append(
        Stage("grpo", [Command((*LAUNCHER, *tool), tool, env, resume_flag="--resume")],
              after=("sft-trial",), output=folder / "final" / "provenance.json",
              inputs=values["grpo"], resume_dir=folder, owned=(rollouts,), digest_output=True,
              expected_s=_expected(s, "grpo"))
    )  # fmt: skip
    return stages


def _policy_flags(options: MiniOptions) -> PolicyFlags:
    def flags(arm: Arm, context: Context) -> list[str]:
        del context
        if options.eval_policy == "reference":
            return ["--policy", "reference"]
        out = ["--policy", "embedded", "--batch", str(options.sizes.batch)]
        if arm.trained_by:
            out += ["--adapter", str(options.out / arm.trained_by / "final")]
        return out

    return flags


def _base_digest(options: MiniOptions) -> str:
    return f"{options.eval_policy}:{options.model}"


def mini_stages(options: MiniOptions) -> list[Stage]:
    """Every stage of the miniature reproduction, in order."""
    s, out = options.sizes, options.out
    stages = _train_stages(options)
    store = out / "eval.db"
    for arm in ARMS:
        kind = "eval-trained" if arm.trained_by else "eval-base"
        stages.append(
            eval_stage(arm, store=store, budgets=s.eval, policy_flags=_policy_flags(options),
                       launcher=LAUNCHER, base_digest=_base_digest(options), env=_env(options),
                       expected_s=_expected(s, kind))
        )  # fmt: skip
    stages.append(
        Stage("report", lambda context: _report_steps(options, context),
              after=tuple(f"eval-{a.name}" for a in ARMS), output=options.results / "report.md",
              expected_s=_expected(s, "report"))
    )  # fmt: skip
    return stages


def _report_steps(options: MiniOptions, context: Context) -> list[Step]:
    from toolmaster.cli._repro._summary import write_summary  # noqa: PLC0415 (numpy: only when run)

    runs = arm_runs(context, options.sizes.eval, _base_digest(options))
    store = options.out / "eval.db"
    tool = ("eval", "report", *runs.values(), "--out", str(options.results), "--store", str(store))
    labels = {a.name: a.label for a in ARMS}
    title = f"repro-mini ({options.profile}): the arms side by side"

    def summary() -> None:
        write_summary(store, runs, labels, options.results, title)

    return [
        Command((*LAUNCHER, *tool), tool, _env(options)),
        Call("arms summary", summary),
        Call("pipeline.json", lambda: write_pipeline(options, runs)),
    ]


def write_pipeline(options: MiniOptions, runs: dict[str, str]) -> None:
    """`pipeline.json` in the results: the profile and sizes, the commit, the run ids, each
    stage's wall time and expected time, and the adapters' sizes."""
    records = sorted((options.out / RECORDS).glob("*.json"))
    stages = [json.loads(p.read_text(encoding="utf-8")) for p in records]
    adapters = {
        arm: sum(f.stat().st_size for f in (options.out / arm / "final").glob("adapter_model.*"))
        for arm in ("sft-direct", "sft-trial", "grpo")
        if (options.out / arm / "final").is_dir()
    }
    git = shutil.which("git")
    commit = ""
    if git:
        done = subprocess.run(  # noqa: S603 (git with fixed arguments)
            [git, "rev-parse", "HEAD"], capture_output=True, text=True, check=False
        )
        commit = done.stdout.strip()
    data = {
        "profile": options.profile, "model": options.model, "eval_policy": options.eval_policy,
        "threads": options.threads, "sizes": asdict(options.sizes), "commit": commit or None,
        "written_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "runs": runs,
        "adapter_bytes": adapters,
        "stages": [{k: r.get(k) for k in ("stage", "wall_s", "expected_s", "steps")}
                   for r in stages],
    }  # fmt: skip
    options.results.mkdir(parents=True, exist_ok=True)
    target = options.results / "pipeline.json"
    target.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")


def with_overrides(
    sizes: MiniSizes,
    *,
    synth_tasks_per_env: int | None = None,
    sft_steps: int | None = None,
    grpo_steps: int | None = None,
    grpo_completion: int | None = None,
    eval_tasks_per_env: int | None = None,
    eval_limit: int | None = None,
    max_turns: int | None = None,
    max_trial_calls: int | None = None,
) -> MiniSizes:
    """`sizes` with the command line's knobs (None: unchanged). Giving one of the eval task
    knobs replaces both (`--eval-tasks-per-env` alone means no `--limit`). The turn and
    trial-call budgets apply to the evaluations and the GRPO rollouts alike."""
    out = sizes
    if max_turns is not None:
        out = replace(out, grpo_max_turns=max_turns, eval=replace(out.eval, max_turns=max_turns))
    if max_trial_calls is not None:
        out = replace(
            out,
            grpo_max_trial_calls=max_trial_calls,
            eval=replace(out.eval, max_trial_calls=max_trial_calls),
        )
    if synth_tasks_per_env is not None:
        out = replace(out, synth_tasks_per_env=synth_tasks_per_env)
    if sft_steps is not None:
        out = replace(out, sft_direct_steps=sft_steps, sft_trial_steps=sft_steps)
    if grpo_steps is not None:
        out = replace(out, grpo_steps=grpo_steps)
    if grpo_completion is not None:
        out = replace(out, grpo_completion=grpo_completion)
    if eval_tasks_per_env is not None or eval_limit is not None:
        budgets = replace(out.eval, tasks_per_env=eval_tasks_per_env, limit=eval_limit)
        out = replace(out, eval=budgets)
    return out
