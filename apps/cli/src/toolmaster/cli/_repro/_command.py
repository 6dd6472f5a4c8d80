"""`toolmaster repro mini|paper [options]` (`just repro-mini`, `just repro-paper`)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from toolmaster.cli._common import option, with_options
from toolmaster.cli._repro._mini import (
    PROFILES,
    EvalPolicyName,
    MiniOptions,
    ModelName,
    ProfileName,
    mini_stages,
    with_overrides,
)
from toolmaster.cli._repro._paper import PaperOptions, paper_stages
from toolmaster.cli._repro._pipeline import PipelineError, Stage, run_pipeline
from toolmaster.cli._repro._services import ServiceError

__all__ = ["repro_app"]

repro_app = typer.Typer(
    help="Reproduction pipelines: synthesis, SFT, GRPO and the five evaluated arms, then the "
    "report. Stages run once, resume, and write their reports to docs/results/.",
    no_args_is_help=True,
)


def _unset(help_text: str) -> Any:
    """An option that is unset (None) unless given; its help says what stands in for it."""
    return typer.Option(help=help_text, show_default=False)


def _count(help_text: str) -> Any:
    """A whole-number option, 1 or more, unset unless given."""
    return typer.Option(min=1, help=help_text, show_default=False)


RedoOption = Annotated[
    list[str] | None,
    typer.Option(
        metavar="STAGE",
        help="Run STAGE and the stages after it that need it again (repeat the option).",
        show_default=False,
    ),
]
DryRunOption = Annotated[bool, typer.Option("--dry-run", help="Print the stages' commands only.")]


def _run(plan: Callable[[], list[Stage]], out: Path, redo: list[str] | None, dry_run: bool) -> None:
    """Build the stages and run those not done yet; a pipeline or server failure is one line,
    `error: ...`, on stderr and exit status 2."""
    try:
        outcomes = run_pipeline(plan(), out, redo=redo or [], dry_run=dry_run)
    except (PipelineError, ServiceError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    ran = [o for o in outcomes if o.status == "ran"]
    total = sum(o.wall_s or 0.0 for o in ran)
    typer.echo(
        f"{len(ran)} stages ran ({total / 60:.1f} min), "
        f"{sum(o.status == 'skipped' for o in outcomes)} were done before; run folder {out}"
    )


def _override(name: str, help_text: str) -> inspect.Parameter:
    """A `with_overrides` knob: a whole number, 1 or more, unset (the profile's) unless given."""
    return option(name, Annotated[int | None, _count(help_text)])


OVERRIDES = [
    _override("synth_tasks_per_env", "Train tasks per environment the teacher runs."),
    _override("sft_steps", "Steps of both SFT arms."),
    _override("grpo_steps", "GRPO steps."),
    _override(
        "grpo_completion", "Tokens the model may generate in one GRPO rollout, over all its turns."
    ),
    _override(
        "eval_tasks_per_env",
        "Test tasks per environment in every evaluation (with no --eval-limit: no limit).",
    ),
    _override("eval_limit", "Tasks per suite."),
    _override(
        "max_turns",
        "Model turns per episode, evaluations and GRPO rollouts (the teacher's trial episodes "
        "take 7-12; docs/results/mini.md).",
    ),
    _override("max_trial_calls", "Trial calls per episode, evaluations and GRPO."),
]
"""The knobs of `with_overrides`, its keywords, for `with_options`."""


@repro_app.command("mini")
@with_options(OVERRIDES, after="threads")
def mini_command(
    *,
    quick: Annotated[
        bool, typer.Option("--quick", help="The wiring check: minutes, not results.")
    ] = False,
    profile: Annotated[ProfileName | None, _unset("Sizes (default: default).")] = None,
    out: Annotated[
        Path | None, _unset("Run folder (default: PROFILE in runs/repro-mini/).")
    ] = None,
    results: Annotated[
        Path | None,
        _unset("Report folder (default: docs/results/mini, or mini-check for --quick)."),
    ] = None,
    model: Annotated[
        ModelName, typer.Option(help="The model the arms train and evaluate.")
    ] = "embedded",
    eval_policy: Annotated[
        EvalPolicyName,
        typer.Option(help="reference: the teachers stand in for every arm (wiring tests only)."),
    ] = "embedded",
    threads: Annotated[
        int | None, _count("OMP_NUM_THREADS for every stage (1 is faster on a busy machine).")
    ] = None,
    redo: RedoOption = None,
    dry_run: DryRunOption = False,
    **overrides: Any,
) -> None:
    """The paper in miniature on this CPU (docs/results/mini.md)."""
    chosen: ProfileName = profile or ("quick" if quick else "default")
    sizes = with_overrides(PROFILES[chosen], **overrides)
    default_results = "mini-check" if chosen == "quick" else "mini"
    options = MiniOptions(
        profile=chosen,
        sizes=sizes,
        out=out or Path("runs/repro-mini") / chosen,
        results=results or Path("docs/results") / default_results,
        model=model,
        eval_policy=eval_policy,
        threads=threads,
    )
    _run(lambda: mini_stages(options), options.out, redo, dry_run)


@repro_app.command("paper")
def paper_command(
    *,
    teacher_url: Annotated[str | None, _unset("OpenAI-compatible API root of the teacher.")] = None,
    teacher_model: Annotated[str | None, _unset("The teacher's model name on that server.")] = None,
    teacher_key_env: Annotated[
        str | None, _unset("Variable that holds the teacher's API key.")
    ] = None,
    gpus: Annotated[int, typer.Option(min=1, help="GPUs on the node.")] = 8,
    out: Annotated[Path, typer.Option(help="Run folder.")] = Path("runs/repro-paper"),
    results: Annotated[Path, typer.Option(help="Report folder.")] = Path("docs/results/paper"),
    redo: RedoOption = None,
    dry_run: DryRunOption = False,
) -> None:
    """Full scale on a multi-GPU node (docs/results/paper.md)."""
    options = PaperOptions(
        teacher_url=teacher_url,
        teacher_model=teacher_model,
        teacher_key_env=teacher_key_env,
        gpus=gpus,
        out=out,
        results=results,
    )
    _run(lambda: paper_stages(options, require_teacher=not dry_run), out, redo, dry_run)
