"""Runs started from the TUI: a bundled task or a prompt over an `mcpServers` file, in any
evaluation setting (`toolmaster.eval.SETTINGS`), recorded in the store. Blocking: call
`run_request` from a thread worker only.

In a perturbed setting a `PerturbationProxy` stands in front of every server (seed 0), as in
an evaluation; `evolved` serves an environment's own v2 where it has one. The reference
teacher, written for the upstream tools, plays through the proxy's plan (`PlanPolicy`)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, replace
from pathlib import Path
from typing import cast

import anyio
from toolmaster.agent import (
    Agent,
    AgentConfig,
    Attempt,
    EventSink,
    ExperienceStore,
    Play,
    Policy,
    Recorder,
    episode_job,
    policy_sampler,
)
from toolmaster.core import (
    AsyncStore,
    Environment,
    Episode,
    Mode,
    Store,
    Task,
    get_environment,
    new_id,
)
from toolmaster.eval import SETTINGS, Serving, Setting, bundled_episode, served_task
from toolmaster.mcp import (
    Elicitor,
    InProcessServerSpec,
    NamespaceSandbox,
    PerturbationProxy,
    ServerSpec,
    Toolbox,
    TrialPolicy,
    servers_from_file,
)
from toolmaster.tui._data import Endpoint, PolicyName, find_task, make_policy, run_config

SEED = 0
"""The perturbation seed of runs started here."""
MAX_SERVER_FILE_BYTES = 1_000_000


@dataclass(frozen=True)
class Source:
    """Where a run's tools and task come from: a bundled environment, or an `mcpServers` file
    (any task, typed in the form)."""

    name: str
    """The environment's name, or the file's name."""
    servers: Path | None = None
    """The `mcpServers` file; None for a bundled environment."""

    @property
    def label(self) -> str:
        """How the run form lists it."""
        return self.name if self.servers is None else f"servers: {self.name}"


def server_files(folders: Sequence[Path]) -> list[Path]:
    """The `mcpServers` JSON files (also VS Code's `servers`) directly in `folders`, by name."""
    found: dict[Path, None] = {}
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.json")):
            if _is_server_file(path):
                found.setdefault(path.resolve(), None)
    return list(found)


def _is_server_file(path: Path) -> bool:
    try:
        if path.stat().st_size > MAX_SERVER_FILE_BYTES:
            return False
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(data, dict):
        return False
    keys = set(cast("dict[str, object]", data))
    return bool(keys & {"mcpServers", "servers", "mcp"})


@dataclass(frozen=True)
class RunRequest:
    """What the run form asks for."""

    source: Source
    task: str
    """A bundled task's id, or the task itself (a prompt) over a servers file."""
    policy: PolicyName
    mode: Mode
    setting: str = "clean"
    """An evaluation setting (`toolmaster.eval.SETTINGS`)."""
    endpoint: Endpoint | None = None
    """The OpenAI-compatible server, for the `openai` policy."""


def run_request(
    store: Store,
    request: RunRequest,
    *,
    also: EventSink | None = None,
    elicitor: Elicitor | None = None,
) -> Episode:
    """Run what the form asked for to the end, recorded in `store` (also the experience
    memory). A failure outside the loop is recorded as the episode; `UserError` where there is
    nothing to run (an unknown task, an unreadable servers file). Servers' elicitations go to
    `elicitor` (else they are declined with the reason). Blocks: call it from a thread
    worker."""
    setting = SETTINGS[request.setting]
    config = run_config(request.policy, request.mode)
    source = request.source
    env_name: str | None = None
    if source.servers is None:
        env_name = source.name
        env = get_environment(env_name)
        task = find_task(env_name, request.task)
        plan_aware = request.policy == "reference"
        served = serve_bundled(env, task, setting, config, memory=store, plan_aware=plan_aware)
    else:
        specs = servers_from_file(source.servers, environ=os.environ)
        served = serve_servers(
            specs, request.task, setting, config, memory=store, elicitor=elicitor
        )

    def policy_for(task: Task) -> Policy:
        return make_policy(request.policy, env_name, task, request.mode, request.endpoint)

    return run_served(store, served, request.mode, policy_for, also=also)


@dataclass(frozen=True)
class Served:
    """A task and the way its tools are served, ready to play."""

    task: Task
    play: Play


def serve_bundled(
    env: Environment,
    task: Task,
    setting: Setting,
    config: AgentConfig,
    *,
    memory: ExperienceStore | None,
    plan_aware: bool,
) -> Served:
    """A bundled task in `setting`: a fresh state served in process with trial sandboxing,
    judged by the environment's verifier. `plan_aware`: the policy is written for the upstream
    tools and plays through the perturbation plan."""
    serving = Serving(config=config, seed=SEED, plan_aware=plan_aware)

    async def play(attempt: Attempt, policy: Policy, events: EventSink | None) -> Episode:
        return await bundled_episode(
            attempt, env, setting, policy, serving, events=events, memory=memory
        )

    return Served(served_task(env, task, setting), play)


def serve_servers(
    specs: Sequence[ServerSpec],
    prompt: str,
    setting: Setting,
    config: AgentConfig,
    *,
    memory: ExperienceStore | None,
    elicitor: Elicitor | None = None,
) -> Served:
    """A typed task over the servers of an `mcpServers` file in `setting`, with no verifier.
    In the clean setting trial calls follow the servers' own `trial` rules, with a throwaway
    instance of a stdio server for the calls they sandbox (`NamespaceSandbox`), as `toolmaster
    run --config` has them; behind a proxy, trials of tools that are not read-only are refused.
    What the servers log, report and ask is recorded; their sampling requests are answered by
    the run's policy, their elicitations go to `elicitor`."""
    task = Task(id=f"adhoc/{new_id()[:8]}", prompt=prompt)
    if not setting.kinds:
        config = replace(config, trial_policy=TrialPolicy.of(config.trial_policy.rules, specs))

    async def play(attempt: Attempt, policy: Policy, events: EventSink | None) -> Episode:
        timeout = config.call_timeout_s
        sandbox: NamespaceSandbox | None = None
        async with AsyncExitStack() as stack:
            with attempt.at("server"):
                toolbox = upstream = await stack.enter_async_context(
                    Toolbox(
                        specs,
                        timeout=timeout,
                        sampler=policy_sampler(policy),
                        elicitor=elicitor,
                    )
                )
                if setting.kinds:
                    toolbox = await stack.enter_async_context(
                        await _proxied(toolbox, specs, setting, timeout)
                    )
                else:
                    sandbox = NamespaceSandbox(list(specs), timeout=timeout)
                    await stack.enter_async_context(sandbox)
            agent = Agent(
                policy,
                toolbox,
                config,
                trial_sandbox=sandbox,
                memory=memory,
                events=events,
                server_events=upstream,
            )
            return await agent.run(task)

    return Served(task, play)


async def _proxied(
    toolbox: Toolbox, specs: Sequence[ServerSpec], setting: Setting, timeout: float
) -> Toolbox:
    """A Toolbox of perturbation proxies in front of `toolbox`'s servers (not yet entered)."""
    proxied: list[ServerSpec] = []
    for spec in specs:
        upstream = toolbox.client(spec.name)
        proxy = await PerturbationProxy.create(
            upstream, seed=SEED, kinds=setting.kinds, name=spec.name
        )
        proxied.append(InProcessServerSpec(name=spec.name, server=proxy.server))
    return Toolbox(proxied, timeout=timeout)


def run_served(
    store: Store,
    served: Served,
    mode: Mode,
    policy_for: Callable[[Task], Policy],
    *,
    also: EventSink | None = None,
) -> Episode:
    """Play `served` to the end, recording its events and episode in `store`. A failure
    outside the loop (a server that cannot be connected, a policy that cannot be built) is
    recorded as the episode, attributed to its boundary. Blocks: it runs its own event loop."""
    recorder = Recorder(AsyncStore(store), also=also)
    task = served.task
    job = episode_job(task, mode, lambda: policy_for(task), served.play, recorder=recorder)
    return anyio.run(job)
