"""`toolmaster run`: one task, over any MCP servers or a bundled environment, printed phase by
phase as it runs and recorded in the session store."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Any

import anyio
import typer
from pydantic import JsonValue
from rich.console import Console
from toolmaster.agent import (
    Agent,
    AgentConfig,
    LateSampler,
    Recorder,
    result_text,
    run_env_task,
)
from toolmaster.cli._common import (
    StoreOption,
    mode_of,
    shown,
    store_file,
    unconnected,
    unrecorded_file,
    with_options,
)
from toolmaster.cli._elicit import terminal_elicitor
from toolmaster.cli._oauth import oauth_options
from toolmaster.cli._policies import (
    PolicyFlags,
    PolicyOption,
    backend_options,
    check_flags,
    policy_factory,
    policy_flags,
    sampling_of,
)
from toolmaster.core import (
    AsyncStore,
    Episode,
    Event,
    Message,
    Sampling,
    ServerNotice,
    Store,
    Task,
    ToolCall,
    ToolResult,
    UserError,
    Verdict,
    get_environment,
    new_id,
    terminal_safe,
)
from toolmaster.mcp import NamespaceSandbox, Toolbox, TrialPolicy, scrub, servers_from_file

ModeOption = Annotated[
    str, typer.Option("--mode", "-m", help="trial (trial-and-execution) or direct.")
]


class Printer:
    """Prints an episode's events as they happen: trial steps in yellow, execution in green."""

    def __init__(self, console: Console, *, width: int = 300) -> None:
        self.console = console
        self.width = width
        self.phase = "execute"

    async def __call__(self, event: Event) -> None:
        data = event.data
        show = getattr(self, f"_on_{event.kind}", None)
        if show is not None:
            show(data)

    def _on_episode_started(self, data: dict[str, JsonValue]) -> None:
        self.phase = "trial" if data.get("trial") else "execute"
        tools = data.get("tools")
        self.console.print(f"[bold]task[/] {shown(data.get('prompt', ''))}")
        if isinstance(tools, list):
            self.console.print(f"[bold]tools[/] {shown(', '.join(map(str, tools)))}")
        self.console.print(f"\n[bold magenta]── {self.phase} phase ──[/]")

    def _on_assistant(self, data: dict[str, JsonValue]) -> None:
        message = Message.model_validate(data["message"])
        if message.content:
            self.console.print(f"[cyan]model[/] {shown(self._cut(message.content))}")

    def _on_tool_call(self, data: dict[str, JsonValue]) -> None:
        call = ToolCall.model_validate(data["call"])
        args = self._cut(json.dumps(call.arguments, ensure_ascii=False))
        style = "yellow" if self.phase == "trial" else "green"
        self.console.print(f"[{style}]{self.phase} →[/] {shown(call.tool)}({shown(args)})")

    def _on_tool_result(self, data: dict[str, JsonValue]) -> None:
        result = ToolResult.model_validate(data["result"])
        mark = "[red]✗[/]" if result.is_error else "←"
        where = " [dim](sandbox)[/]" if data.get("trial_run") == "sandbox" else ""
        self.console.print(f"  {mark}{where} {shown(self._cut(result_text(result)))}")

    def _on_phase(self, data: dict[str, JsonValue]) -> None:
        self.phase = "execute"
        why = " (trial budget spent)" if data.get("forced") else ""
        self.console.print(f"\n[bold magenta]── execute phase{why} ──[/]")
        if data.get("notes"):
            self.console.print(f"[magenta]notes[/] {shown(data['notes'])}")

    def _on_verdict(self, data: dict[str, JsonValue]) -> None:
        verdict = Verdict.model_validate(data["verdict"])
        passed = "[green]passed[/]" if verdict.passed else "[red]failed[/]"
        reasons = shown("; ".join(verdict.reasons))
        self.console.print(f"\n[bold]verdict[/] {passed} score={verdict.score:g} {reasons}")

    def _on_server_log(self, data: dict[str, JsonValue]) -> None:
        notice = ServerNotice.model_validate(data["notice"])
        level = notice.details.get("level", "info")
        text = self._cut(notice.message or "")
        self.console.print(f"  [dim]log {shown(notice.server)} {shown(level)}:[/] {shown(text)}")

    def _on_progress(self, data: dict[str, JsonValue]) -> None:
        notice = ServerNotice.model_validate(data["notice"])
        done, total = notice.details.get("progress"), notice.details.get("total")
        amount = f"{done:g}" if isinstance(done, int | float) else "?"
        if isinstance(total, int | float):
            amount += f"/{total:g}"
        message = f" {shown(self._cut(notice.message))}" if notice.message else ""
        self.console.print(f"  [dim]progress {shown(notice.server)} {amount}[/]{message}")

    def _on_sampling(self, data: dict[str, JsonValue]) -> None:
        notice = ServerNotice.model_validate(data["notice"])
        self.console.print(
            f"  [blue]sampling[/] {shown(notice.server)}: {shown(self._cut(notice.message or ''))}"
        )

    def _on_elicitation(self, data: dict[str, JsonValue]) -> None:
        notice = ServerNotice.model_validate(data["notice"])
        text = self._cut(notice.message or "")
        self.console.print(f"  [blue]asked[/] {shown(notice.server)}: {shown(text)}")

    def _on_episode_finished(self, data: dict[str, JsonValue]) -> None:
        self.console.print(f"[bold]answer[/] {shown(data.get('answer'))}")
        if data.get("error"):
            self.console.print(f"[red]error[/] {shown(json.dumps(data['error']))}")

    def _cut(self, text: str) -> str:
        text = " ".join(text.split())
        return text if len(text) <= self.width else text[: self.width] + "…"


