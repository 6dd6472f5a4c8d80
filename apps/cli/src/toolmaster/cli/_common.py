"""What several commands share: how text from outside (tools, models, stores) is shown, the
session store they name, the training configs of `toolmaster train` and `toolmaster data`, and
groups of options.

The training library (`toolmaster.train`) is imported inside the helpers, so `toolmaster --help`
stays fast.
"""

from __future__ import annotations

import inspect
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.markup import escape
from toolmaster.cli._settings import settings_of
from toolmaster.core import Mode, Store, StoreError, UserError, terminal_safe
from toolmaster.mcp import scrub

if TYPE_CHECKING:
    from toolmaster.train import TrainConfig

Choice = TypeVar("Choice", bound=str)

MODES: tuple[Mode, ...] = ("trial", "direct")


def shown(value: object) -> str:
    """`value` as text to put in Rich markup: markup escaped and control characters made inert
    (`terminal_safe`), so that what tools, models and stores hold prints as it is and never
    drives the terminal. Every printer of the CLI shows outside text through it (or through
    `terminal_safe` where no markup is parsed)."""
    return escape(terminal_safe(str(value)))


def one_of(flag: str, value: str, choices: Sequence[Choice]) -> Choice:
    """`value` as one of `choices`, else a `UserError` that names `flag`."""
    for choice in choices:
        if value == choice:
            return choice
    raise UserError(f"{flag} must be {' or '.join(choices)}, not {value!r}")


def mode_of(value: str) -> Mode:
    """A `--mode` value: trial or direct."""
    return one_of("--mode", value, MODES)


StoreOption = Annotated[
    Path | None, typer.Option("--store", help="Session store file (default: from the settings).")
]
"""`--store`, for commands that record into the store the settings name unless told."""


def store_file(ctx: typer.Context, store: Path | None) -> Path:
    """The store to record into: `--store`, else the settings'; its folder is made if needed,
    and it is opened once, so that an unwritable or read-only place is one clear `StoreError`
    before any work starts."""
    path = store or settings_of(ctx).sessions_db
    Store(path).close()
    return path


def open_store(ctx: typer.Context, store: Path | None, *, create: bool = False) -> Store:
    """The store named by `--store` or the settings; it must exist unless `create`. A store
    that cannot be opened for writing (a read-only filesystem or file) is opened read-only,
    so that it can still be listed and shown; a write then fails with a `StoreError`."""
    path = store or settings_of(ctx).sessions_db
    if not create and not path.exists():
        raise UserError(
            f"no session store at {path} (nothing recorded yet? --store or "
            "TOOLMASTER_STORE_PATH point at another one)"
        )
    try:
        return Store(path)
    except StoreError as exc:
        if create or not path.is_file():
            raise
        try:
            return Store(path, read_only=True)
        except StoreError:
            raise exc from None  # not only unwritable: the first reason is the one to give


def unconnected(errors: Mapping[str, str]) -> None:
    """Name each MCP server that could not be connected on stderr, one `error:` line each, in
    the style of every error line of the command (the Toolbox has scrubbed the reasons)."""
    for name, reason in errors.items():
        message = f"error: server {name!r} could not be connected: {reason}"
        typer.echo(terminal_safe(scrub(message)), err=True)


def unrecorded_file(store: Path) -> Path:
    """Where a run puts the episodes its store refuses (a full disk, a read-only folder)."""
    return Path(tempfile.gettempdir()) / f"toolmaster-unrecorded-{store.stem}.jsonl"


CONFIG_DIR = Path("configs/train")
"""Where `CONFIG` names are looked up when they are not a file: `configs/train/NAME.toml`."""

ConfigArgument = Annotated[
    str,
    typer.Argument(help="A config file, or a name in configs/train/ (cpu-smoke, ...)."),
]
TrainStoreOption = Annotated[
    Path | None,
    typer.Option(
        "--store",
        help="Session store to read episodes from (default: the config's data.store, else the "
        "settings').",
        show_default=False,
    ),
]


def resolve_config(name: str) -> Path:
    """A config file: `name` itself when it is a file, else `configs/train/NAME.toml`."""
    given = Path(name)
    if given.is_file():
        return given
    named = CONFIG_DIR / f"{name}.toml"
    if named.is_file():
        return named
    known = sorted(p.stem for p in CONFIG_DIR.glob("*.toml")) if CONFIG_DIR.is_dir() else []
    hint = f" (known: {', '.join(known)})" if known else ""
    raise UserError(f"no training config {name!r}: not a file, nor {named}{hint}")


def load_config(name: str) -> TrainConfig:
    """The training config a command line names."""
    from toolmaster.train import TrainConfig  # noqa: PLC0415 (keeps --help fast)

    return TrainConfig.load(resolve_config(name))


def episodes_store(ctx: typer.Context, flag: Path | None, config: TrainConfig) -> Path:
    """The store to read episodes from: `--store`, else the config's `[data] store`, else the
    settings'. It must exist: an empty new store would only say that there is nothing to train
    on."""
    path = flag or config.data.store or settings_of(ctx).sessions_db
    if not path.is_file():
        raise UserError(
            f"no session store at {path}: record teacher episodes first (`toolmaster synth`, "
            "or `toolmaster train sft CONFIG --synth`)"
        )
    return path


Command = TypeVar("Command", bound=Callable[..., None])


def option(name: str, annotation: object, default: object = None) -> inspect.Parameter:
    """One typer option of a group that several commands share: `annotation` is its
    `Annotated[type, typer.Option(...)]`."""
    return inspect.Parameter(
        name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation
    )


def with_options(group: Sequence[inspect.Parameter], *, after: str) -> Callable[[Command], Command]:
    """Give a command a group of shared options, placed after its parameter `after` in the
    signature typer reads (so in its --help). The command takes them as `**kwargs`."""

    def add(command: Command) -> Command:
        signature = inspect.signature(command, eval_str=True)
        own = [p for p in signature.parameters.values() if p.kind is not p.VAR_KEYWORD]
        at = [p.name for p in own].index(after) + 1
        parameters = [*own[:at], *group, *own[at:]]
        command.__signature__ = signature.replace(parameters=parameters)
        return command

    return add
