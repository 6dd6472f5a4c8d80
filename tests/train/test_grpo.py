"""GRPO over live MCP environments.

The environment classes that trl's `environment_factory` makes are driven here by the bundled
reference solvers (the calls a good policy makes), so every behaviour is checked against real MCP
servers: fresh sessions per rollout, trial sandboxing and budgets, errors as results, the verifier's
verdict and the reward formula. Then a real `GRPOTrainer` run on the tiny random model, steered to
make one tool call, shows the rollouts' calls reaching the server and the trainer's rewards being
the formula of the verifier's verdicts.
"""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import psutil
import pytest
from mcp.server.mcpserver import MCPServer
from toolmaster.agent import result_text
from toolmaster.cli._app import app, main
from toolmaster.core import (
    FINISH_TRIAL,
    Environment,
    Mode,
    Store,
    Task,
    ToolCall,
    ToolResult,
    UserError,
    Verdict,
    get_environment,
)
from toolmaster.mcp import InProcessServerSpec, StdioServerSpec, Toolbox
from toolmaster.train._config import (
    GRPOSection,
    ModelConfig,
    RewardConfig,
    ServerSuite,
    TrainConfig,
)
from toolmaster.train._environment import McpEnvironment, environment_class
from toolmaster.train._grpo import grpo_args, run_grpo
from toolmaster.train._rollout import (
    OpenWorld,
    RolloutHub,
    RolloutSettings,
)
from toolmaster.train._worlds import (
    BundledWorld,
    ServersWorld,
    prompt_rows,
    worlds_of,
)
from typer.testing import CliRunner

RAW_SERVER = Path(__file__).parents[1] / "mcp" / "servers" / "raw_server.py"
BUDGET_SPENT = "The trial budget is spent"


def open_environment(
    env: Environment, mode: Mode, *, max_trial_calls: int = 20
) -> tuple[RolloutHub, McpEnvironment, BundledWorld]:
    world = BundledWorld(env=env, name=env.name)
    hub = RolloutHub(RolloutSettings(mode=mode, max_trial_calls=max_trial_calls))
    tools = hub.list_tools(world, env.tasks("train")[0])
    instance = environment_class(world, tools, mode)(hub.new_rollout(world))
    return hub, instance, world


@pytest.fixture
def hubs() -> Iterator[list[RolloutHub]]:
    """Hubs a test opens; all closed after it."""
    opened: list[RolloutHub] = []
    yield opened
    for hub in opened:
        hub.close()


def result_of(call_id: str, text: str) -> ToolResult:
    """A tool result as a model reads it back (what the reference solvers are sent)."""
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    return ToolResult(
        call_id=call_id,
        content=[{"type": "text", "text": text}],
        structured_content=parsed if isinstance(parsed, dict) else None,
        is_error=text.lower().startswith("error"),
    )


@dataclass
class Played:
    completion: list[dict[str, Any]]
    """The rollout as trl's completion messages."""
    execute_errors: int
    """Execution-phase results that were errors, as the test saw them."""
    calls: int


def play_reference(instance: McpEnvironment, env: Environment, task: Task, mode: Mode) -> Played:
    """Drive the environment object with the task's reference solver, as trl would drive it
    with a model's parsed calls."""
    instance.reset(prompt=[], task=task.model_dump_json())
    solver = env.solve(task, random.Random(7), mode)
    turn = next(solver)
    completion: list[dict[str, Any]] = []
    phase, errors, calls = ("trial" if mode == "trial" else "execute"), 0, 0
    while True:
        completion.append(
            {
                "role": "assistant",
                "content": turn.content or "",
                "tool_calls": [
                    {"type": "function", "function": {"name": c.tool, "arguments": c.arguments}}
                    for c in turn.tool_calls
                ],
            }
        )
        if not turn.tool_calls:
            return Played(completion, errors, calls)
        results: list[ToolResult] = []
        for call in turn.tool_calls:
            text: str = getattr(instance, call.tool)(**call.arguments)
            calls += 1
            completion.append({"role": "tool", "name": call.tool, "content": text})
            if phase == "execute" and text.lower().startswith("error"):
                errors += 1
            if call.tool == FINISH_TRIAL:
                phase = "execute"
            results.append(result_of(call.id, text))
        try:
            turn = solver.send(results)
        except StopIteration:
            return Played(completion, errors, calls)


