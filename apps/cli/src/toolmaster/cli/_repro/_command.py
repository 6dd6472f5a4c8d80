"""`toolmaster repro mini|paper [options]` (`just repro-mini`, `just repro-paper`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
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


@repro_app.command("mini")
def mini_command(
    *,
    quick: Annotated[
        bool, typer.Option("--quick", help="The wiring check: minutes, not results.")
    ] = False,
    profile: Annotated[
        ProfileName | None, typer.Option(help="Sizes (default: default).", show_default=False)
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(help="Run folder (default: runs/repro-mini/PROFILE).", show_default=False),
    ] = None,
    results: Annotated[
        Path | None,
        typer.Option(
            help="Report folder (default: docs/results/mini, or mini-check for --quick).",
            show_default=False,
        ),
    ] = None,
    model: Annotated[
        ModelName, typer.Option(help="The model the arms train and evaluate.")
    ] = "embedded",
    eval_policy: Annotated[
        EvalPolicyName,
        typer.Option(help="reference: the teachers stand in for every arm (wiring tests only)."),
    ] = "embedded",
    threads: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="OMP_NUM_THREADS for every stage (1 is faster on a busy machine).",
            show_default=False,
        ),
    ] = None,
    synth_tasks_per_env: Annotated[
        int | None,
        typer.Option(
            min=1, help="Train tasks per environment the teacher runs.", show_default=False
        ),
    ] = None,
    sft_steps: Annotated[
        int | None, typer.Option(min=1, help="Steps of both SFT arms.", show_default=False)
    ] = None,
    grpo_steps: Annotated[
        int | None, typer.Option(min=1, help="GRPO steps.", show_default=False)
    ] = None,
    grpo_completion: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Tokens the model may generate in one GRPO rollout, over all its turns.",
            show_default=False,
        ),
    ] = None,
    eval_tasks_per_env: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Test tasks per environment in every evaluation (with no --eval-limit: no limit).",
            show_default=False,
        ),
    ] = None,
    eval_limit: Annotated[
        int | None, typer.Option(min=1, help="Tasks per suite.", show_default=False)
    ] = None,
    max_turns: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Model turns per episode, evaluations and GRPO rollouts (the teacher's trial "
            "episodes take 7-12; docs/results/mini.md).",
            show_default=False,
        ),
    ] = None,
    max_trial_calls: Annotated[
        int | None,
        typer.Option(
            min=1, help="Trial calls per episode, evaluations and GRPO.", show_default=False
        ),
    ] = None,
    redo: RedoOption = None,
    dry_run: DryRunOption = False,
) -> None:
    """The paper in miniature on this CPU (docs/results/mini.md)."""
    chosen: ProfileName = profile or ("quick" if quick else "default")
    sizes = with_overrides(
        PROFILES[chosen],
        synth_tasks_per_env=synth_tasks_per_env,
        sft_steps=sft_steps,
        grpo_steps=grpo_steps,
        grpo_completion=grpo_completion,
        eval_tasks_per_env=eval_tasks_per_env,
        eval_limit=eval_limit,
        max_turns=max_turns,
        max_trial_calls=max_trial_calls,
    )
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
    teacher_url: Annotated[
        str | None,
        typer.Option(help="OpenAI-compatible API root of the teacher.", show_default=False),
    ] = None,
    teacher_model: Annotated[
        str | None,
        typer.Option(help="The teacher's model name on that server.", show_default=False),
    ] = None,
    teacher_key_env: Annotated[
        str | None,
        typer.Option(help="Variable that holds the teacher's API key.", show_default=False),
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
