"""`toolmaster eval bfcl`: BFCL multi-turn entries through the agent, scored by BFCL's checker.

BFCL (the `bfcl` extra of toolmaster-eval) and the model backends are imported inside the
command, so `toolmaster --help` stays fast and a missing extra fails only this command.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import anyio
import typer
from rich.console import Console
from rich.table import Table
from toolmaster.cli._common import mode_of, store_file, with_options
from toolmaster.cli._policies import (
    PolicyFlags,
    PolicyOption,
    backend_options,
    policy_factory,
    policy_flags,
    sampling_of,
)
from toolmaster.core import AsyncStore, Mode, Sampling, Store, UserError, new_id

if TYPE_CHECKING:
    from toolmaster.eval.bfcl import BfclConfig, BfclEntry, CategoryScore, PolicyFor

CategoryOption = Annotated[
    list[str] | None,
    typer.Option(
        "--category",
        "-c",
        help="multi_turn_base (default), multi_turn_miss_func, multi_turn_miss_param, "
        "multi_turn_long_context, or all; repeatable.",
        show_default=False,
    ),
]


bfcl_app = typer.Typer()


@bfcl_app.command("bfcl")
@with_options(backend_options(batch=4), after="policy")
def bfcl_command(
    ctx: typer.Context,
    *,
    category: CategoryOption = None,
    limit: Annotated[
        int | None, typer.Option(help="The first N entries of each category.", show_default=False)
    ] = None,
    entry: Annotated[
        list[str] | None,
        typer.Option("--id", help="Only these entry ids (repeatable).", show_default=False),
    ] = None,
    ground_truth: Annotated[
        bool, typer.Option("--ground-truth", help="Replay BFCL's ground truth instead of a model.")
    ] = False,
    wrong: Annotated[
        bool, typer.Option("--wrong", help="With --ground-truth: drop each entry's last call.")
    ] = False,
    mode: Annotated[str, typer.Option("--mode", "-m", help="trial or direct.")] = "trial",
    policy: PolicyOption = "embedded",
    max_trial_calls: Annotated[int, typer.Option(help="Trial-call budget.")] = 20,
    max_new_tokens: Annotated[
        int | None,
        typer.Option(help="Tokens per model turn (default: the settings', else 512)."),
    ] = None,
    temperature: Annotated[
        float | None,
        typer.Option(help="Sampling temperature, 0 greedy (default: the settings', else 0)."),
    ] = None,
    concurrency: Annotated[int, typer.Option(help="Entries run at once.")] = 8,
    run: Annotated[
        str | None, typer.Option(help="Run id of the episodes (default: bfcl-<random>).")
    ] = None,
    store: Annotated[
        Path | None, typer.Option("--store", help="Session store file (default: the settings').")
    ] = None,
    **backend: Any,
) -> None:
    """Run BFCL multi-turn entries through the agent (each simulator class an MCP server),
    score them with BFCL's own checker, record them, and print the accuracy per category."""
    from toolmaster.eval import bfcl  # noqa: PLC0415 (BFCL is imported on use)

    chosen = mode_of(mode)
    if wrong and not ground_truth:
        raise UserError("--wrong goes with --ground-truth")
    categories = _categories(category, bfcl.CATEGORIES)
    entries = [e for c in categories for e in bfcl.load_entries(c, limit=limit, ids=_ids(entry, c))]
    if not entries:
        raise UserError("no BFCL entries selected")
    flags = policy_flags(ctx, policy, **backend)
    temperature, max_new_tokens = sampling_of(ctx, temperature, max_new_tokens)
    label, policy_for = _policy(
        flags, chosen, ground_truth=ground_truth, wrong=wrong, trial_calls=max_trial_calls
    )
    config = bfcl.BfclConfig(
        agent=bfcl.bfcl_agent_config(
            chosen,
            sampling=Sampling(
                temperature=0.0 if temperature is None else temperature,
                max_tokens=512 if max_new_tokens is None else max_new_tokens,
            ),
            max_trial_calls=max_trial_calls,
        ),
        run=run or f"bfcl-{new_id()[:8]}",
        policy=label,
        concurrency=concurrency,
    )
    path = store_file(ctx, store)
    console = Console(highlight=False)
    scores, seconds = _run(entries, policy_for, config, path, console)
    console.print(_table(scores, f"BFCL · {label} · {chosen} mode · run {config.run}"))
    console.print(f"[dim]{len(entries)} entries in {seconds:.1f} s, recorded in {path}[/]")


def _categories(given: list[str] | None, known: tuple[str, ...]) -> list[str]:
    names = [p.strip() for value in given or ["multi_turn_base"] for p in value.split(",")]
    if "all" in names:
        return list(known)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise UserError(f"unknown BFCL category {unknown[0]!r} (known: {', '.join(known)}, all)")
    return list(dict.fromkeys(names))


def _ids(ids: list[str] | None, category: str) -> list[str] | None:
    """The ids of `category` among `ids` (an id belongs to the category its name starts with)."""
    if not ids:
        return None
    return [i for i in ids if i.rsplit("_", 1)[0] == category]


def _policy(
    flags: PolicyFlags, mode: Mode, *, ground_truth: bool, wrong: bool, trial_calls: int
) -> tuple[str, PolicyFor]:
    from toolmaster.eval import bfcl  # noqa: PLC0415

    if ground_truth:
        label = "ground-truth-wrong" if wrong else "ground-truth"
        probes = min(3, trial_calls)
        return label, lambda e: bfcl.ground_truth_policy(e, mode, wrong=wrong, trial_calls=probes)
    if flags.policy == "reference":
        raise UserError("BFCL has no reference solver: use --ground-truth to replay its answers")
    make = policy_factory(flags, env=None, mode=mode)
    return flags.policy, lambda e: make(e.task())


def _run(
    entries: list[BfclEntry],
    policy_for: PolicyFor,
    config: BfclConfig,
    path: Path,
    console: Console,
) -> tuple[list[CategoryScore], float]:
    from toolmaster.agent import Recorder  # noqa: PLC0415
    from toolmaster.eval import RichProgress, bfcl  # noqa: PLC0415

    started = time.perf_counter()
    with Store(path) as opened, RichProgress(config.run, console) as progress:
        progress.start(len(entries), 0)
        recorder = Recorder(AsyncStore(opened))

        async def go() -> list[CategoryScore]:
            episodes = await bfcl.run_entries(
                entries, policy_for, config, recorder=recorder, on_episode=progress.advance
            )
            return bfcl.summarize(episodes)

        scores = anyio.run(go)
    return scores, time.perf_counter() - started


def _table(scores: list[CategoryScore], title: str) -> Table:
    table = Table(title=title)
    for column in ("category", "entries", "passed", "accuracy", "errors"):
        table.add_column(column, justify="left" if column == "category" else "right")
    for score in scores:
        table.add_row(
            score.category,
            str(score.entries),
            str(score.passed),
            f"{100 * score.accuracy:.1f}%",
            str(score.errors),
        )
    return table
