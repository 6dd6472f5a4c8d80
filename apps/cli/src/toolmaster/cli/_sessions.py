"""`toolmaster sessions`: list, show, export and import recorded episodes."""

from __future__ import annotations

import re
import sys
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from toolmaster.cli._common import open_store, option, shown, with_options
from toolmaster.cli._episode_view import render_episode
from toolmaster.cli._settings import settings_of
from toolmaster.core import (
    EpisodeQuery,
    EpisodeSummary,
    Mode,
    Store,
    UserError,
    VerdictFilter,
)

sessions_app = typer.Typer(
    help="Browse recorded sessions (episodes): list, show, export and import them.",
    no_args_is_help=True,
)

StoreOption = Annotated[
    Path | None,
    typer.Option(
        "--store",
        help="The session store file. Default: TOOLMASTER_STORE_PATH, the config file's "
        "store_path, or sessions.db in the user data directory.",
        show_default=False,
    ),
]
EnvOption = Annotated[str | None, typer.Option(help="Only episodes of this environment.")]
PolicyOption = Annotated[str | None, typer.Option(help="Only episodes of this policy name.")]
TaskOption = Annotated[str | None, typer.Option(help="Only episodes of this task id.")]


class ModeChoice(StrEnum):
    """The `--mode` choices (`toolmaster.core.Mode`)."""

    trial = "trial"
    direct = "direct"


ModeOption = Annotated[ModeChoice | None, typer.Option(help="Only episodes of this mode.")]
PassedOption = Annotated[
    bool | None,
    typer.Option(
        "--passed/--failed", help="Only passed (or only failed) episodes.", show_default=False
    ),
]
UnjudgedOption = Annotated[bool, typer.Option("--unjudged", help="Only episodes with no verdict.")]
SinceOption = Annotated[
    str | None,
    typer.Option(
        help="Only episodes started since then: an ISO date or time (local time unless it "
        "has an offset), or an age such as 30m, 2h, 7d."
    ),
]
UntilOption = Annotated[
    str | None, typer.Option(help="Only episodes started before then (same forms as --since).")
]

FILTERS = [
    option("env", EnvOption),
    option("policy", PolicyOption),
    option("task", TaskOption),
    option("mode", ModeOption),
    option("passed", PassedOption),
    option("unjudged", UnjudgedOption, False),
    option("since", SinceOption),
    option("until", UntilOption),
]
"""The filters of `list` and `export` (`build_query`'s keywords), for `with_options`."""

