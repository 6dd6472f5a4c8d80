"""Settings of the `toolmaster` command, from flags, `TOOLMASTER_*` variables and a TOML file.

Precedence, highest first: command-line flags, environment variables (`TOOLMASTER_STORE_PATH`,
`TOOLMASTER_DATA_DIR`, `TOOLMASTER_POLICY__MODEL`, ...), the config file, defaults. The config
file is `--config FILE`, else `$TOOLMASTER_CONFIG`, else `<user config dir>/toolmaster/config.toml`
when it exists. Only the app reads these; the libraries get explicit values.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs
import typer
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)
from toolmaster.core import UserError

CONFIG_ENV = "TOOLMASTER_CONFIG"
"""The environment variable that names the config file."""


def default_config_file() -> Path:
    """`config.toml` in the platform's user config directory for ToolMaster."""
    return Path(platformdirs.user_config_dir("toolmaster", appauthor=False)) / "config.toml"


def _default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("toolmaster", appauthor=False))


class PolicySettings(BaseModel):
    """Policy defaults, the `[policy]` table: what `--base-url`, `--model`, `--api-key-env`,
    `--temperature` and `--max-new-tokens` (`--max-tokens` of synth) are when not given, so that
    a user does not repeat them on every command. Unset: each command's own default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base_url: str | None = None
    """API root of the OpenAI-compatible server (`--base-url`)."""
    model: str | None = None
    """Model name on that server (`--model`)."""
    api_key_env: str | None = None
    """Name of the environment variable that holds its API key, never the key (`--api-key-env`)."""
    temperature: float | None = Field(default=None, ge=0.0)
    """Sampling temperature (`--temperature`)."""
    max_tokens: int | None = Field(default=None, ge=1)
    """Tokens per model turn (`--max-new-tokens`, synth's `--max-tokens`)."""


class ToolMasterSettings(BaseSettings):
    """What the `toolmaster` command is configured with. Unknown keys are refused, so a typo in
    the config file is reported instead of ignored."""

    model_config = SettingsConfigDict(
        env_prefix="TOOLMASTER_", env_nested_delimiter="__", extra="forbid"
    )

    data_dir: Path = Field(default_factory=_default_data_dir)
    """Where ToolMaster keeps its data (`TOOLMASTER_DATA_DIR`)."""
    store_path: Path | None = None
    """The session store file (`TOOLMASTER_STORE_PATH`); default `<data_dir>/sessions.db`."""
    policy: PolicySettings = Field(default_factory=PolicySettings)
    """Policy defaults (`[policy]`; `TOOLMASTER_POLICY__MODEL`, ...)."""

    @field_validator("data_dir", "store_path")
    @classmethod
    def _expand_home(cls, path: Path | None) -> Path | None:
        return None if path is None else path.expanduser()

    @property
    def sessions_db(self) -> Path:
        """The session store file these settings point at."""
        return self.store_path or self.data_dir / "sessions.db"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))


def config_file(explicit: Path | None, environ: Mapping[str, str]) -> Path | None:
    """The config file to read: `explicit`, else `$TOOLMASTER_CONFIG`, else the default file
    if it exists. A file that was named but does not exist is a `UserError`."""
    if explicit is not None:
        named, origin = explicit, "--config"
    elif environ.get(CONFIG_ENV):
        named, origin = Path(environ[CONFIG_ENV]), CONFIG_ENV
    else:
        default = default_config_file()
        return default if default.is_file() else None
    named = named.expanduser()
    if not named.is_file():
        raise UserError(f"config file {named} (from {origin}) does not exist")
    return named


def load_settings(
    explicit_config: Path | None = None, environ: Mapping[str, str] | None = None
) -> ToolMasterSettings:
    """Settings from the environment and the config file, as `UserError`s when they are bad."""
    path = config_file(explicit_config, os.environ if environ is None else environ)
    if path is None:
        settings_cls = ToolMasterSettings
    else:

        class _FromFile(ToolMasterSettings):
            model_config = SettingsConfigDict(toml_file=path)

        settings_cls = _FromFile
    origin = "TOOLMASTER_* variables" + ("" if path is None else f" or {path}")
    try:
        return settings_cls()
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"config file {path} is not valid TOML: {exc}") from exc
    except OSError as exc:
        raise UserError(f"cannot read config file {path}: {exc}") from exc
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}"
            for error in exc.errors(include_url=False)
        )
        raise UserError(f"bad settings in {origin}: {problems}") from exc


@dataclass
class CliState:
    """What the root command hands its sub-commands (as `ctx.obj`): settings, loaded on first
    use so that a command that needs none never fails on a bad config file."""

    config: Path | None = None
    _settings: ToolMasterSettings | None = field(default=None, repr=False)

    def settings(self) -> ToolMasterSettings:
        if self._settings is None:
            self._settings = load_settings(self.config)
        return self._settings


def settings_of(ctx: typer.Context) -> ToolMasterSettings:
    """The settings of the running command."""
    state = ctx.find_root().obj
    if not isinstance(state, CliState):
        state = ctx.find_root().obj = CliState()
    return state.settings()
