"""A policy that runs a transformers causal LM in process, on CPU or GPU."""

from __future__ import annotations

import importlib
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Generator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, cast

from toolmaster.agent._batch import Batcher, ContinuousBatcher
from toolmaster.agent._chat import render_prompt
from toolmaster.agent._decode import LeanCausalLM, auto_dtype, lean_unsupported
from toolmaster.agent._engine import DecodeEngine, EngineJob
from toolmaster.agent._kvcache import CacheStats, PrefixStore
from toolmaster.agent._policy import AssistantTurn, FinishReason, PolicyError
from toolmaster.core import Message, PolicyInfo, Sampling, ToolSpec, Usage, UserError

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

__all__ = ["Generation", "InProcessPolicy", "TransformersPolicy"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Generation:
    """One generated completion, before tool-call parsing."""

    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: FinishReason

    def turn(self, tools: Sequence[ToolSpec], started: float) -> AssistantTurn:
        """The assistant turn: calls parsed from the text; latency since `started`
        (a `time.perf_counter()` value)."""
        return AssistantTurn.from_text(
            self.text,
            tools,
            usage=Usage(prompt_tokens=self.prompt_tokens, completion_tokens=self.completion_tokens),
            finish_reason=self.finish_reason,
            latency_s=time.perf_counter() - started,
        )


@dataclass(frozen=True)
class _Request:
    prompt: str
    sampling: Sampling


R = TypeVar("R")


class InProcessPolicy(ABC, Generic[R]):
    """What the in-process backends (transformers, vLLM) share: the prompt is the chat
    template's rendering of the conversation and its tools, and concurrent turns are generated
    in batches. A backend sets the tokenizer, the template and the batcher, and says how a
    prompt becomes one of its requests."""

    tokenizer: Any
    chat_template: str | None
    _batcher: Batcher[R, Generation]

    def prompt(self, messages: Sequence[Message], tools: Sequence[ToolSpec]) -> str:
        """The prompt text this policy generates from."""
        return render_prompt(self.tokenizer, messages, tools, chat_template=self.chat_template)

    async def complete(
        self, messages: Sequence[Message], tools: Sequence[ToolSpec], sampling: Sampling
    ) -> AssistantTurn:
        """Generate the next assistant turn, batched with concurrent calls."""
        started = time.perf_counter()
        request = self._request(self.prompt(messages, tools), sampling)
        generation = await self._batcher.submit(request)
        return generation.turn(tools, started)

    @abstractmethod
    def _request(self, prompt: str, sampling: Sampling) -> R:
        """The backend's request for one prompt."""


class TransformersPolicy(InProcessPolicy[_Request]):
    """A transformers model and tokenizer as a `Policy`.

    The prompt comes from the tokenizer's chat template with the tool schemas when the template
    supports tools, else from the text-mode rendering (tools in the system prompt); `chat_template`
    overrides the tokenizer's. Calls are parsed from `<tool_call>` blocks or bare JSON.
    Temperature 0 is greedy decoding; a `seed` makes sampling reproducible.

    Llama-family models (Llama, SmolLM2, Qwen2) run on the decode engine: the key-value cache of
    each conversation is kept between its turns (up to `kv_cache_bytes` in all, least recently
    used dropped first), so a turn feeds only its new tokens; concurrent calls join a running
    batch of up to `max_batch_size` sequences and leave it when they finish; the weights are
    packed in `compute_dtype` ("auto": bf16 on CPUs with AVX512_BF16 or AMX and on GPUs with
    bf16, else the model's dtype; None: the model's dtype). A LoRA `adapter` is merged into the
    weights. Other models, or `engine=False`, use `model.generate` on left-padded batches of
    concurrent calls with equal sampling. `max_batch_size` 1 (the default) generates one sequence
    at a time: batching changes numerics slightly.
    """

    def __init__(
        self,
        model: PreTrainedModel,
        tokenizer: PreTrainedTokenizerBase,
        *,
        name: str | None = None,
        model_id: str | None = None,
        adapter: str | Path | None = None,
        chat_template: str | None = None,
        max_batch_size: int = 1,
        compute_dtype: torch.dtype | Literal["auto"] | None = "auto",
        kv_cache_bytes: int = 1 << 30,
        engine: bool | None = None,
    ) -> None:
        if engine is None:
            engine = lean_unsupported(model) is None
        if adapter is not None:
            from peft import PeftModel  # noqa: PLC0415 (heavy, only with an adapter)

            peft: Any = PeftModel
            loaded: Any = peft.from_pretrained(model, str(adapter))
            # merged for inference: the engine then runs the plain architecture
            model = cast("PreTrainedModel", loaded.merge_and_unload() if engine else loaded)
        self.model = model.eval()
        self.tokenizer = tokenizer
        # transformers is only partly typed: calls go through these untyped views
        self._model: Any = self.model
        self._tokenizer: Any = tokenizer
        self.chat_template = chat_template
        model_id = model_id or cast(str | None, getattr(model.config, "name_or_path", None)) or None
        self.info = PolicyInfo(
            name=name or (Path(model_id).name if model_id else "transformers"),
            backend="transformers",
            model=model_id,
            adapter=str(adapter) if adapter is not None else None,
        )
        self._eos_ids = _eos_ids(model, tokenizer)
        pad = tokenizer.pad_token_id
        self._pad_id = int(pad) if isinstance(pad, int) else self._eos_ids[0]
        self._batcher: Batcher[_Request, Generation] = Batcher(
            self._generate_requests, max_batch=max_batch_size
        )
        self.engine: DecodeEngine | None = None
        """The decode engine, when this model runs on it."""
        if engine:
            self.engine = self._engine(compute_dtype, kv_cache_bytes, max_batch_size)
            self._driver = ContinuousBatcher(self.engine)

    def _engine(
        self, dtype: torch.dtype | Literal["auto"] | None, kv_cache_bytes: int, max_batch: int
    ) -> DecodeEngine:
        device = self._model.device
        if dtype == "auto":
            dtype = auto_dtype(device)
        chosen: torch.dtype = dtype or self._model.dtype

        def pack() -> LeanCausalLM:
            logger.info("decode engine: %s on %s", chosen, device)
            return LeanCausalLM(self.model, chosen)

        return DecodeEngine(
            pack,
            end_ids=self._eos_ids,
            cut_ids=[self._pad_id],
            decode=self._decode_tail,
            store=PrefixStore(max_bytes=kv_cache_bytes),
            max_batch=max_batch,
        )

    def _decode_tail(self, tokens: list[int]) -> str:
        return cast(str, self._tokenizer.decode(tokens, skip_special_tokens=True))

    @property
    def cache_stats(self) -> CacheStats | None:
        """What the key-value cache store reused and prefilled (None without the engine)."""
        return self.engine.store.stats if self.engine is not None else None

    @classmethod
    def from_pretrained(
        cls,
        path_or_name: str | Path,
        *,
        adapter: str | Path | None = None,
        device: str | None = None,
        dtype: torch.dtype | None = None,
        chat_template: str | None = None,
        name: str | None = None,
        max_batch_size: int = 1,
        local_files_only: bool = True,
        compute_dtype: torch.dtype | Literal["auto"] | None = "auto",
        kv_cache_bytes: int = 1 << 30,
    ) -> TransformersPolicy:
        """Load a model and its tokenizer from a folder (or, with `local_files_only=False`, from
        the Hugging Face Hub)."""
        transformers: Any = importlib.import_module("transformers")
        source = str(path_or_name)
        tokenizer = transformers.AutoTokenizer.from_pretrained(
            source, local_files_only=local_files_only
        )
        model = transformers.AutoModelForCausalLM.from_pretrained(
            source, dtype=dtype, local_files_only=local_files_only
        )
        if device is not None:
            model = model.to(device)
        return cls(
            model,
            tokenizer,
            name=name,
            model_id=source,
            adapter=adapter,
            chat_template=chat_template,
            max_batch_size=max_batch_size,
            compute_dtype=compute_dtype,
            kv_cache_bytes=kv_cache_bytes,
        )

    def _request(self, prompt: str, sampling: Sampling) -> _Request:
        return _Request(prompt, sampling)  # generated in a worker thread

    async def complete(
        self, messages: Sequence[Message], tools: Sequence[ToolSpec], sampling: Sampling
    ) -> AssistantTurn:
        """Generate the next assistant turn: on the decode engine (joining its running batch),
        else batched with concurrent calls."""
        if self.engine is None:
            return await super().complete(messages, tools, sampling)
        started = time.perf_counter()
        ids = self._encode(self.prompt(messages, tools))
        job = self.engine.add(ids, sampling)
        await self._driver.wait(job, _finished)
        return self._result(job, ids, sampling).turn(tools, started)

    def _encode(self, prompt: str) -> list[int]:
        return cast(list[int], self._tokenizer.encode(prompt, add_special_tokens=False))

    def _result(self, job: EngineJob, ids: list[int], sampling: Sampling) -> Generation:
        if job.error is not None:
            raise job.error
        return self._finish(job.generated, len(ids), sampling)

    def generate(self, prompts: Sequence[str], sampling: Sampling) -> list[Generation]:
        """Generate completions of prompt texts as one batch (blocking)."""
        if self.engine is not None:
            encoded = [self._encode(p) for p in prompts]
            jobs = [self.engine.add(ids, sampling) for ids in encoded]
            while not all(job.finished for job in jobs):
                self.engine.run()
            return [self._result(j, ids, sampling) for j, ids in zip(jobs, encoded, strict=True)]
        return self._generate_padded(prompts, sampling)

    def _generate_padded(self, prompts: Sequence[str], sampling: Sampling) -> list[Generation]:
        """`model.generate` on the left-padded batch of prompts."""
        import torch  # noqa: PLC0415

        encoded: list[list[int]] = [
            self._tokenizer.encode(p, add_special_tokens=False) for p in prompts
        ]
        width = max(len(ids) for ids in encoded)
        input_ids = torch.tensor([[self._pad_id] * (width - len(ids)) + ids for ids in encoded])
        attention = torch.tensor([[0] * (width - len(ids)) + [1] * len(ids) for ids in encoded])
        device = self._model.device
        with torch.inference_mode(), _seeded(sampling.seed):
            output = self._model.generate(
                input_ids=input_ids.to(device),
                attention_mask=attention.to(device),
                generation_config=self._generation_config(sampling),
                tokenizer=self.tokenizer if sampling.stop else None,
            )
        new_tokens = cast(list[list[int]], output[:, width:].tolist())
        return [
            self._finish(row, len(ids), sampling)
            for row, ids in zip(new_tokens, encoded, strict=True)
        ]

    def _generation_config(self, sampling: Sampling) -> Any:
        from transformers import GenerationConfig  # noqa: PLC0415

        options: dict[str, Any] = {
            "max_new_tokens": sampling.max_tokens,
            "eos_token_id": self._eos_ids,
            "pad_token_id": self._pad_id,
            "do_sample": sampling.temperature > 0,
        }
        if sampling.temperature > 0:
            options.update(temperature=sampling.temperature, top_p=sampling.top_p, top_k=0)
        if sampling.stop:
            options["stop_strings"] = list(sampling.stop)
        return GenerationConfig(**options)

    def _finish(self, tokens: list[int], prompt_tokens: int, sampling: Sampling) -> Generation:
        ends = {*self._eos_ids, self._pad_id}
        end = next((i for i, token in enumerate(tokens) if token in ends), len(tokens))
        text = cast(str, self._tokenizer.decode(tokens[:end], skip_special_tokens=True))
        cut = min((i for i in (text.find(s) for s in sampling.stop) if i >= 0), default=-1)
        if cut >= 0:
            return Generation(text[:cut], prompt_tokens, end, "stop")
        if end < len(tokens) and tokens[end] in self._eos_ids:
            return Generation(text, prompt_tokens, end + 1, "stop")
        return Generation(text, prompt_tokens, end, "length")

    def _generate_requests(self, requests: list[_Request]) -> list[Generation]:
        """The batcher's worker: one `generate` per group of requests with equal sampling."""
        groups: dict[str, list[int]] = {}
        for index, request in enumerate(requests):
            groups.setdefault(request.sampling.model_dump_json(), []).append(index)
        results: dict[int, Generation] = {}
        for indices in groups.values():
            sampling = requests[indices[0]].sampling
            try:
                generated = self.generate([requests[i].prompt for i in indices], sampling)
            except (RuntimeError, ValueError, IndexError) as exc:
                raise PolicyError(f"transformers generation failed: {exc}") from exc
            results.update(zip(indices, generated, strict=True))
        logger.debug("generated a batch of %d", len(requests))
        return [results[i] for i in range(len(requests))]


def _finished(job: EngineJob) -> bool:
    return job.finished


def _eos_ids(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase) -> list[int]:
    """The end-of-sequence ids: the model's, the tokenizer's, and ChatML's end of turn."""
    found: list[int] = []
    configured: object = getattr(model.generation_config, "eos_token_id", None)
    candidates: list[object] = [
        *(cast(list[object], configured) if isinstance(configured, list) else [configured]),
        tokenizer.eos_token_id,
    ]
    if "<|im_end|>" in tokenizer.get_vocab():
        candidates.append(tokenizer.convert_tokens_to_ids("<|im_end|>"))
    for candidate in candidates:
        if isinstance(candidate, int) and candidate not in found:
            found.append(candidate)
    if not found:
        raise UserError("the model and tokenizer define no end-of-sequence token")
    return found


@contextmanager
def _seeded(seed: int | None) -> Generator[None]:
    """Seed torch's generators for one generation, leaving the global state as it was."""
    if seed is None:
        yield
        return
    torch: Any = importlib.import_module("torch")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield
