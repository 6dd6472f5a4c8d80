"""The adapter is faithful on the whole of multi_turn_base: BFCL's ground truth, replayed
through the agent and the MCP servers, passes BFCL's checker; with its last call dropped, it
fails. (About ten seconds per run of 200 entries on two cores.)"""

from __future__ import annotations

import anyio
import pytest
from toolmaster.core import Episode, Mode
from toolmaster.eval.bfcl import (
    BfclConfig,
    bfcl_agent_config,
    ground_truth_policy,
    load_entries,
    run_entries,
    summarize,
)

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


async def replay(mode: Mode, *, wrong: bool = False) -> list[Episode]:
    entries = load_entries("multi_turn_base")
    assert len(entries) == 200
    config = BfclConfig(agent=bfcl_agent_config(mode), run="full", policy="ground-truth")
    with anyio.fail_after(600):
        return await run_entries(
            entries, lambda e: ground_truth_policy(e, mode, wrong=wrong), config
        )


@pytest.mark.parametrize("mode", ["direct", "trial"])
async def test_ground_truth_passes_on_multi_turn_base(mode: Mode) -> None:
    episodes = await replay(mode)
    (summary,) = summarize(episodes)
    failed = [
        (e.task.id, e.verdict and e.verdict.reasons)
        for e in episodes
        if not e.verdict or not e.verdict.passed
    ]
    assert summary.entries == 200
    assert summary.accuracy >= 0.99, failed
    assert summary.errors == 0


async def test_wrong_sequences_fail_on_multi_turn_base() -> None:
    episodes = await replay("direct", wrong=True)
    (summary,) = summarize(episodes)
    assert summary.entries == 200
    assert summary.passed == 0
