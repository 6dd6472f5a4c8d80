"""The decode engine: continuous batching of token sequences over `LeanCausalLM`, with the key-value
cache of each conversation kept between its turns (`PrefixStore`).

Requests join the running batch at the next step and leave it as soon as they finish. Each step
feeds every running sequence's next token together with chunks of the new sequences' prompts (up
to `prefill_chunk` prompt tokens a step), so a long prompt does not stall the others for long.
`run` steps it (one thread at a time); `add` and `cancel` may be called from any thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from toolmaster.agent._decode import LeanCausalLM, Segment, pick_tokens
from toolmaster.agent._kvcache import KVCache, PrefixStore
from toolmaster.agent._policy import PolicyError
from toolmaster.core import Sampling

if TYPE_CHECKING:
    import torch

__all__ = ["DecodeEngine", "EngineJob"]

logger = logging.getLogger(__name__)


@dataclass(eq=False)
class EngineJob:
    """One request: a prompt's token ids and its sampling settings; then the generated ids."""

    prompt: list[int]
    sampling: Sampling
    generated: list[int] = field(default_factory=list[int])
    finished: bool = False
    error: BaseException | None = None
    cancelled: bool = False
    cache: KVCache | None = None
    """The sequence's key-value cache while it runs."""
    feed: list[int] = field(default_factory=list[int])
    """Tokens not yet in the cache: the prompt's rest, then the last generated token."""
    generator: Any = None
    """The sampling generator (seeded), when sampling."""