def expected_total(verdict: Verdict, played: Played, mode: Mode, config: RewardConfig) -> float:
    """The reward formula of docs/grpo.md, computed from what the test saw."""
    trial = 1.0 if mode == "trial" else 0.0  # the reference solvers trial and write notes
    penalty = min(config.max_penalty, config.tool_error_penalty * played.execute_errors)
    return config.outcome * verdict.score + config.format * 1.0 + config.trial * trial - penalty


@pytest.mark.parametrize(
    ("name", "mode", "index"),
    [
        ("weather", "trial", 0),
        ("shop", "trial", 3),
        ("sqlbase", "direct", 1),
        ("files", "trial", 2),
    ],
)
def test_a_reference_rollout_earns_the_formula_of_the_verifiers_verdict(
    name: str, mode: Mode, index: int, hubs: list[RolloutHub]
) -> None:
    env = get_environment(name)
    task = env.tasks("train")[index]
    hub, instance, _ = open_environment(env, mode)
    hubs.append(hub)
    played = play_reference(instance, env, task, mode)
    config = RewardConfig()
    parts = instance.toolmaster.judge(played.completion, config)
    log = instance.toolmaster.log
    assert log is not None and log.verdict is not None
    session = instance.toolmaster.session
    assert session is not None and session.world.sandbox is not None
    state: Any = session.world.sandbox
    assert env.verify(task, log.answer, state.state()) == log.verdict  # the verifier's own word
    assert log.verdict.passed
    assert log.counts is not None and log.counts.share == 1.0
    assert len(log.calls) == played.calls
    assert parts.total == pytest.approx(expected_total(log.verdict, played, mode, config))
    if mode == "trial":
        assert log.protocol.finished_trial and log.protocol.notes and log.protocol.trial_calls > 0
    else:
        assert log.protocol.trial_calls == 0 and FINISH_TRIAL not in dir(instance)


def test_each_reset_opens_a_fresh_state(hubs: list[RolloutHub]) -> None:
    env = get_environment("shop")
    task = env.tasks("train")[3]
    hub, instance, _ = open_environment(env, "direct")
    hubs.append(hub)
    tool: Any = instance
    instance.reset(task=task.model_dump_json())
    fresh = tool.list_orders()
    played = play_reference(instance, env, task, "direct")
    assert instance.toolmaster.judge(played.completion, RewardConfig()).outcome == 1.0
    assert tool.list_orders() != fresh  # the rollout placed an order
    instance.reset(task=task.model_dump_json())
    assert tool.list_orders() == fresh  # the next rollout starts from the seeded state again
    assert len(instance.toolmaster.history) == 2


def test_trial_calls_are_undone_when_the_trial_ends(hubs: list[RolloutHub]) -> None:
    env = get_environment("shop")
    task = env.tasks("train")[3]
    hub, instance, _ = open_environment(env, "trial")
    hubs.append(hub)
    tool: Any = instance
    instance.reset(task=task.model_dump_json())
    product = json.loads(tool.search_products(query="notebook"))["results"][0]["id"]
    assert "error" not in tool.add_to_cart(product_id=product).lower()
    assert json.loads(tool.view_cart())["items"]
    assert tool.finish_trial(notes="add_to_cart adds one by default") == (
        "Trial phase finished. Now execute the task."
    )
    assert json.loads(tool.view_cart())["items"] == []  # the sandbox was restored
    again = tool.finish_trial(notes="again", stray="argument")
    assert again.startswith("Error: finish_trial: there is no trial")
    log = instance.toolmaster.log
    assert log is not None
    assert [c.phase for c, _ in log.calls] == ["trial"] * 4 + ["execute"] * 2


