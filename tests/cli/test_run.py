"""`toolmaster run`, `demo` and `memory` through the real command line (reference teachers as
policies, so the runs are fast and deterministic)."""

from __future__ import annotations

from pathlib import Path

import pytest
from toolmaster.cli._app import app, main
from toolmaster.core import Store, get_environment
from typer.testing import CliRunner

from tests.cli._isolation import isolate

runner = CliRunner()


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    isolate(monkeypatch, tmp_path / "home")
    store = tmp_path / "sessions.db"
    monkeypatch.setenv("TOOLMASTER_STORE_PATH", str(store))
    return store


def test_run_a_bundled_task_prints_both_phases_and_records_it(tmp_path: Path) -> None:
    task = get_environment("weather").tasks("test")[0]
    result = runner.invoke(
        app, ["run", "--env", "weather", "--task", task.id, "--policy", "reference"]
    )
    assert result.exit_code == 0, result.output
    out = result.output
    assert "trial phase" in out
    assert "execute phase" in out
    assert "notes" in out
    assert "verdict passed" in out
    with Store(tmp_path / "sessions.db") as store:
        (episode,) = store.episodes()
        assert episode.task.id == task.id
        assert episode.verdict is not None
        assert episode.verdict.passed
        assert store.events(episode.id)[-1].kind == "episode_finished"


def test_run_direct_mode_has_no_trial_phase() -> None:
    task = get_environment("jokes").tasks("test")[0]
    result = runner.invoke(
        app, ["run", "--env", "jokes", "--task", task.id, "--policy", "reference", "-m", "direct"]
    )
    assert result.exit_code == 0, result.output
    assert "trial phase" not in result.output
    assert "verdict passed" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "--env", "weather", "--task", "nope", "--policy", "reference"], "no task 'nope'"),
        (["run", "--env", "nope", "--task", "x", "--policy", "reference"], "unknown environment"),
        (["run", "just a prompt"], "give --config FILE"),
        (["run", "--env", "weather", "--task", "x", "--mode", "sideways"], "--mode must be"),
        (["run", "--config", "x.json", "task", "--policy", "reference"], "needs a bundled"),
        (["run", "--config", "x.json", "task", "--policy", "openai"], "--base-url and --model"),
    ],
)
def test_run_usage_mistakes_are_one_line_errors(
    args: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "x.json").write_text('{"mcpServers": {}}')
    with pytest.raises(SystemExit) as exit_info:
        main([str(tmp_path / "x.json") if a == "x.json" else a for a in args])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert message in err
    assert "Traceback" not in err


def test_usage_error_messages_name_the_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        main(["run", "--env", "weather", "--task", "nope", "--policy", "reference"])
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert "no task 'nope'" in err
    assert "Traceback" not in err


def test_demo_without_the_model_tabulates_the_teachers(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["demo", "--no-model", "--env", "weather", "--env", "shop", "--tasks-per-env", "2"]
    )
    assert result.exit_code == 0, result.output
    rows = [line.split() for line in result.output.splitlines()]
    rows = [row for row in rows if row[:1] == ["reference"] and row[1] in ("direct", "trial")]
    assert len(rows) == 2
    assert all(row[2] == "4" and row[3] == "100%" for row in rows)
    with Store(tmp_path / "sessions.db") as store:
        assert store.count() == 8


def test_memory_lists_shows_and_forgets_what_trials_taught(tmp_path: Path) -> None:
    task = get_environment("weather").tasks("test")[0]
    assert (
        runner.invoke(
            app, ["run", "--env", "weather", "--task", task.id, "--policy", "reference"]
        ).exit_code
        == 0
    )
    listed = runner.invoke(app, ["memory", "list"])
    assert listed.exit_code == 0, listed.output
    assert "get_forecast" in listed.output
    assert "weather@v1" in listed.output  # the server's identity from its handshake
    shown = runner.invoke(app, ["memory", "show", "weather/get_forecast"])
    assert shown.exit_code == 0
    assert "Kelvin" in shown.output or "units" in shown.output
    forgot = runner.invoke(app, ["memory", "forget", "get_forecast", "--server", "weather"])
    assert forgot.exit_code == 0
    assert "forgot 1" in forgot.output
    with Store(tmp_path / "sessions.db") as store:
        assert not store.experiences(tool="get_forecast")
    missing = runner.invoke(app, ["memory", "show", "get_forecast"])
    assert missing.exit_code != 0


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_demo_with_the_embedded_model(tmp_path: Path) -> None:
    """The README's main job, on one environment: the real SmolLM2-135M in both modes, with the
    shipped adapter (`trained`) and without it (`base`)."""
    result = runner.invoke(
        app,
        [
            "demo",
            "--env",
            "weather",
            "--tasks-per-env",
            "1",
            "--max-turns",
            "2",
            "--max-new-tokens",
            "64",
            "--no-reference",
        ],
    )
    assert result.exit_code == 0, result.output
    rows = [line.split() for line in result.output.splitlines()]
    model_rows = [
        r[:2] for r in rows if r[:1] in (["base"], ["trained"]) and r[1] in ("direct", "trial")
    ]
    assert model_rows == [
        ["base", "direct"],
        ["base", "trial"],
        ["trained", "direct"],
        ["trained", "trial"],
    ]
    assert "the shipped adapter" in result.output
    with Store(tmp_path / "sessions.db") as store:
        episodes = [e for e in store.episodes() if e.policy.backend == "transformers"]
        assert len(episodes) == 4
        assert all(e.usage.completion_tokens > 0 for e in episodes)
        adapters = [e.policy.adapter for e in episodes]
        assert adapters.count(None) == 2
        assert sum(1 for a in adapters if a is not None and a.endswith("adapter")) == 2
