"""Batching of concurrent requests to blocking generation, with anyio.

`Batcher` (micro-batching): requests that arrive while a batch runs wait and go together in the
next one. `ContinuousBatcher`: requests join a running engine's batch at its next step and leave
it when they finish. No background task in either: a waiting caller runs the work (in a worker
thread) for everyone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar, cast

import anyio
import anyio.to_thread

__all__ = ["Batcher", "ContinuousBatcher", "Engine"]

T = TypeVar("T")
R = TypeVar("R")
J = TypeVar("J")


@dataclass
class _Slot(Generic[T, R]):
    item: T
    done: bool = False
    result: R | None = None
    error: BaseException | None = None
    taken: bool = False


class Batcher(Generic[T, R]):
    """Runs `run(items) -> results` (blocking, one result per item, in order) on batches of at
    most `max_batch` concurrent submissions, one batch at a time, in a worker thread."""

    def __init__(self, run: Callable[[list[T]], list[R]], *, max_batch: int = 1) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self._run = run
        self._max_batch = max_batch
        self._pending: list[_Slot[T, R]] = []
        self._lock = anyio.Lock()

    async def submit(self, item: T) -> R:
        """Queue one item and wait for its result; an error of its batch is raised to every
        caller in it."""
        slot: _Slot[T, R] = _Slot(item)
        self._pending.append(slot)
        try:
            async with self._lock:
                while not slot.done:
                    await self._run_next()
        finally:
            if not slot.taken:  # cancelled before a batch took it
                self._pending.remove(slot)
        if slot.error is not None:
            raise slot.error
        return cast(R, slot.result)

    async def _run_next(self) -> None:
        batch = self._pending[: self._max_batch]
        del self._pending[: self._max_batch]
        for slot in batch:
            slot.taken = True
        try:
            results = await anyio.to_thread.run_sync(self._run, [slot.item for slot in batch])
        except anyio.get_cancelled_exc_class():
            self._pending[:0] = batch  # give them back to the next caller
            for slot in batch:
                slot.taken = False
            raise
        except Exception as exc:  # noqa: BLE001 (recorded on each slot, raised by each caller)
            for slot in batch:
                slot.error, slot.done = exc, True
            return
        if len(results) != len(batch):
            error = RuntimeError(f"a batch of {len(batch)} gave {len(results)} results")
            for slot in batch:
                slot.error, slot.done = error, True
            return
        for slot, result in zip(batch, results, strict=True):
            slot.result, slot.done = result, True


class Engine(Protocol[J]):
    """A continuous-batching engine: `add` queues work (from any thread) and returns its job;
    `run` (blocking, one thread at a time) steps until at least one job finishes and returns the
    finished ones; `cancel` drops a job at the next step."""

    def run(self) -> list[J]: ...

    def cancel(self, job: J) -> None: ...


class ContinuousBatcher(Generic[J]):
    """Drives an `Engine` from anyio tasks, with no background task: while a job is unfinished,
    one of the waiting callers runs the engine (in a worker thread) until some job finishes, then
    wakes everyone; a caller whose job finished returns at once, and another takes over the
    driving. New jobs join the running batch at the engine's next step."""

    def __init__(self, engine: Engine[J]) -> None:
        self._engine = engine
        self._driving = False
        self._wakeups: list[anyio.Event] = []

    async def wait(self, job: J, finished: Callable[[J], bool]) -> None:
        """Wait until `finished(job)`, driving the engine when no one else does; a cancelled
        caller's job is cancelled in the engine."""
        try:
            while not finished(job):
                if self._driving:
                    wakeup = anyio.Event()
                    self._wakeups.append(wakeup)
                    await wakeup.wait()
                    continue
                self._driving = True
                try:
                    await anyio.to_thread.run_sync(self._engine.run)
                finally:
                    self._driving = False
                    wakeups, self._wakeups = self._wakeups, []
                    for wakeup in wakeups:
                        wakeup.set()
        except BaseException:
            if not finished(job):
                self._engine.cancel(job)
            raise