def test_the_trial_budget_ends_the_trial_by_itself(hubs: list[RolloutHub]) -> None:
    env = get_environment("weather")
    hub, instance, _ = open_environment(env, "trial", max_trial_calls=2)
    hubs.append(hub)
    tool: Any = instance
    instance.reset(task=env.tasks("train")[0].model_dump_json())
    assert BUDGET_SPENT not in tool.list_favorites()
    assert tool.list_favorites().endswith(
        BUDGET_SPENT + ": the trial phase is over. Execute the task now."
    )
    tool.list_favorites()
    log = instance.toolmaster.log
    assert log is not None
    protocol = log.protocol
    assert (protocol.trial_calls, protocol.phase, protocol.finished_trial) == (2, "execute", False)
    assert [c.phase for c, _ in log.calls] == ["trial", "trial", "execute"]
    parts = instance.toolmaster.judge([{"role": "assistant", "content": "no idea"}], RewardConfig())
    assert parts.trial == 0.5  # trialed, but no notes: the budget cut the trial off


def test_bad_arguments_are_errors_the_model_reads(hubs: list[RolloutHub]) -> None:
    env = get_environment("weather")
    hub, instance, _ = open_environment(env, "direct")
    hubs.append(hub)
    tool: Any = instance
    instance.reset(task=env.tasks("train")[0].model_dump_json())
    garbage = tool.get_forecast(city=["not", "a", "city"], when={"nested": True}, extra=1)
    missing = tool.find_city()
    assert garbage.startswith("Error") and missing.startswith("Error")
    # Any argument name reaches the server, even the method's own `self`.
    assert not tool.find_city(query="Oslo", self="x").startswith("Error")
    assert not hasattr(instance, FINISH_TRIAL)  # direct mode offers no finish_trial
    log = instance.toolmaster.log
    assert log is not None and log.execute_errors == 2
    parts = instance.toolmaster.judge([{"role": "assistant", "content": "?"}], RewardConfig())
    assert parts.tool_errors == pytest.approx(0.1)


def test_prompt_rows_carry_the_agents_prompt_and_the_task() -> None:
    config = GRPOSection(environments=["weather", "shop"], tasks_per_env=2, mode="trial")
    worlds = worlds_of(config)
    rows = prompt_rows(worlds, "trial")
    assert [r["environment"] for r in rows] == ["weather", "weather", "shop", "shop"]
    first = rows[0]
    assert (
        first["prompt"][0]["role"] == "system" and "finish_trial" in first["prompt"][0]["content"]
    )
    task = Task.model_validate_json(first["task"])
    assert first["prompt"][1] == {"role": "user", "content": task.prompt}
    weather = get_environment("weather").tasks("train")
    sampled = [Task.model_validate_json(r["task"]) for r in rows[:2]]
    assert task == sampled[0] and all(t in weather for t in sampled)
    assert sampled == sorted(sampled, key=weather.index)  # their own order
    kinds = {t.metadata["kind"] for w in worlds_of(GRPOSection(tasks_per_env=14)) for t in w.tasks}
    assert len(kinds) > 1  # a sample across kinds, not the first kind's tasks
    assert worlds_of(config)[0].tasks == worlds[0].tasks  # the same sample every run


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"environments": ["bank"]}, "reserved for out-of-domain"),
        ({"environments": ["nope"]}, "unknown environment"),
        ({"environments": []}, "names no environments"),
    ],
)
def test_bad_worlds_are_user_errors(section: dict[str, Any], message: str) -> None:
    with pytest.raises(UserError, match=message):
        worlds_of(GRPOSection.model_validate(section))


# ---------------------------------------------------------------- any MCP server


def verify_echo(task: Task, answer: str | None) -> Verdict:
    """The verifier of the echo suite (named in its `[[grpo.servers]]` table)."""
    wanted = str(task.expected["text"])
    passed = answer is not None and wanted in answer
    return Verdict(score=float(passed), passed=passed, reasons=[f"answer has {wanted!r}"])


def echo_suite(tmp_path: Path) -> ServerSuite:
    servers = {"mcpServers": {"raw": {"command": sys.executable, "args": [str(RAW_SERVER)]}}}
    (tmp_path / "mcp.json").write_text(json.dumps(servers))
    tasks = [
        Task(id=f"echo-{i}", prompt=f"Echo {w}.", expected={"text": w})
        for i, w in enumerate(("hi", "ok"))
    ]
    (tmp_path / "tasks.jsonl").write_text("".join(t.model_dump_json() + "\n" for t in tasks))
    return ServerSuite(
        name="echo",
        servers=tmp_path / "mcp.json",
        tasks=tmp_path / "tasks.jsonl",
        verifier=f"{__name__}:verify_echo",
    )


