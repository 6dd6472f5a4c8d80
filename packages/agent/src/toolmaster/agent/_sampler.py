"""A policy as the Toolbox's sampler: servers' `sampling/createMessage` answered by the
agent's own model."""

from __future__ import annotations

from toolmaster.agent._policy import Policy
from toolmaster.core import Sampling
from toolmaster.mcp import Sampler, SamplingReply, SamplingRequest

__all__ = ["policy_sampler"]


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
