"""A rich progress bar for evaluation runs: episodes done, passed and failed, time left."""

from __future__ import annotations

from typing import Self

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from toolmaster.core import Episode


class RichProgress:
    """A `toolmaster.eval._runner.Progress` drawn with rich; use it as a context manager."""

    def __init__(self, run: str, console: Console | None = None) -> None:
        self.run = run
        self.passed = 0
        self.errors = 0
        self._bar = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("passed {task.fields[passed]} · errors {task.fields[errors]}"),
            TimeElapsedColumn(),
            TextColumn("left"),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self._task: TaskID | None = None

    def __enter__(self) -> Self:
        self._bar.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._bar.stop()

    def start(self, total: int, skipped: int) -> None:
        label = self.run + (f" (resumed: {skipped} recorded)" if skipped else "")
        self._task = self._bar.add_task(label, total=total, completed=skipped, passed=0, errors=0)

    def advance(self, episode: Episode) -> None:
        if episode.verdict is not None and episode.verdict.passed:
            self.passed += 1
        if episode.error is not None:
            self.errors += 1
        if self._task is not None:
            self._bar.update(self._task, advance=1, passed=self.passed, errors=self.errors)
