"""GRPO over live MCP environments: trl's `GRPOTrainer` with an `environment_factory`.

Each prompt row is a task (`toolmaster.train._worlds.prompt_rows`); trl samples
`num_generations` rollouts per prompt, and every rollout runs on a fresh MCP session
(`toolmaster.train._rollout`): the model's tool calls reach the real servers, the trial phase is
sandboxed and budgeted as in the agent loop, and the environment's verifier judges the final
answer and state. The reward is the verifier's outcome plus format and trial terms
(`toolmaster.train._reward`), each a reward function of its own so trl logs them all.

The prompt is rendered as ToolMaster's policies render it at inference: the chat template of the
model config, the agent's system prompt, and each tool's exact MCP schema (trl would otherwise
derive schemas from the tool methods' signatures, which cannot carry every JSON-schema detail).

Generation: trl's `[grpo.trl]` options pass through, so `use_vllm = true` with
`vllm_mode = "colocate"` (vLLM inside the training process) or `"server"` (a `trl vllm-serve`
process, for many GPUs) work as in trl. Without a CUDA GPU the run uses the CPU (`use_cpu`) and
refuses vLLM with a clear message.
"""

from __future__ import annotations

import importlib
import json
import logging
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from toolmaster.agent import FINISH_TRIAL_SPEC, tool_schema
from toolmaster.core import UserError
from toolmaster.train._config import RewardConfig, TrainConfig
from toolmaster.train._models import LoadedModel, load_model
from toolmaster.train._reward import TERMS, reward_weights
from toolmaster.train._rollout import (
    McpEnvironment,
    Rollout,
    RolloutHub,
    RolloutSettings,
    environment_class,
)
from toolmaster.train._templates import attach_response_parser
from toolmaster.train._worlds import WorldTasks, prompt_rows, worlds_of

__all__ = ["GRPOResult", "grpo_args", "reward_functions", "run_grpo"]

logger = logging.getLogger(__name__)

RewardFunction = Callable[..., list[float]]


@dataclass(frozen=True)
class GRPOResult:
    """What a GRPO run left behind."""

    output_dir: Path
    """The trained adapter (or model), its tokenizer and `provenance.json`."""
    global_step: int
    log_history: list[dict[str, Any]]
    rollouts: int
    """Rollouts run (each on its own MCP session)."""
    tool_calls: int
    """Tool calls that reached a server or were refused, over every rollout."""


def grpo_args(config: TrainConfig, output_dir: Path, *, cuda: bool) -> dict[str, Any]:
    """The keyword arguments of `trl.GRPOConfig`: `[grpo.trl]` plus what ToolMaster decides
    (output folder, reward weights, tool-calling turns, CPU or GPU, seed)."""
    given = dict(config.grpo.trl)
    if "reward_weights" in given:
        raise UserError("[grpo.trl] reward_weights: set the weights in [grpo.reward] instead")
    if given.get("use_vllm") and not cuda:
        raise UserError(
            "[grpo.trl] use_vllm needs a CUDA GPU (vLLM generation, colocate or server mode); "
            "this machine has none: leave use_vllm out to generate with transformers on the CPU"
        )
    args: dict[str, Any] = {
        "output_dir": str(output_dir),
        "seed": config.seed,
        "max_tool_calling_iterations": config.grpo.max_turns,
        "report_to": "none",
        **given,
        "reward_weights": reward_weights(config.grpo.reward),
    }
    if not cuda:
        args["use_cpu"] = True
        args.setdefault("bf16", False)
    return args


def reward_functions(config: RewardConfig) -> list[RewardFunction]:
    """One trl reward function per term of the reward (`TERMS` order; weights from
    `reward_weights`). Each reads the rollouts' environments, judged once per rollout."""

    def term(name: str) -> RewardFunction:
        def reward(
            completions: Sequence[Sequence[Mapping[str, Any]]],
            environments: Sequence[McpEnvironment],
            log_metric: Callable[[str, float], None] | None = None,
            **_: Any,
        ) -> list[float]:
            parts = [
                env.toolmaster.judge(completion, config)
                for env, completion in zip(environments, completions, strict=True)
            ]
            if name == TERMS[0] and log_metric is not None:
                _log_rollouts([env.toolmaster for env in environments], log_metric)
            return [p.term(name) for p in parts]

        reward.__name__ = name
        reward.__qualname__ = name
        return reward

    return [term(name) for name in TERMS]


