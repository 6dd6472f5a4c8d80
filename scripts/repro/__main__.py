"""`python -m scripts.repro mini|paper [options]` (`just repro-mini`, `just repro-paper`)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from scripts.repro._mini import PROFILES, MiniOptions, mini_stages, with_overrides
from scripts.repro._paper import PaperOptions, paper_stages
from scripts.repro._pipeline import PipelineError, Stage, run_pipeline
from scripts.repro._services import ServiceError


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def _mini_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("--quick", action="store_true", help="the wiring check: minutes, not results")
    p.add_argument("--profile", choices=sorted(PROFILES), help="sizes (default: default)")
    p.add_argument("--out", type=Path, help="run folder (default: runs/repro-mini/PROFILE)")
    p.add_argument(
        "--results",
        type=Path,
        help="report folder (default: docs/results/mini, or mini-check for --quick)",
    )
    p.add_argument("--model", choices=("embedded", "tiny-random"), default="embedded")
    p.add_argument(
        "--eval-policy",
        choices=("embedded", "reference"),
        default="embedded",
        help="reference: the teachers stand in for every arm (wiring tests only)",
    )
    p.add_argument(
        "--threads",
        type=_positive,
        help="OMP_NUM_THREADS for every stage (1 is faster on a busy machine)",
    )
    p.add_argument("--synth-tasks-per-env", type=_positive)
    p.add_argument("--sft-steps", type=_positive, help="steps of both SFT arms")
    p.add_argument("--grpo-steps", type=_positive)
    p.add_argument(
        "--grpo-completion",
        type=_positive,
        help="tokens the model may generate in one GRPO rollout, over all its turns",
    )
    p.add_argument("--eval-tasks-per-env", type=_positive)
    p.add_argument("--eval-limit", type=_positive, help="tasks per suite")
    p.add_argument(
        "--max-turns",
        type=_positive,
        help="model turns per episode, evaluations and GRPO rollouts (the teacher's trial "
        "episodes take 7-12; docs/results/mini.md)",
    )
    p.add_argument(
        "--max-trial-calls", type=_positive, help="trial calls per episode, evaluations and GRPO"
    )
    _common(p)


def _paper_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("--teacher-url", help="OpenAI-compatible API root of the teacher")
    p.add_argument("--teacher-model", help="the teacher's model name on that server")
    p.add_argument("--teacher-key-env", help="variable that holds the teacher's API key")
    p.add_argument("--gpus", type=_positive, default=8, help="GPUs on the node (default 8)")
    p.add_argument("--out", type=Path, default=Path("runs/repro-paper"))
    p.add_argument("--results", type=Path, default=Path("docs/results/paper"))
    _common(p)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--redo",
        action="append",
        default=[],
        metavar="STAGE",
        help="run STAGE and the stages after it that need it again",
    )
    p.add_argument("--dry-run", action="store_true", help="print the stages' commands only")


def parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m scripts.repro", description=__doc__)
    sub = parser.add_subparsers(dest="recipe", required=True)
    _mini_parser(
        sub.add_parser("mini", help="the paper in miniature on this CPU (docs/results/mini.md)")
    )
    _paper_parser(
        sub.add_parser("paper", help="full scale on a multi-GPU node (docs/results/paper.md)")
    )
    return parser.parse_args(argv)


def mini_options(args: argparse.Namespace) -> MiniOptions:
    """The mini run's options from parsed arguments."""
    profile: str = args.profile or ("quick" if args.quick else "default")
    sizes = with_overrides(
        PROFILES[profile],
        synth_tasks_per_env=args.synth_tasks_per_env,
        sft_steps=args.sft_steps,
        grpo_steps=args.grpo_steps,
        grpo_completion=args.grpo_completion,
        eval_tasks_per_env=args.eval_tasks_per_env,
        eval_limit=args.eval_limit,
        max_turns=args.max_turns,
        max_trial_calls=args.max_trial_calls,
    )
    default_results = "mini-check" if profile == "quick" else "mini"
    return MiniOptions(
        profile=profile,
        sizes=sizes,
        out=args.out or Path("runs/repro-mini") / profile,
        results=args.results or Path("docs/results") / default_results,
        model=args.model,
        eval_policy=args.eval_policy,
        threads=args.threads,
    )


def stages_of(args: argparse.Namespace) -> tuple[list[Stage], Path]:
    """The stages an invocation runs and its run folder."""
    if args.recipe == "mini":
        options = mini_options(args)
        return mini_stages(options), options.out
    paper = PaperOptions(
        teacher_url=args.teacher_url,
        teacher_model=args.teacher_model,
        teacher_key_env=args.teacher_key_env,
        gpus=args.gpus,
        out=args.out,
        results=args.results,
    )
    return paper_stages(paper, require_teacher=not args.dry_run), paper.out


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    try:
        stages, out = stages_of(args)
        outcomes = run_pipeline(stages, out, redo=args.redo, dry_run=args.dry_run)
    except (PipelineError, ServiceError) as exc:
        print(f"error: {exc}", file=sys.stderr)  # noqa: T201 (a command-line program)
        return 2
    ran = [o for o in outcomes if o.status == "ran"]
    total = sum(o.wall_s or 0.0 for o in ran)
    print(  # noqa: T201
        f"{len(ran)} stages ran ({total / 60:.1f} min), "
        f"{sum(o.status == 'skipped' for o in outcomes)} were done before; run folder {out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
