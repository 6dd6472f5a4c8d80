"""From a `ServerSpec` to what `mcp.Client` connects to: a server object or a transport."""

from __future__ import annotations

import sys
from collections.abc import AsyncGenerator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal

import httpx2
from toolmaster.core import EnvSession, Task, UserError, get_environment
from toolmaster.mcp._failures import HttpRefusals
from toolmaster.mcp._spec import (
    BundledServerSpec,
    HttpServerSpec,
    InProcessServerSpec,
    ServerSpec,
    StdioServerSpec,
)
from toolmaster.mcp._stdio import StderrTail, stdio_transport

from mcp import StdioServerParameters
from mcp.client.sse import sse_client
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client

__all__ = ["Target", "http_transport", "make_target", "transport_of"]

Transport = Literal["stdio", "http", "sse", "memory"]

_HTTP_TIMEOUT = httpx2.Timeout(30.0, read=300.0)


@dataclass
class Target:
    """What to hand to `mcp.Client`, and the bundled session when there is one."""

    server: Any
    """A server object, or a transport (an async context manager of the two streams)."""
    env_session: EnvSession | None = None
    mode: Literal["auto", "legacy"] = "auto"
    """How `mcp.Client` negotiates: `legacy` forces the initialize handshake."""


def transport_of(spec: ServerSpec) -> Transport:
    """How the spec's server is reached."""
    if isinstance(spec, StdioServerSpec):
        return "stdio"
    if isinstance(spec, HttpServerSpec):
        return "sse" if spec.transport == "sse" else "http"
    if isinstance(spec, BundledServerSpec):
        return "stdio" if spec.transport == "stdio" else "memory"
    return "memory"


def make_target(
    spec: ServerSpec,
    *,
    tail: StderrTail,
    max_message_bytes: int,
    on_exit: Callable[[], None],
    env_session: EnvSession | None = None,
    refusals: HttpRefusals | None = None,
    auth: httpx2.Auth | None = None,
) -> Target:
    """A fresh target for one connection attempt (transports are single-use).

    `env_session` is the bundled session of an earlier attempt, reused so that a reconnection
    of an in-process environment keeps its state; `refusals` notes an HTTP server's 401 or 403;
    `auth` authenticates its HTTP requests (the OAuth provider).
    Raises `UserError` for an unknown bundled environment or task.
    """
    if isinstance(spec, InProcessServerSpec):
        return Target(spec.server, mode="legacy" if spec.legacy else "auto")
    if isinstance(spec, HttpServerSpec):
        return Target(http_transport(spec, refusals or HttpRefusals(), auth))
    stdio = partial(_stdio, tail=tail, limit=max_message_bytes, on_exit=on_exit)
    if isinstance(spec, StdioServerSpec):
        env = {k: v.get_secret_value() for k, v in spec.env.items()}
        params = StdioServerParameters(
            command=spec.command, args=list(spec.args), env=env, cwd=spec.cwd
        )
        return Target(stdio(params))
    if spec.transport == "stdio":
        args = ["-m", f"toolmaster.envs.{spec.environment}", "--seed", str(spec.seed)]
        if spec.version is not None:
            args += ["--version", spec.version]
        if spec.task is not None:
            args += ["--task", spec.task]
        return Target(stdio(StdioServerParameters(command=sys.executable, args=args, env={})))
    session = env_session or _open_bundled(spec)
    return Target(session.server, session)


def _open_bundled(spec: BundledServerSpec) -> EnvSession:
    env = get_environment(spec.environment)
    if spec.version is not None and spec.version not in env.versions:
        known = ", ".join(env.versions)
        raise UserError(
            f"environment {env.name!r} has no version {spec.version!r} (known: {known})"
        )
    task: Task | None = None
    if spec.task is not None:
        tasks = {t.id: t for split in ("train", "test") for t in env.tasks(split)}
        if spec.task not in tasks:
            raise UserError(f"environment {env.name!r} has no task {spec.task!r}")
        task = tasks[spec.task]
    return env.open(task, seed=spec.seed, version=spec.version)


def _stdio(
    params: StdioServerParameters, *, tail: StderrTail, limit: int, on_exit: Callable[[], None]
) -> AbstractAsyncContextManager[Any]:
    if sys.platform == "win32":  # pragma: no cover (the SDK's transport handles Windows jobs)
        return stdio_client(params)
    return stdio_transport(
        params.command,
        params.args,
        env=params.env or {},
        cwd=None if params.cwd is None else str(params.cwd),
        tail=tail,
        max_message_bytes=limit,
        on_exit=on_exit,
    )


def http_transport(
    spec: HttpServerSpec, refusals: HttpRefusals, auth: httpx2.Auth | None = None
) -> AbstractAsyncContextManager[Any]:
    """The transport of an HTTP server for `mcp.Client`: streamable HTTP, or legacy SSE, with
    the spec's headers and `auth`; `refusals` notes a 401 or 403 answer."""
    headers = {k: v.get_secret_value() for k, v in spec.headers.items()}
    if spec.transport == "sse":
        return _sse(spec.url, headers, refusals, auth)
    return _streamable(spec.url, headers, refusals, auth)


@asynccontextmanager
async def _streamable(
    url: str, headers: dict[str, str], refusals: HttpRefusals, auth: httpx2.Auth | None
) -> AsyncGenerator[Any]:
    hooks = {"response": [refusals]}
    async with (
        httpx2.AsyncClient(
            headers=headers, timeout=_HTTP_TIMEOUT, event_hooks=hooks, auth=auth
        ) as http,
        streamable_http_client(url, http_client=http) as streams,
    ):
        yield streams


@asynccontextmanager
async def _sse(
    url: str, headers: dict[str, str], refusals: HttpRefusals, oauth: httpx2.Auth | None
) -> AsyncGenerator[Any]:
    def client(
        headers: dict[str, str] | None = None,
        timeout: httpx2.Timeout | None = None,
        auth: httpx2.Auth | None = None,
    ) -> httpx2.AsyncClient:
        return httpx2.AsyncClient(
            headers=headers,
            timeout=timeout or _HTTP_TIMEOUT,
            auth=auth,
            event_hooks={"response": [refusals]},
        )

    read = _HTTP_TIMEOUT.read or 300.0
    connect = _HTTP_TIMEOUT.connect or 30.0
    async with sse_client(
        url,
        headers=headers,
        timeout=connect,
        sse_read_timeout=read,
        httpx_client_factory=client,
        auth=oauth,
    ) as streams:
        yield streams