def test_server_suites_get_fresh_processes_and_none_outlive_the_hub(tmp_path: Path) -> None:
    (entry,) = worlds_of(GRPOSection(environments=[], servers=[echo_suite(tmp_path)]))
    assert [t.env for t in entry.tasks] == ["echo", "echo"]
    me = psutil.Process()
    before = {p.pid for p in me.children(recursive=True)}
    hub = RolloutHub(RolloutSettings(mode="trial", max_trial_calls=4))
    try:
        tools = hub.list_tools(entry.world, entry.tasks[0])
        cls = environment_class(entry.world, tools, "trial")
        instance: Any = cls(hub.new_rollout(entry.world))
        pids: list[set[int]] = []
        for task in entry.tasks:
            instance.reset(task=task.model_dump_json())
            pids.append({p.pid for p in me.children(recursive=True)} - before)
            assert instance.echo(text=task.expected["text"]) == task.expected["text"]
            refused = instance.grow()
            assert refused.startswith("Error: Refused: `grow` is not marked read-only")
            instance.finish_trial(notes="echo echoes")
            parts = instance.toolmaster.judge(
                [{"role": "assistant", "content": f"{task.expected['text']}!"}], RewardConfig()
            )
            assert parts.outcome == 1.0
        assert all(len(p) == 1 for p in pids) and pids[0] != pids[1]  # one new process each
    finally:
        hub.close()
    psutil.wait_procs(
        [psutil.Process(pid) for pid in pids[1] if psutil.pid_exists(pid)], timeout=10
    )
    assert {p.pid for p in me.children(recursive=True)} - before == set()
    assert all(r.session is None for r in hub.rollouts)


def test_tools_with_reserved_names_are_refused(hubs: list[RolloutHub]) -> None:
    server = MCPServer("odd")

    @server.tool()
    def reset() -> str:
        """Reset everything."""
        return "done"

    @dataclass(frozen=True)
    class OddWorld:
        name: str = "odd"
        sandboxed: bool = False
        allow_unsafe_trials: bool = False

        def open(self, task: Task) -> OpenWorld:
            return OpenWorld(
                servers=[InProcessServerSpec(name="odd", server=server)],
                verify=lambda answer: Verdict(score=0.0, passed=False),
            )

    hub = RolloutHub(RolloutSettings())
    hubs.append(hub)
    tools = hub.list_tools(OddWorld(), Task(id="t", prompt="p"))
    with pytest.raises(UserError, match="tool name 'reset' cannot be exposed"):
        environment_class(OddWorld(), tools, "direct")


def test_servers_world_judges_with_its_function() -> None:
    world = ServersWorld(name="s", servers=(), verifier=verify_echo)
    task = Task(id="t", prompt="p", expected={"text": "x"})
    assert world.open(task).verify("x marks") == Verdict(
        score=1.0, passed=True, reasons=["answer has 'x'"]
    )
    assert world.open(task).sandbox is None


def test_reset_without_a_task_is_a_user_error(hubs: list[RolloutHub]) -> None:
    hub, instance, _ = open_environment(get_environment("weather"), "direct")
    hubs.append(hub)
    with pytest.raises(UserError, match="needs a `task` column"):
        instance.reset(prompt=[])
    with pytest.raises(UserError, match="reset\\(\\) the environment first"):
        instance.toolmaster.call("find_city", {"query": "x"})


def test_stdio_spec_helper_matches_the_file(tmp_path: Path) -> None:
    suite = echo_suite(tmp_path)
    (entry,) = worlds_of(GRPOSection(environments=[], servers=[suite]))
    assert isinstance(entry.world, ServersWorld)
    (spec,) = entry.world.servers
    assert isinstance(spec, StdioServerSpec) and spec.args == (str(RAW_SERVER),)


# ---------------------------------------------------------------- a real GRPOTrainer run

CITY_CALL = '<tool_call>\n{"name": "find_city", "arguments": {"query": "Amsterdam"}}\n</tool_call>'


def steer_to(model: ModelConfig, reply: str) -> list[list[Any]]:
    """`sequence_bias` for transformers' generation that makes the random model write `reply`
    (then `<|im_end|>`) after each assistant header: each reply token is biased when the header
    and the reply so far precede it. A random model almost never writes a valid call; steered,
    its GRPO rollouts make real ones, through trl's own generation, parsing and tool loop."""
    from toolmaster.train._models import load_model

    tokenizer: Any = load_model(model, training=False).tokenizer
    header = tokenizer.encode("<|im_start|>assistant\n", add_special_tokens=False)
    ids = tokenizer.encode(reply + "<|im_end|>", add_special_tokens=False)
    return [[header + ids[: k + 1], 100.0] for k in range(len(ids))]


def smoke_config(model: ModelConfig, out: Path, **grpo: Any) -> TrainConfig:
    section: dict[str, Any] = {
        "environments": ["weather"],
        "tasks_per_env": 1,
        "max_turns": 2,
        "trl": {
            "max_steps": 1,
            "per_device_train_batch_size": 2,
            "num_generations": 2,
            "max_completion_length": 512,
            "temperature": 0.5,
            "learning_rate": 1e-3,
            "logging_steps": 1,
            "save_strategy": "no",
            "generation_kwargs": {"sequence_bias": steer_to(model, CITY_CALL)},
        },
        **grpo,
    }
    return TrainConfig.model_validate(
        {
            "name": "grpo-test",
            "output_dir": str(out),
            "model": model.model_dump(),
            "lora": {"r": 4, "alpha": 8, "dropout": 0.0},
            "grpo": section,
        }
    )


async def _server_answer(env: Environment, task: Task, call: ToolCall) -> str:
    session = env.open(task)
    async with Toolbox([InProcessServerSpec(name=env.name, server=session.server)]) as toolbox:
        return result_text(await toolbox.call(call))


