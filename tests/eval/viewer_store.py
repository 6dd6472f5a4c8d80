"""A small store for the viewer's tests, recorded by real runs: `base` (the reference teachers
on weather, clean and renamed, both modes), `second` (the reference teachers beside `guess`, a
policy that calls the first tool with "Oslo" and answers "Oslo." whatever the task, so that
some verdicts fail), and one session outside any run whose prompt holds markup."""

from __future__ import annotations

from pathlib import Path

from toolmaster.agent import PolicyFactory
from toolmaster.core import Environment, Mode, Store, new_id
from toolmaster.eval import EvalConfig, EvalPolicy, Selection, builtin_suite

from tests.eval.common import REFERENCE, PositionalPolicy, run

MARKUP = '<img src=x onerror="document.title=1"><b>bold?</b> & </script>'
"""The session's prompt: the page must show it as text."""


def _guess(env: Environment | None, mode: Mode, sample: int) -> PolicyFactory:
    return lambda task: PositionalPolicy(0, "Oslo", "Oslo.")


GUESS = EvalPolicy("guess", _guess)


def config(run_id: str, settings: list[str]) -> EvalConfig:
    return EvalConfig(
        run=run_id,
        suites=[builtin_suite("weather")],
        settings=settings,
        modes=["trial", "direct"],
        selection=Selection(tasks_per_env=2),
        concurrency=4,
    )


def make_store(path: Path) -> Path:
    """Record the runs and the session into a new store at `path`."""
    with Store(path) as store:
        run(config("base", ["clean", "renamed"]), [REFERENCE], store)
        result = run(config("second", ["clean"]), [REFERENCE, GUESS], store)
        recorded = next(e for e in result.episodes if e.mode == "direct")
        metadata = {k: v for k, v in recorded.metadata.items() if k != "eval"}
        task = recorded.task.model_copy(update={"id": "session/markup", "prompt": MARKUP})
        store.put_episode(
            recorded.model_copy(update={"id": new_id(), "task": task, "metadata": metadata})
        )
    return path
