"""`toolmaster mutate`: serve a perturbed variant of any MCP server over stdio."""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import anyio
import typer
from mcp import Client, StdioServerParameters
from toolmaster.core import Split, Task, ToolMasterError, UserError, get_environment, terminal_safe
from toolmaster.mcp import (
    BundledServerSpec,
    HttpRefusals,
    HttpServerSpec,
    PerturbationProxy,
    ServerConnectError,
    ServerSpec,
    StdioServerSpec,
    connect_reason,
    http_transport,
    is_sse_url,
    parse_kinds,
    servers_from_file,
)

_HELP = (
    "Serve a perturbed variant of an MCP server over stdio: unfamiliar tools made from "
    "familiar ones (see docs/perturbations.md).\n\n"
    "The upstream is a command after `--`, a URL (--url), or an entry of an mcpServers JSON "
    "file (--config, with --server when it lists several). The same seed and kinds always "
    "give the same variant; --show prints its plan as JSON instead of serving it.\n\n"
    "Examples:\n\n"
    "  toolmaster mutate --seed 7 --kinds rename,paraphrase -- python -m my_server\n\n"
    "  toolmaster mutate --show --kinds drift --config mcp.json --server weather"
)


mutate_app = typer.Typer()

# The upstream: a command after `--`, or one of these.
ConfigOption = Annotated[
    Path | None, typer.Option(help="An mcpServers JSON file that lists the upstream.")
]
ServerOption = Annotated[
    str | None, typer.Option(help="Which server of --config (needed if it lists several).")
]
UrlOption = Annotated[
    str | None,
    typer.Option(help="An HTTP upstream: streamable HTTP, or legacy SSE for a URL ending in /sse."),
]


@mutate_app.command("mutate", help=_HELP, context_settings={"ignore_unknown_options": True})
def mutate(
    *,
    command: Annotated[
        list[str] | None,
        typer.Argument(
            help="The upstream server's command and its arguments, after `--`.",
            show_default=False,
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the variant.")] = 0,
    kinds: Annotated[
        str,
        typer.Option(
            help="Comma-separated kinds: rename_tool, rename_param, paraphrase, strip, "
            "misleading, reorder, error_wording, drift; `rename` (both renames) or `all`."
        ),
    ] = "all",
    config: ConfigOption = None,
    server: ServerOption = None,
    url: UrlOption = None,
    show: Annotated[
        bool, typer.Option("--show", help="Print the perturbation plan as JSON and exit.")
    ] = False,
    name: Annotated[
        str | None, typer.Option(help="The variant's server name (default: the upstream's).")
    ] = None,
    timeout: Annotated[
        float | None, typer.Option(help="Seconds to wait for each upstream call.")
    ] = None,
) -> None:
    try:
        chosen = parse_kinds(kinds)
        label, target = _upstream(command or [], config, server, url)
        serve = partial(_run, seed=seed, kinds=chosen, show=show, name=name, timeout=timeout)
        anyio.run(serve, label, target)
    except UserError as error:
        typer.echo(f"error: {terminal_safe(str(error))}", err=True)
        raise typer.Exit(2) from None
    except ServerConnectError as error:  # as `toolmaster tools` says it, and exits 1 as it does
        for upstream, reason in error.failures.items():
            message = f"error: server {upstream!r} could not be connected: {reason}"
            typer.echo(terminal_safe(message), err=True)
        raise typer.Exit(1) from None


async def _run(
    label: str,
    target: Any,
    *,
    seed: int,
    kinds: tuple[Any, ...],
    show: bool,
    name: str | None,
    timeout: float | None,
) -> None:
    """Connect the upstream and serve its variant (or print the plan). A failure before the
    upstream has listed its tools is a `ServerConnectError` with the Toolbox's one-line reason."""
    refusals = HttpRefusals()
    connected = False
    try:
        async with _client(target, refusals) as upstream:
            proxy = await PerturbationProxy.create(
                upstream, seed=seed, kinds=kinds, name=name, call_timeout_s=timeout
            )
            connected = True
            if show:
                sys.stdout.write(proxy.plan.model_dump_json(indent=2) + "\n")
                sys.stdout.flush()
                return
            await proxy.run_stdio()
    except ToolMasterError:
        raise
    except Exception as exc:
        if connected:
            raise
        http = target if isinstance(target, HttpServerSpec) else None
        reason = connect_reason(
            exc,
            url=None if http is None else http.url,
            refused=refusals.status,
            sse=http is not None and http.transport == "sse",
        )
        raise ServerConnectError({label: reason}) from exc


@asynccontextmanager
async def _client(target: Any, refusals: HttpRefusals) -> AsyncGenerator[Client]:
    if isinstance(target, HttpServerSpec):
        async with Client(http_transport(target, refusals)) as client:
            yield client
        return
    async with Client(target) as client:
        yield client


def _upstream(
    command: list[str], config: Path | None, server: str | None, url: str | None
) -> tuple[str, Any]:
    """The upstream the flags name, as its name in messages and what `mcp.Client` connects to
    (an HTTP upstream as its spec, so that its 401s are noted)."""
    given = [bool(command), config is not None, url is not None]
    if sum(given) != 1:
        raise UserError(
            "name the upstream server once: `-- COMMAND [ARGS...]`, --url URL, "
            "or --config FILE [--server NAME]"
        )
    if server is not None and config is None:
        raise UserError("--server picks an entry of --config; give --config FILE too")
    if command:
        # Like any command wrapper, the upstream inherits this process's environment.
        params = StdioServerParameters(command=command[0], args=command[1:], env=dict(os.environ))
        return command[0], params
    if url is not None:
        transport = "sse" if is_sse_url(url) else "streamable-http"
        return url, HttpServerSpec(name="upstream", url=url, transport=transport)
    assert config is not None
    spec = _pick(servers_from_file(config, environ=os.environ), server, config)
    return spec.name, _spec_target(spec)


def _pick(specs: list[ServerSpec], server: str | None, config: Path) -> ServerSpec:
    names = ", ".join(spec.name for spec in specs) or "none"
    if server is None:
        if len(specs) != 1:
            raise UserError(
                f"{config} lists {len(specs)} servers ({names}); pick one with --server"
            )
        return specs[0]
    for spec in specs:
        if spec.name == server:
            return spec
    raise UserError(f"{config} has no server {server!r} (it lists: {names})")


def _spec_target(spec: ServerSpec) -> Any:
    if isinstance(spec, StdioServerSpec):
        env = {key: value.get_secret_value() for key, value in spec.env.items()}
        return StdioServerParameters(
            command=spec.command, args=list(spec.args), env=env, cwd=spec.cwd
        )
    if isinstance(spec, HttpServerSpec):
        return spec
    if isinstance(spec, BundledServerSpec):
        return _bundled(spec)
    raise UserError(f"server {spec.name!r} cannot be reached from the command line")


def _bundled(spec: BundledServerSpec) -> Any:
    if spec.transport == "stdio":
        args = ["-m", f"toolmaster.envs.{spec.environment}", "--seed", str(spec.seed)]
        args += ["--version", spec.version] if spec.version is not None else []
        args += ["--task", spec.task] if spec.task is not None else []
        return StdioServerParameters(command=sys.executable, args=args)
    env = get_environment(spec.environment)
    task: Task | None = None
    if spec.task is not None:
        splits: tuple[Split, ...] = ("train", "test")
        tasks = {t.id: t for split in splits for t in env.tasks(split)}
        if spec.task not in tasks:
            raise UserError(f"environment {env.name!r} has no task {spec.task!r}")
        task = tasks[spec.task]
    return env.open(task, seed=spec.seed, version=spec.version).server
