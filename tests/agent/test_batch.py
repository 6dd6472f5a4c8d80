"""The batchers behind batched generation: micro-batching and continuous batching."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import anyio
import anyio.to_thread
import pytest
from toolmaster.agent._batch import Batcher, ContinuousBatcher

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


@dataclass(eq=False)
class _Job:
    name: str
    done_when: Callable[[], bool]
    steps: int = 0
    finished: bool = False
    cancelled: bool = False


class _Engine:
    """A continuous-batching engine whose jobs finish when their condition holds."""

    def __init__(self) -> None:
        self.jobs: list[_Job] = []
        self.batches: list[int] = []
        self.order: list[str] = []
        self.stepping = threading.Event()

    def add(self, name: str, done_when: Callable[[], bool]) -> _Job:
        job = _Job(name, done_when)
        self.jobs.append(job)
        return job

    def run(self) -> list[_Job]:
        finished: list[_Job] = []
        while not finished:
            running = [j for j in self.jobs if not (j.finished or j.cancelled)]
            if not running:
                break
            self.batches.append(len(running))
            self.stepping.set()
            for job in running:
                job.steps += 1
                if job.done_when():
                    job.finished = True
                    self.order.append(job.name)
                    finished.append(job)
            time.sleep(0.001)  # a step takes time; callers add jobs meanwhile
        return finished

    def cancel(self, job: _Job) -> None:
        job.cancelled = True


def _finished(job: _Job) -> bool:
    return job.finished


async def test_a_job_joins_the_running_batch_and_leaves_when_it_finishes() -> None:
    engine = _Engine()
    batcher = ContinuousBatcher(engine)
    short = engine.add("short", lambda: short.steps >= 3)
    # the long job cannot finish before the short one: a batcher that made the short job wait
    # for the running batch to end would never return
    long = engine.add("long", lambda: short.finished)
    engine.jobs.remove(short)  # it arrives while the long one runs

    async def arrive_late() -> None:
        await anyio.to_thread.run_sync(engine.stepping.wait, 5)
        engine.jobs.append(short)
        await batcher.wait(short, _finished)

    with anyio.fail_after(10):
        async with anyio.create_task_group() as group:
            group.start_soon(batcher.wait, long, _finished)
            group.start_soon(arrive_late)
    assert engine.order == ["short", "long"]
    assert max(engine.batches) == 2


async def test_a_cancelled_waiter_cancels_its_job_and_the_others_go_on() -> None:
    engine = _Engine()
    batcher = ContinuousBatcher(engine)
    stuck = engine.add("stuck", lambda: False)
    other = engine.add("other", lambda: stuck.cancelled and other.steps > 2)
    with anyio.fail_after(10):
        async with anyio.create_task_group() as group:
            group.start_soon(batcher.wait, other, _finished)
            with anyio.CancelScope() as scope:
                scope.cancel()
                await batcher.wait(stuck, _finished)
    assert stuck.cancelled and other.finished
