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
import httpx2
import typer
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from toolmaster.core import Split, Task, UserError, get_environment
from toolmaster.mcp import (
    BundledServerSpec,
    HttpServerSpec,
    PerturbationProxy,
    ServerSpec,
    StdioServerSpec,
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
    config: Annotated[
        Path | None, typer.Option(help="An mcpServers JSON file that lists the upstream.")
    ] = None,
    server: Annotated[
        str | None, typer.Option(help="Which server of --config (needed if it lists several).")
    ] = None,
    url: Annotated[str | None, typer.Option(help="A streamable HTTP upstream.")] = None,
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
        target = _upstream(command or [], config, server, url)
        serve = partial(_run, seed=seed, kinds=chosen, show=show, name=name, timeout=timeout)
        anyio.run(serve, target)
    except UserError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None


async def _run(
    target: Any,
    *,
    seed: int,
    kinds: tuple[Any, ...],
    show: bool,
    name: str | None,
    timeout: float | None,
) -> None:
    async with _client(target) as upstream:
        proxy = await PerturbationProxy.create(
            upstream, seed=seed, kinds=kinds, name=name, call_timeout_s=timeout
        )
        if show:
            sys.stdout.write(proxy.plan.model_dump_json(indent=2) + "\n")
            sys.stdout.flush()
            return
        await proxy.run_stdio()


@asynccontextmanager
async def _client(target: Any) -> AsyncGenerator[Client]:
    if isinstance(target, HttpServerSpec):
        headers = {key: value.get_secret_value() for key, value in target.headers.items()}
        async with httpx2.AsyncClient(headers=headers) as http:
            transport = streamable_http_client(target.url, http_client=http)
            async with Client(transport) as client:
                yield client
        return
    async with Client(target) as client:
        yield client


def _upstream(command: list[str], config: Path | None, server: str | None, url: str | None) -> Any:
    """What `mcp.Client` connects to for the upstream the flags name."""
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
        return StdioServerParameters(command=command[0], args=command[1:], env=dict(os.environ))
    if url is not None:
        return url
    assert config is not None
    return _spec_target(_pick(servers_from_file(config, environ=os.environ), server, config))


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
        return spec if spec.headers else spec.url
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
