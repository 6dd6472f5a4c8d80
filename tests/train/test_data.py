"""Episodes -> conversational rows: what the rows hold, that they render what the policy saw,
filters, de-duplication, the split by task, saving and loading, and bad input."""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import anyio
import pytest
from datasets import load_from_disk
from toolmaster.agent import (
    CHATML_TOOLS_TEMPLATE,
    FINISH_TRIAL_SPEC,
    AgentConfig,
    reference_policy,
    run_env_tasks,
    system_prompt,
    tool_schema,
)
from toolmaster.cli._app import main
from toolmaster.core import (
    FINISH_TRIAL,
    Episode,
    EpisodeError,
    Experience,
    Store,
    Task,
    UserError,
    Verdict,
    get_environment,
    new_id,
)
from toolmaster.train._config import DataConfig, ModelConfig
from toolmaster.train._data import (
    DATASET_INFO,
    DataStats,
    build_sft_dataset,
    episode_row,
    load_sft_dataset,
    prompt_dataset,
    save_sft_dataset,
    split_rows,
)
from toolmaster.train._models import load_model

ALL_MODES = DataConfig(modes=["trial", "direct"], eval_fraction=0.0)


@pytest.fixture
def store(tmp_path: Path, reference_episodes: list[Episode]) -> Iterator[Store]:
    """A writable store holding the recorded reference episodes."""
    with Store(tmp_path / "copy.db") as opened:
        opened.put_episodes(reference_episodes)
        yield opened


def _variant(episode: Episode, **update: Any) -> Episode:
    return episode.model_copy(update={"id": new_id(), **update})


def _rows(store: Store, config: DataConfig) -> tuple[list[dict[str, Any]], DataStats]:
    splits, stats = build_sft_dataset(store, config)
    return [*splits["train"], *splits["eval"]], stats


def test_rows_hold_the_whole_episode(reference_episodes: list[Episode]) -> None:
    trial = next(e for e in reference_episodes if e.mode == "trial")
    row = episode_row(trial)
    assert [m["role"] for m in row["messages"]] == [m.role for m in trial.messages]
    names = [t["function"]["name"] for t in json.loads(row["tools"])]
    assert names == [*(t.name for t in trial.tools), FINISH_TRIAL]
    calls = [c for m in row["messages"] for c in (m["tool_calls"] or [])]
    finish = next(c for c in calls if c["function"]["name"] == FINISH_TRIAL)
    assert json.loads(finish["function"]["arguments"]) == {"notes": trial.notes}
    results = [m for m in row["messages"] if m["role"] == "tool"]
    assert [m["content"] for m in results] == [
        m.content for m in trial.messages if m.role == "tool"
    ]
    assert (row["task_id"], row["env"], row["mode"]) == (trial.task.id, trial.env, "trial")
    direct = next(e for e in reference_episodes if e.mode == "direct")
    assert FINISH_TRIAL not in episode_row(direct)["tools"]


def test_saved_rows_render_what_the_policy_saw(
    store: Store, tiny_model: ModelConfig, tmp_path: Path, reference_episodes: list[Episode]
) -> None:
    splits, stats = build_sft_dataset(store, ALL_MODES.model_copy(update={"eval_fraction": 0.3}))
    save_sft_dataset(splits, stats, tmp_path / "ds")
    loaded = load_sft_dataset(tmp_path / "ds")
    tokenizer: Any = load_model(tiny_model, training=False).tokenizer
    by_id = {e.id: e for e in reference_episodes}
    rows = [*loaded["train"], *loaded["eval"]]
    assert len(rows) == len(reference_episodes)
    for row in rows:
        episode = by_id[row["episode_id"]]
        shown = [*episode.tools, FINISH_TRIAL_SPEC] if episode.mode == "trial" else episode.tools
        policy_view = tokenizer.apply_chat_template(
            [m.to_chat() for m in episode.messages],
            tools=[tool_schema(t) for t in shown],
            chat_template=CHATML_TOOLS_TEMPLATE,
            tokenize=False,
        )
        row_view = tokenizer.apply_chat_template(
            row["messages"], tools=json.loads(row["tools"]), tokenize=False
        )
        assert row_view == policy_view
    info = json.loads((tmp_path / "ds" / DATASET_INFO).read_text())
    assert info["train_rows"] + info["eval_rows"] == len(rows)


