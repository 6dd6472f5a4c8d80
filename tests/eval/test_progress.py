"""The run's time-left estimate: measured episode wall times per policy, the episodes each policy
has left, the concurrency; a deterministic clock drives it. And the runner tells the progress
bar what it needs for that."""

from __future__ import annotations

from collections.abc import Mapping
from io import StringIO
from pathlib import Path

import anyio
import pytest
from rich.console import Console
from toolmaster.core import Episode, Store
from toolmaster.eval._progress import RichProgress, TimeLeft, clock_text
from toolmaster.eval._runner import EvalConfig, EvalPolicy, run_eval
from toolmaster.eval._suites import Selection, builtin_suite

from tests.eval.common import REFERENCE, episode, reference, tag


class Clock:
    """A clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_no_estimate_before_an_episode_finished() -> None:
    clock = Clock()
    left = TimeLeft({"model": 3}, concurrency=2, clock=clock)
    clock.now += 50
    assert left.seconds() is None
    left.finished("model", None)  # finished, but without a measured wall time
    assert left.seconds() is None
    assert clock_text(left.seconds()) == "-:--:--"


def test_the_estimate_is_the_mean_wall_time_per_policy_times_what_is_left() -> None:
    clock = Clock()
    left = TimeLeft({"model": 4, "teacher": 4}, concurrency=2, clock=clock)
    clock.now += 1
    left.finished("teacher", 1.0)
    # the model has no finished episode yet: costed at the mean of all (1 s)
    assert left.seconds() == pytest.approx((3 * 1.0 + 4 * 1.0) / 2)
    clock.now += 30
    left.finished("model", 30.0)
    assert left.seconds() == pytest.approx((3 * 1.0 + 3 * 30.0) / 2)
    clock.now += 1
    left.finished("model", 20.0)  # the model's mean is now 25 s
    assert left.seconds() == pytest.approx((3 * 1.0 + 2 * 25.0) / 2)
    clock.now += 10  # between finishes it counts down with the clock
    assert left.seconds() == pytest.approx((3 * 1.0 + 2 * 25.0) / 2 - 10)
    clock.now += 1_000
    assert left.seconds() == 0.0


def test_fewer_episodes_left_than_the_concurrency_run_side_by_side() -> None:
    clock = Clock()
    left = TimeLeft({"model": 3}, concurrency=8, clock=clock)
    left.finished("model", 60.0)
    assert left.seconds() == pytest.approx(2 * 60.0 / 2)  # 2 left, both at once
    left.finished("model", 60.0)
    assert left.seconds() == pytest.approx(60.0)
    left.finished("model", 60.0)
    assert left.seconds() == 0.0


def test_the_bar_shows_the_estimate() -> None:
    """4 episodes of 4 min 45 s, 2 at a time: after the first, 3 left, about 7 min 8 s."""
    clock = Clock()
    out = StringIO()
    console = Console(file=out, width=160, force_terminal=False, color_system=None)
    with RichProgress("r", console, clock=clock) as progress:
        progress.start(4, 0, {"model": 4}, 2)
        clock.now += 285
        progress.advance(tag().apply(episode(passed=True, seconds=285.0)))
        assert progress.time_left is not None
        assert clock_text(progress.time_left.seconds()) == "0:07:08"
    assert "left 0:07:08" in out.getvalue()
    assert "passed 1" in out.getvalue()


def test_an_untold_runner_pools_every_policy() -> None:
    """`start(total, skipped)` alone (the BFCL command): one pool of the episodes left."""
    clock = Clock()
    with RichProgress("r", Console(file=StringIO()), clock=clock) as progress:
        progress.start(5, 1)
        progress.advance(tag(policy="any").apply(episode(passed=False, seconds=8.0)))
        assert progress.time_left is not None
        assert progress.time_left.seconds() == pytest.approx(3 * 8.0)


class Recording:
    def __init__(self) -> None:
        self.started: list[tuple[int, int, dict[str, int], int]] = []
        self.finished = 0

    def start(
        self, total: int, skipped: int, left: Mapping[str, int] | None = None, concurrency: int = 1
    ) -> None:
        self.started.append((total, skipped, dict(left or {}), concurrency))

    def advance(self, episode: Episode) -> None:
        self.finished += 1


def test_the_runner_tells_the_episodes_left_per_policy_and_the_concurrency(tmp_path: Path) -> None:
    other = EvalPolicy("other", reference, scripted=True)
    config = EvalConfig(
        run="p",
        suites=[builtin_suite("weather")],
        selection=Selection(tasks_per_env=1),
        concurrency=3,
    )
    recording = Recording()
    with Store(tmp_path / "s.db") as store:
        anyio.run(lambda: run_eval(config, [REFERENCE], store, progress=recording))
        anyio.run(lambda: run_eval(config, [REFERENCE, other], store, progress=recording))
    assert recording.started == [(2, 0, {"reference": 2}, 3), (4, 2, {"other": 2}, 3)]
    assert recording.finished == 4
