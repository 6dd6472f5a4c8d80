"""Store and agent work for the TUI: blocking calls, run from thread workers only."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import anyio
from textual.app import App
from toolmaster.agent import (
    EMBEDDED_CONFIG,
    AgentConfig,
    EmbeddedPolicy,
    OpenAIConfig,
    OpenAIPolicy,
    Policy,
    reference_policy,
)
from toolmaster.core import (
    Event,
    Mode,
    Sampling,
    Store,
    Task,
    ToolSpec,
    UserError,
    get_environment,
)
from toolmaster.mcp import InProcessServerSpec, Toolbox

PolicyName = Literal["reference", "embedded", "openai"]
"""The policies a run can use, as the command line names them (`--policy`)."""


@dataclass(frozen=True)
class Endpoint:
    """An OpenAI-compatible server (vLLM, SGLang, llama.cpp, a hosted API) for the `openai`
    policy, as `--base-url`, `--model` and `--api-key-env` give it on the command line."""

    base_url: str
    model: str
    api_key_env: str | None = None
    """The name of the environment variable that holds the API key (never the key)."""

    def check(self, environ: Mapping[str, str]) -> None:
        """Raise `UserError` for what `config` would refuse."""
        self.config(environ)

    def config(self, environ: Mapping[str, str]) -> OpenAIConfig:
        """The policy's configuration, with the key read from `environ`."""
        if not self.base_url.strip() or not self.model.strip():
            raise UserError("the openai policy needs a base URL and a model")
        api_key = None
        if self.api_key_env:
            api_key = environ.get(self.api_key_env)
            if not api_key:
                raise UserError(f"the API-key variable {self.api_key_env} is not set")
        return OpenAIConfig(
            base_url=self.base_url.strip(), model=self.model.strip(), api_key=api_key
        )


@dataclass(frozen=True, kw_only=True)
class TuiConfig:
    """What the TUI needs; the command line fills it from its settings and flags."""

    store_path: Path
    """The session store file to watch and record into (created if missing)."""
    poll_interval_s: float = 0.1
    """How often the live view asks the store for new events of the followed episode."""
    discover_interval_s: float = 1.0
    """How often the live view looks for new episodes (streams not yet stored)."""
    live_window_s: float = 600.0
    """A stream whose last event is older than this is taken as abandoned, not live."""
    export_dir: Path | None = None
    """Where exports go by default (None: `exports/` in the data folder, beside the store)."""
    server_dirs: tuple[Path, ...] | None = None
    """Folders whose `mcpServers` JSON files the run form offers (None: the data folder, beside
    the store, and the current directory)."""
    on_events: Callable[[list[Event]], None] | None = None
    """Called on the UI thread with each batch of events the live view applied (benchmarks)."""

    @property
    def exports(self) -> Path:
        """The folder exports go to by default."""
        return self.export_dir or self.store_path.parent / "exports"

    @property
    def server_folders(self) -> tuple[Path, ...]:
        """The folders searched for `mcpServers` files."""
        if self.server_dirs is not None:
            return self.server_dirs
        return (self.store_path.parent, Path.cwd())


def find_task(env_name: str, task_id: str) -> Task:
    """The bundled task `task_id` of environment `env_name`."""
    environment = get_environment(env_name)
    for split in ("test", "train"):
        for task in environment.tasks(split):
            if task.id == task_id:
                return task
    raise UserError(f"{env_name} has no task {task_id!r}")


def env_tools(env_name: str) -> list[ToolSpec]:
    """The tools a bundled environment serves, as the agent sees them."""
    environment = get_environment(env_name)
    task = environment.tasks("test")[0]

    async def listing() -> list[ToolSpec]:
        session = environment.open(task)
        spec = InProcessServerSpec(name=environment.name, server=session.server)
        async with Toolbox([spec]) as toolbox:
            return list(toolbox.tools)

    return anyio.run(listing)


def make_policy(
    name: PolicyName,
    env_name: str | None,
    task: Task,
    mode: Mode,
    endpoint: Endpoint | None = None,
) -> Policy:
    """The reference teacher of a bundled environment (fast), the embedded SmolLM2-135M, or a
    model behind an OpenAI-compatible `endpoint`."""
    if name == "reference":
        if env_name is None:
            raise UserError("the reference teacher needs a bundled environment")
        return reference_policy(get_environment(env_name), mode)(task)
    if name == "openai":
        if endpoint is None:
            raise UserError("the openai policy needs a base URL and a model")
        return OpenAIPolicy(endpoint.config(os.environ))
    return EmbeddedPolicy()


def run_config(name: PolicyName, mode: Mode) -> AgentConfig:
    """The budgets of a run: the defaults for the reference teacher; for the embedded model
    the smaller ones `toolmaster demo` gives it (a turn costs it seconds on a CPU); for an
    OpenAI-compatible server those of `toolmaster run` (8 trial calls, 16 turns, 256 tokens a
    turn, greedy)."""
    if name == "reference":
        return AgentConfig(mode=mode)
    if name == "openai":
        sampling = Sampling(temperature=0.0, max_tokens=256)
        return AgentConfig(mode=mode, max_trial_calls=8, max_turns=16, sampling=sampling)
    return replace(EMBEDDED_CONFIG, mode=mode)


@dataclass
class Context:
    """What every screen shares: the open store and the configuration."""

    store: Store
    config: TuiConfig
    app: App[None]
    tools_by_env: dict[str, list[ToolSpec]] = field(default_factory=dict[str, list[ToolSpec]])

    def on_ui(self, callback: Callable[..., object], *args: object) -> None:
        """From a worker thread: run `callback(*args)` on the UI thread and wait for it."""
        self.app.call_from_thread(callback, *args)

    def tool_specs(self, env_name: str) -> list[ToolSpec]:
        """The tools of a bundled environment, listed once (blocking)."""
        if env_name not in self.tools_by_env:
            self.tools_by_env[env_name] = env_tools(env_name)
        return self.tools_by_env[env_name]