def test_filters(store: Store, reference_episodes: list[Episode]) -> None:
    trial = next(e for e in reference_episodes if e.mode == "trial" and e.env == "weather")
    failed = _variant(trial, verdict=Verdict(score=0.0, passed=False))
    broken = _variant(
        trial, error=EpisodeError(boundary="server", kind="server_crashed", message="gone")
    )
    retyped = trial.messages[-1].model_copy(update={"content": "Sunny."})
    sloppy = _variant(
        trial,
        messages=[*trial.messages[:-1], retyped],
        metadata={**trial.metadata, "format_errors": 2},
    )
    store.put_episodes([failed, broken, sloppy])
    trial_count = sum(e.mode == "trial" for e in reference_episodes)

    rows, stats = _rows(store, DataConfig(eval_fraction=0.0))
    assert len(rows) == trial_count
    assert stats.dropped == {"error": 1, "format_errors": 1}  # the failed one is not even read
    rows, _ = _rows(store, DataConfig(eval_fraction=0.0, max_format_errors=None))
    assert sloppy.id in {r["episode_id"] for r in rows}

    rows, _ = _rows(store, DataConfig(environments=["shop"], eval_fraction=0.0))
    assert rows and {r["env"] for r in rows} == {"shop"}
    rows, _ = _rows(store, DataConfig(modes=["direct"], eval_fraction=0.0))
    assert rows and {r["mode"] for r in rows} == {"direct"}
    rows, _ = _rows(store, DataConfig(policies=["reference-shop"], eval_fraction=0.0))
    assert rows and {r["policy"] for r in rows} == {"reference-shop"}


def test_failed_episodes_are_kept_when_asked(
    store: Store, reference_episodes: list[Episode]
) -> None:
    trial = next(e for e in reference_episodes if e.mode == "trial")
    wrong = trial.messages[-1].model_copy(update={"content": "No idea."})
    failed = _variant(
        trial, messages=[*trial.messages[:-1], wrong], verdict=Verdict(score=0.0, passed=False)
    )
    store.put_episode(failed)
    rows, _ = _rows(store, DataConfig(eval_fraction=0.0))
    assert failed.id not in {r["episode_id"] for r in rows}
    rows, _ = _rows(store, DataConfig(eval_fraction=0.0, passed_only=False))
    assert failed.id in {r["episode_id"] for r in rows}


def test_require_trial_drops_episodes_that_did_not_trial(
    tmp_path: Path, reference_episodes: list[Episode]
) -> None:
    # With experience of every tool in memory, the agent skips the trial phase (a real run).
    env = get_environment("weather")
    known = next(e for e in reference_episodes if e.env == "weather")
    with Store(tmp_path / "memory.db") as store:
        for tool in known.tools:
            store.put_experience(Experience(key=tool.key, notes="known", episode_id=known.id))
        config = AgentConfig()
        policy = reference_policy(env, "trial")
        episodes = anyio.run(run_env_tasks, env, env.tasks("train")[:1], policy, config)
        assert episodes[0].metadata["trial"] is True
        skipped = anyio.run(
            partial(run_env_tasks, memory=store), env, env.tasks("train")[1:2], policy, config
        )
        assert skipped[0].metadata["trial"] is False and skipped[0].mode == "trial"
        store.put_episodes([*episodes, *skipped])
        rows, stats = _rows(store, DataConfig(eval_fraction=0.0, passed_only=False))
        assert len(rows) == 2 and stats.dropped == {}
        by_id = {r["episode_id"]: r for r in rows}
        assert FINISH_TRIAL not in by_id[skipped[0].id]["tools"]  # it was never offered
        rows, stats = _rows(
            store, DataConfig(eval_fraction=0.0, passed_only=False, require_trial=True)
        )
        assert stats.dropped == {"no_trial": 1}
        assert [r["episode_id"] for r in rows] == [episodes[0].id]