def _log_rollouts(rollouts: Sequence[Rollout], log_metric: Callable[[str, float], None]) -> None:
    logs = [r.log for r in rollouts if r.log is not None]
    if not logs:
        return
    count = len(logs)
    log_metric("rollout/passed", sum(bool(g.verdict and g.verdict.passed) for g in logs) / count)
    log_metric("rollout/trial_calls", sum(g.trial_calls for g in logs) / count)
    log_metric("rollout/noted", sum(bool(g.notes) for g in logs) / count)
    log_metric("rollout/execute_errors", sum(g.execute_errors for g in logs) / count)
    log_metric("rollout/answered", sum(g.answer is not None for g in logs) / count)


def run_grpo(
    config: TrainConfig,
    *,
    output_dir: Path | None = None,
    init: Path | None = None,
    resume: bool | str = False,
    environ: Mapping[str, str] | None = None,
    hub: RolloutHub | None = None,
) -> GRPOResult:
    """Train with GRPO as `config` says; returns where the result went.

    `init` starts from a trained adapter or model (an SFT output folder); `resume` continues from
    the last checkpoint in the output folder (or from the checkpoint folder given). `environ`
    expands `${VAR}` in server suites' files. `hub` (for tests) keeps the rollouts inspectable
    after the run; by default a hub is made and closed here.
    """
    out = Path(output_dir or config.output_dir / "grpo")
    worlds = worlds_of(config.grpo, environ)
    settings = RolloutSettings(
        mode=config.grpo.mode,
        max_trial_calls=config.grpo.max_trial_calls,
        call_timeout_s=config.grpo.call_timeout_s,
    )
    owned = hub is None
    hub = hub or RolloutHub(settings)
    try:
        return _train(config, out, worlds, hub, init=init, resume=resume)
    finally:
        if owned:
            hub.close()


def _train(
    config: TrainConfig,
    out: Path,
    worlds: Sequence[WorldTasks],
    hub: RolloutHub,
    *,
    init: Path | None,
    resume: bool | str,
) -> GRPOResult:
    torch: Any = importlib.import_module("torch")
    trl: Any = importlib.import_module("trl")
    datasets: Any = importlib.import_module("datasets")
    factories, schemas = _environments(worlds, hub, config)
    adapter = init is not None and (init / "adapter_config.json").is_file()
    model_config = config.model
    if init is not None and not adapter:  # a fully fine-tuned model: it is the base
        model_config = model_config.model_copy(update={"name_or_path": str(init)})
    loaded = load_model(model_config, training=False)
    attach_response_parser(loaded.tokenizer)
    model, peft_config = _with_adapter(loaded.model, config, init if adapter else None)
    cuda = bool(torch.cuda.is_available())
    try:
        args = trl.GRPOConfig(**grpo_args(config, out, cuda=cuda))
    except (TypeError, ValueError) as exc:
        raise UserError(f"[grpo.trl] is not a valid trl GRPOConfig: {exc}") from exc
    rows = prompt_rows(worlds, config.grpo.mode)
    with warnings.catch_warnings():
        # trl announces that environment_factory is experimental; ToolMaster pins trl's version.
        warnings.filterwarnings("ignore", message="You are using 'environment_factory'")
        trainer = trl.GRPOTrainer(
            model=model,
            reward_funcs=reward_functions(config.grpo.reward),
            args=args,
            train_dataset=datasets.Dataset.from_list(rows),
            processing_class=loaded.tokenizer,
            peft_config=peft_config,
            environment_factory=factories,
        )
    _render_exact_schemas(trainer, schemas)
    checkpoint = _checkpoint(out, resume)
    trainer.train(resume_from_checkpoint=checkpoint)
    _save(trainer, loaded, config, out, init=init, worlds=worlds)
    rollouts = [log for r in hub.rollouts for log in r.logs]
    return GRPOResult(
        output_dir=out,
        global_step=int(trainer.state.global_step),
        log_history=list(trainer.state.log_history),
        rollouts=len(rollouts),
        tool_calls=sum(len(log.calls) for log in rollouts),
    )


