"""Settings: defaults, TOML file, `TOOLMASTER_*` variables, flags, and bad input as UserError."""

from __future__ import annotations

from pathlib import Path

import pytest
from toolmaster.cli._settings import ToolMasterSettings, default_config_file, load_settings
from toolmaster.core import UserError

from tests.cli._isolation import isolate


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
