"""One evaluation episode: a task served in a setting, worked by a policy, judged, tagged.

A bundled environment's task gets a fresh state served in process, with trial sandboxing, and
is judged by the environment's verifier. A task-file task gets fresh connections to the suite's
servers (no sandbox: unsafe trials are refused unless allowed) and is judged by its verifier
spec. In a perturbed setting a `PerturbationProxy` stands in front of every server; a scripted
policy written for the upstream tools is played through the plan (`PlanPolicy`).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass

from mcp import Client
from pydantic import JsonValue
from toolmaster.agent import (
    Agent,
    AgentConfig,
    Attempt,
    EventSink,
    ExperienceStore,
    Policy,
    Recorder,
)
from toolmaster.core import (
    Environment,
    Episode,
    ServerIdentity,
    Task,
    ToolCall,
    ToolResult,
    ToolSpec,
)
from toolmaster.eval._settings import Setting
from toolmaster.eval._taskfile import MadeCall, verify
from toolmaster.eval._translate import PlanPolicy, upstream_arguments
from toolmaster.mcp import (
    PREFIX_SEPARATOR,
    InProcessServerSpec,
    Perturbation,
    PerturbationProxy,
    ServerSpec,
    Toolbox,
)


@dataclass(frozen=True)
class Serving:
    """How one episode's policy and recording are set up."""

    config: AgentConfig
    seed: int
    """The perturbation seed."""
    plan_aware: bool = False
    """Play the policy through the perturbation plan (for scripted upstream solvers)."""
    recorder: Recorder | None = None


def served_task(env: Environment, task: Task, setting: Setting) -> Task:
    """The task as `setting` serves it: moved to the setting's native version where the
    environment has it (the task records the version it was served at)."""
    version = setting.native_version
    if version is None or version not in env.versions:
        return task
    return task.model_copy(update={"metadata": {**task.metadata, "version": version}})


def proxied(env: Environment, setting: Setting) -> bool:
    """Whether `setting` puts a proxy in front of `env`'s server."""
    native = setting.native_version is not None and setting.native_version in env.versions
    return bool(setting.kinds) and not native


async def bundled_episode(
    attempt: Attempt,
    env: Environment,
    setting: Setting,
    policy: Policy,
    served: Serving,
    *,
    events: EventSink | None = None,
    memory: ExperienceStore | None = None,
) -> Episode:
    """One episode of a bundled environment's task (`attempt.task`, as `served_task` gives it)
    in `setting`. Its events go to `events`, else to `served.recorder`; the caller tags and
    records the episode. `memory`: where trials' notes are kept (none by default: evaluation
    episodes start without experience). Opening the environment, its proxy and its Toolbox is
    the server boundary of `attempt`."""
    task = attempt.task
    if events is None and served.recorder is not None:
        events = served.recorder.event
    async with AsyncExitStack() as stack:
        with attempt.at("server"):
            session = env.open(task)
            server = session.server
            if proxied(env, setting):
                upstream = await stack.enter_async_context(Client(session.server))
                proxy = await PerturbationProxy.create(
                    upstream, seed=served.seed, kinds=setting.kinds, name=env.name
                )
                server = proxy.server
                if served.plan_aware:
                    policy = PlanPolicy(policy, proxy.plan)
            spec = InProcessServerSpec(name=env.name, server=server)
            toolbox = await stack.enter_async_context(
                Toolbox([spec], timeout=served.config.call_timeout_s)
            )
        agent = Agent(
            policy,
            toolbox,
            served.config,
            sandbox=session,
            memory=memory,
            events=events,
            server_events=toolbox,
        )
        return await agent.run(
            task, verify=lambda answer: env.verify(task, answer, session.state())
        )


async def servers_episode(
    attempt: Attempt,
    servers: Sequence[ServerSpec],
    setting: Setting,
    policy: Policy,
    served: Serving,
) -> Episode:
    """One episode of a task-file task (`attempt.task`) over `servers` in `setting`, judged by
    its spec. Connecting the servers and their proxies is the server boundary of `attempt`."""
    task = attempt.task
    events = served.recorder.event if served.recorder is not None else None
    timeout = served.config.call_timeout_s
    async with AsyncExitStack() as stack:
        with attempt.at("server"):
            toolbox = upstream = await stack.enter_async_context(Toolbox(servers, timeout=timeout))
            plans: dict[str, Perturbation] = {}
            if setting.kinds:
                specs: list[ServerSpec] = []
                for spec in servers:
                    proxy = await PerturbationProxy.create(
                        upstream.client(spec.name),
                        seed=served.seed,
                        kinds=setting.kinds,
                        name=spec.name,
                    )
                    plans[spec.name] = proxy.plan
                    specs.append(InProcessServerSpec(name=spec.name, server=proxy.server))
                toolbox = await stack.enter_async_context(Toolbox(specs, timeout=timeout))
        host = RecordingHost(toolbox, plans, servers=upstream.servers)
        agent = Agent(policy, host, served.config, events=events, server_events=upstream)
        return await agent.run(task, verify=lambda answer: verify(task, answer, host.made))


class RecordingHost:
    """A `ToolHost` over a Toolbox that keeps every call made, in the upstream's terms. It
    reports `servers` (the upstream servers behind the proxies) as the episode's servers."""

    def __init__(
        self,
        toolbox: Toolbox,
        plans: dict[str, Perturbation],
        *,
        servers: Sequence[ServerIdentity] | None = None,
    ) -> None:
        self.toolbox = toolbox
        self.plans = plans
        self.made: list[MadeCall] = []
        self._servers = servers

    @property
    def tools(self) -> Sequence[ToolSpec]:
        return self.toolbox.tools

    @property
    def servers(self) -> Sequence[ServerIdentity]:
        return self._servers if self._servers is not None else self.toolbox.servers

    def tool(self, name: str) -> ToolSpec | None:
        return self.toolbox.tool(name)

    async def call(self, call: ToolCall, *, timeout: float | None = None) -> ToolResult:
        result = await self.toolbox.call(call, timeout=timeout)
        self.made.append(self._upstream(call, result))
        return result

    def _upstream(self, call: ToolCall, result: ToolResult) -> MadeCall:
        spec = self.toolbox.tool(call.tool)
        server = spec.server if spec is not None else None
        name = call.tool
        if server is not None and name.startswith(server + PREFIX_SEPARATOR):
            name = name[len(server + PREFIX_SEPARATOR) :]
        arguments: dict[str, JsonValue] = dict(call.arguments)
        plan = self.plans.get(server) if server is not None else None
        tool = plan.tool(name) if plan is not None else None
        if tool is not None:
            name = tool.upstream
            arguments = upstream_arguments(tool, arguments)
        return MadeCall(
            tool=name, server=server, arguments=arguments, phase=call.phase, failed=result.is_error
        )
