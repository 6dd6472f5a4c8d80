"""A policy as the Toolbox's sampler: servers' `sampling/createMessage` answered by the
agent's own model, bound at once (`policy_sampler`) or once the policy is built
(`LateSampler`)."""

from __future__ import annotations

from toolmaster.agent._policy import Policy
from toolmaster.core import Sampling
from toolmaster.mcp import Sampler, SamplingRefusedError, SamplingReply, SamplingRequest

__all__ = ["NO_POLICY_YET", "LateSampler", "policy_sampler"]

NO_POLICY_YET = (
    "the client's model is not ready yet: sampling requests are answered once it is loaded"
)
"""The reason a `LateSampler` gives a server that asks before the policy is built."""


def policy_sampler(policy: Policy, *, max_tokens: int = 512) -> Sampler:
    """A `Sampler` that answers with `policy`, offering it no tools: the server's messages
    (its system prompt first), its temperature and stop strings, and the smaller of its
    `max_tokens` and `max_tokens` here. A `PolicyError` the backend raises reaches the server
    as a failed sampling request; the run goes on."""

    async def sample(request: SamplingRequest) -> SamplingReply:
        sampling = Sampling(
            temperature=request.temperature if request.temperature is not None else 0.0,
            max_tokens=min(request.max_tokens, max_tokens),
            stop=list(request.stop),
        )
        turn = await policy.complete(list(request.messages), [], sampling)
        model = policy.info.model or policy.info.name
        reason = "maxTokens" if turn.finish_reason == "length" else "endTurn"
        return SamplingReply(text=turn.content or "", model=model, stop_reason=reason)

    return sample


class LateSampler:
    """The sampler of a Toolbox that connects before the run's policy is built (`toolmaster
    run --config` connects the servers first, so that a broken one is said before a model
    loads): once `bind(policy)` is called it answers as `policy_sampler(policy)`; a request
    before that is refused with `NO_POLICY_YET` (`SamplingRefusedError`, not counted against
    the Toolbox's cap)."""

    def __init__(self, *, max_tokens: int = 512) -> None:
        self._max_tokens = max_tokens
        self._sampler: Sampler | None = None

    def bind(self, policy: Policy) -> None:
        """Answer from now on with `policy`."""
        self._sampler = policy_sampler(policy, max_tokens=self._max_tokens)

    async def __call__(self, request: SamplingRequest) -> SamplingReply:
        if self._sampler is None:
            raise SamplingRefusedError(NO_POLICY_YET)
        return await self._sampler(request)
