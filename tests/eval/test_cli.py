"""`toolmaster eval run | report | compare | suites | runs` through the real command line, with
the reference teachers as the policy (fast and deterministic)."""

from __future__ import annotations

from pathlib import Path

import pytest
from toolmaster.cli._app import app, main
from toolmaster.cli._eval_run import build_config, load_spec
from toolmaster.core import Store
from toolmaster.eval._runner import plan_cases
from toolmaster.eval._tags import run_episodes
from typer.testing import CliRunner

from tests.cli._isolation import isolate

runner = CliRunner()

RUN = ["eval", "run", "--policy", "reference", "--suite", "weather", "--setting", "clean,renamed",
       "--mode", "trial", "--tasks-per-env", "2", "--run", "cli"]  # fmt: skip


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    isolate(monkeypatch, tmp_path / "home")
    store = tmp_path / "sessions.db"
    monkeypatch.setenv("TOOLMASTER_STORE_PATH", str(store))
    monkeypatch.setenv("COLUMNS", "120")
    return store


def test_eval_run_records_reports_and_resumes(tmp_path: Path) -> None:
    result = runner.invoke(app, [*RUN, "--report", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "run cli: 4 episodes now, 0 recorded before" in result.output
    rows = [line.split() for line in result.output.splitlines() if line.startswith(" weather")]
    assert [row[:6] for row in rows] == [
        ["weather", "clean", "reference", "trial", "2", "100%"],
        ["weather", "renamed", "reference", "trial", "2", "100%"],
    ]
    assert (tmp_path / "out" / "report.md").is_file()
    again = runner.invoke(app, RUN)
    assert again.exit_code == 0, again.output
    assert "run cli: 0 episodes now, 4 recorded before" in again.output
    with Store(tmp_path / "sessions.db") as store:
        assert len(run_episodes(store, ["cli"])) == 4
    listed = runner.invoke(app, ["eval", "runs"])
    assert listed.output.split() == ["cli", "4", "episodes"]


def test_eval_report_and_compare_two_runs(tmp_path: Path) -> None:
    assert runner.invoke(app, RUN).exit_code == 0
    other = [*RUN[:7], "clean", *RUN[8:-1], "other"]
    assert runner.invoke(app, other).exit_code == 0
    out = tmp_path / "both"
    report = runner.invoke(app, ["eval", "report", "cli", "other", "--out", str(out),
                                 "--confidence", "0.9"])  # fmt: skip
    assert report.exit_code == 0, report.output
    assert {p.name for p in out.iterdir()} == {
        "report.md", "report.json", "pass_rate.png", "trials_success.png",
        "paired_difference.png",
    }  # fmt: skip
    compare = runner.invoke(app, ["eval", "compare", "cli", "other"])
    assert compare.exit_code == 0, compare.output
    rows = [line.split() for line in compare.output.splitlines() if line.startswith(" weather")]
    assert rows == [
        ["weather", "clean", "reference", "trial", "100%", "100%", "+0"],
        ["weather", "renamed", "reference", "trial", "100%", "-", "-"],
    ]


def test_eval_run_takes_a_spec_file_and_flags_win(tmp_path: Path) -> None:
    (tmp_path / "eval.toml").write_text(
        'run = "spec"\nmodes = ["direct"]\nsettings = ["clean"]\n'
        '[[suites]]\nkind = "bundled"\nname = "w"\nenvs = ["weather"]\n'
        "[selection]\ntasks_per_env = 1\n"
    )
    args = ["eval", "run", "--spec", str(tmp_path / "eval.toml"), "--policy", "reference"]
    result = runner.invoke(app, [*args, "--setting", "evolved"])
    assert result.exit_code == 0, result.output
    with Store(tmp_path / "sessions.db") as store:
        ((tag, episode),) = run_episodes(store, ["spec"])
    assert (tag.suite, tag.setting, tag.policy, episode.mode) == (
        "w",
        "evolved",
        "reference",
        "direct",
    )
    assert episode.verdict is not None
    assert episode.verdict.passed


def test_a_spec_files_task_suite_paths_are_relative_to_it(tmp_path: Path) -> None:
    folder = tmp_path / "suite"
    folder.mkdir()
    (folder / "mcp.json").write_text('{"mcpServers": {"w": {"env": "weather"}}}')
    (folder / "tasks.jsonl").write_text(
        '{"id": "hi", "prompt": "Say hi", "expect": {"answer": {"contains": "hi"}}}\n'
    )
    (folder / "eval.json").write_text(
        '{"suites": [{"kind": "tasks", "name": "mine", "servers": "mcp.json", '
        '"tasks": "tasks.jsonl"}], "budgets": {"max_turns": 2}}'
    )
    flags = {"suites": [], "selection": {}, "budgets": {"max_turns": None}}
    config = build_config(load_spec(folder / "eval.json"), flags)
    assert config.budgets.max_turns == 2
    (case,) = plan_cases(config)
    assert (case.suite, case.task.id, case.servers[0].name) == ("mine", "hi", "w")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["eval", "run", "--setting", "sideways"], "unknown setting 'sideways'"),
        (["eval", "run", "--suite", "nope"], "unknown suite 'nope'"),
        (["eval", "run", "--servers", "x.json"], "needs both --servers FILE and --tasks FILE"),
        (["eval", "run", "--mode", "sideways", "--policy", "reference"], "modes.0"),
        (["eval", "run", "--tasks-per-env", "0", "--policy", "reference"], "tasks_per_env"),
        (["eval", "run", "--spec", "missing.toml"], "cannot read spec file"),
        (["eval", "report", "nope", "--out", "x"], "no episodes of run(s) nope"),
        (["eval", "report", "nope", "--out", "x", "--confidence", "2"], "bad --confidence"),
        (["eval", "compare", "one"], "compare needs two or more runs"),
    ],
)
def test_usage_mistakes_are_one_line_errors(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert message in err
    assert "Traceback" not in err


def test_eval_suites_lists_suites_and_settings() -> None:
    result = runner.invoke(app, ["eval", "suites"])
    assert result.exit_code == 0, result.output
    for word in ("in-domain", "out-of-domain", "renamed", "rename_tool, rename_param", "evolved"):
        assert word in result.output
