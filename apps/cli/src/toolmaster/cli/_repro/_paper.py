"""`toolmaster repro paper` (`just repro-paper`): the same stages at full scale on one
multi-GPU node (unmeasured here).

Qwen2.5-7B-Instruct + LoRA (configs/train/gpu-multi.toml), a teacher behind an
OpenAI-compatible endpoint, FSDP through accelerate (configs/accelerate/fsdp.yaml), vLLM for
generation. With G GPUs:

1. `synth`: the teacher over every in-domain train task, trial and direct, 4 samples each;
2. `sft-direct`, `sft-trial`: FSDP over all G GPUs;
3. `grpo`: a `trl vllm-serve` server on GPU G-1 (trl's server mode), FSDP training on the others;
4. `template`: ToolMaster's chat template to a file, which every served model renders with
   (what the adapters were trained on);
5. `eval-ARM`: a `vllm serve` of the base model with the arm's adapter (LoRA), data-parallel
   over the G GPUs, tool calls parsed by vLLM (`hermes`: `<tool_call>` blocks); every test task
   of both suites in every setting, `toolmaster eval run --policy openai`;
6. `report`: as in the mini run, into docs/results/paper/.

docs/results/paper.md gives the expected time and cost; none of it has run here (no GPU).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolmaster.cli._repro._arms import ARMS, Arm, EvalBudgets, arm_runs, eval_stage
from toolmaster.cli._repro._configs import derive_config
from toolmaster.cli._repro._pipeline import Call, Command, Context, PipelineError, Stage, Step
from toolmaster.cli._repro._services import Service

__all__ = ["PAPER_BUDGETS", "PaperOptions", "paper_stages"]

BASE_MODEL = "Qwen/Qwen2.5-7B-Instruct"
RECIPE = Path("configs/train/gpu-multi.toml")
FSDP = "configs/accelerate/fsdp.yaml"
TOOLMASTER: tuple[str, ...] = ("toolmaster",)
GRPO_PORT, EVAL_PORT = 8000, 8001
PAPER_BUDGETS = EvalBudgets(max_turns=16, max_trial_calls=8, max_new_tokens=1024, concurrency=64)
"""Every test task (no sampling), every setting, both suites."""
SYNTH_SAMPLES = 4


@dataclass(frozen=True)
class PaperOptions:
    """The node and the teacher."""

    teacher_url: str | None
    teacher_model: str | None
    teacher_key_env: str | None
    gpus: int
    out: Path
    results: Path


def _accelerate(processes: int) -> tuple[str, ...]:
    return ("accelerate", "launch", "--config_file", FSDP, "--num_processes", str(processes),
            "-m", "toolmaster.cli")  # fmt: skip


def _devices(first: int, count: int) -> dict[str, str]:
    return {"CUDA_VISIBLE_DEVICES": ",".join(str(i) for i in range(first, first + count))}


def _synth(options: PaperOptions, require_teacher: bool) -> Stage:
    if require_teacher and not (options.teacher_url and options.teacher_model):
        raise PipelineError("repro-paper needs --teacher-url URL and --teacher-model NAME")
    teacher = options.out / "teacher.db"
    tool = ("synth", "--policy", "openai", "--base-url", options.teacher_url or "URL",
            "--model", options.teacher_model or "MODEL", "--mode", "trial", "--mode", "direct",
            "--samples", str(SYNTH_SAMPLES), "--temperature", "0.7", "--max-tokens", "2048",
            "--concurrency", "64", "--run", "teacher", "--no-events",
            "--store", str(teacher))  # fmt: skip
    if options.teacher_key_env:
        tool = (*tool, "--api-key-env", options.teacher_key_env)
    return Stage("synth", [Command((*TOOLMASTER, *tool), tool)], output=teacher, owned=(teacher,))


def _train(options: PaperOptions) -> list[Stage]:
    out, gpus = options.out, options.gpus
    teacher = out / "teacher.db"
    stages: list[Stage] = []
    direct_data = {"modes": ["direct"], "require_trial": False}
    for arm, data in (("sft-direct", direct_data), ("sft-trial", {})):
        overrides: dict[str, Any] = {"name": f"paper-{arm}", "output_dir": str(out / arm)}
        if data:
            overrides["data"] = data
        config = out / "configs" / f"paper-{arm}.toml"
        values = derive_config(RECIPE, overrides, config)
        tool = (
            "train",
            "sft",
            str(config),
            "--store",
            str(teacher),
            "--output-dir",
            str(out / arm),
        )
        stages.append(
            Stage(arm, [Command((*_accelerate(gpus), *tool), tool, resume_flag="--resume")],
                  after=("synth",), output=out / arm / "final" / "provenance.json",
                  inputs=values, resume_dir=out / arm, digest_output=True)
        )  # fmt: skip
    config = out / "configs" / "paper-sft-trial.toml"
    tool = ("train", "grpo", str(config), "--init", str(out / "sft-trial" / "final"),
            "--output-dir", str(out / "grpo"))  # fmt: skip
    server = Service(
        "trl-vllm-serve",
        ("trl", "vllm-serve", "--model", BASE_MODEL, "--port", str(GRPO_PORT)),
        f"http://127.0.0.1:{GRPO_PORT}/health",
        env=_devices(gpus - 1, 1),
    )
    stages.append(
        Stage("grpo", [Command((*_accelerate(gpus - 1), *tool), tool, _devices(0, gpus - 1),
                               resume_flag="--resume")],
              after=("sft-trial",), output=out / "grpo" / "final" / "provenance.json",
              resume_dir=out / "grpo", digest_output=True, services=(server,))
    )  # fmt: skip
    return stages


def _write_template(path: Path) -> None:
    from toolmaster.agent import CHATML_TOOLS_TEMPLATE  # noqa: PLC0415

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(CHATML_TOOLS_TEMPLATE, encoding="utf-8")


def _server(options: PaperOptions, arm: Arm, template: Path) -> Service:
    argv = ["vllm", "serve", BASE_MODEL, "--port", str(EVAL_PORT), "--served-model-name", "base",
            "--data-parallel-size", str(options.gpus), "--chat-template", str(template),
            "--enable-auto-tool-choice", "--tool-call-parser", "hermes",
            "--max-model-len", "32768"]  # fmt: skip
    if arm.trained_by:
        adapter = options.out / arm.trained_by / "final"
        argv += [
            "--enable-lora",
            "--max-lora-rank",
            "64",
            "--lora-modules",
            f"{arm.name}={adapter}",
        ]
    return Service(f"vllm-{arm.name}", tuple(argv), f"http://127.0.0.1:{EVAL_PORT}/health")


def paper_stages(options: PaperOptions, *, require_teacher: bool = True) -> list[Stage]:
    """Every stage of the full-scale recipe, in order."""
    if options.gpus < 2:
        raise PipelineError("repro-paper needs 2 GPUs or more (GRPO's vLLM server takes one)")
    template = options.out / "chat_template.jinja"
    stages = [_synth(options, require_teacher), *_train(options)]
    stages.append(
        Stage("template", [Call("ToolMaster's chat template", lambda: _write_template(template))],
              output=template)
    )  # fmt: skip
    store = options.out / "eval.db"

    def policy(arm: Arm, context: Context) -> list[str]:
        del context
        model = arm.name if arm.trained_by else "base"
        return ["--policy", "openai", "--base-url", f"http://127.0.0.1:{EVAL_PORT}/v1",
                "--model", model, "--tool-mode", "native"]  # fmt: skip

    stages += [
        eval_stage(arm, store=store, budgets=PAPER_BUDGETS, policy_flags=policy,
                   launcher=TOOLMASTER, base_digest=BASE_MODEL,
                   services=(_server(options, arm, template),), after=("template",))
        for arm in ARMS
    ]  # fmt: skip

    def report(context: Context) -> list[Step]:
        runs = arm_runs(context, PAPER_BUDGETS, BASE_MODEL)
        tool = ("eval", "report", *runs.values(), "--out", str(options.results),
                "--store", str(store))  # fmt: skip
        return [Command((*TOOLMASTER, *tool), tool)]

    stages.append(
        Stage("report", report, after=tuple(f"eval-{a.name}" for a in ARMS),
              output=options.results / "report.md")
    )  # fmt: skip
    return stages
