"""Who writes an event stream, so that a viewer can tell a live stream from an abandoned one.

The first event of a stream records its writer: the host name, the process id and, where the
system says it (Linux `/proc`), when that process started. A stream is abandoned when its writer
ran on this host and that process is gone: it exited without storing the episode, or was killed
(SIGKILL leaves no chance to write anything). The start time tells a reused process id from the
writer. Streams written on another host, or before writers were recorded, cannot be checked.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from functools import cache
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Writer:
    """A process that writes event streams."""

    host: str
    pid: int
    started: int | None
    """When the process started (clock ticks since boot, from `/proc`), or None elsewhere."""


def _proc_stat(pid: int) -> tuple[str, int] | None:
    """`(state, start time)` of a process from `/proc/<pid>/stat`, or None if there is none."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[-1].split()
    return fields[0], int(fields[19])


@cache
def _host() -> str:
    return socket.gethostname()


def this_writer() -> Writer:
    """This process (its pid may change after a fork, so it is read each time)."""
    pid = os.getpid()
    stat = _proc_stat(pid)
    return Writer(_host(), pid, None if stat is None else stat[1])


def gone(writer: Writer) -> bool:
    """Whether `writer` is known to be gone: it ran on this host and its process exited (a
    zombie counts as exited), or its pid now belongs to a later process."""
    if writer.host != _host():
        return False
    if Path("/proc/self/stat").exists():
        stat = _proc_stat(writer.pid)
        if stat is None or stat[0] in ("Z", "X"):
            return True
        return writer.started is not None and stat[1] != writer.started
    try:
        os.kill(writer.pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