def test_identical_episodes_are_kept_once(store: Store, reference_episodes: list[Episode]) -> None:
    again = [_variant(e) for e in reference_episodes[:3]]
    store.put_episodes(again)
    rows, stats = _rows(store, ALL_MODES)
    assert stats.duplicates == 3 and len(rows) == len(reference_episodes)
    assert len({json.dumps(r["messages"]) for r in rows}) == len(rows)


def test_the_split_is_by_task_and_deterministic(
    store: Store, reference_episodes: list[Episode]
) -> None:
    # A second episode of a task (different content) must land in the same split as the first.
    first = next(e for e in reference_episodes if e.mode == "trial")
    store.put_episode(_variant(first, answer="another answer", notes="other notes"))
    config = ALL_MODES.model_copy(update={"eval_fraction": 0.25, "seed": 3})
    splits, stats = build_sft_dataset(store, config)
    train_tasks = {(r["env"], r["task_id"]) for r in splits["train"]}
    eval_tasks = {(r["env"], r["task_id"]) for r in splits["eval"]}
    assert train_tasks and eval_tasks and not train_tasks & eval_tasks
    assert stats.eval_tasks == round(len(train_tasks | eval_tasks) * 0.25)
    again, _ = build_sft_dataset(store, config)
    assert again["eval"]["episode_id"] == splits["eval"]["episode_id"]
    other, _ = build_sft_dataset(store, config.model_copy(update={"seed": 4}))
    assert set(other["eval"]["task_id"]) != set(splits["eval"]["task_id"])


def test_split_edges() -> None:
    rows = [{"env": "e", "task_id": str(i)} for i in range(3)]
    assert split_rows(rows, eval_fraction=0.0, seed=0) == (rows, [])
    train, held = split_rows(rows, eval_fraction=0.01, seed=0)
    assert len(held) == 1 and len(train) == 2  # at least one task held out
    train, held = split_rows(rows, eval_fraction=0.99, seed=0)
    assert len(held) == 2 and len(train) == 1  # never every task
    assert split_rows(rows[:1], eval_fraction=0.5, seed=0) == (rows[:1], [])


def test_nothing_to_train_on_is_a_user_error(
    store: Store, tmp_path: Path, reference_episodes: list[Episode]
) -> None:
    with pytest.raises(UserError, match=r"none in .*environments=\['bank'\].*toolmaster synth"):
        build_sft_dataset(store, DataConfig(environments=["bank"]))
    with Store(tmp_path / "bad.db") as bad:
        crashed = EpisodeError(boundary="server", kind="server_crashed", message="gone")
        bad.put_episode(_variant(reference_episodes[0], error=crashed))
        with pytest.raises(UserError, match=r"all 1 episodes read from .* dropped \(1 error\)"):
            build_sft_dataset(bad, ALL_MODES)
    with Store(tmp_path / "empty.db") as empty, pytest.raises(UserError, match="none in"):
        build_sft_dataset(empty, DataConfig())


def test_loading_bad_datasets_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="does not exist"):
        load_sft_dataset(tmp_path / "missing")
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "x.txt").write_text("not a dataset")
    with pytest.raises(UserError, match="not a saved dataset"):
        load_sft_dataset(tmp_path / "junk")


def test_grpo_prompt_sets_from_tasks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "prompts.toml"
    config.write_text('name = "p"\n[grpo]\nenvironments = ["weather", "shop"]\ntasks_per_env = 3\n')
    with pytest.raises(SystemExit) as exit_info:
        main(["data", "prompts", str(config), "--out", str(tmp_path / "prompts")])
    out, err = capsys.readouterr()
    assert exit_info.value.code == 0, err
    assert "6 trial-mode prompts of shop, weather" in out
    rows: Any = load_from_disk(str(tmp_path / "prompts"))
    assert rows.column_names == ["prompt", "environment", "task"]
    train = get_environment("weather").tasks("train")
    first = next(r for r in rows if Task.model_validate_json(r["task"]) in train)
    weather = Task.model_validate_json(first["task"])
    assert first["environment"] == "weather"
    assert first["prompt"] == [
        {"role": "system", "content": system_prompt(trial=True, sandboxed=True)},
        {"role": "user", "content": weather.prompt},
    ]
    with pytest.raises(UserError, match="no tasks"):
        prompt_dataset([])
