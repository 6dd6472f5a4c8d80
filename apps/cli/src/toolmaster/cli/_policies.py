"""Choosing a policy from command-line flags, shared by `run`, `demo`, `synth` and `eval`."""

from __future__ import annotations

import inspect
import os
from dataclasses import dataclass
from typing import Annotated, Any

import typer
from toolmaster.agent import (
    EmbeddedPolicy,
    OpenAIConfig,
    OpenAIPolicy,
    PolicyFactory,
    adapter_choice,
    reference_policy,
)
from toolmaster.cli._common import option
from toolmaster.cli._settings import settings_of
from toolmaster.core import Environment, Mode, UserError

PolicyOption = Annotated[
    str,
    typer.Option(
        "--policy",
        "-p",
        help="embedded (SmolLM2-135M, offline), reference (the bundled environment's scripted "
        "teacher), or openai (any OpenAI-compatible server: --base-url, --model).",
    ),
]
BaseUrlOption = Annotated[
    str | None,
    typer.Option(help="API root of an OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1."),
]
ModelOption = Annotated[
    str | None, typer.Option(help="Model name on the OpenAI-compatible server.")
]
ApiKeyEnvOption = Annotated[
    str | None,
    typer.Option(help="Name of the environment variable that holds the API key (never the key)."),
]
ToolModeOption = Annotated[
    str,
    typer.Option(help="native (the server parses tool calls) or text (ToolMaster parses them)."),
]
ImagesOption = Annotated[
    bool,
    typer.Option(
        "--images",
        help="The served model takes images: send the images tools return as image parts "
        "(else it reads their placeholders).",
    ),
]
AdapterOption = Annotated[
    str | None,
    typer.Option(
        help="A LoRA adapter folder for the embedded model, or none for the bare base model "
        "(default: the adapter ToolMaster ships)."
    ),
]
BatchOption = Annotated[int, typer.Option(help="Generation batch size of the embedded model.")]


def openai_options() -> list[inspect.Parameter]:
    """--base-url, --model, --api-key-env, --tool-mode and --images, for `with_options`: the
    flags of `PolicyFlags` that an OpenAI-compatible server's policy reads."""
    return [
        option("base_url", BaseUrlOption),
        option("model", ModelOption),
        option("api_key_env", ApiKeyEnvOption),
        option("tool_mode", ToolModeOption, "native"),
        option("images", ImagesOption, False),
    ]


def backend_options(*, batch: int) -> list[inspect.Parameter]:
    """`openai_options`, then --adapter and --batch (default `batch`), for `with_options`: the
    flags of `PolicyFlags` besides --policy."""
    return [
        *openai_options(),
        option("adapter", AdapterOption),
        option("batch", BatchOption, batch),
    ]


@dataclass(frozen=True)
class PolicyFlags:
    """The policy flags of one command line."""

    policy: str = "embedded"
    base_url: str | None = None
    model: str | None = None
    api_key_env: str | None = None
    tool_mode: str = "native"
    images: bool = False
    """The OpenAI-compatible server's model takes images (`OpenAIConfig.images`)."""
    adapter: str | None = None
    """An adapter folder, `none`, or None: the shipped adapter (`adapter_choice`)."""
    batch: int = 4


def policy_flags(ctx: typer.Context, policy: str, **flags: Any) -> PolicyFlags:
    """The policy flags of a command line, with --base-url, --model and --api-key-env taken from
    the settings' policy defaults where they were not given."""
    defaults = settings_of(ctx).policy
    for name in ("base_url", "model", "api_key_env"):
        if flags.get(name) is None:
            flags[name] = getattr(defaults, name)
    return PolicyFlags(policy, **flags)


def sampling_of(
    ctx: typer.Context, temperature: float | None, max_tokens: int | None
) -> tuple[float | None, int | None]:
    """--temperature and the tokens per turn as given, else the settings' policy defaults
    (None where neither says: the command's own default applies)."""
    defaults = settings_of(ctx).policy
    return (
        defaults.temperature if temperature is None else temperature,
        defaults.max_tokens if max_tokens is None else max_tokens,
    )


def check_flags(flags: PolicyFlags, *, bundled: bool) -> None:
    """The usage mistakes in the flags (an unknown policy, an incomplete openai server, the
    reference teacher without a `bundled` environment), as the `UserError`s `policy_factory`
    would raise, before anything connects or loads."""
    if flags.policy == "reference" and not bundled:
        raise UserError("--policy reference needs a bundled environment (--env)")
    if flags.policy == "openai":
        _openai_config(flags)
    elif flags.policy not in ("reference", "embedded"):
        raise UserError(f"unknown policy {flags.policy!r} (embedded, reference or openai)")


def policy_factory(flags: PolicyFlags, *, env: Environment | None, mode: Mode) -> PolicyFactory:
    """The policy the flags ask for, as a factory of per-task policies."""
    if flags.policy == "reference":
        if env is None:
            raise UserError("--policy reference needs a bundled environment (--env)")
        return reference_policy(env, mode)
    if flags.policy == "openai":
        return _shared(OpenAIPolicy(_openai_config(flags)))
    if flags.policy == "embedded":
        return _shared(
            EmbeddedPolicy(adapter=adapter_choice(flags.adapter), max_batch_size=flags.batch)
        )
    raise UserError(f"unknown policy {flags.policy!r} (embedded, reference or openai)")


def _openai_config(flags: PolicyFlags) -> OpenAIConfig:
    if not flags.base_url or not flags.model:
        raise UserError("--policy openai needs --base-url and --model")
    if flags.tool_mode not in ("native", "text"):
        raise UserError(f"--tool-mode must be native or text, not {flags.tool_mode!r}")
    api_key = None
    if flags.api_key_env:
        api_key = os.environ.get(flags.api_key_env)
        if not api_key:
            raise UserError(f"--api-key-env {flags.api_key_env}: that variable is not set")
    return OpenAIConfig(
        base_url=flags.base_url,
        model=flags.model,
        api_key=api_key,
        tool_mode="native" if flags.tool_mode == "native" else "text",
        images=flags.images,
    )


def _shared(policy: EmbeddedPolicy | OpenAIPolicy) -> PolicyFactory:
    return lambda _task: policy
