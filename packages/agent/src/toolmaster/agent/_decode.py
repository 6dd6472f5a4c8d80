"""A lean forward pass for Llama-family causal LMs over a flat batch of sequences, each with its
own key-value cache, and the token choice (greedy or sampled) after it.

Why not the model's own forward: on a CPU, a 135M-parameter model's decode step is bound by
per-operation overhead, not arithmetic (transformers' forward costs tens of milliseconds per
token in Python and dispatch), and a batch of sequences of different lengths needs padding and
masks there. Here the weights are packed once (q, k and v projections in one matrix, gate and up
in one), in the chosen dtype; the new tokens of all sequences (one each while decoding, a chunk
of the prompt while prefilling) go through the linear layers as one matrix; attention runs per
sequence against its own cache. The numerics follow transformers' Llama (RMSNorm in fp32, rotary
embeddings in the model's dtype, scaled dot-product attention).
"""

from __future__ import annotations

import functools
import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from toolmaster.agent._kvcache import KVCache

if TYPE_CHECKING:
    import torch

__all__ = ["LeanCausalLM", "Segment", "auto_dtype", "lean_unsupported", "pick_tokens"]

logger = logging.getLogger(__name__)

_FAMILIES = ("llama", "qwen2")


def lean_unsupported(model: Any) -> str | None:
    """Why `LeanCausalLM` cannot run `model`, or None when it can."""
    config = model.config
    rotary = getattr(getattr(model, "model", None), "rotary_emb", None)
    reasons = {
        f"model type {getattr(config, 'model_type', None)!r} is not one of {_FAMILIES}": (
            getattr(config, "model_type", None) not in _FAMILIES
        ),
        "an activation other than silu": getattr(config, "hidden_act", "silu") != "silu",
        "MLP biases": bool(getattr(config, "mlp_bias", False)),
        "sliding-window attention": bool(getattr(config, "use_sliding_window", False)),
        "no rotary embedding module with inv_freq": not hasattr(rotary, "inv_freq"),
        "an unmerged adapter": type(model).__name__.startswith("Peft"),
    }
    return next((reason for reason, applies in reasons.items() if applies), None)


def auto_dtype(device: torch.device) -> torch.dtype:
    """bf16 where the hardware computes it natively (CUDA with bf16, x86 CPUs with AVX512_BF16 or
    AMX), else fp32."""
    import torch  # noqa: PLC0415

    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float32
    if device.type == "cpu" and _cpu_has_native_bf16():
        return torch.bfloat16
    return torch.float32


@functools.cache
def _cpu_has_native_bf16() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    flags = next((line for line in text.splitlines() if line.startswith("flags")), "").split()
    return "avx512_bf16" in flags or "amx_bf16" in flags


@dataclass
class Segment:
    """One sequence's part of a step: its cache and how many of the step's tokens are its own."""

    cache: KVCache
    tokens: int


@dataclass(frozen=True)
class _Layer:
    norm_in: torch.Tensor
    qkv: torch.Tensor
    qkv_bias: torch.Tensor | None
    out: torch.Tensor
    norm_post: torch.Tensor
    gate_up: torch.Tensor
    down: torch.Tensor


