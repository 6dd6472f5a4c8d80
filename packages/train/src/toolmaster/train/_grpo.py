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
from typing import Any, cast

from pydantic import JsonValue
from toolmaster.agent import chat_input, offered_tools
from toolmaster.core import PolicyInfo, Store, UserError
from toolmaster.train._config import RewardConfig, TrainConfig
from toolmaster.train._environment import McpEnvironment, environment_class
from toolmaster.train._episodes import rollout_episode
from toolmaster.train._models import LoadedModel, load_model
from toolmaster.train._provenance import write_provenance
from toolmaster.train._reward import TERMS, reward_weights
from toolmaster.train._rollout import (
    Rollout,
    RolloutHub,
    RolloutSettings,
)
from toolmaster.train._sft import FINAL
from toolmaster.train._templates import attach_response_parser
from toolmaster.train._worlds import WorldTasks, prompt_rows, worlds_of

__all__ = ["GRPOResult", "grpo_args", "reward_functions", "run_grpo"]

logger = logging.getLogger(__name__)

RewardFunction = Callable[..., list[float]]


@dataclass(frozen=True)
class GRPOResult:
    """What a GRPO run left behind."""

    output_dir: Path
    """Checkpoints (`checkpoint-N`) and trl's logs."""
    final_dir: Path
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


Judged = Callable[[Rollout, Sequence[Mapping[str, Any]], Sequence[Mapping[str, Any]], int], None]
"""Told of each judged rollout: the rollout, trl's prompt and completion messages, the step."""


def reward_functions(config: RewardConfig, on_judged: Judged | None = None) -> list[RewardFunction]:
    """One trl reward function per term of the reward (`TERMS` order; weights from
    `reward_weights`). Each reads the rollouts' environments, judged once per rollout;
    `on_judged` sees every rollout once (recording them, for instance)."""

    def term(name: str) -> RewardFunction:
        def reward(
            prompts: Sequence[Sequence[Mapping[str, Any]]],
            completions: Sequence[Sequence[Mapping[str, Any]]],
            environments: Sequence[McpEnvironment],
            log_metric: Callable[[str, float], None] | None = None,
            trainer_state: Any = None,
            **_: Any,
        ) -> list[float]:
            parts = [
                env.toolmaster.judge(completion, config)
                for env, completion in zip(environments, completions, strict=True)
            ]
            if name == TERMS[0]:
                if log_metric is not None:
                    _log_rollouts([env.toolmaster for env in environments], log_metric)
                if on_judged is not None:
                    step = int(getattr(trainer_state, "global_step", 0))
                    for env, prompt, completion in zip(
                        environments, prompts, completions, strict=True
                    ):
                        on_judged(env.toolmaster, prompt, completion, step)
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
    log_metric("rollout/trial_calls", sum(g.protocol.trial_calls for g in logs) / count)
    log_metric("rollout/noted", sum(bool(g.protocol.notes) for g in logs) / count)
    log_metric("rollout/execute_errors", sum(g.execute_errors for g in logs) / count)
    log_metric("rollout/answered", sum(g.answer is not None for g in logs) / count)


def run_grpo(
    config: TrainConfig,
    *,
    output_dir: Path | None = None,
    init: Path | None = None,
    resume: bool | str = False,
    environ: Mapping[str, str] | None = None,
    store: Store | None = None,
    hub: RolloutHub | None = None,
) -> GRPOResult:
    """Train with GRPO as `config` says; returns where the result went.

    `init` starts from a trained adapter or model (an SFT output folder); `resume` continues from
    the last checkpoint in the output folder (or from the checkpoint folder given). `environ`
    expands `${VAR}` in server suites' files. With a `store`, every rollout is recorded there as
    an episode (policy `grpo-<config name>`, metadata: step, reward and its terms). `hub` (for
    tests) keeps the rollouts inspectable after the run; by default one is made and closed here.
    """
    out = Path(output_dir or config.output_dir / "grpo")
    if init is not None and not Path(init).is_dir():
        raise UserError(f"--init {init} is not a folder (give an SFT output's final folder)")
    worlds = worlds_of(config.grpo, environ)
    settings = RolloutSettings(
        mode=config.grpo.mode,
        max_trial_calls=config.grpo.max_trial_calls,
        call_timeout_s=config.grpo.call_timeout_s,
    )
    owned = hub is None
    hub = hub or RolloutHub(settings)
    try:
        return _train(config, out, worlds, hub, init=init, resume=resume, store=store)
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
    store: Store | None,
) -> GRPOResult:
    torch: Any = importlib.import_module("torch")
    trl: Any = importlib.import_module("trl")
    datasets: Any = importlib.import_module("datasets")
    try:  # mistakes in the config are reported before any model loads
        args = trl.GRPOConfig(**grpo_args(config, out, cuda=bool(torch.cuda.is_available())))
    except (TypeError, ValueError) as exc:
        raise UserError(f"[grpo.trl] of {config.name} is not a valid GRPOConfig: {exc}") from exc
    checkpoint = _checkpoint(out, resume)
    factories, schemas = _environments(worlds, hub, config)
    loaded, model, peft_config = _load(config, init)
    record = _recorder(store, config, loaded.source) if store is not None else None
    with warnings.catch_warnings():
        # trl announces that environment_factory is experimental; ToolMaster pins trl's version.
        warnings.filterwarnings("ignore", message="You are using 'environment_factory'")
        trainer = trl.GRPOTrainer(
            model=model,
            reward_funcs=reward_functions(config.grpo.reward, record),
            args=args,
            train_dataset=datasets.Dataset.from_list(prompt_rows(worlds, config.grpo.mode)),
            processing_class=loaded.tokenizer,
            peft_config=peft_config,
            environment_factory=factories,
        )
    _render_exact_schemas(trainer, schemas)
    try:
        trainer.train(resume_from_checkpoint=checkpoint)
    except ValueError as exc:
        if "checkpoint" in str(exc).lower():
            raise UserError(f"cannot resume in {out}: {exc}") from exc
        raise
    rollouts = [log for r in hub.rollouts for log in r.logs]
    result = GRPOResult(
        output_dir=out,
        final_dir=out / FINAL,
        global_step=int(trainer.state.global_step),
        log_history=list(trainer.state.log_history),
        rollouts=len(rollouts),
        tool_calls=sum(len(log.calls) for log in rollouts),
    )
    _save(trainer, loaded, config, result, init=init, worlds=worlds)
    return result


