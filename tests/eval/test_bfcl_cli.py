"""`toolmaster eval bfcl` through the real command line (BFCL's ground truth as the policy)."""

from __future__ import annotations

from pathlib import Path

import pytest
from toolmaster.cli._app import app, main
from toolmaster.core import Store
from toolmaster.eval._tags import EvalTag
from typer.testing import CliRunner

from tests.cli._isolation import isolate

runner = CliRunner()


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    isolate(monkeypatch, tmp_path / "home")
    store = tmp_path / "sessions.db"
    monkeypatch.setenv("TOOLMASTER_STORE_PATH", str(store))
    return store


def test_ground_truth_replay_prints_accuracy_per_category(tmp_path: Path) -> None:
    args = ["eval", "bfcl", "--ground-truth", "--limit", "2", "-m", "direct", "--run", "gt"]
    result = runner.invoke(app, [*args, "-c", "multi_turn_base", "-c", "multi_turn_miss_param"])
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if "multi_turn_" in line]
    assert len(rows) == 2
    assert all("100.0%" in row for row in rows)
    with Store(tmp_path / "sessions.db") as store:
        episodes = store.episodes()
    assert len(episodes) == 4
    tags = [EvalTag.of(e) for e in episodes]
    assert {(t.run, t.policy) for t in tags if t is not None} == {("gt", "ground-truth")}


def test_a_wrong_replay_scores_zero() -> None:
    args = ["eval", "bfcl", "--ground-truth", "--wrong", "--id", "multi_turn_base_3"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    (row,) = [line for line in result.output.splitlines() if "multi_turn_base" in line]
    assert "0.0%" in row


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--wrong"], "--wrong goes with --ground-truth"),
        (["--ground-truth", "-c", "simple"], "unknown BFCL category 'simple'"),
        (["--ground-truth", "-m", "fast"], "--mode must be trial or direct"),
        (["--policy", "reference"], "BFCL has no reference solver"),
        (["--ground-truth", "--id", "multi_turn_base_999"], "no entries multi_turn_base_999"),
        (["--ground-truth", "--limit", "0"], "no BFCL entries selected"),
    ],
)
def test_usage_mistakes_are_errors(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["eval", "bfcl", *args])
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


def test_trial_mode_replay_fits_a_small_trial_budget() -> None:
    args = ["eval", "bfcl", "--ground-truth", "--limit", "2", "--max-trial-calls", "1"]
    result = runner.invoke(app, [*args, "-m", "trial"])
    assert result.exit_code == 0, result.output
    (row,) = [line for line in result.output.splitlines() if "multi_turn_base" in line]
    assert "100.0%" in row
