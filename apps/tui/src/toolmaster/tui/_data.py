"""Store and agent work for the TUI: blocking calls, run from thread workers only."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Literal

import anyio
from textual.app import App
from toolmaster.agent import (
    EMBEDDED_CONFIG,
    AgentConfig,
    EmbeddedPolicy,
    EventSink,
    Policy,
    Recorder,
    reference_policy,
    run_env_task,
)
from toolmaster.core import (
    AsyncStore,
    Episode,
    Event,
    Mode,
    Store,
    Task,
    ToolSpec,
    get_environment,
)
from toolmaster.mcp import InProcessServerSpec, Toolbox

PolicyName = Literal["reference", "embedded"]


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
    on_events: Callable[[list[Event]], None] | None = None
    """Called on the UI thread with each batch of events the live view applied (benchmarks)."""

    @property
    def exports(self) -> Path:
        """The folder exports go to by default."""
        return self.export_dir or self.store_path.parent / "exports"


def find_task(env_name: str, task_id: str) -> Task:
    """The bundled task `task_id` of environment `env_name`."""
    environment = get_environment(env_name)
    for split in ("test", "train"):
        for task in environment.tasks(split):
            if task.id == task_id:
                return task
    raise KeyError(task_id)


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


def make_policy(name: PolicyName, env_name: str, task: Task, mode: Mode) -> Policy:
    """The reference teacher of the environment (fast), or the embedded SmolLM2-135M."""
    if name == "reference":
        return reference_policy(get_environment(env_name), mode)(task)
    return EmbeddedPolicy()


def run_config(name: PolicyName, mode: Mode) -> AgentConfig:
    """The budgets of a run: the defaults for the reference teacher, and for the embedded model
    the smaller ones `toolmaster demo` gives it (a turn costs it seconds on a CPU)."""
    if name == "reference":
        return AgentConfig(mode=mode)
    return replace(EMBEDDED_CONFIG, mode=mode)


def run_bundled(
    store: Store,
    env_name: str,
    task: Task,
    policy: Policy,
    config: AgentConfig,
    *,
    also: EventSink | None = None,
) -> Episode:
    """Run one bundled task to the end, recording its events and episode in `store`. Blocks:
    it runs its own event loop, so call it from a thread worker."""
    recorder = Recorder(AsyncStore(store), also=also)
    job = partial(
        run_env_task,
        get_environment(env_name),
        task,
        policy,
        config,
        memory=store,
        recorder=recorder,
    )
    return anyio.run(job)


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
