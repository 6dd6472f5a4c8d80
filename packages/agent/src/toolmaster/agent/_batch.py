"""Micro-batching of concurrent requests to a blocking generate function, with anyio.

Requests that arrive while a batch runs wait and go together in the next one. No background task:
the first waiting caller runs the batch (in a worker thread) for everyone in it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar, cast

import anyio
import anyio.to_thread

__all__ = ["Batcher"]

T = TypeVar("T")
R = TypeVar("R")


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
