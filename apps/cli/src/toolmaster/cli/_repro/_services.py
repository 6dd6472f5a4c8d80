"""Servers a stage needs while it runs (vLLM for GRPO and for evaluating big models).

`running(services, ...)` starts each server as a subprocess (output to a log file), waits until
its readiness URL answers 200 (or the process exits, or the wait times out: then every server
started so far is stopped and the stage fails), and stops them all when the stage ends.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Generator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Service", "ServiceError", "running"]

_POLL_S = 5.0
_STOP_S = 60.0


class ServiceError(Exception):
    """A server did not start or did not become ready."""


@dataclass(frozen=True)
class Service:
    """A server: its command line, extra environment and the URL that answers 200 when ready."""

    name: str
    argv: tuple[str, ...]
    ready_url: str
    env: Mapping[str, str] = field(default_factory=dict[str, str])
    timeout_s: float = 1800.0
    """Loading a 7B model and compiling CUDA graphs takes minutes."""

    def display(self) -> str:
        prefix = " ".join(f"{k}={shlex.quote(v)}" for k, v in sorted(self.env.items()))
        return (prefix + " " if prefix else "") + shlex.join(self.argv) + " &"


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310 (our own server)
            return int(answer.status) == 200
    except (urllib.error.URLError, OSError):
        return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=_STOP_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _wait(service: Service, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + service.timeout_s
    while not _ready(service.ready_url):
        if process.poll() is not None:
            raise ServiceError(
                f"{service.name} exited with code {process.returncode} before it was ready "
                f"(log: {log_path})"
            )
        if time.monotonic() > deadline:
            raise ServiceError(
                f"{service.name} was not ready at {service.ready_url} after "
                f"{service.timeout_s:.0f} s (log: {log_path})"
            )
        time.sleep(_POLL_S)


@contextmanager
def running(services: Sequence[Service], logs: Path, log: Callable[[str], None]) -> Generator[None]:
    """Start `services`, wait until each is ready, and stop them all on the way out."""
    started: list[subprocess.Popen[bytes]] = []
    try:
        for service in services:
            log_path = logs / f"service-{service.name}.log"
            log(f"   $ {service.display()}   (log: {log_path})")
            with log_path.open("ab") as sink:
                process = subprocess.Popen(  # noqa: S603 (argv from the plan, no shell)
                    service.argv,
                    stdout=sink,
                    stderr=subprocess.STDOUT,
                    env={**os.environ, **service.env},
                )
            started.append(process)
            _wait(service, process, log_path)
            log(f"   {service.name} is ready at {service.ready_url}")
        yield
    finally:
        for process in reversed(started):
            _stop(process)
