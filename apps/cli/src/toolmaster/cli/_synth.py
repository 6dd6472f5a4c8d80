"""`toolmaster synth`: a teacher over bundled train tasks, every episode recorded; resumable."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import anyio
import typer
from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from toolmaster.agent import AgentConfig
from toolmaster.cli._common import mode_of, one_of, shown, store_file, with_options
from toolmaster.cli._policies import (
    PolicyFlags,
    openai_options,
    policy_factory,
    policy_flags,
    sampling_of,
)
from toolmaster.core import AsyncStore, Episode, Mode, Sampling, Split, Store, UserError

if TYPE_CHECKING:
    from toolmaster.train import SynthConfig, SynthReport, Teacher

synth_app = typer.Typer()

SPLITS: tuple[Split, ...] = ("train", "test")


@synth_app.command("synth")
@with_options(openai_options(), after="policy")
def synth_command(
    ctx: typer.Context,
    *,
    run: Annotated[
        str | None,
        typer.Option(
            help="Run name, tagged on every episode (metadata.synth). Re-running a name resumes "
            "it: what it already recorded is not run again. Default: synth-<teacher>.",
            show_default=False,
        ),
    ] = None,
    env: Annotated[
        list[str] | None,
        typer.Option("--env", "-e", help="Bundled environments (default: every in-domain one)."),
    ] = None,
    mode: Annotated[
        list[str] | None,
        typer.Option(
            "--mode", "-m", help="trial and/or direct (repeat the option); default: trial."
        ),
    ] = None,
    samples: Annotated[int, typer.Option(help="Episodes per task and mode, seeds differ.")] = 1,
    seed: Annotated[int, typer.Option(help="Seed of the first sample (sample k: seed + k).")] = 0,
    tasks_per_env: Annotated[
        int | None, typer.Option(help="The first N tasks of each environment (default: all).")
    ] = None,
    split: Annotated[str, typer.Option(help="Task split: train (default) or test.")] = "train",
    concurrency: Annotated[int, typer.Option(help="Episodes running at once.")] = 8,
    policy: Annotated[
        str,
        typer.Option(
            "--policy",
            "-p",
            help="The teacher: reference (the bundled scripted solvers) or openai (any "
            "OpenAI-compatible server: --base-url, --model).",
        ),
    ] = "reference",
    temperature: Annotated[
        float | None,
        typer.Option(
            help="Sampling temperature of a model teacher (default: the settings', else 0.7)."
        ),
    ] = None,
    max_tokens: Annotated[
        int | None,
        typer.Option(
            help="Tokens per turn of a model teacher (default: the settings', else 1024)."
        ),
    ] = None,
    max_turns: Annotated[int, typer.Option(help="Turns per episode.")] = 32,
    max_trial_calls: Annotated[int, typer.Option(help="Trial calls per episode.")] = 20,
    events: Annotated[
        bool, typer.Option(help="Also record event streams (follow the run in the TUI).")
    ] = True,
    store: Annotated[Path | None, typer.Option(help="Session store file.")] = None,
    **server: Any,
) -> None:
    """Run a teacher over bundled train tasks (trial and/or direct mode, several samples per
    task), verify and record every episode, and print per-environment pass rates. Passed
    episodes are the ones training keeps."""
    from toolmaster.train import SynthConfig  # noqa: PLC0415 (fast --help)

    teacher = _teacher(policy_flags(ctx, policy, **server))
    temperature, max_tokens = sampling_of(ctx, temperature, max_tokens)
    config = SynthConfig(
        run=run or f"synth-{teacher.name}",
        environments=env or [],
        split=one_of("--split", split, SPLITS),
        modes=[mode_of(m) for m in mode or ["trial"]],
        samples=_positive("--samples", samples),
        seed=seed,
        tasks_per_env=None
        if tasks_per_env is None
        else _positive("--tasks-per-env", tasks_per_env),
        concurrency=_positive("--concurrency", concurrency),
        agent=AgentConfig(
            max_turns=_positive("--max-turns", max_turns),
            max_trial_calls=max_trial_calls,
            sampling=Sampling(
                temperature=0.7 if temperature is None else temperature,
                max_tokens=1024 if max_tokens is None else max_tokens,
            ),
        ),
        events=events,
    )
    path = store_file(ctx, store)
    console = Console(highlight=False)
    with Store(path) as opened:
        report = _run_with_progress(config, teacher, AsyncStore(opened), console)
    console.print(_table(report))
    listing = "toolmaster sessions list" + ("" if store is None else f" --store {store}")
    console.print(
        f"[dim]{report.new} episodes recorded in {shown(path)} ({report.skipped} already "
        f"there); `{shown(listing)}` shows them.[/]"
    )


def reference_episodes(
    store: Path, *, environments: list[str], modes: list[Mode], console: Console
) -> None:
    """Record the reference teachers over the train tasks of `environments` (every in-domain
    one when empty) in `modes` into `store`, as `toolmaster synth` does by default (the same
    run, so `toolmaster synth` later resumes it)."""
    from toolmaster.train import ReferenceTeacher, SynthConfig  # noqa: PLC0415

    config = SynthConfig(run="synth-reference", environments=environments, modes=modes)
    with Store(store) as opened:
        report = _run_with_progress(config, ReferenceTeacher(), AsyncStore(opened), console)
    console.print(f"[dim]{report.new} teacher episodes recorded in {shown(store)}[/]")


def _teacher(flags: PolicyFlags) -> Teacher:
    from toolmaster.train import ModelTeacher, ReferenceTeacher  # noqa: PLC0415

    if flags.policy == "reference":
        return ReferenceTeacher()
    if flags.policy != "openai":
        raise UserError(f"unknown teacher {flags.policy!r} (reference or openai)")
    # The mode only matters to reference policies; a model serves both modes.
    return ModelTeacher(
        name=flags.model or "openai", factory=policy_factory(flags, env=None, mode="trial")
    )


def _run_with_progress(
    config: SynthConfig, teacher: Teacher, store: AsyncStore, console: Console
) -> SynthReport:
    from toolmaster.train import synthesize  # noqa: PLC0415

    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("passed {task.fields[passed]}"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        bar = progress.add_task(config.run, total=None, passed=0)
        passed = 0

        def planned(to_run: int, skipped: int) -> None:
            progress.update(bar, total=to_run)
            if skipped:
                progress.console.print(f"[dim]{skipped} episodes of {config.run} already recorded")

        def finished(episode: Episode) -> None:
            nonlocal passed
            passed += bool(episode.verdict and episode.verdict.passed)
            progress.update(bar, advance=1, passed=passed)

        return anyio.run(
            partial(synthesize, on_planned=planned, on_episode=finished), config, teacher, store
        )


def _table(report: SynthReport) -> Table:
    table = Table(
        box=box.SIMPLE_HEAD,
        title=f"synthesis run {report.run}",
        caption="pass: verifier pass rate over every episode of the run; trial: mean trial calls "
        "per trial-mode episode; kept: passed episodes (what training uses); fail: episodes "
        "that ended with an error.",
    )
    for column in ("env", "episodes", "pass", "trial", "kept", "fail"):
        table.add_column(column, justify="left" if column == "env" else "right")
    for row in report.by_env:
        table.add_row(
            row.env,
            str(row.episodes),
            f"{row.pass_rate:.0%}",
            f"{row.trial_calls:.1f}",
            str(row.kept),
            str(row.failures),
        )
    return table


def _positive(flag: str, value: int) -> int:
    if value < 1:
        raise UserError(f"{flag} must be 1 or more, not {value}")
    return value