class LeanCausalLM:
    """The packed weights of a Llama-family model and its forward pass (inference only)."""

    def __init__(self, model: Any, dtype: torch.dtype) -> None:
        import torch  # noqa: PLC0415

        reason = lean_unsupported(model)
        if reason is not None:
            raise ValueError(f"the lean forward cannot run this model: {reason}")
        config = model.config
        inner = model.model
        self.dtype = dtype
        self.device: torch.device = inner.embed_tokens.weight.device
        self.heads = int(config.num_attention_heads)
        self.kv_heads = int(getattr(config, "num_key_value_heads", None) or self.heads)
        self.head_dim = int(
            getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
        )
        self.eps = float(config.rms_norm_eps)
        self.intermediate = int(config.intermediate_size)

        def cast(tensor: torch.Tensor) -> torch.Tensor:
            return tensor.detach().to(dtype).contiguous()

        with torch.no_grad():
            self.embed = cast(inner.embed_tokens.weight)
            self.norm = cast(inner.norm.weight)
            self.lm_head = cast(model.lm_head.weight)
            self.layers = [self._pack(layer, cast) for layer in inner.layers]
            rotary = inner.rotary_emb
            self._inv_freq = rotary.inv_freq.detach().float().to(self.device)
            self._rope_scale = float(getattr(rotary, "attention_scaling", 1.0))
        self._cos = torch.empty(0, self.head_dim, dtype=dtype, device=self.device)
        self._sin = self._cos

    @property
    def layer_count(self) -> int:
        return len(self.layers)

    @property
    def weight_bytes(self) -> int:
        """Bytes of the weights one decode step reads (all but the embedding table, which
        lm_head reads again when tied)."""
        tensors = [self.norm, self.lm_head]
        for layer in self.layers:
            tensors += [layer.norm_in, layer.qkv, layer.out, layer.norm_post, layer.gate_up]
            tensors += [layer.down]
        return sum(t.numel() * t.element_size() for t in tensors)

    def new_cache(self, capacity: int) -> KVCache:
        return KVCache(
            self.layer_count,
            self.kv_heads,
            self.head_dim,
            dtype=self.dtype,
            device=self.device,
            capacity=capacity,
        )

    @staticmethod
    def _pack(layer: Any, cast: Any) -> _Layer:
        import torch  # noqa: PLC0415

        attn, mlp = layer.self_attn, layer.mlp
        projections = (attn.q_proj, attn.k_proj, attn.v_proj)
        biases = [p.bias for p in projections]
        bias = None
        if any(b is not None for b in biases):
            bias = cast(
                torch.cat(
                    [
                        b if b is not None else p.weight.new_zeros(p.out_features)
                        for b, p in zip(biases, projections, strict=True)
                    ]
                )
            )
        return _Layer(
            norm_in=cast(layer.input_layernorm.weight),
            qkv=cast(torch.cat([p.weight for p in projections])),
            qkv_bias=bias,
            out=cast(attn.o_proj.weight),
            norm_post=cast(layer.post_attention_layernorm.weight),
            gate_up=cast(torch.cat([mlp.gate_proj.weight, mlp.up_proj.weight])),
            down=cast(mlp.down_proj.weight),
        )

    def _rope(self, positions: torch.Tensor, end: int) -> tuple[torch.Tensor, torch.Tensor]:
        """cos and sin at `positions` (`end`: one past the largest), as transformers makes them."""
        import torch  # noqa: PLC0415

        if end > self._cos.shape[0]:
            size = max(end, 2 * self._cos.shape[0], 1024)
            steps = torch.arange(size, device=self.device, dtype=torch.float32)
            freqs = steps[:, None] * self._inv_freq[None, :]
            emb = torch.cat((freqs, freqs), dim=-1)
            self._cos = (emb.cos() * self._rope_scale).to(self.dtype)
            self._sin = (emb.sin() * self._rope_scale).to(self.dtype)
        return self._cos[positions], self._sin[positions]

    def _rms(self, x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        import torch  # noqa: PLC0415

        h = x.float()
        h = h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + self.eps)
        return weight * h.to(x.dtype)

    def forward(self, tokens: list[int], segments: list[Segment]) -> torch.Tensor:
        """Feed `tokens` (each segment's new tokens, in order) and return the logits at each
        segment's last token, `[len(segments), vocab]`. The caches grow by their segment's
        tokens (room must be reserved)."""
        import torch  # noqa: PLC0415
        import torch.nn.functional as F  # noqa: N812, PLC0415

        device = self.device
        starts = [seg.cache.length for seg in segments]
        positions = torch.cat(
            [
                torch.arange(start, start + seg.tokens, device=device)
                for start, seg in zip(starts, segments, strict=True)
            ]
        )
        cos, sin = self._rope(
            positions, max(s + seg.tokens for s, seg in zip(starts, segments, strict=True))
        )
        cos, sin = cos[:, None, :], sin[:, None, :]
        masks = [
            _causal_mask(start, seg.tokens, self.heads // self.kv_heads, device)
            for start, seg in zip(starts, segments, strict=True)
        ]
        x = self.embed[torch.tensor(tokens, device=device)]
        n, q_size, kv_size = len(tokens), self.heads * self.head_dim, self.kv_heads * self.head_dim
        for index, layer in enumerate(self.layers):
            h = self._rms(x, layer.norm_in)
            qkv = F.linear(h, layer.qkv, layer.qkv_bias)
            q = qkv[:, :q_size].view(n, self.heads, self.head_dim)
            k = qkv[:, q_size : q_size + kv_size].view(n, self.kv_heads, self.head_dim)
            v = qkv[:, q_size + kv_size :].view(n, self.kv_heads, self.head_dim)
            q = q * cos + _rotate_half(q) * sin
            k = k * cos + _rotate_half(k) * sin
            attn = self._attend(index, q, k, v, starts, segments, masks)
            x = x + F.linear(attn, layer.out)
            h = self._rms(x, layer.norm_post)
            gate_up = F.linear(h, layer.gate_up)
            x = x + F.linear(
                F.silu(gate_up[:, : self.intermediate]) * gate_up[:, self.intermediate :],
                layer.down,
            )
        ends = torch.tensor(
            [sum(seg.tokens for seg in segments[: i + 1]) - 1 for i in range(len(segments))],
            device=device,
        )
        last = self._rms(x[ends], self.norm)
        for start, seg in zip(starts, segments, strict=True):
            seg.cache.length = start + seg.tokens
        return F.linear(last, self.lm_head)

    def _attend(  # noqa: PLR0917 (the step's parts, one private call site)
        self,
        layer: int,
        q: torch.Tensor,
        k: torch.Tensor,
        v: torch.Tensor,
        starts: list[int],
        segments: list[Segment],
        masks: list[torch.Tensor | None],
    ) -> torch.Tensor:
        """Attention of each segment's queries to its cache (this step's keys written into it
        first); `[tokens, heads * head_dim]`."""
        import torch  # noqa: PLC0415
        import torch.nn.functional as F  # noqa: N812, PLC0415

        group = self.heads // self.kv_heads
        outputs: list[torch.Tensor] = []
        offset = 0
        for start, seg, mask in zip(starts, segments, masks, strict=True):
            t, end = seg.tokens, start + seg.tokens
            cache = seg.cache
            cache.k[layer, :, start:end] = k[offset : offset + t].transpose(0, 1)
            cache.v[layer, :, start:end] = v[offset : offset + t].transpose(0, 1)
            # [t, heads, d] -> [kv_heads, group * t, d]: query head h reads kv head h // group
            query = (
                q[offset : offset + t]
                .view(t, self.kv_heads, group, self.head_dim)
                .permute(1, 2, 0, 3)
                .reshape(1, self.kv_heads, group * t, self.head_dim)
            )
            out = F.scaled_dot_product_attention(
                query,
                cache.k[None, layer, :, :end],
                cache.v[None, layer, :, :end],
                attn_mask=mask,
            )
            outputs.append(
                out.view(self.kv_heads, group, t, self.head_dim)
                .permute(2, 0, 1, 3)
                .reshape(t, self.heads * self.head_dim)
            )
            offset += t
        return outputs[0] if len(outputs) == 1 else torch.cat(outputs)


def _causal_mask(start: int, tokens: int, group: int, device: torch.device) -> torch.Tensor | None:
    """Which cached positions each of a segment's queries sees (rows repeated per query head of
    a group); None for one query, which sees them all."""
    if tokens == 1:
        return None
    import torch  # noqa: PLC0415

    keys = torch.arange(start + tokens, device=device)
    queries = torch.arange(start, start + tokens, device=device)
    return (keys[None, :] <= queries[:, None]).repeat(group, 1)


def _rotate_half(x: torch.Tensor) -> torch.Tensor:
    import torch  # noqa: PLC0415

    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def pick_tokens(
    logits: torch.Tensor, temperatures: list[float], top_ps: list[float], generators: list[Any]
) -> list[int]:
    """The next token of each row: the argmax at temperature 0, else a draw (with the row's
    generator) from the softmax at that temperature, within the top-p nucleus."""
    import torch  # noqa: PLC0415

    if all(t <= 0 for t in temperatures):
        best: Any = logits.argmax(-1)
        return cast(list[int], best.tolist())
    chosen: list[int] = []
    for row, temperature, top_p, generator in zip(
        logits.float(), temperatures, top_ps, generators, strict=True
    ):
        if temperature <= 0:
            chosen.append(int(row.argmax()))
            continue
        scores = row / temperature
        if top_p < 1.0:
            ordered, order = torch.sort(scores)
            cumulative = ordered.softmax(-1).cumsum(-1)
            drop = cumulative <= 1 - top_p
            drop[-1] = False
            scores = scores.scatter(0, order, ordered.masked_fill(drop, float("-inf")))
        chosen.append(int(torch.multinomial(scores.softmax(-1), 1, generator=generator)))
    return chosen