@pytest.fixture
def one_thread() -> Iterator[None]:
    """Torch on one thread: on a busy two-core machine more threads make a tiny model's step
    several times slower."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.usefixtures("one_thread")
def test_grpo_rollouts_call_the_server_and_are_rewarded_by_the_verifier(
    tiny_model: ModelConfig, tmp_path: Path
) -> None:
    config = smoke_config(tiny_model, tmp_path / "run")
    env = get_environment("weather")
    hub = RolloutHub(RolloutSettings(mode="trial", max_trial_calls=6))
    store = Store(tmp_path / "rollouts.db")
    try:
        result = run_grpo(config, hub=hub, store=store)
        logs = [log for rollout in hub.rollouts for log in rollout.logs]
        assert result.rollouts == len(logs) == 2  # one step: 1 prompt x 2 generations
        step = result.log_history[0]
        assert step["tools/call_frequency"] > 0  # trl dispatched the model's calls
        expected: list[float] = []
        for rollout in hub.rollouts:
            log = rollout.log
            assert log is not None and log.verdict is not None and log.counts is not None
            # The calls reached the weather server: its answers are what a direct MCP call on a
            # fresh state of the task answers.
            assert log.calls, "the steered model made no call"
            call, result_of_call = log.calls[0]
            assert call.tool == "find_city" and call.phase == "trial"
            assert result_text(result_of_call) == anyio.run(_server_answer, env, log.task, call)
            # The verdict is the environment verifier's on the final answer and state.
            session = rollout.session
            assert session is not None and session.world.sandbox is not None
            state: Any = session.world.sandbox
            assert env.verify(log.task, log.answer, state.state()) == log.verdict
            trialed = any(c.phase == "trial" and r.error_kind != "refused" for c, r in log.calls)
            noted = log.protocol.finished_trial and bool(log.protocol.notes)
            reward = RewardConfig()
            expected.append(
                reward.outcome * log.verdict.score
                + reward.format * log.counts.share
                + reward.trial * (0.5 * trialed + 0.5 * noted)
                - min(reward.max_penalty, reward.tool_error_penalty * log.execute_errors)
            )
        # trl's reward is the weighted sum of our terms: the formula of the verdicts.
        assert step["reward"] == pytest.approx(sum(expected) / len(expected), abs=1e-5)
        scores = [
            rollout.log.verdict.score
            for rollout in hub.rollouts
            if rollout.log and rollout.log.verdict
        ]
        assert step["rewards/outcome/mean"] == pytest.approx(sum(scores) / len(scores), abs=1e-5)
        assert "rewards/format/mean" in step and "rewards/tool_errors/mean" in step
        # Every rollout is recorded as an episode with its reward.
        recorded = {e.metadata["reward"]: e for e in store.episodes()}
        assert len(store.episodes()) == 2
        for rollout in hub.rollouts:
            log = rollout.log
            assert log is not None and log.parts is not None
            episode = recorded[log.parts.total]
            assert episode.policy.name == "grpo-grpo-test"
            assert episode.verdict == log.verdict and episode.task == log.task
            calls = [c for m in episode.messages for c in m.tool_calls]
            assert calls[0].tool == "find_city" and calls[0].phase == "trial"
            answer = next(m for m in episode.messages if m.tool_call_id == calls[0].id)
            assert answer.content == result_text(log.calls[0][1])
            assert episode.phases[0].phase == "trial" and episode.phases[0].start == 2
    finally:
        hub.close()
        store.close()
    assert all(rollout.session is None for rollout in hub.rollouts)
    final = result.final_dir
    assert final == tmp_path / "run" / "grpo" / "final"
    assert (final / "adapter_config.json").is_file() and (final / "tokenizer_config.json").is_file()
    provenance = json.loads((final / "provenance.json").read_text())
    assert provenance["stage"] == "grpo" and provenance["adapter"]
    assert provenance["data"] == {"worlds": {"weather": 1}}
    assert provenance["metrics"]["rollouts"] == 2


# ---------------------------------------------------------------- configs and the command

CONFIGS = Path(__file__).parents[2] / "configs" / "train"


@pytest.mark.parametrize("name", ["cpu-smoke", "cpu-small", "gpu-1", "gpu-multi"])
def test_every_recipe_has_a_grpo_section_trl_accepts(name: str) -> None:
    import trl

    config = TrainConfig.load(CONFIGS / f"{name}.toml")
    assert config.grpo.environments and not config.grpo.servers
    worlds_of(config.grpo)  # its environments exist and are in-domain
    gpu = name.startswith("gpu")
    on_gpu = grpo_args(config, Path("out"), cuda=True)
    assert on_gpu["reward_weights"] == [1.0, 0.2, 0.1, -1.0]
    assert on_gpu["max_tool_calling_iterations"] == config.grpo.max_turns
    assert "use_cpu" not in on_gpu
    if gpu:
        assert on_gpu["use_vllm"] is True
        assert on_gpu["vllm_mode"] == ("colocate" if name == "gpu-1" else "server")
        with pytest.raises(UserError, match="use_vllm needs a CUDA GPU"):
            grpo_args(config, Path("out"), cuda=False)
    else:
        on_cpu = grpo_args(config, Path("out"), cuda=False)
        assert on_cpu["use_cpu"] is True and on_cpu["bf16"] is False
        trl.GRPOConfig(**on_cpu)  # trl takes every field


def test_reward_weights_belong_to_the_reward_table() -> None:
    config = TrainConfig.model_validate(
        {"name": "x", "grpo": {"trl": {"reward_weights": [1, 1, 1, 1]}}}
    )
    with pytest.raises(UserError, match=r"set the weights in \[grpo.reward\]"):
        grpo_args(config, Path("out"), cuda=False)


runner = CliRunner()


@pytest.mark.usefixtures("one_thread")
def test_train_grpo_command_trains_saves_and_resumes(
    tiny_model: ModelConfig, tmp_path: Path
) -> None:
    recipe = CONFIGS.joinpath("cpu-smoke.toml").read_text()
    cache = str(tiny_model.cache_dir)
    recipe = recipe.replace(
        'name_or_path = "tiny-random"', f'name_or_path = "tiny-random"\ncache_dir = "{cache}"'
    )
    (tmp_path / "smoke.toml").write_text(recipe)
    out = tmp_path / "out"
    args = ["train", "grpo", str(tmp_path / "smoke.toml"), "--output-dir", str(out)]
    first = runner.invoke(app, [*args, "--max-steps", "1"])
    assert first.exception is None, first.output
    assert "1 steps, 4 rollouts on fresh MCP sessions" in first.output
    assert (out / "checkpoint-1").is_dir()
    provenance = json.loads((out / "final" / "provenance.json").read_text())
    assert provenance["stage"] == "grpo" and provenance["metrics"]["steps"] == 1
    again = runner.invoke(app, [*args, "--max-steps", "2", "--resume"])
    assert again.exception is None, again.output
    assert "2 steps, 4 rollouts" in again.output  # one more step: 4 more rollouts
    assert (out / "checkpoint-2").is_dir()
    # A trained adapter (an SFT output has the same layout) as the starting point.
    init = out / "final"
    started = runner.invoke(
        app,
        [*args[:3], "--output-dir", str(tmp_path / "from-init"), "--init", str(init)],
    )
    assert started.exception is None, started.output
    provenance = json.loads((tmp_path / "from-init" / "final" / "provenance.json").read_text())
    assert provenance["init"] == str(init) and provenance["adapter"]
    assert (
        provenance["base"]
        == json.loads((init / "adapter_config.json").read_text())["base_model_name_or_path"]
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "grpo", "no-such-recipe"], "no training config 'no-such-recipe'"),
        (["train", "grpo", "CONFIGS/gpu-1.toml"], "use_vllm needs a CUDA GPU"),
        (
            ["train", "grpo", "CONFIGS/cpu-smoke.toml", "--init", "nowhere"],
            "--init nowhere is not a folder",
        ),
        (
            ["train", "grpo", "CONFIGS/cpu-smoke.toml", "--max-steps", "0"],
            "--max-steps must be 1 or more",
        ),
        (
            ["train", "grpo", "CONFIGS/cpu-smoke.toml", "--resume", "--output-dir", "EMPTY"],
            "has no checkpoint to resume from",
        ),
    ],
)
def test_train_grpo_usage_mistakes(
    args: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "empty").mkdir()
    filled = [
        a.replace("CONFIGS", str(CONFIGS)).replace("EMPTY", str(tmp_path / "empty")) for a in args
    ]
    with pytest.raises(SystemExit) as exit_info:
        main(filled)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err


@pytest.mark.slow
@pytest.mark.usefixtures("one_thread")
def test_smollm2_grpo_step_on_cpu(tmp_path: Path) -> None:
    """A GRPO step of the embedded SmolLM2-135M-Instruct with LoRA over weather rollouts: the
    real model's rollouts are judged by the verifier and trained on."""
    config = TrainConfig.model_validate(
        {
            "name": "smollm2-grpo",
            "output_dir": str(tmp_path),
            "model": {"name_or_path": "embedded"},
            "lora": {"r": 8, "alpha": 16, "dropout": 0.0},
            "grpo": {
                "environments": ["weather"],
                "tasks_per_env": 1,
                "max_turns": 2,
                "trl": {
                    "max_steps": 1,
                    "per_device_train_batch_size": 2,
                    "num_generations": 2,
                    "max_completion_length": 128,
                    "learning_rate": 1e-5,
                    "logging_steps": 1,
                    "save_strategy": "no",
                },
            },
        }
    )
    hub = RolloutHub(RolloutSettings(mode="trial", max_trial_calls=6))
    try:
        result = run_grpo(config, hub=hub)
        logs = [log for rollout in hub.rollouts for log in rollout.logs]
        assert result.global_step == 1 and len(logs) == 2
        assert all(log.verdict is not None and log.parts is not None for log in logs)
        totals = [log.parts.total for log in logs if log.parts is not None]
        assert result.log_history[0]["reward"] == pytest.approx(sum(totals) / 2, abs=1e-5)
    finally:
        hub.close()
    assert (result.final_dir / "adapter_model.safetensors").is_file()
