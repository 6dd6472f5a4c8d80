"""The perturbations keep tasks solvable: the reference solvers, played through each setting's
perturbation plan, pass in every setting as they do on the clean tools."""

from __future__ import annotations

from pathlib import Path

import pytest
from toolmaster.core import Store
from toolmaster.eval._metrics import summarise
from toolmaster.eval._runner import EvalConfig
from toolmaster.eval._settings import SETTINGS
from toolmaster.eval._suites import Selection, builtin_suite
from toolmaster.eval._tags import run_episodes

from tests.eval.common import REFERENCE, run


def _check(config: EvalConfig, store: Store) -> None:
    result = run(config, [REFERENCE], store)
    assert result.planned == len(result.episodes)
    groups = summarise(run_episodes(store, [config.run]))
    assert {g.setting for g in groups} == set(SETTINGS)
    for group in groups:
        assert group.pass_rate is not None
        assert group.pass_rate >= 0.99, group
        assert group.errors == 0, group


def test_reference_solvers_pass_in_every_setting(tmp_path: Path) -> None:
    config = EvalConfig(
        run="fast",
        suites=[builtin_suite("in-domain"), builtin_suite("out-of-domain")],
        settings=["all"],
        modes=["trial"],
        selection=Selection(tasks_per_env=1, seed=3),
        concurrency=8,
    )
    with Store(tmp_path / "s.db") as store:
        _check(config, store)


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_reference_solvers_pass_every_test_task_in_every_setting(tmp_path: Path) -> None:
    config = EvalConfig(
        run="sweep",
        suites=[builtin_suite("in-domain"), builtin_suite("out-of-domain")],
        settings=["all"],
        modes=["trial", "direct"],
        concurrency=16,
    )
    with Store(tmp_path / "s.db") as store:
        _check(config, store)
