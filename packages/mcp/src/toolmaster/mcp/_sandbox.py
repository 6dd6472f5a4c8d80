"""The trial sandbox for stdio servers: throwaway instances in Linux namespaces.

A trial call that must not last runs in an instance of its server started for the trial, in a
private mount namespace where a copy-on-write overlay lies over every folder the server may
touch (its working folder and the config's `"sandbox": {"paths": [...]}`), and in a new network
namespace (no network, not even the host's loopback; `npx` and `uvx` are told to start cached
servers offline). The overlays' upper layers live on a tmpfs of that namespace: when the trial
ends the instance is stopped, and what it wrote goes with its namespace. Execution talks to the
real server, which never saw the trial.

It needs `unshare` (util-linux), mount namespaces and overlayfs: as root, or in a user namespace
(`--map-root-user`). Where that does not work the sandbox says so once (a log warning, and
`unavailable`), covers no server, and the trial policy refuses what it would have sandboxed.
HTTP servers run elsewhere and are never covered.

Not covered: writes outside the overlaid folders (they reach the real filesystem), side effects
that are not files (a remote API: there is no network to reach one, so such calls fail), and
mount points below an overlaid folder (the overlay shows them as empty folders).
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Self

import anyio
import anyio.abc
from pydantic import SecretStr
from toolmaster.core import ToolCall, ToolResult, ToolSpec, UserError
from toolmaster.mcp._spec import ServerSpec, StdioServerSpec
from toolmaster.mcp._toolbox import PREFIX_SEPARATOR, ServerConnectError, Toolbox

__all__ = ["NamespaceSandbox", "namespace_support", "sandboxed_spec"]

logger = logging.getLogger(__name__)

_SCRIPT = """\
set -eu
scratch=$1; count=$2; shift 2
mount -t tmpfs -o mode=0700 toolmaster-trial "$scratch"
cd "$scratch"
i=0
while [ "$i" -lt "$count" ]; do
  mkdir "u$i" "w$i"
  mount -t overlay toolmaster-trial -o "lowerdir=$1,upperdir=u$i,workdir=w$i" "$1"
  i=$((i + 1)); shift
done
cd "$1"; shift
exec "$@"
"""
"""Run by `sh` in the new namespaces: a tmpfs for the upper layers (entered, so that the layer
folders are reached even where an overlay then hides the tmpfs), one overlay per folder, the
server's working folder entered again through its overlay, then the server itself."""

_PROBE = (
    'mount -t tmpfs toolmaster-probe "$1" && mkdir "$1/l" "$1/u" "$1/w" && '
    'mount -t overlay toolmaster-probe -o "lowerdir=$1/l,upperdir=$1/u,workdir=$1/w" "$1/l"'
)
_OFFLINE = {"npm_config_offline": "true", "UV_OFFLINE": "1", "PIP_NO_INDEX": "1"}
"""Set for a sandboxed instance (unless its config sets them): `npx` and `uvx` start a cached
server without asking the registry, instead of waiting for a network that is not there."""
_UNSAFE_PATH_CHARACTERS = (",", ":", "\\", "\n")
"""Characters that the overlay's mount options cannot carry in a folder's name."""

_support: tuple[list[str], str | None] | None = None
_said: set[str] = set()


def _say_once(reason: str) -> None:
    if reason not in _said:
        _said.add(reason)
        logger.warning("trial sandbox: %s", reason)


def _namespace_command() -> tuple[list[str], str | None]:
    """The `unshare` command line that opens the namespaces, or why there is none."""
    if sys.platform != "linux":
        return [], f"Linux namespaces are not available on {sys.platform}"
    unshare = shutil.which("unshare")
    if unshare is None:
        return [], "`unshare` (util-linux) is not installed"
    command = [unshare, "--mount", "--net"]
    if os.geteuid() != 0:
        command.append("--map-root-user")  # a user namespace grants the mounts
    return [*command, "--", "/bin/sh", "-c"], None