def _environments(
    worlds: Sequence[WorldTasks], hub: RolloutHub, config: TrainConfig
) -> tuple[dict[str, Callable[[], McpEnvironment]], dict[str, list[dict[str, Any]]]]:
    """Per world: the environment factory trl calls, and the exact tool schemas to render."""
    factories: dict[str, Callable[[], McpEnvironment]] = {}
    schemas: dict[str, list[dict[str, Any]]] = {}
    for entry in worlds:
        tools = hub.list_tools(entry.world, entry.tasks[0])
        cls = environment_class(entry.world, tools, config.grpo.mode)
        factories[entry.world.name] = partial(_make_environment, cls, hub, entry)
        offered = [*tools, FINISH_TRIAL_SPEC] if config.grpo.mode == "trial" else tools
        schemas[entry.world.name] = [dict(tool_schema(tool)) for tool in offered]
    return factories, schemas


def _make_environment(
    cls: type[McpEnvironment], hub: RolloutHub, entry: WorldTasks
) -> McpEnvironment:
    return cls(hub.new_rollout(entry.world))


def _render_exact_schemas(trainer: Any, schemas: dict[str, list[dict[str, Any]]]) -> None:
    """Render each world's tools with their exact MCP schemas.

    trl renders the tools of an environment from `trainer._env_tools[name]` (the environment's
    methods, turned into schemas by `transformers.utils.get_json_schema`) and also accepts JSON
    schemas there. The methods still serve the calls; only what the prompt shows changes.
    """
    env_tools = getattr(trainer, "_env_tools", None)
    if not isinstance(env_tools, dict) or set(env_tools) != set(schemas):  # pyright: ignore[reportUnknownArgumentType]
        raise RuntimeError(
            "this trl GRPOTrainer keeps its environments' tools elsewhere: update "
            "toolmaster.train._grpo._render_exact_schemas for it"
        )
    for name, tools in schemas.items():
        env_tools[name] = tools


def _with_adapter(model: Any, config: TrainConfig, init: Path | None) -> tuple[Any, Any]:
    """The model to train and the peft config for trl: a trained adapter from `init` stays
    trainable; otherwise `[lora]` makes a new one (none: full fine-tuning)."""
    peft: Any = importlib.import_module("peft")
    if init is not None and (Path(init) / "adapter_config.json").is_file():
        return peft.PeftModel.from_pretrained(model, str(init), is_trainable=True), None
    if config.lora is None:
        return model, None
    lora = config.lora
    return model, peft.LoraConfig(
        r=lora.r,
        lora_alpha=lora.alpha,
        lora_dropout=lora.dropout,
        target_modules=lora.target_modules,
        task_type="CAUSAL_LM",
    )


def _checkpoint(out: Path, resume: bool | str) -> str | bool | None:
    if resume is False:
        return None
    if resume is True:
        if not any(out.glob("checkpoint-*")):
            raise UserError(f"--resume: {out} has no checkpoint to resume from")
        return True
    if not Path(resume).is_dir():
        raise UserError(f"--resume: {resume} is not a checkpoint folder")
    return resume


def _save(
    trainer: Any,
    loaded: LoadedModel,
    config: TrainConfig,
    out: Path,
    *,
    init: Path | None,
    worlds: Sequence[WorldTasks],
) -> None:
    """The trained adapter (or model), the tokenizer with the inference template, and
    `provenance.json`: what eval loads, as for an SFT output."""
    trainer.save_model(str(out))
    tokenizer: Any = loaded.tokenizer
    tokenizer.chat_template = loaded.inference_template
    tokenizer.save_pretrained(str(out))
    provenance = {
        "stage": "grpo",
        "base_model": loaded.source,
        "init": None if init is None else str(init),
        "adapter": config.lora is not None
        or (init is not None and (init / "adapter_config.json").is_file()),
        "config": config.model_dump(mode="json"),
        "worlds": {w.world.name: len(w.tasks) for w in worlds},
        "global_step": int(trainer.state.global_step),
    }
    (out / "provenance.json").write_text(json.dumps(provenance, indent=2) + "\n", encoding="utf-8")
