"""A rich progress bar for evaluation runs: episodes done, passed and failed, time left.

The time left is `TimeLeft`'s estimate from the measured wall time of the run's finished
episodes, per policy (a model's episodes and the scripted teachers' take very different times),
not from the bar's recent speed: with many episodes running at once, the first finishes come in
a burst, and a resumed run starts with its recorded episodes already counted.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from typing import Self

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.progress import Task as BarTask
from rich.text import Text
from toolmaster.core import Episode
from toolmaster.eval._tags import EvalTag

Clock = Callable[[], float]
"""Seconds on a monotonic clock (`time.monotonic`; a test passes its own)."""

POOLED = ""
"""The policy key when the runner does not say how many episodes each policy has left."""


class TimeLeft:
    """Seconds left in a run, from the wall times of its finished episodes, per policy.

    At each finished episode the estimate is: for every policy, the mean wall seconds of its
    finished episodes times its episodes left (a policy with none finished yet: the mean over
    all finished episodes), summed, divided by the episodes that run at once (the concurrency,
    or fewer when fewer are left). Between finishes it counts down with the clock, to 0 at
    least. None until an episode has finished with a measured wall time.
    """

    def __init__(self, left: Mapping[str, int], concurrency: int, clock: Clock = time.monotonic):
        self._left = {policy: n for policy, n in left.items() if n > 0}
        self._concurrency = max(1, concurrency)
        self._clock = clock
        self._walls: dict[str, list[float]] = defaultdict(list)
        self._estimate: float | None = None
        self._at = clock()

    def finished(self, policy: str, wall_s: float | None) -> None:
        """One episode of `policy` finished after `wall_s` seconds (None: not measured)."""
        key = policy if policy in self._left else POOLED
        if self._left.get(key, 0) > 0:
            self._left[key] -= 1
        if wall_s is not None:
            self._walls[key].append(wall_s)
        self._estimate = self._work_left()
        self._at = self._clock()

    def _work_left(self) -> float | None:
        every = [w for walls in self._walls.values() for w in walls]
        if not every:
            return None
        overall = sum(every) / len(every)
        work = 0.0
        for policy, left in self._left.items():
            walls = self._walls.get(policy)
            work += left * (sum(walls) / len(walls) if walls else overall)
        running = min(self._concurrency, sum(self._left.values()))
        return work / running if running else 0.0

    def seconds(self) -> float | None:
        """The estimate now: seconds left, or None before any measured finish."""
        if self._estimate is None:
            return None
        return max(0.0, self._estimate - (self._clock() - self._at))


class TimeLeftColumn(ProgressColumn):
    """`left 0:04:12` from a `TimeLeft` (`left -:--:--` while there is no estimate)."""

    def __init__(self, source: Callable[[], TimeLeft | None]) -> None:
        super().__init__()
        self._source = source

    def render(self, task: BarTask) -> Text:
        estimator = self._source()
        seconds = None if estimator is None else estimator.seconds()
        return Text(f"left {clock_text(seconds)}", style="progress.remaining")


def clock_text(seconds: float | None) -> str:
    """`0:04:12`; `-:--:--` for None."""
    if seconds is None:
        return "-:--:--"
    whole = round(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def policy_of(episode: Episode) -> str:
    """The policy label an episode ran under in its run (its tag), else the policy's name."""
    tag = EvalTag.of(episode)
    return tag.policy if tag is not None else episode.policy.name


class RichProgress:
    """A `toolmaster.eval._runner.Progress` drawn with rich; use it as a context manager."""

    def __init__(
        self, run: str, console: Console | None = None, *, clock: Clock = time.monotonic
    ) -> None:
        self.run = run
        self.passed = 0
        self.errors = 0
        self.time_left: TimeLeft | None = None
        self._clock = clock
        self._bar = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("passed {task.fields[passed]} · errors {task.fields[errors]}"),
            TimeElapsedColumn(),
            TimeLeftColumn(lambda: self.time_left),
            console=console,
            transient=False,
        )
        self._task: TaskID | None = None

    def __enter__(self) -> Self:
        self._bar.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._bar.stop()

    def start(
        self,
        total: int,
        skipped: int,
        left: Mapping[str, int] | None = None,
        concurrency: int = 1,
    ) -> None:
        label = self.run + (f" (resumed: {skipped} recorded)" if skipped else "")
        self._task = self._bar.add_task(label, total=total, completed=skipped, passed=0, errors=0)
        by_policy = dict(left) if left is not None else {POOLED: total - skipped}
        self.time_left = TimeLeft(by_policy, concurrency, self._clock)

    def advance(self, episode: Episode) -> None:
        if episode.verdict is not None and episode.verdict.passed:
            self.passed += 1
        if episode.error is not None:
            self.errors += 1
        if self.time_left is not None:
            self.time_left.finished(policy_of(episode), episode.timings.wall_s)
        if self._task is not None:
            self._bar.update(self._task, advance=1, passed=self.passed, errors=self.errors)
