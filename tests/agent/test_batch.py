"""The micro-batcher behind batched generation."""

from __future__ import annotations

import threading

import anyio
import pytest
from toolmaster.agent._batch import Batcher

pytestmark = pytest.mark.anyio


async def test_concurrent_submissions_share_batches() -> None:
    release = threading.Event()
    batches: list[list[int]] = []

    def run(items: list[int]) -> list[int]:
        release.wait(10)  # the first batch holds until everyone has queued
        batches.append(items)
        return [item * 10 for item in items]

    batcher: Batcher[int, int] = Batcher(run, max_batch=3)
    results: dict[int, int] = {}

    async def one(item: int) -> None:
        results[item] = await batcher.submit(item)

    with anyio.fail_after(10):
        async with anyio.create_task_group() as group:
            for item in range(6):
                group.start_soon(one, item)
            await anyio.wait_all_tasks_blocked()
            release.set()
    assert results == {item: item * 10 for item in range(6)}
    assert batches == [[0, 1, 2], [3, 4, 5]]  # in order, at most max_batch at a time


async def test_an_error_reaches_every_caller_of_its_batch() -> None:
    def run(items: list[int]) -> list[int]:
        if 2 in items:
            raise RuntimeError("engine died")
        return items

    batcher: Batcher[int, int] = Batcher(run, max_batch=1)
    with pytest.raises(RuntimeError, match="engine died"):
        await batcher.submit(2)
    assert await batcher.submit(1) == 1


async def test_a_wrong_number_of_results_is_an_error() -> None:
    batcher: Batcher[int, int] = Batcher(lambda items: [], max_batch=2)
    with pytest.raises(RuntimeError, match="gave 0 results"):
        await batcher.submit(1)


async def test_a_cancelled_caller_leaves_nothing_behind() -> None:
    release = threading.Event()

    def run(items: list[int]) -> list[int]:
        release.wait(10)
        return items

    batcher: Batcher[int, int] = Batcher(run, max_batch=4)
    with anyio.fail_after(10):
        async with anyio.create_task_group() as group:
            group.start_soon(batcher.submit, 1)  # runs the first batch, blocked in run()
            await anyio.wait_all_tasks_blocked()
            with anyio.CancelScope() as scope:
                scope.cancel()
                await batcher.submit(2)  # cancelled while waiting its turn
            release.set()
    assert await batcher.submit(3) == 3
