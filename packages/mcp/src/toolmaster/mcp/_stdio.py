"""The stdio transport: an MCP server as a subprocess, newline-delimited JSON-RPC on its pipes.

It follows the SDK's `mcp.client.stdio` (own process group, the spec's shutdown sequence inside
a shield, every wait bounded) with three differences that matter for a tool host:

- lines are split on bytes with a list of chunks, so a 50 MB message costs one join instead of
  the SDK's quadratic string concatenation (minutes for 50 MB);
- a message over `max_message_bytes` is not buffered: it is skipped and reported to the session
  as a `MessageTooLarge` item, so a runaway server cannot exhaust memory;
- stderr is read into a small ring buffer (each line is logged at DEBUG, secrets scrubbed), so
  a crash can be reported with the server's last words instead of printing into the user's
  terminal.
"""

from __future__ import annotations

import logging
import subprocess
from collections.abc import AsyncGenerator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager, suppress

import anyio
import anyio.abc
import mcp_types as types
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from mcp.client.stdio import get_default_environment
from mcp.os.posix.utilities import terminate_posix_process_tree
from mcp.shared.message import SessionMessage

logger = logging.getLogger(__name__)

_CHUNK = 1 << 20
_EXIT_GRACE_S = 2.0
_KILL_GRACE_S = 2.0
_FLUSH_S = 0.5
_STDERR_SETTLE_S = 0.5