def _recorder(store: Store, config: TrainConfig, source: str) -> Judged:
    """Records each judged rollout in `store` as an episode."""
    policy = PolicyInfo(name=f"grpo-{config.name}", backend="transformers", model=source)

    def record(
        rollout: Rollout,
        prompt: Sequence[Mapping[str, Any]],
        completion: Sequence[Mapping[str, Any]],
        step: int,
    ) -> None:
        log, session = rollout.log, rollout.session
        if log is None or session is None or log.parts is None:
            return
        terms: dict[str, JsonValue] = {name: log.parts.term(name) for name in TERMS}
        episode = rollout_episode(
            log,
            prompt,
            completion,
            mode=config.grpo.mode,
            policy=policy,
            tools=session.toolbox.tools,
            servers=session.toolbox.servers,
            metadata={
                "grpo": config.name,
                "step": step,
                "reward": log.parts.total,
                "reward_terms": terms,
            },
        )
        store.put_episode(episode)

    return record


def _load(config: TrainConfig, init: Path | None) -> tuple[LoadedModel, Any, Any]:
    """The model (with a trainable adapter from `init`, or a new `[lora]` peft config) and its
    tokenizer, which reads tool calls with trl's parser for ToolMaster's template."""
    adapter = init is not None and (init / "adapter_config.json").is_file()
    model_config = config.model
    if init is not None:  # an adapter loads on the base it was trained on; a full model is one
        base = _adapter_base(init) if adapter else str(init)
        model_config = model_config.model_copy(
            update={"name_or_path": base or model_config.name_or_path}
        )
    loaded = load_model(model_config, training=False)
    attach_response_parser(loaded.tokenizer)
    model, peft_config = _with_adapter(loaded.model, config, init if adapter else None)
    return loaded, model, peft_config


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
        offered = offered_tools(tools, trial=config.grpo.mode == "trial")
        schemas[entry.world.name] = chat_input([], offered).tools
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


def _adapter_base(adapter: Path) -> str | None:
    """The base model an adapter was trained on, from its `adapter_config.json`."""
    try:
        recorded: Any = json.loads((adapter / "adapter_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UserError(f"--init {adapter}: cannot read adapter_config.json: {exc}") from exc
    if not isinstance(recorded, dict):
        return None
    fields = cast(dict[str, object], recorded)
    base = fields.get("base_model_name_or_path")
    return base if isinstance(base, str) and base else None


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
    result: GRPOResult,
    *,
    init: Path | None,
    worlds: Sequence[WorldTasks],
) -> None:
    """The adapter (or model), the tokenizer with the inference template, and `provenance.json`
    in `OUTPUT_DIR/final`: what evaluation loads, as for an SFT output."""
    final = result.final_dir
    trainer.save_model(str(final))
    if not trainer.is_world_process_zero():
        return
    tokenizer: Any = loaded.tokenizer
    tokenizer.chat_template = loaded.inference_template
    tokenizer.save_pretrained(str(final))
    adapter = (final / "adapter_config.json").is_file()
    load = (
        f"TransformersPolicy.from_pretrained({loaded.source!r}, adapter={str(final)!r})"
        if adapter
        else f"TransformersPolicy.from_pretrained({str(final)!r})"
    )
    write_provenance(
        final,
        {
            "stage": "grpo",
            "base": loaded.source,
            "adapter": adapter,
            "load": load,
            "init": None if init is None else str(init),
            "config": config.model_dump(mode="json"),
            "data": {"worlds": {w.world.name: len(w.tasks) for w in worlds}},
            "metrics": {
                "steps": result.global_step,
                "rollouts": result.rollouts,
                "tool_calls": result.tool_calls,
            },
        },
    )
    logger.info("saved %s to %s", "adapter" if adapter else "model", final)