_AGE = re.compile(r"(\d+)\s*([smhdw])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_moment(text: str, option: str, now: datetime | None = None) -> datetime:
    """An age (`2h`: two hours before now) or an ISO date/time; naive times are local."""
    now = now or datetime.now().astimezone()
    age = _AGE.fullmatch(text.strip())
    if age:
        return now - timedelta(**{_UNITS[age.group(2)]: int(age.group(1))})
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UserError(
            f"{option} {text!r} is neither an ISO date/time (2026-01-31, 2026-01-31T14:00) "
            "nor an age (30m, 2h, 7d)"
        ) from None
    return moment if moment.tzinfo is not None else moment.astimezone()


def build_query(
    *,
    env: str | None = None,
    policy: str | None = None,
    task: str | None = None,
    mode: ModeChoice | None = None,
    passed: bool | None = None,
    unjudged: bool = False,
    since: str | None = None,
    until: str | None = None,
    limit: int | None = None,
) -> EpisodeQuery:
    """The store query for the filter options shared by `list` and `export`."""
    if unjudged and passed is not None:
        raise UserError("--unjudged cannot be combined with --passed or --failed")
    verdict: VerdictFilter | None = "unjudged" if unjudged else None
    if passed is not None:
        verdict = "passed" if passed else "failed"
    modes: dict[ModeChoice | None, Mode | None] = {
        None: None,
        ModeChoice.trial: "trial",
        ModeChoice.direct: "direct",
    }
    return EpisodeQuery(
        env=env,
        policy=policy,
        task=task,
        mode=modes[mode],
        verdict=verdict,
        since=None if since is None else parse_moment(since, "--since"),
        until=None if until is None else parse_moment(until, "--until"),
        limit=limit,
    )


@sessions_app.command("list")
@with_options(FILTERS, after="ctx")
def list_sessions(
    ctx: typer.Context,
    *,
    limit: Annotated[int, typer.Option(min=0, help="Show at most this many.")] = 50,
    store: StoreOption = None,
    **filters: Any,
) -> None:
    """List recorded episodes, newest first."""
    query = build_query(limit=limit, **filters)
    path = store or settings_of(ctx).sessions_db
    console = Console(highlight=False)
    if not path.exists():
        console.print(f"No sessions recorded yet (no store at {path}).", markup=False)
        return
    with open_store(ctx, path) as opened:  # read-only where it cannot be written
        rows = opened.summaries(query)
        total = opened.count(query)
    if not rows:
        console.print("No episodes match.", markup=False)
        return
    console.print(_table(rows, width=console.width))
    console.print(f"{len(rows)} of {total} matching episodes, newest first.", markup=False)


def _table(rows: list[EpisodeSummary], *, width: int) -> Table:
    """The episodes, one a line, to fit `width` columns. What a user copies (the id and the
    task id) is never cut: the task column takes the room the fixed columns leave, bar a few
    columns for the policy (and env), and a task id longer than that folds onto a second line;
    a long policy or env is shortened instead. The env column is left out where every task id
    starts with its env (the bundled tasks), and under 100 columns the start has no year."""
    with_env = any(r.env is not None and not r.task_id.startswith(f"{r.env}/") for r in rows)
    started = "%m-%d %H:%M" if width < 100 else "%Y-%m-%d %H:%M"
    lines = [_row(row, started, with_env=with_env) for row in rows]
    names = ["id", "started", "task", *(["env"] if with_env else []), "policy", "mode"]
    names += ["verdict", "time"]
    widest = [max(len(name), *(len(line[i]) for line in lines)) for i, name in enumerate(names)]
    shortened = [i for i, name in enumerate(names) if name in ("env", "policy")]
    room = width - (len(names) - 1) - sum(w for i, w in enumerate(widest) if i != 2)
    room += sum(widest[i] - min(widest[i], 7) for i in shortened)  # they keep 7 each
    table = Table(box=None, pad_edge=False, padding=(0, 1, 0, 0), header_style="bold")
    for i, name in enumerate(names):
        if name == "task":
            table.add_column(name, width=max(12, min(widest[i], room)), overflow="fold")
        elif i in shortened:
            table.add_column(name, overflow="ellipsis")
        else:
            table.add_column(name, no_wrap=True, justify="right" if name == "time" else "left")
    for line in lines:
        table.add_row(*(shown(cell) for cell in line))
    return table


def _row(row: EpisodeSummary, started: str, *, with_env: bool) -> list[str]:
    """One episode's cells, as plain text."""
    verdict = "-" if row.passed is None else f"{row.verdict[:4]} {row.score or 0:.2f}"
    wall = "-" if row.wall_s is None else f"{row.wall_s:.1f}s"
    env = [row.env or "-"] if with_env else []
    when = row.started_at.astimezone().strftime(started)
    return [row.id[:12], when, row.task_id, *env, row.policy, row.mode, verdict, wall]


def _resolve(opened: Store, episode_id: str) -> str:
    matches = opened.ids_starting_with(episode_id, limit=6)
    if episode_id in matches:
        return episode_id
    if not matches:
        raise UserError(f"no episode with id {episode_id!r} in {opened.path}")
    if len(matches) > 1:
        shown = ", ".join(m[:16] for m in matches[:5])
        raise UserError(
            f"id {episode_id!r} is ambiguous: {shown}{', ...' if len(matches) > 5 else ''}"
        )
    return matches[0]


@sessions_app.command("show")
def show_session(
    ctx: typer.Context,
    *,
    episode_id: Annotated[str, typer.Argument(metavar="ID", help="Episode id or a unique prefix.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the episode's raw JSON.")] = False,
    full: Annotated[bool, typer.Option("--full", help="Do not shorten long contents.")] = False,
    store: StoreOption = None,
) -> None:
    """Show one episode phase by phase: prompt, trial calls, notes, execution, answer."""
    with open_store(ctx, store) as opened:
        episode = opened.get_episode(_resolve(opened, episode_id))
    assert episode is not None
    if as_json:
        typer.echo(episode.model_dump_json())
        return
    render_episode(Console(highlight=False), episode, full=full)


@sessions_app.command("export")
@with_options(FILTERS, after="file")
def export_sessions(
    ctx: typer.Context,
    *,
    file: Annotated[
        str, typer.Argument(metavar="[FILE|-]", help="Where to write the JSONL; - is stdout.")
    ] = "-",
    limit: Annotated[int | None, typer.Option(min=0, help="Export at most this many.")] = None,
    store: StoreOption = None,
    **filters: Any,
) -> None:
    """Export episodes as JSONL, one episode JSON per line, newest first."""
    query = build_query(limit=limit, **filters)
    with open_store(ctx, store) as opened:
        if file == "-":
            count = opened.export_jsonl(sys.stdout, query)
            sys.stdout.flush()
        else:
            try:
                with Path(file).open("w", encoding="utf-8", newline="\n") as out:
                    count = opened.export_jsonl(out, query)
            except OSError as exc:
                raise UserError(f"cannot write {file}: {exc.strerror or exc}") from exc
    typer.echo(f"exported {count} episodes to {'stdout' if file == '-' else file}", err=True)


@sessions_app.command("import")
def import_sessions(
    ctx: typer.Context,
    *,
    file: Annotated[str, typer.Argument(metavar="FILE|-", help="A JSONL export; - is stdin.")],
    store: StoreOption = None,
) -> None:
    """Import episodes from JSONL, all or nothing.

    Every line is checked first: a bad line is reported and nothing is imported. Episodes
    already stored under the same id are replaced.
    """
    with open_store(ctx, store, create=True) as opened:
        if file == "-":
            count = opened.import_jsonl(sys.stdin.buffer)
        else:
            try:
                with Path(file).open("rb") as source:
                    count = opened.import_jsonl(source)
            except OSError as exc:
                raise UserError(f"cannot read {file}: {exc.strerror or exc}") from exc
        target = opened.path
    # Lines that repeat an id are one episode in the store: `count` says what it holds now.
    typer.echo(f"imported {count} episode{'' if count == 1 else 's'} into {target}", err=True)
