"""The shipped adapter still does what its provenance says (slow): the embedded default, greedy,
on the regression set of held-out test tasks that `toolmaster train ship --regression` recorded,
passes at least as many as it did then, and makes calls that reach a server in at least as many
episodes, each less a small margin for numerics (bf16 on another CPU). A change to the renderer,
the parser or the loop that silently breaks the trained model fails here: with a stale chat
template, the adapter made no call in any episode."""

from __future__ import annotations

from pathlib import Path

import pytest
from toolmaster.agent import SHIPPED_ADAPTER, shipped_provenance
from toolmaster.cli._app import app
from toolmaster.core import Episode, Store
from typer.testing import CliRunner

from tests.cli._isolation import isolate

pytestmark = pytest.mark.slow

REGRESSION = (
    "eval", "run", "--suite", "in-domain", "--setting", "clean", "--mode", "trial",
    "--policy", "embedded", "--tasks-per-env", "2", "--max-turns", "16",
    "--max-trial-calls", "8", "--max-new-tokens", "512", "--batch", "8", "--concurrency", "8",
)  # fmt: skip
"""The regression set: 2 seeded test tasks per in-domain environment, trial mode, the embedded
budgets. `toolmaster train ship --regression RUN` records a run of exactly this."""

MARGIN = 1
"""Passes the replay may lose against the record: greedy decoding in bf16 can flip a token on
another CPU, and one flipped token can fail an episode."""


def test_the_shipped_adapter_is_complete_and_small() -> None:
    weights = SHIPPED_ADAPTER / "adapter_model.safetensors"
    assert (SHIPPED_ADAPTER / "adapter_config.json").is_file()
    assert weights.stat().st_size <= 20 * 1024 * 1024
    facts = shipped_provenance()
    assert facts["summary"] and facts["pass_rates"] and facts["regression"]["episodes"] == 10


@pytest.mark.timeout(1500)
def test_the_shipped_adapter_passes_its_regression_set(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    isolate(monkeypatch, tmp_path / "home")
    store = tmp_path / "regression.db"
    result = CliRunner().invoke(app, [*REGRESSION, "--store", str(store), "--run", "replay"])
    assert result.exit_code == 0, result.output
    recorded = shipped_provenance()["regression"]
    with Store(store) as opened:
        episodes = opened.episodes()
    assert sorted(f"{e.task.id}:{e.mode}" for e in episodes) == recorded["tasks"]
    assert all(str(e.policy.adapter).endswith("adapter") for e in episodes)
    passed = sum(1 for e in episodes if e.verdict is not None and e.verdict.passed)
    calling = sum(1 for e in episodes if _calls(e) > 0)
    assert calling >= recorded["calling"] - MARGIN, (
        f"{calling} of {len(episodes)} episodes made a call that reached a server; "
        f"{recorded['calling']} did when the adapter was shipped"
    )
    assert passed >= recorded["passed"] - MARGIN, (
        f"the shipped adapter passed {passed} of {len(episodes)}; it passed "
        f"{recorded['passed']} when shipped"
    )


def _calls(episode: Episode) -> int:
    counts = (episode.metadata.get(key) for key in ("trial_calls", "execute_calls"))
    return sum(value for value in counts if isinstance(value, int))
