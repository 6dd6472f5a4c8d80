"""`toolmaster demo`: the main job on embedded defaults. The embedded model as ToolMaster trained
it (SmolLM2-135M-Instruct with the shipped adapter) runs bundled test tasks in direct and
trial-and-execution modes, beside the bare base model and the environments' reference solvers;
every episode is recorded, and a table gives the honest numbers, whatever they are."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, cast

import anyio
import typer
from pydantic import JsonValue
from rich import box
from rich.console import Console
from rich.table import Table
from toolmaster.agent import (
    EMBEDDED_CONFIG,
    EMBEDDED_MODEL,
    AgentConfig,
    PolicyFactory,
    Recorder,
    env_job,
    run_many,
    shipped_provenance,
)
from toolmaster.cli._common import store_file
from toolmaster.cli._policies import AdapterOption, BatchOption, PolicyFlags, policy_factory
from toolmaster.core import (
    AsyncStore,
    Environment,
    Episode,
    Mode,
    Sampling,
    Store,
    UserError,
    environments,
)

MODES: tuple[Mode, ...] = ("direct", "trial")


@dataclass(frozen=True)
class Row:
    """One line of the demo table: a policy in a mode over its episodes."""

    policy: str
    mode: Mode
    episodes: Sequence[Episode]
    seconds: float

    def mean(self, key: str) -> float:
        values = [_number(e.metadata.get(key)) for e in self.episodes]
        return sum(values) / max(1, len(values))

    @property
    def pass_rate(self) -> float:
        passed = sum(1 for e in self.episodes if e.verdict is not None and e.verdict.passed)
        return passed / max(1, len(self.episodes))

    @property
    def failures(self) -> int:
        return sum(1 for e in self.episodes if e.error is not None)

    @property
    def tokens(self) -> float:
        return sum(e.usage.total_tokens for e in self.episodes) / max(1, len(self.episodes))


demo_app = typer.Typer()


@demo_app.command("demo")
def demo_command(
    ctx: typer.Context,
    *,
    env: Annotated[
        list[str] | None,
        typer.Option("--env", "-e", help="Bundled environments (default: all in-domain ones)."),
    ] = None,
    tasks_per_env: Annotated[int, typer.Option(help="Test tasks per environment.")] = 1,
    reference: Annotated[
        bool, typer.Option(help="Also run the reference solvers, as a yardstick.")
    ] = True,
    model: Annotated[bool, typer.Option(help="Run the embedded model.")] = True,
    base: Annotated[
        bool, typer.Option(help="Also run the bare base model (no adapter), for comparison.")
    ] = True,
    adapter: AdapterOption = None,
    batch: BatchOption = 4,
    max_turns: Annotated[
        int, typer.Option(help="Turns per episode of the model.")
    ] = EMBEDDED_CONFIG.max_turns,
    max_trial_calls: Annotated[
        int, typer.Option(help="Trial calls per episode of the model.")
    ] = EMBEDDED_CONFIG.max_trial_calls,
    max_new_tokens: Annotated[
        int, typer.Option(help="Tokens per model turn.")
    ] = EMBEDDED_CONFIG.sampling.max_tokens,
    store: Annotated[Path | None, typer.Option(help="Session store file.")] = None,
) -> None:
    """Run bundled test tasks in direct and trial modes with the embedded model as trained by
    ToolMaster (its shipped adapter), the bare base model and the reference solvers; record every
    episode, and print pass rate, calls, errors, tokens and seconds."""
    chosen = _environments(env)
    path = store_file(ctx, store)
    console = Console(highlight=False)
    policies: list[tuple[str, PolicyFlags]] = []
    if reference:
        policies.append(("reference", PolicyFlags(policy="reference")))
    bare = adapter is not None and adapter.lower() == "none"
    if model and base and not bare:
        policies.append(("base", PolicyFlags(policy="embedded", adapter="none", batch=batch)))
    if model:
        trained = "base" if bare else "trained"
        policies.append((trained, PolicyFlags(policy="embedded", adapter=adapter, batch=batch)))
        if adapter is None:
            console.print(_provenance_line())
    if not policies:
        raise UserError("nothing to run: --no-reference and --no-model together")
    rows: list[Row] = []
    model_policies: dict[str, PolicyFactory] = {}
    with Store(path) as opened:
        recorder = Recorder(AsyncStore(opened))
        for name, flags in policies:
            for mode in MODES:
                console.print(f"[bold]{name}[/] · {mode} · {len(chosen)} environments ...")
                # The reference teachers run on the default budgets; the model's turns cost
                # seconds each on a CPU, so it gets the (smaller) budgets of the flags.
                config = (
                    AgentConfig(mode=mode)
                    if name == "reference"
                    else AgentConfig(
                        mode=mode,
                        max_turns=max_turns,
                        max_trial_calls=max_trial_calls,
                        sampling=Sampling(max_tokens=max_new_tokens),
                    )
                )
                if name == "reference":
                    factories = {e.name: policy_factory(flags, env=e, mode=mode) for e in chosen}
                else:  # each model, loaded once, serves every environment and mode
                    if name not in model_policies:
                        model_policies[name] = policy_factory(flags, env=None, mode=mode)
                    factories = dict.fromkeys((e.name for e in chosen), model_policies[name])
                jobs = [
                    env_job(e, t, factories[e.name], config, recorder=recorder)
                    for e in chosen
                    for t in e.tasks("test")[:tasks_per_env]
                ]
                rows.append(anyio.run(_run_row, name, mode, jobs, batch))
    console.print(_table(rows))
    console.print(
        f"[dim]{sum(len(r.episodes) for r in rows)} episodes recorded in {path}; "
        "`toolmaster sessions list` shows them.[/]"
    )


def _provenance_line() -> str:
    """What the shipped adapter is, from its provenance: one dim line above the table."""
    try:
        facts = shipped_provenance()
    except (OSError, ValueError):
        return f"[dim]trained: {EMBEDDED_MODEL} + the shipped adapter (no provenance.json)[/]"
    passed = cast(dict[str, str], facts.get("pass_rates") or {})
    rates = ", ".join(f"{key} {value}" for key, value in passed.items())
    return (
        f"[dim]trained: {EMBEDDED_MODEL} + the shipped adapter ({facts.get('summary', '')}"
        f"{'; measured: ' + rates if rates else ''}); --adapter none runs the bare model.[/]"
    )


def _number(value: JsonValue) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def _environments(names: list[str] | None) -> list[Environment]:
    installed = environments()
    if not names:
        return [e for e in installed.values() if not e.out_of_domain]
    unknown = sorted(set(names) - set(installed))
    if unknown:
        raise UserError(f"unknown environments {unknown} (known: {', '.join(installed)})")
    return [installed[n] for n in names]


async def _run_row(
    name: str, mode: Mode, jobs: list[Callable[[], Awaitable[Episode]]], concurrency: int
) -> Row:
    started = time.perf_counter()
    episodes = await run_many(jobs, concurrency=max(1, concurrency))
    return Row(name, mode, episodes, time.perf_counter() - started)


def _table(rows: list[Row]) -> Table:
    table = Table(
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
        title="ToolMaster demo: bundled test tasks",
        caption="pass: verifier pass rate; trial/exec calls, errors and tok(ens): means per "
        "episode; fail: episodes with a runtime error; s: wall seconds of the row. The model "
        "runs on the budgets of --max-turns and --max-trial-calls, the teachers on the defaults.",
    )
    columns = (
        "policy",
        "mode",
        "n",
        "pass",
        "trial",
        "exec",
        "tool\nerr",
        "fmt\nerr",
        "fail",
        "tok",
        "s",
    )
    widths = {"policy": 9, "mode": 6, "tok": 5, "s": 6}
    for column in columns:
        width = widths.get(column, max(len(line) for line in column.split("\n")))
        justify = "left" if column in ("policy", "mode") else "right"
        table.add_column(column, justify=justify, min_width=width, no_wrap=True)
    for row in rows:
        table.add_row(
            row.policy,
            row.mode,
            str(len(row.episodes)),
            f"{row.pass_rate:.0%}",
            f"{row.mean('trial_calls'):.1f}",
            f"{row.mean('execute_calls'):.1f}",
            f"{row.mean('tool_errors'):.1f}",
            f"{row.mean('format_errors'):.1f}",
            str(row.failures),
            f"{row.tokens:.0f}",
            f"{row.seconds:.1f}",
        )
    return table
