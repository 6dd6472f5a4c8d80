"""Settings: defaults, TOML file, `TOOLMASTER_*` variables, flags, and bad input as UserError."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from toolmaster.cli._app import app
from toolmaster.cli._settings import ToolMasterSettings, default_config_file, load_settings
from toolmaster.core import UserError
from typer.testing import CliRunner, Result

from tests.cli._http_servers import scripted_model
from tests.cli._isolation import isolate
from tests.mcp.servers.memory import RAW_SERVER

runner = CliRunner()


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate(monkeypatch, tmp_path / "home")


def test_defaults_point_into_the_user_data_directory(tmp_path: Path) -> None:
    settings = load_settings()
    assert settings.data_dir == tmp_path / "home" / "data" / "toolmaster"
    assert settings.store_path is None
    assert settings.sessions_db == settings.data_dir / "sessions.db"


def test_the_default_config_file_is_read_when_it_exists(tmp_path: Path) -> None:
    config = default_config_file()
    assert config == tmp_path / "home" / "config" / "toolmaster" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('data_dir = "/srv/toolmaster"\n')
    assert load_settings().sessions_db == Path("/srv/toolmaster/sessions.db")


def test_environment_beats_the_file_and_the_flag_picks_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "my.toml"
    config.write_text('store_path = "/from/file.db"\ndata_dir = "~/tm"\n')
    settings = load_settings(config)
    assert settings.store_path == Path("/from/file.db")
    assert settings.data_dir == tmp_path / "home" / "tm"
    monkeypatch.setenv("TOOLMASTER_STORE_PATH", "/from/env.db")
    assert load_settings(config).sessions_db == Path("/from/env.db")


def test_toolmaster_config_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "env.toml"
    config.write_text('store_path = "/via/variable.db"\n')
    monkeypatch.setenv("TOOLMASTER_CONFIG", str(config))
    assert load_settings().sessions_db == Path("/via/variable.db")


def test_a_missing_named_config_file_is_a_user_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(UserError, match=r"nope\.toml \(from --config\) does not exist"):
        load_settings(tmp_path / "nope.toml")
    monkeypatch.setenv("TOOLMASTER_CONFIG", str(tmp_path / "gone.toml"))
    with pytest.raises(UserError, match="from TOOLMASTER_CONFIG"):
        load_settings()


def test_bad_toml_is_a_user_error_naming_the_file(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("store_path = \n")
    with pytest.raises(UserError, match=r"bad\.toml is not valid TOML"):
        load_settings(config)


def test_an_unknown_key_is_reported_not_ignored(tmp_path: Path) -> None:
    config = tmp_path / "typo.toml"
    config.write_text('store_pth = "/x.db"\n')
    with pytest.raises(UserError, match="store_pth: Extra inputs are not permitted"):
        load_settings(config)


def test_a_wrong_type_is_reported(tmp_path: Path) -> None:
    config = tmp_path / "types.toml"
    config.write_text("data_dir = 3\n")
    with pytest.raises(UserError, match="data_dir"):
        load_settings(config)


def test_settings_take_explicit_values() -> None:
    settings = ToolMasterSettings(store_path=Path("/explicit.db"))
    assert settings.sessions_db == Path("/explicit.db")


# The policy defaults of the settings file: flags left out take them (issue 21 item 11).


def policy_file(tmp_path: Path, **values: object) -> Path:
    lines = ["[policy]", *(f"{key} = {json.dumps(value)}" for key, value in values.items())]
    path = tmp_path / "settings.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_the_policy_table_and_its_variables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = policy_file(tmp_path, base_url="http://127.0.0.1:9/v1", model="m", temperature=0.5)
    policy = load_settings(config).policy
    assert (policy.base_url, policy.model, policy.temperature) == (
        "http://127.0.0.1:9/v1",
        "m",
        0.5,
    )
    assert (policy.api_key_env, policy.max_tokens) == (None, None)
    monkeypatch.setenv("TOOLMASTER_POLICY__MODEL", "from-env")
    assert load_settings(config).policy.model == "from-env"
    with pytest.raises(UserError, match=r"policy\.temperature"):
        load_settings(policy_file(tmp_path, temperature=-1))
    with pytest.raises(UserError, match=r"policy\.nope"):
        load_settings(policy_file(tmp_path, nope=1))


def run_task(tmp_path: Path, base_url: str | None, *flags: str) -> Result:
    servers = tmp_path / "mcp.json"
    raw = {"command": sys.executable, "args": [str(RAW_SERVER)]}
    servers.write_text(json.dumps({"mcpServers": {"raw": raw}}))
    argv = ["run", "--config", str(servers), "grow it", "-m", "direct", "--policy", "openai"]
    argv += ["--base-url", base_url] if base_url else []
    return runner.invoke(app, [*argv, *flags], env={"COLUMNS": "200"})


def test_run_takes_the_server_model_and_sampling_from_the_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOOLMASTER_STORE_PATH", str(tmp_path / "sessions.db"))
    requests: list[dict[str, Any]] = []
    with scripted_model("grow", "done", requests) as base_url:
        config = policy_file(tmp_path, base_url=base_url, model="m-set", temperature=0.25,
                             max_tokens=77)  # fmt: skip
        monkeypatch.setenv("TOOLMASTER_CONFIG", str(config))
        result = run_task(tmp_path, None)
        assert result.exit_code == 0, result.output
        assert {(r["model"], r["temperature"], r["max_tokens"]) for r in requests} == {
            ("m-set", 0.25, 77)
        }
        requests.clear()
        flags = ["--model", "m-flag", "--temperature", "0.5", "--max-new-tokens", "9"]
        result = run_task(tmp_path, None, *flags)
        assert result.exit_code == 0, result.output
        assert {(r["model"], r["temperature"], r["max_tokens"]) for r in requests} == {
            ("m-flag", 0.5, 9)
        }


def test_run_without_settings_keeps_its_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOOLMASTER_STORE_PATH", str(tmp_path / "sessions.db"))
    requests: list[dict[str, Any]] = []
    with scripted_model("grow", "done", requests) as base_url:
        result = run_task(tmp_path, base_url, "--model", "m")
    assert result.exit_code == 0, result.output
    assert {(r["temperature"], r["max_tokens"]) for r in requests} == {(0.0, 256)}
    assert "needs --base-url and --model" in str(run_task(tmp_path, None).exception)


def test_the_api_key_variable_comes_from_the_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = policy_file(tmp_path, base_url="http://127.0.0.1:9/v1", model="m",
                         api_key_env="TM_TEST_KEY")  # fmt: skip
    monkeypatch.setenv("TOOLMASTER_CONFIG", str(config))
    result = run_task(tmp_path, None)
    assert "--api-key-env TM_TEST_KEY: that variable is not set" in str(result.exception)


def test_synth_takes_a_model_teacher_from_the_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    requests: list[dict[str, Any]] = []
    with scripted_model("get_forecast", "done", requests) as base_url:
        config = policy_file(tmp_path, base_url=base_url, model="teacher", temperature=0.1,
                             max_tokens=33)  # fmt: skip
        monkeypatch.setenv("TOOLMASTER_CONFIG", str(config))
        args = ["synth", "--policy", "openai", "--env", "weather", "--tasks-per-env", "1"]
        result = runner.invoke(app, [*args, "--store", str(tmp_path / "t.db"), "-m", "direct"])
    assert result.exit_code == 0, result.output
    assert requests
    assert {(r["model"], r["temperature"], r["max_tokens"]) for r in requests} == {
        ("teacher", 0.1, 33)
    }


@pytest.mark.parametrize(
    ("spec", "expected"), [(None, 0.25), ("[budgets]\ntemperature = 0.5\n", 0.5)]
)
def test_eval_run_takes_the_settings_under_the_spec_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spec: str | None, expected: float
) -> None:
    requests: list[dict[str, Any]] = []
    with scripted_model("get_forecast", "done", requests) as base_url:
        config = policy_file(tmp_path, base_url=base_url, model="m", temperature=0.25)
        monkeypatch.setenv("TOOLMASTER_CONFIG", str(config))
        args = ["eval", "run", "--policy", "openai", "--suite", "weather", "--limit", "1"]
        args += ["--mode", "direct", "--store", str(tmp_path / "e.db")]
        if spec is not None:
            (tmp_path / "spec.toml").write_text(spec)
            args += ["--spec", str(tmp_path / "spec.toml")]
        result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert requests
    assert {(r["model"], r["temperature"]) for r in requests} == {("m", expected)}