async def namespace_support() -> str | None:
    """None where sandboxed instances can be started here, else why not (checked once per
    process by mounting a tmpfs and an overlay in new namespaces)."""
    global _support  # noqa: PLW0603 (a fact of the machine, found once)
    if _support is None:
        command, reason = _namespace_command()
        if reason is None:
            with tempfile.TemporaryDirectory(prefix="toolmaster-probe-") as scratch:
                probe = await anyio.run_process([*command, _PROBE, "probe", scratch], check=False)
            if probe.returncode != 0:
                said = probe.stderr.decode(errors="replace").strip().splitlines()
                reason = "mount namespaces with overlayfs do not work here" + (
                    f" ({said[-1]})" if said else ""
                )
        _support = (command, reason)
    return _support[1]


@dataclass
class _Instance:
    """A running sandboxed instance of one server."""

    toolbox: Toolbox
    stop: anyio.Event = field(default_factory=anyio.Event)
    done: anyio.Event = field(default_factory=anyio.Event)


class NamespaceSandbox:
    """Throwaway, isolated instances of stdio servers for the trial phase (a `TrialSandbox` of
    `toolmaster.agent`): started on a server's first sandboxed trial call, discarded with what
    they wrote by `discard()` (the agent calls it when the trial ends) and on exit.

    ```python
    async with Toolbox(specs) as toolbox, NamespaceSandbox(specs) as sandbox:
        agent = Agent(policy, toolbox, config, trial_sandbox=sandbox)
    ```

    Use one per episode at a time: the episode's trial calls share its instances.
    """

    def __init__(
        self,
        servers: list[ServerSpec],
        *,
        timeout: float = 60.0,
        connect_timeout: float = 30.0,
    ) -> None:
        self._specs = {spec.name: spec for spec in servers}
        self._timeout = timeout
        self._connect_timeout = connect_timeout
        self._reasons: dict[str, str] = {}
        self._instances: dict[str, _Instance] = {}
        self._lock = anyio.Lock()
        self._tg: anyio.abc.TaskGroup | None = None
        self.unavailable: str | None = None
        """Why no server can be sandboxed on this machine (None where they can)."""

    async def __aenter__(self) -> Self:
        if self._tg is not None:
            raise UserError("this NamespaceSandbox is already open")
        stdio = [spec for spec in self._specs.values() if isinstance(spec, StdioServerSpec)]
        self.unavailable = await namespace_support() if stdio else None
        if self.unavailable is not None:
            _say_once(f"{self.unavailable}; trials that need a sandbox are refused")
        for spec in self._specs.values():
            reason = self.unavailable or _uncovered(spec)
            if reason is not None:
                self._reasons[spec.name] = reason
        tg = anyio.create_task_group()
        await tg.__aenter__()
        self._tg = tg
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        tg, self._tg = self._tg, None
        if tg is None:
            return
        with anyio.CancelScope(shield=True):
            await self.discard()
        await tg.__aexit__(None, None, None)

    def covers(self, server: str) -> bool:
        """Whether trial calls of `server`'s tools can run in a sandboxed instance."""
        return server in self._specs and server not in self._reasons

    def reason(self, server: str) -> str | None:
        """Why `server` is not covered (None if it is)."""
        if server not in self._specs:
            return f"no server named {server!r}"
        return self._reasons.get(server)

    async def call(
        self, tool: ToolSpec, call: ToolCall, *, timeout: float | None = None
    ) -> ToolResult:
        """Make `call` of `tool` in the sandboxed instance of the tool's server, started now if
        it is not running. A failure to start it is a refusal (the call did not run)."""
        server = tool.server
        if not self.covers(server):
            raise UserError(f"the trial sandbox does not cover server {server!r}")
        instance = await self._instance(server)
        if instance is None:
            why = self._reasons.get(server, "it could not be started")
            text = (
                f"Refused: `{call.tool}` must be trialed in a sandbox, and the sandbox of its "
                f"server could not start ({why}). Call it in the execution phase, after "
                "finish_trial."
            )
            return ToolResult.error(call.id, "refused", text)
        name = tool.name
        if name.startswith(server + PREFIX_SEPARATOR):
            name = name[len(server) + len(PREFIX_SEPARATOR) :]
        sent = call if call.tool == name else call.model_copy(update={"tool": name})
        return await instance.toolbox.call(sent, timeout=timeout)

    async def discard(self) -> None:
        """Stop every sandboxed instance; what they wrote is gone with their namespaces."""
        async with self._lock:
            instances, self._instances = list(self._instances.values()), {}
            for instance in instances:
                instance.stop.set()
            for instance in instances:
                await instance.done.wait()

    async def _instance(self, server: str) -> _Instance | None:
        async with self._lock:
            found = self._instances.get(server)
            if found is not None:
                return found
            if self._tg is None:
                raise UserError("the NamespaceSandbox is not open: use it as `async with`")
            spec = self._specs[server]
            assert isinstance(spec, StdioServerSpec)  # covered
            try:
                instance = await self._tg.start(self._serve, spec)
            except ServerConnectError as exc:
                reason = exc.failures.get(server, str(exc))
                self._reasons[server] = reason
                _say_once(f"server {server!r}: the sandboxed instance did not start: {reason}")
                return None
            self._instances[server] = instance
            return instance

    async def _serve(
        self,
        spec: StdioServerSpec,
        *,
        task_status: anyio.abc.TaskStatus[_Instance] = anyio.TASK_STATUS_IGNORED,
    ) -> None:
        """Run one sandboxed instance until it is discarded."""
        scratch = tempfile.mkdtemp(prefix="toolmaster-trial-")
        instance: _Instance | None = None
        try:
            sandboxed = sandboxed_spec(spec, scratch)
            toolbox = Toolbox(
                [sandboxed], timeout=self._timeout, connect_timeout=self._connect_timeout
            )
            async with toolbox:
                instance = _Instance(toolbox)
                task_status.started(instance)
                await instance.stop.wait()
        finally:
            with suppress(OSError):
                os.rmdir(scratch)  # its tmpfs was mounted in the namespace only: empty here
            if instance is not None:
                instance.done.set()