class DecodeEngine:
    """Generates token ids for many prompts at once with `LeanCausalLM`.

    `lean` makes the packed model (on first use); `end_ids` end a sequence (counted in its
    tokens); `cut_ids` end it too, uncounted (the pad token); `decode` turns ids into text for
    stop strings, checked on the last few tokens only.
    """

    def __init__(
        self,
        lean: Callable[[], LeanCausalLM],
        *,
        end_ids: Sequence[int],
        cut_ids: Sequence[int],
        decode: Any,
        store: PrefixStore,
        prefill_chunk: int = 512,
        max_batch: int = 64,
    ) -> None:
        self._load = lean
        self._lean: LeanCausalLM | None = None
        self.store = store
        self._end = frozenset(end_ids)
        self._cut = frozenset(cut_ids) - self._end
        self._decode = decode
        self.prefill_chunk = prefill_chunk
        self.max_batch = max_batch
        self._incoming: list[EngineJob] = []
        self._running: list[EngineJob] = []
        self._lock = threading.Lock()
        self._run_lock = threading.Lock()
        self.steps = 0
        """Forward passes run."""
        self.decoded_tokens = 0
        """Tokens generated."""
        self.largest_batch = 0
        """The most sequences one step has fed."""
        self.seconds = {"prefill": 0.0, "decode": 0.0}
        """Time in steps that fed prompt tokens, and in steps that only decoded."""

    @property
    def lean(self) -> LeanCausalLM:
        """The packed model, made on first use (so weights changed before the first generation,
        as a test that trains the model does, are the ones packed)."""
        if self._lean is None:
            self._lean = self._load()
        return self._lean

    def add(self, prompt: list[int], sampling: Sampling) -> EngineJob:
        """Queue a request; it joins the batch at the next step."""
        if not prompt:
            raise ValueError("an empty prompt")
        job = EngineJob(list(prompt), sampling)
        with self._lock:
            self._incoming.append(job)
        return job

    def cancel(self, job: EngineJob) -> None:
        """Drop a request at the next step (its cache is not kept)."""
        job.cancelled = True

    @property
    def busy(self) -> bool:
        """Whether a request is queued or running (cancelled ones aside)."""
        with self._lock:
            jobs = self._incoming + self._running
        return any(not job.cancelled and not job.finished for job in jobs)

    def run(self) -> list[EngineJob]:
        """Step until at least one request finishes (or none is left); the finished ones. A
        failing step fails the running requests (with a `PolicyError`)."""
        import torch  # noqa: PLC0415

        finished: list[EngineJob] = []
        with self._run_lock, torch.inference_mode():
            while not finished:
                self._admit()
                if not self._running:
                    break
                try:
                    finished = self._step()
                except (RuntimeError, ValueError, IndexError) as exc:
                    finished = self._fail(exc)
        return finished

    def _fail(self, exc: Exception) -> list[EngineJob]:
        """Fail every running request: the engine broke, not one request's generation."""
        error = PolicyError(f"transformers generation failed: {exc}")
        failed, self._running = self._running, []
        for job in failed:
            job.error, job.finished, job.cache = error, True, None
        return failed

    def _admit(self) -> None:
        with self._lock:
            room = self.max_batch - len(self._running)
            joining, self._incoming = self._incoming[:room], self._incoming[room:]
        for job in joining:
            if not job.cancelled:
                self._running.append(job)
        self._running = [job for job in self._running if not job.cancelled]

    def _start(self, job: EngineJob) -> None:
        import torch  # noqa: PLC0415

        need = len(job.prompt) + job.sampling.max_tokens
        cache, reused = self.store.acquire(job.prompt, need)
        job.cache = cache if cache is not None else self.lean.new_cache(need)
        job.feed = job.prompt[reused:]
        if job.sampling.temperature > 0:
            seed = job.sampling.seed
            if seed is None:
                seed = int(torch.randint(2**62, ()).item())
            job.generator = torch.Generator(device=self.lean.device).manual_seed(seed)

    def _step(self) -> list[EngineJob]:
        batch: list[EngineJob] = []
        tokens: list[int] = []
        segments: list[Segment] = []
        budget = self.prefill_chunk
        for job in self._running:
            if job.cache is None:
                if job.sampling.max_tokens <= 0:
                    job.finished = True
                    continue
                self._start(job)
            prefilling = len(job.feed) > 1 or not job.generated
            take = min(len(job.feed), budget) if prefilling else 1
            if take <= 0:
                continue
            if prefilling:
                budget -= take
            batch.append(job)
            tokens += job.feed[:take]
            segments.append(Segment(job.cache, take))  # pyright: ignore[reportArgumentType]
        finished = [job for job in self._running if job.finished]
        self.largest_batch = max(self.largest_batch, len(batch))
        if batch:
            started = time.perf_counter()
            logits = self.lean.forward(tokens, segments)
            finished += self._advance(batch, segments, logits)
            kind = "decode" if len(tokens) == len(batch) else "prefill"
            self.seconds[kind] += time.perf_counter() - started
        self.steps += 1
        done = {id(job) for job in finished}
        self._running = [job for job in self._running if id(job) not in done]
        return finished

    def _advance(
        self, batch: list[EngineJob], segments: list[Segment], logits: torch.Tensor
    ) -> list[EngineJob]:
        """Consume what each job fed; sample for those whose feed is done; the finished jobs."""
        ready: list[int] = []
        for row, (job, segment) in enumerate(zip(batch, segments, strict=True)):
            del job.feed[: segment.tokens]
            if not job.feed:
                ready.append(row)
        if not ready:
            return []
        rows = logits[ready] if len(ready) < len(batch) else logits
        picked = pick_tokens(
            rows,
            [batch[i].sampling.temperature for i in ready],
            [batch[i].sampling.top_p for i in ready],
            [batch[i].generator for i in ready],
        )
        finished: list[EngineJob] = []
        for row, token in zip(ready, picked, strict=True):
            job = batch[row]
            job.generated.append(token)
            self.decoded_tokens += 1
            if self._done(job, token):
                self._finish(job)
                finished.append(job)
            else:
                job.feed = [token]
        return finished

    def _done(self, job: EngineJob, token: int) -> bool:
        if token in self._end or token in self._cut:
            return True
        if len(job.generated) >= job.sampling.max_tokens:
            return True
        stops = job.sampling.stop
        if stops:
            window = max(len(s) for s in stops) + 8
            tail = str(self._decode(job.generated[-window:]))
            return any(stop in tail for stop in stops)
        return False

    def _finish(self, job: EngineJob) -> None:
        """Keep the job's cache for the conversation's next turn: the prompt and the generated
        tokens fed back (all but the last)."""
        job.finished = True
        cache, job.cache = job.cache, None
        if cache is None:
            return
        held = job.prompt + job.generated[:-1]
        if cache.length == len(held):
            self.store.release(held, len(job.prompt), cache)
        else:  # a cache that is not exactly what it claims is not kept
            logger.warning(
                "dropping a cache of %d positions for %d tokens", cache.length, len(held)
            )