run_app = typer.Typer()


@run_app.command("run")
@with_options(backend_options(batch=1), after="policy")
def run_command(
    ctx: typer.Context,
    prompt: Annotated[str | None, typer.Argument(help="The task, with --config.")] = None,
    *,
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="An mcpServers JSON file.")
    ] = None,
    env: Annotated[str | None, typer.Option(help="A bundled environment (with --task).")] = None,
    task: Annotated[str | None, typer.Option(help="A task id of the bundled environment.")] = None,
    mode: ModeOption = "trial",
    policy: PolicyOption = "embedded",
    max_trial_calls: Annotated[int, typer.Option(help="Trial-call budget.")] = 8,
    max_turns: Annotated[int, typer.Option(help="Model-turn budget.")] = 16,
    max_new_tokens: Annotated[
        int | None,
        typer.Option(help="Tokens per model turn (default: the settings', else 256)."),
    ] = None,
    temperature: Annotated[
        float | None,
        typer.Option(help="Sampling temperature, 0 greedy (default: the settings', else 0)."),
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Sampling seed.")] = None,
    allow_unsafe_trials: Annotated[
        bool,
        typer.Option(
            "--allow-unsafe-trials",
            help="Trial tools not marked read-only on the real servers: --trial-policy '*=allow'.",
        ),
    ] = False,
    trial_policy: Annotated[
        list[str] | None,
        typer.Option(
            "--trial-policy",
            help="GLOB=allow|refuse|sandbox: how trial calls of the tools it matches (tool or "
            'server.tool) run; repeatable, the first match wins, over the config\'s "trial". '
            "Default: read-only tools run, the others in the trial sandbox (stdio servers), "
            "else refused.",
            show_default=False,
        ),
    ] = None,
    require_all_servers: Annotated[
        bool,
        typer.Option(
            "--require-all-servers",
            help="Fail when a server of --config cannot be connected (default: go on with the "
            "others).",
        ),
    ] = False,
    store: StoreOption = None,
    **backend: Any,
) -> None:
    """Run one task: `--config FILE "task"` over any MCP servers, or `--env NAME --task ID` for a
    bundled task judged by its verifier. Prints the run phase by phase and records it.

    The servers are connected before the model loads: one that cannot be connected is named on
    stderr and the task runs with the others (with --require-all-servers it is an error).
    What the servers log and report is printed as it arrives; their sampling requests are
    answered by the model, up to a cap per run; a server's question for the user
    (elicitation) is asked on the terminal when stdin and stderr are terminals, and declined
    with the reason otherwise."""
    temperature, max_new_tokens = sampling_of(ctx, temperature, max_new_tokens)
    agent_config = AgentConfig(
        mode=mode_of(mode),
        max_trial_calls=max_trial_calls,
        max_turns=max_turns,
        allow_unsafe_trials=allow_unsafe_trials,
        trial_policy=TrialPolicy.of(trial_policy or []),
        sampling=Sampling(
            temperature=0.0 if temperature is None else temperature,
            max_tokens=256 if max_new_tokens is None else max_new_tokens,
            seed=seed,
        ),
    )
    flags = policy_flags(ctx, policy, **backend)
    check_flags(flags, bundled=env is not None)  # before the servers are connected
    path = store_file(ctx, store)
    console = Console(highlight=False)
    with Store(path) as opened:
        recorder = Recorder(
            AsyncStore(opened), also=Printer(console), fallback=unrecorded_file(path)
        )
        setup = _Setup(flags, agent_config, opened, recorder, require_all_servers)
        if env is not None or task is not None:
            if config is not None or prompt is not None:
                raise UserError("give either --env/--task or --config with a task, not both")
            episode = anyio.run(_run_bundled, env, task, setup)
        else:
            if config is None or prompt is None:
                raise UserError('give --config FILE "task", or --env NAME --task ID')
            episode = anyio.run(_run_servers, config, prompt, setup)
    console.print(f"[dim]recorded as {episode.id} in {shown(path)}[/]")
    if episode.error is not None or (episode.verdict is not None and not episode.verdict.passed):
        raise typer.Exit(1)