def _uncovered(spec: ServerSpec) -> str | None:
    """Why `spec`'s server cannot be sandboxed (None if it can)."""
    if not isinstance(spec, StdioServerSpec):
        kind = "an HTTP server runs elsewhere" if spec.kind == "http" else "not a stdio server"
        return f"{kind}: it cannot be sandboxed"
    for path in overlaid_paths(spec):
        if any(char in path for char in _UNSAFE_PATH_CHARACTERS):
            return f"the folder {path!r} has a character an overlay cannot name (, : \\)"
        if not Path(path).is_dir():
            return f"the folder {path!r} to overlay does not exist"
        if path == "/":
            return "the root folder cannot be overlaid"
    return None


def overlaid_paths(spec: StdioServerSpec) -> list[str]:
    """The folders a sandboxed instance of `spec` sees through an overlay, parents first: its
    working folder and the config's sandbox paths."""
    cwd = spec.cwd or os.getcwd()
    paths = {os.path.realpath(os.path.join(cwd, path)) for path in (cwd, *spec.sandbox_paths)}
    return sorted(paths, key=lambda path: (path.count(os.sep), path))


def sandboxed_spec(spec: StdioServerSpec, scratch: str) -> StdioServerSpec:
    """`spec` started in new mount and network namespaces, with an overlay over each of its
    folders whose upper layer is on a tmpfs mounted at `scratch` inside them."""
    command, reason = _support or _namespace_command()
    if reason is not None:
        raise UserError(f"the trial sandbox is not available: {reason}")
    paths = overlaid_paths(spec)
    cwd = os.path.realpath(spec.cwd or os.getcwd())
    args = [*command[1:], _SCRIPT, "toolmaster-trial", scratch, str(len(paths)), *paths, cwd]
    env = {**{name: SecretStr(value) for name, value in _OFFLINE.items()}, **spec.env}
    return spec.model_copy(
        update={"command": command[0], "args": (*args, spec.command, *spec.args), "env": env}
    )
