"""`toolmaster train ship`: an adapter and the pass rates of real evaluation runs (the reference
teachers, fast) into a shipped folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from toolmaster.cli._app import app
from typer.testing import CliRunner

from tests.cli._isolation import isolate
from tests.train.test_ship import adapter

runner = CliRunner()


def test_ship_records_the_runs_pass_rates_and_the_regression_set(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    isolate(monkeypatch, tmp_path / "home")
    store = str(tmp_path / "eval.db")
    run = ["eval", "run", "--suite", "weather", "--policy", "reference", "--mode", "trial",
           "--tasks-per-env", "2", "--store", store, "--run"]  # fmt: skip
    assert runner.invoke(app, [*run, "main"]).exit_code == 0
    assert runner.invoke(app, [*run, "regression"]).exit_code == 0
    target = tmp_path / "shipped"
    result = runner.invoke(
        app,
        ["train", "ship", str(adapter(tmp_path / "final")), "--run", "main", "--regression",
         "regression", "--store", store, "--to", str(target), "--summary", "a test adapter"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    record = json.loads((target / "provenance.json").read_text())
    assert record["pass_rates"] == {"weather/clean/trial": "2/2 (100%, 95% CI 34%-100%)"}
    assert record["regression"]["passed"] == 2 and len(record["regression"]["tasks"]) == 2
    assert record["regression"]["calling"] == 2
    assert "weather/clean/trial: 2/2" in result.output


def test_ship_needs_runs_that_exist(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate(monkeypatch, tmp_path / "home")
    store = tmp_path / "eval.db"
    runner.invoke(app, ["eval", "run", "--suite", "weather", "--policy", "reference", "--mode",
                        "trial", "--limit", "1", "--store", str(store), "--run", "x"])  # fmt: skip
    result = runner.invoke(
        app,
        ["train", "ship", str(adapter(tmp_path / "final")), "--run", "nope", "--store",
         str(store), "--to", str(tmp_path / "shipped"), "--summary", "s"],
    )  # fmt: skip
    assert result.exit_code != 0 and "no episodes of the runs nope" in str(result.exception)