@dataclass(frozen=True)
class _Setup:
    """What a run needs besides its task: the policy flags, the agent's budgets, the store (also
    the experience memory) and the recorder that prints and records the episode."""

    flags: PolicyFlags
    config: AgentConfig
    store: Store
    recorder: Recorder
    require_all_servers: bool = False


async def _run_bundled(env_name: str | None, task_id: str | None, setup: _Setup) -> Episode:
    if env_name is None or task_id is None:
        raise UserError("--env and --task go together")
    environment = get_environment(env_name)
    tasks = {t.id: t for split in ("train", "test") for t in environment.tasks(split)}
    if task_id not in tasks:
        example = next(iter(tasks), "none")
        raise UserError(f"{env_name} has no task {task_id!r} (ids look like {example!r})")
    task = tasks[task_id]
    policy = policy_factory(setup.flags, env=environment, mode=setup.config.mode)(task)
    return await run_env_task(
        environment, task, policy, setup.config, memory=setup.store, recorder=setup.recorder
    )


def unsandboxed(toolbox: Toolbox, sandbox: NamespaceSandbox) -> None:
    """Say on stderr, once per server, which servers' tools that are not read-only cannot be
    trialed in the sandbox (so are refused in trials unless the trial policy allows them)."""
    servers = {tool.server for tool in toolbox.tools if not tool.read_only}
    for server in sorted(servers):
        reason = sandbox.reason(server)
        if reason is not None:
            message = f"note: server {server!r} has no trial sandbox ({reason})"
            typer.echo(terminal_safe(scrub(message)), err=True)


async def _run_servers(config_file: Path, prompt: str, setup: _Setup) -> Episode:
    task = Task(id=f"adhoc/{new_id()[:8]}", prompt=prompt)
    recorder = setup.recorder
    specs = servers_from_file(config_file, environ=os.environ)
    if not specs:
        raise UserError(f"{config_file}: no servers to connect (all disabled?)")
    config = setup.config
    config = replace(config, trial_policy=TrialPolicy.of(config.trial_policy.rules, specs))
    # The servers first: a broken one is said before a model takes seconds to load; their
    # sampling requests are answered by the policy once it is built.
    sampler = LateSampler()
    async with (
        Toolbox(
            specs,
            require_all=setup.require_all_servers,
            oauth=oauth_options(),
            sampler=sampler,
            elicitor=terminal_elicitor(),
        ) as toolbox,
        NamespaceSandbox(specs, timeout=config.call_timeout_s) as sandbox,
    ):
        unconnected(toolbox.errors)
        if len(toolbox.errors) == len(specs):
            raise UserError(f"no server of {config_file} could be connected")
        if config.mode == "trial":
            unsandboxed(toolbox, sandbox)
        made = policy_factory(setup.flags, env=None, mode=config.mode)(task)
        sampler.bind(made)
        agent = Agent(
            made,
            toolbox,
            config,
            trial_sandbox=sandbox,
            memory=setup.store,
            events=recorder.event,
            resources=toolbox,
            server_events=toolbox,
        )
        episode = await agent.run(task)
    await recorder.episode(episode)
    return episode
