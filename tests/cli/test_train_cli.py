"""`toolmaster train sft` and `synth` from the command line: a finished run is complete on
--resume, the hints after a run are commands that parse, and --synth records the teachers'
episodes on a fresh machine (issue 21 items 9 and 10)."""

from __future__ import annotations

import json
import shlex
import tomllib
from pathlib import Path

import pytest
from toolmaster.cli._app import app
from typer.testing import CliRunner

from tests.cli._isolation import isolate

runner = CliRunner()
WIDE = {"COLUMNS": "300"}
SMOKE = Path("configs/train/cpu-smoke.toml")


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate(monkeypatch, tmp_path / "home")


def finished_run(out: Path, *, max_steps: int = 4) -> Path:
    """An output folder as a finished cpu-smoke run leaves it: final/ and its provenance."""
    final = out / "final"
    final.mkdir(parents=True)
    record = {
        "stage": "sft",
        "base": "tiny",
        "adapter": True,
        "config": {"model": {"name_or_path": "embedded"}, "sft": {"trl": {"max_steps": max_steps}}},
        "metrics": {"steps": max_steps},
    }
    (final / "provenance.json").write_text(json.dumps(record))
    return final


def test_resume_of_a_finished_run_says_it_is_complete(tmp_path: Path) -> None:
    final = finished_run(tmp_path / "out")
    args = ["train", "sft", "cpu-smoke", "--output-dir", str(tmp_path / "out"), "--resume"]
    result = runner.invoke(app, args, env=WIDE)
    assert result.exit_code == 0, result.output
    first, hint = result.output.splitlines()
    out = tmp_path / "out"
    assert first == f"the run in {out} is complete (4 steps, saved in {final}): nothing to resume"
    assert hint.startswith("evaluate it: toolmaster eval run --policy embedded --adapter ")
    assert sorted(p.name for p in final.iterdir()) == ["provenance.json"]


@pytest.mark.parametrize("extend", [["--max-steps", "6"], []])
def test_resume_goes_on_when_the_config_plans_more_or_nothing_finished(
    tmp_path: Path, extend: list[str]
) -> None:
    if extend:
        finished_run(tmp_path / "out")  # 4 steps done, 6 asked for
    args = ["train", "sft", "cpu-smoke", "--output-dir", str(tmp_path / "out"), "--resume"]
    result = runner.invoke(app, [*args, *extend, "--store", str(tmp_path / "none.db")])
    assert result.exit_code == 1
    assert "complete" not in result.output
    assert "no session store" in str(result.exception)
    assert "--synth" in str(result.exception)


def test_the_evaluation_hint_is_a_command_eval_run_accepts(tmp_path: Path) -> None:
    finished_run(tmp_path / "out")
    args = ["train", "sft", "cpu-smoke", "--output-dir", str(tmp_path / "out"), "--resume"]
    hint = runner.invoke(app, args, env=WIDE).output.splitlines()[1]
    argv = shlex.split(hint.removeprefix("evaluate it: "))
    assert argv[:3] == ["toolmaster", "eval", "run"]
    parsed = runner.invoke(app, [*argv[1:], "--help"])
    assert parsed.exit_code == 0, parsed.output


def test_synth_names_the_store_it_recorded_into(tmp_path: Path) -> None:
    store = tmp_path / "teacher.db"
    args = ["synth", "--store", str(store), "--env", "weather", "--tasks-per-env", "1"]
    result = runner.invoke(app, args, env=WIDE)
    assert result.exit_code == 0, result.output
    assert f"`toolmaster sessions list --store {store}` shows them" in result.output
    listed = runner.invoke(app, ["sessions", "list", "--store", str(store)])
    assert "1 of 1 matching episodes" in listed.output


@pytest.mark.slow
def test_train_sft_on_a_fresh_machine_records_then_trains_then_is_complete(
    tmp_path: Path,
) -> None:
    """`just train-sft` (`train sft CONFIG --synth`) with no store: the teachers' episodes are
    recorded into the default store, one step trains, and --resume then trains nothing."""
    config = tomllib.loads(SMOKE.read_text(encoding="utf-8"))
    smoke = SMOKE.read_text(encoding="utf-8").replace(
        "[data]\n", '[data]\nenvironments = ["weather"]\n', 1
    )
    assert config["data"].get("environments") is None
    path = tmp_path / "smoke.toml"
    path.write_text(smoke.replace("eval_fraction = 0.2", "eval_fraction = 0.0"))
    out = tmp_path / "out"
    args = ["train", "sft", str(path), "--synth", "--max-steps", "1", "--output-dir", str(out)]
    result = runner.invoke(app, args, env=WIDE)
    assert result.exit_code == 0, result.output
    assert "recording the reference teachers' first" in result.output
    assert (tmp_path / "home" / "data" / "toolmaster" / "sessions.db").is_file()
    provenance = out / "final" / "provenance.json"
    written = provenance.stat().st_mtime_ns
    assert json.loads(provenance.read_text())["metrics"]["steps"] == 1

    again = runner.invoke(app, [*args, "--resume"], env=WIDE)
    assert again.exit_code == 0, again.output
    assert "is complete (1 steps" in again.output
    assert provenance.stat().st_mtime_ns == written