class MessageTooLarge(Exception):  # noqa: N818 (a value, not a failure of this code)
    """A message from the server was larger than the transport accepts; it was discarded."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"the server sent a message of {size} bytes (limit {limit})")
        self.size = size
        self.limit = limit


class StderrTail:
    """The last `limit` bytes a server wrote to stderr; each complete line is logged at DEBUG,
    through `scrub` (the Toolbox's secrets)."""

    def __init__(
        self, server: str, limit: int = 4096, *, scrub: Callable[[str], str] = str
    ) -> None:
        self._server = server
        self._limit = limit
        self._scrub = scrub
        self._buf = bytearray()

    def feed(self, chunk: bytes) -> None:
        if logger.isEnabledFor(logging.DEBUG):
            for line in chunk.decode(errors="replace").splitlines():
                logger.debug("[%s stderr] %s", self._server, self._scrub(line))
        self._buf += chunk
        if len(self._buf) > self._limit:
            del self._buf[: len(self._buf) - self._limit]

    def text(self, lines: int = 8) -> str:
        """The last few lines, stripped."""
        decoded = self._buf.decode(errors="replace").strip().splitlines()
        return "\n".join(decoded[-lines:])

    def clear(self) -> None:
        self._buf.clear()


def _parse(line: bytes) -> SessionMessage | Exception:
    try:
        return SessionMessage(types.jsonrpc_message_adapter.validate_json(line, by_name=False))
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        logger.debug("unparseable line from server: %.200r", line)
        return exc


class _Pipes:
    """The three pipe tasks between a server process and the session's memory streams."""

    def __init__(
        self,
        process: anyio.abc.Process,
        *,
        tail: StderrTail,
        max_message_bytes: int,
        on_exit: Callable[[], None],
    ) -> None:
        self.process = process
        self.tail = tail
        self.max_message_bytes = max_message_bytes
        self.on_exit = on_exit
        self.read_send, self.read_recv = anyio.create_memory_object_stream[
            SessionMessage | Exception
        ](0)
        self.write_send, self.write_recv = anyio.create_memory_object_stream[SessionMessage](0)
        self.writer_done = anyio.Event()
        self.stderr_done = anyio.Event()

    async def read_stdout(self) -> None:
        """Split stdout into lines on bytes; deliver each as a message (or a parse error)."""
        assert self.process.stdout is not None
        limit = self.max_message_bytes
        parts: list[bytes] = []
        pending = 0
        overflow = False
        try:
            async with self.read_send:
                while True:
                    try:
                        chunk = await self.process.stdout.receive(_CHUNK)
                    except (
                        anyio.EndOfStream,
                        anyio.ClosedResourceError,
                        anyio.BrokenResourceError,
                    ):
                        break
                    start = 0
                    while (newline := chunk.find(b"\n", start)) >= 0:
                        piece = chunk[start:newline]
                        start = newline + 1
                        item: SessionMessage | Exception | None
                        if overflow:
                            item = MessageTooLarge(pending + len(piece), limit)
                        else:
                            line = b"".join((*parts, piece)) if parts else piece
                            item = _parse(line) if line.strip() else None
                        parts.clear()
                        pending = 0
                        overflow = False
                        if item is not None:
                            await self.read_send.send(item)
                    if start < len(chunk):
                        rest = chunk[start:]
                        pending += len(rest)
                        if pending > limit:
                            overflow = True
                            parts.clear()
                        elif not overflow:
                            parts.append(rest)
                with anyio.move_on_after(_STDERR_SETTLE_S):
                    await self.stderr_done.wait()  # so a crash report has the server's last words
                self.on_exit()
        except (anyio.BrokenResourceError, anyio.ClosedResourceError):
            pass  # the session is gone: we are shutting down

    async def read_stderr(self) -> None:
        assert self.process.stderr is not None
        try:
            while True:
                self.tail.feed(await self.process.stderr.receive(_CHUNK))
        except (anyio.EndOfStream, anyio.ClosedResourceError, anyio.BrokenResourceError, OSError):
            pass
        finally:
            self.stderr_done.set()

    async def write_stdin(self) -> None:
        assert self.process.stdin is not None
        try:
            async with self.write_recv:
                async for message in self.write_recv:
                    data = message.message.model_dump_json(by_alias=True, exclude_unset=True)
                    await self.process.stdin.send(data.encode() + b"\n")
        except (anyio.ClosedResourceError, anyio.BrokenResourceError, OSError):
            await self.read_send.aclose()  # let waiting requests see the connection end
        finally:
            self.writer_done.set()

    async def shutdown(self) -> None:
        """Stop traffic, flush what was accepted, stop the server (call shielded)."""
        self.read_recv.close()
        self.write_send.close()
        with anyio.move_on_after(_FLUSH_S):
            await self.writer_done.wait()
        await _stop(self.process)


@asynccontextmanager
async def stdio_transport(
    command: str,
    args: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: str | None,
    tail: StderrTail,
    max_message_bytes: int,
    on_exit: Callable[[], None],
) -> AsyncGenerator[
    tuple[
        MemoryObjectReceiveStream[SessionMessage | Exception],
        MemoryObjectSendStream[SessionMessage],
    ]
]:
    """Start the server and yield the (read, write) streams of an MCP session over its pipes.

    `on_exit` is called once the server's stdout has ended (it exited or closed its pipe),
    before the session sees the end of its stream.
    """
    process = await anyio.open_process(
        [command, *args],
        env={**get_default_environment(), **env},
        cwd=cwd,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    # No awaits until the task group is entered, or a cancellation could leak the process.
    pipes = _Pipes(process, tail=tail, max_message_bytes=max_message_bytes, on_exit=on_exit)
    async with anyio.create_task_group() as tg:
        tg.start_soon(pipes.read_stdout)
        tg.start_soon(pipes.read_stderr)
        tg.start_soon(pipes.write_stdin)
        try:
            yield pipes.read_recv, pipes.write_send
        finally:
            with anyio.CancelScope(shield=True):
                await pipes.shutdown()
            tg.cancel_scope.cancel()


async def _stop(process: anyio.abc.Process) -> None:
    """Close stdin, give the server a grace period, then end its whole process group."""
    if process.stdin is not None:
        with suppress(OSError, anyio.BrokenResourceError, anyio.ClosedResourceError):
            await process.stdin.aclose()
    if not await _exited(process, _EXIT_GRACE_S):
        await terminate_posix_process_tree(process, _KILL_GRACE_S)
        if not await _exited(process, _KILL_GRACE_S):
            logger.warning("MCP server process %d survived the kill; abandoning it", process.pid)
    with anyio.move_on_after(_KILL_GRACE_S):
        await process.aclose()


async def _exited(process: anyio.abc.Process, timeout: float) -> bool:
    """Whether the process exited within `timeout` (polling: `wait()` also waits for pipes)."""
    with anyio.move_on_after(timeout):
        while process.returncode is None:  # noqa: ASYNC110 (nothing to wait on but the poll)
            await anyio.sleep(0.01)
        return True
    return False
