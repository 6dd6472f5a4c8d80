"""What makes the SFT path fast without changing what it computes.

Precision (`bf16_supported`): `[sft.trl] bf16 = "auto"`, the default, trains with bf16 autocast
(fp32 weights, bf16 matmuls) where the hardware has bf16 units: a CUDA GPU that supports bf16, or
a CPU with AVX512_BF16 or AMX-BF16 instructions (torch's CPU capability flags); fp32 elsewhere,
where autocast to bf16 would emulate it several times slower than fp32.

The LM head on the loss positions only (`restrict_lm_head`): trl's `SFTTrainer` computes the
per-token log-probabilities with a fused, chunked LM head (`trl.kernels.ChunkedLogProbFunction`).
On CUDA and XPU with Triton it projects only the positions whose label is not -100; on other
devices (the CPU) it projects every position, because compiled backends would recompile for each
new number of positions. Eager CPU training recompiles nothing, so on the CPU the same function is
called on the loss positions only: the same per-token values, loss and gradients, with the head's
cost scaled down to the share of tokens that carry loss (the assistant turns, a fifth to a third of
a ToolMaster row). Models whose logits trl scales or soft-caps, MoE router losses and pre-shifted
labels keep trl's own head.
"""

from __future__ import annotations

import functools
import importlib
import logging
import types
from typing import Any, cast

__all__ = ["bf16_supported", "restrict_lm_head"]

logger = logging.getLogger(__name__)

_CPU_BF16 = ("avx512_bf16", "amx_bf16")
"""torch CPU capability flags of native bf16 matmul instructions (x86)."""
_SCALED_LOGITS = (
    "final_logit_softcapping",
    "logit_scale",
    "output_multiplier",
    "lm_head_multiplier",
    "logits_scaling",
)
"""Config fields with which trl's head transforms the logits; such models keep trl's head."""
_OUTPUTS = ("log_probs", "entropy", "is_top1")
"""What trl's SFTTrainer asks its fused head for (the loss, the entropy and accuracy metrics)."""
_VOCAB_CHUNK = 32768
"""Vocabulary columns per projection tile (trl's own chunk size)."""


def bf16_supported(device_type: str) -> bool:
    """Whether bf16 autocast runs on native bf16 units of `device_type` (`cuda` or `cpu`)."""
    torch: Any = importlib.import_module("torch")
    if device_type == "cuda":
        return bool(torch.cuda.is_available() and torch.cuda.is_bf16_supported())
    if device_type == "cpu":
        capabilities = getattr(torch.cpu, "get_capabilities", None)
        flags: dict[str, Any] = dict(capabilities()) if capabilities is not None else {}
        return any(flags.get(name, False) for name in _CPU_BF16)
    return False


def restrict_lm_head(model: Any) -> bool:
    """Make the fused LM head trl added to `model` (the causal LM under any peft wrapper) project
    the loss positions only (module docstring). False, and nothing changed, for models whose
    logits trl transforms."""
    config = model.config
    text_config = config.get_text_config()
    if text_config is not config or any(
        getattr(text_config, name, None) is not None for name in _SCALED_LOGITS
    ):
        logger.info("%s keeps trl's LM head over every position", type(model).__name__)
        return False
    trl_forward = model.forward
    own_forward: Any = model.__class__.forward  # its signature: `generate` checks kwargs on it

    @functools.wraps(own_forward)
    def forward(
        self: Any,
        *args: Any,
        fused_lm_head: bool = False,
        labels: Any = None,
        shift_labels: Any = None,
        num_items_in_batch: Any = None,
        **kwargs: Any,
    ) -> Any:
        routed = kwargs.get("output_router_logits") or getattr(
            text_config, "output_router_logits", False
        )
        if not fused_lm_head or labels is None or shift_labels is not None or routed:
            return trl_forward(
                *args,
                fused_lm_head=fused_lm_head,
                labels=labels,
                shift_labels=shift_labels,
                num_items_in_batch=num_items_in_batch,
                **kwargs,
            )
        kwargs["use_cache"] = False
        hidden = self.base_model(*args, **kwargs).last_hidden_state[:, :-1]
        return _loss_positions_head(
            self.get_output_embeddings(), hidden, labels[:, 1:], num_items_in_batch
        )

    model.forward = types.MethodType(cast(Any, forward), model)
    return True


def _loss_positions_head(lm_head: Any, hidden: Any, labels: Any, num_items_in_batch: Any) -> Any:
    """trl's `FusedCausalLMOutput` of the next-token labels `labels`, the head applied to the
    positions whose label is not -100 (trl's compact path, on any device)."""
    chunked: Any = importlib.import_module("trl.kernels").ChunkedLogProbFunction
    output_class: Any = importlib.import_module("trl.trainer.utils").FusedCausalLMOutput
    weight = lm_head.weight
    hidden = hidden.to(weight.device)
    labels = labels.to(weight.device)
    mask = labels != -100
    per_token = chunked.apply(
        hidden[mask], weight, lm_head.bias, labels[mask], 1.0, _VOCAB_CHUNK, None, 1.0, _OUTPUTS
    )
    # `masked_scatter` keeps the output connected to the model when no label is valid, so an
    # all-masked batch contributes a differentiable zero
    log_probs, entropy, _, _, is_top1 = (
        None if x is None else x.new_zeros(mask.shape).masked_scatter(mask, x) for x in per_token
    )
    assert log_probs is not None  # always computed
    count = mask.sum().clamp(min=1) if num_items_in_batch is None else num_items_in_batch
    return output_class(
        loss=-log_probs.sum() / count,
        log_probs=log_probs,
        entropy=entropy,
        is_top1=is_top1,
        label_mask=mask,
    )
