"""`toolmaster eval run | report | compare | suites | runs`: evaluations of policies on suites
of tasks in settings of perturbed tools, recorded in the store, reported as tables and plots.

The evaluation library (`toolmaster.eval`, numpy, matplotlib) and the model backends are
imported inside the commands, so `toolmaster --help` stays fast.
"""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer
from pydantic import ValidationError
from rich.console import Console
from toolmaster.cli._common import StoreOption, store_file, with_options
from toolmaster.cli._policies import (
    PolicyFlags,
    backend_options,
    policy_factory,
    policy_flags,
    sampling_of,
)
from toolmaster.core import Mode, Store, UserError, terminal_safe

if TYPE_CHECKING:
    from toolmaster.eval import EvalConfig, EvalPolicy, Intervals

runs_app = typer.Typer()


def _opt(text: str) -> Any:
    """An option with help and no default shown (a flag left out keeps the spec's value)."""
    return typer.Option(help=text, show_default=False)


def _split(values: list[str] | None) -> list[str]:
    """Repeated and comma-separated values as one list."""
    return [part.strip() for value in values or [] for part in value.split(",") if part.strip()]


def load_spec(path: Path) -> dict[str, Any]:
    """An evaluation spec file (JSON or TOML) as data; task-file paths in it are taken relative
    to the file's folder."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot read spec file {path}: {exc.strerror or exc}") from None
    try:
        data: Any = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise UserError(f"{path}: not valid {path.suffix.lstrip('.') or 'JSON'}: {exc}") from None
    if not isinstance(data, dict):
        raise UserError(f"{path}: the top level must be an object")
    spec = cast(dict[str, Any], data)
    suites: list[Any] = spec.get("suites") or []
    for suite in suites:
        if isinstance(suite, dict):
            entry = cast(dict[str, Any], suite)
            for key in ("servers", "tasks"):
                value = entry.get(key)
                if isinstance(value, str) and not Path(value).is_absolute():
                    entry[key] = str(path.parent / value)
    return spec


def build_config(spec: dict[str, Any], flags: dict[str, Any]) -> EvalConfig:
    """The run's `EvalConfig`: the spec file's values, with the flags that were given on top."""
    from toolmaster.eval import EvalConfig  # noqa: PLC0415 (lazy: numpy, matplotlib)

    data = dict(spec)
    keys = ("run", "settings", "modes", "samples", "concurrency", "allow_unsafe_trials")
    for key in (*keys, "trial_policy"):
        if flags.get(key) not in (None, []):
            data[key] = flags[key]
    for group in ("selection", "budgets"):
        given = {k: v for k, v in flags[group].items() if v is not None}
        data[group] = {**(data.get(group) or {}), **given}
    if flags["suites"]:
        data["suites"] = flags["suites"]
    try:
        return EvalConfig.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
            for e in exc.errors(include_url=False)
        )
        raise UserError(f"bad evaluation settings: {problems}") from None


def _suites(
    names: list[str], servers: Path | None, tasks: Path | None, name: str | None
) -> list[Any]:
    from toolmaster.eval import TaskFileSuite, builtin_suite  # noqa: PLC0415

    suites: list[Any] = [builtin_suite(n) for n in names]
    if (servers is None) != (tasks is None):
        raise UserError("a task-file suite needs both --servers FILE and --tasks FILE")
    if servers is not None and tasks is not None:
        suites.append(TaskFileSuite(name=name or tasks.stem, servers=servers, tasks=tasks))
    return suites


def make_policies(labels: list[str], flags: PolicyFlags) -> list[EvalPolicy]:
    """One `EvalPolicy` per `--policy`: the reference teachers per environment (seeded by the
    sample), a model policy built once and shared by every job."""
    from toolmaster.agent import reference_policy  # noqa: PLC0415 (lazy: model backends)
    from toolmaster.eval import EvalPolicy  # noqa: PLC0415

    policies: list[EvalPolicy] = []
    for label in labels or ["embedded"]:
        if label == "reference":

            def reference(env: Any, mode: Mode, sample: int) -> Any:
                if env is None:
                    raise UserError("--policy reference needs bundled environments")
                return reference_policy(env, mode, seed=sample)

            policies.append(EvalPolicy("reference", reference, scripted=True))
            continue
        shared = policy_factory(replace(flags, policy=label), env=None, mode="trial")
        policies.append(EvalPolicy(label, lambda _env, _mode, _sample, f=shared: f))
    return policies


@runs_app.command("run")
@with_options(backend_options(batch=4), after="policy")
def run_command(
    ctx: typer.Context,
    *,
    spec: Annotated[
        Path | None, typer.Option(help="A JSON or TOML file of evaluation settings (EvalConfig).")
    ] = None,
    suite: Annotated[
        list[str] | None,
        _opt("Built-in suites: in-domain (default), out-of-domain, or an environment."),
    ] = None,
    servers: Annotated[Path | None, _opt("mcpServers JSON of a task-file suite.")] = None,
    tasks: Annotated[Path | None, _opt("Task file (JSONL) of that suite.")] = None,
    name: Annotated[str | None, _opt("Name of that suite (default: the task file's stem).")] = None,
    setting: Annotated[
        list[str] | None,
        _opt("clean (default), renamed, paraphrased, stripped, misleading, evolved, or all."),
    ] = None,
    mode: Annotated[
        list[str] | None, typer.Option("--mode", "-m", help="trial,direct (default: both).")
    ] = None,
    policy: Annotated[
        list[str] | None,
        typer.Option("--policy", "-p", help="embedded (default), reference, openai; repeatable."),
    ] = None,
    tasks_per_env: Annotated[
        int | None, _opt("A seeded sample of N tasks per environment.")
    ] = None,
    limit: Annotated[int | None, _opt("Then a seeded sample of N tasks per suite.")] = None,
    samples: Annotated[int | None, _opt("Episodes per task, setting, mode and policy (1).")] = None,
    seed: Annotated[int | None, _opt("Seed of the task sample and perturbations (0).")] = None,
    concurrency: Annotated[int | None, _opt("Episodes at once (8).")] = None,
    max_turns: Annotated[int | None, _opt("Model turns per episode (32).")] = None,
    max_trial_calls: Annotated[int | None, _opt("Trial calls per episode (20).")] = None,
    max_new_tokens: Annotated[int | None, _opt("Tokens per model turn (512).")] = None,
    temperature: Annotated[float | None, _opt("Sampling temperature (0).")] = None,
    allow_unsafe_trials: Annotated[
        bool | None,
        typer.Option(
            "--allow-unsafe-trials",
            help="Trial tools not marked read-only on servers without a sandbox.",
            show_default=False,
        ),
    ] = None,
    trial_policy: Annotated[
        list[str] | None,
        typer.Option(
            "--trial-policy",
            help="GLOB=allow|refuse|sandbox: how trial calls of the tools it matches (tool or "
            'server.tool) run; repeatable, the first match wins, over the servers\' "trial".',
            show_default=False,
        ),
    ] = None,
    run: Annotated[str | None, typer.Option(help="Run id; an existing one is resumed.")] = None,
    store: StoreOption = None,
    report: Annotated[Path | None, typer.Option(help="Write the run's report here.")] = None,
    **backend: Any,
) -> None:
    """Run (or resume) an evaluation: --suite in-domain|out-of-domain|ENV (or --servers and
    --tasks), --setting clean,renamed,paraphrased,stripped,misleading,evolved|all, --mode
    trial,direct, --policy embedded|reference|openai (repeatable). Every episode is recorded."""
    import anyio  # noqa: PLC0415
    from toolmaster.eval import RichProgress, plan_cases, run_eval  # noqa: PLC0415

    flags: dict[str, Any] = {
        "run": run, "settings": _split(setting), "modes": _split(mode), "samples": samples,
        "concurrency": concurrency, "allow_unsafe_trials": allow_unsafe_trials,
        "trial_policy": trial_policy or [],
        "suites": _suites(_split(suite), servers, tasks, name),
        "selection": {"tasks_per_env": tasks_per_env, "limit": limit, "seed": seed},
        "budgets": {"max_turns": max_turns, "max_trial_calls": max_trial_calls,
                    "max_new_tokens": max_new_tokens, "temperature": temperature},
    }  # fmt: skip
    loaded = load_spec(spec) if spec else {}
    temperature_default, tokens_default = sampling_of(ctx, None, None)  # under the spec's
    defaults = {"temperature": temperature_default, "max_new_tokens": tokens_default}
    budgets = {k: v for k, v in defaults.items() if v is not None}
    loaded["budgets"] = {**budgets, **(loaded.get("budgets") or {})}
    config = build_config(loaded, flags)
    plan_cases(config, os.environ)  # usage mistakes show before a model loads
    policies = make_policies(_split(policy), policy_flags(ctx, "embedded", **backend))
    path = store_file(ctx, store)
    console = Console(highlight=False)
    with Store(path) as opened, RichProgress(config.run, console) as progress:
        result = anyio.run(
            lambda: run_eval(config, policies, opened, progress=progress, environ=os.environ)
        )
    console.print(
        f"run [bold]{result.run}[/]: {len(result.episodes)} episodes now, {result.skipped} "
        f"recorded before, in {path}"
    )
    if report is not None:
        _write(path, [config.run], report, None, console)


def _intervals(confidence: float) -> Intervals:
    from toolmaster.eval import Intervals  # noqa: PLC0415

    try:
        return Intervals(confidence=confidence)
    except ValidationError as exc:
        raise UserError(f"bad --confidence: {exc.errors()[0]['msg']}") from None


def _write(
    path: Path, runs: list[str], out: Path, intervals: Intervals | None, console: Console
) -> None:
    from toolmaster.eval import (  # noqa: PLC0415
        build_report,
        paired_table,
        results_table,
        write_report,
    )

    with Store(path) as opened:
        built = build_report(opened, runs, intervals)
    files = write_report(built, out)
    console.print(results_table(built))
    if built.paired:
        console.print(paired_table(built))
    console.print(f"report: {', '.join(str(f) for f in files)}")


ConfidenceOption = Annotated[
    float, typer.Option(help="Confidence level of the Wilson and paired intervals.")
]


@runs_app.command("report")
def report_command(
    ctx: typer.Context,
    runs: Annotated[list[str], typer.Argument(help="Run ids; several are compared.")],
    *,
    out: Annotated[Path, typer.Option(help="Folder for report.md, report.json and plots.")],
    store: StoreOption = None,
    confidence: ConfidenceOption = 0.95,
    html: Annotated[
        bool, typer.Option("--html", help="Also write the viewer (a static site) into OUT/site.")
    ] = False,
) -> None:
    """Write report.md, report.json, pass_rate.png, paired_difference.png and
    trials_success.png for runs (and with --html the viewer, OUT/site/index.html)."""
    chosen = _intervals(confidence)
    path = store_file(ctx, store)
    console = Console(highlight=False)
    _write(path, runs, out, chosen, console)
    if html:
        from toolmaster.eval import build_site, write_site  # noqa: PLC0415

        with Store(path) as opened:
            site = build_site(opened, runs, chosen)
        console.print(f"viewer: {write_site(site, out / 'site')}")


@runs_app.command("compare")
def compare_command(
    ctx: typer.Context,
    runs: Annotated[list[str], typer.Argument(help="Two or more run ids.")],
    *,
    out: Annotated[Path | None, typer.Option(help="Also write the full report here.")] = None,
    store: StoreOption = None,
    confidence: ConfidenceOption = 0.95,
) -> None:
    """Print the pass rates of runs side by side (and write their report with --out)."""
    from toolmaster.eval import build_report, comparison_table, write_report  # noqa: PLC0415

    if len(runs) < 2:
        raise UserError("compare needs two or more runs")
    chosen = _intervals(confidence)
    with Store(store_file(ctx, store)) as opened:
        built = build_report(opened, runs, chosen)
    console = Console(highlight=False)
    console.print(comparison_table(built))
    if out is not None:
        files = write_report(built, out)
        console.print(f"report: {', '.join(str(f) for f in files)}")


@runs_app.command("suites")
def suites_command() -> None:
    """List the built-in suites and the settings."""
    from toolmaster.eval import settings_table, suites_table  # noqa: PLC0415

    console = Console(highlight=False)
    console.print(suites_table())
    console.print(settings_table())


@runs_app.command("runs")
def runs_command(ctx: typer.Context, *, store: StoreOption = None) -> None:
    """List the evaluation runs recorded in the store."""
    from toolmaster.eval import known_runs  # noqa: PLC0415

    with Store(store_file(ctx, store)) as opened:
        counts = known_runs(opened)
    if not counts:
        typer.echo("no evaluation runs in the store")
    for run, count in counts.items():
        typer.echo(f"{terminal_safe(run)}\t{count} episodes")
