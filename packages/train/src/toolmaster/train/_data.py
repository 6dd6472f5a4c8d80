"""Recorded episodes -> Hugging Face datasets in trl's conversational format.

One row per kept episode; a plain trl script trains on it as is
(`SFTTrainer(train_dataset=load_from_disk(DIR)["train"], ...)`):

- `messages` (list of messages): the whole episode as the policy saw it: the system prompt, the
  task, every assistant turn (trial calls, the `finish_trial(notes)` call, execution calls, the
  answer) and every tool result as a `tool` message;
- `tools` (string): the JSON list of the tool schemas (`{"type": "function", "function": {...}}`)
  the model was shown: the episode's tool snapshot (`Episode.tools`), plus `finish_trial` when the
  episode had a trial phase (trl parses a JSON string itself);
- `episode_id`, `task_id`, `env`, `mode`, `policy` (strings): where the row came from;
- `score` (float): the verifier's score.

A message is `{role, content, tool_calls, tool_call_id, name}`, the OpenAI wire shape
(`Message.to_openai()`): tool-call `arguments` are JSON strings, exactly the text that the chat
template's `tojson` writes for the arguments object at inference (Arrow would otherwise merge the
argument objects of all rows into one struct type and invent null keys). ToolMaster's template
writes string arguments verbatim, so rows render byte for byte what the policy rendered; a
template that always applies `tojson` to arguments (Qwen2.5's own) needs them parsed first.

Filters (`DataConfig`): the verdict (`passed_only`), environments, modes, policy names, the phase
structure (`require_trial`: trial-mode episodes that really trialed: a trial call to a real tool and
`finish_trial` with notes), invalid tool calls (`max_format_errors`); episodes that ended in an
error or never finished are always dropped. Identical rows (same messages and tools) are kept once.
The train/eval split is by task: tasks are ranked by a hash of the seed and the task, and the first
`eval_fraction` of them (at least one when the fraction is above 0 and there are two tasks or more)
are held out, so no task is in both splits and the same tasks give the same split. With
`mask_names` above 0, that share of the training rows (never held-out rows) has its tool and
parameter names renamed per row (`toolmaster.train._masking`).

GRPO prompt sets come from tasks, not episodes: `toolmaster.train._worlds.prompt_rows` (columns
`prompt`, `environment`, `task`), written to disk by `prompt_dataset`.
"""

from __future__ import annotations

import hashlib
import importlib
import itertools
import json
import logging
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from pydantic import BaseModel, ConfigDict, JsonValue
from toolmaster.agent import chat_input, offered_tools
from toolmaster.core import FINISH_TRIAL, Episode, EpisodeQuery, Store, UserError
from toolmaster.train._config import DataConfig
from toolmaster.train._masking import mask_names, masked

if TYPE_CHECKING:
    from datasets import Dataset, DatasetDict, Features

__all__ = [
    "DATASET_INFO",
    "DataStats",
    "build_sft_dataset",
    "drop_reason",
    "episode_row",
    "had_trial",
    "load_sft_dataset",
    "prompt_dataset",
    "rows_of",
    "save_sft_dataset",
    "select_episodes",
    "sft_features",
    "split_rows",
]

logger = logging.getLogger(__name__)

DATASET_INFO = "toolmaster-dataset.json"
"""The file beside a saved dataset that records how it was built (`DataStats`)."""
_PAGE = 500
_MESSAGE_KEYS = ("role", "content", "tool_calls", "tool_call_id", "name")
"""Every row's messages have these keys (Arrow gives each column one type)."""


class DataStats(BaseModel):
    """How a dataset was built: what was read, dropped and kept."""

    model_config = ConfigDict(frozen=True)

    episodes_read: int
    dropped: dict[str, int]
    """Episodes dropped, by reason (`failed`, `error`, `unfinished`, `no_trial`, ...)."""
    duplicates: int
    train_rows: int
    eval_rows: int
    train_tasks: int
    eval_tasks: int
    seconds: float
    """Wall time from the first read to the finished dataset."""
    config: DataConfig

    @property
    def rows_per_s(self) -> float:
        return (self.train_rows + self.eval_rows) / self.seconds if self.seconds > 0 else 0.0


def had_trial(episode: Episode) -> bool:
    """Whether the model was offered a trial phase (and so `finish_trial`)."""
    offered = episode.metadata.get("trial")
    return episode.mode == "trial" and (offered if isinstance(offered, bool) else True)


def drop_reason(episode: Episode, config: DataConfig) -> str | None:
    """Why an episode is not training data under `config`, or None to keep it."""
    broken = _broken(episode)
    if broken is not None:
        return broken
    if config.passed_only and (episode.verdict is None or not episode.verdict.passed):
        return "failed"
    errors = episode.metadata.get("format_errors", 0)
    limit = config.max_format_errors
    if limit is not None and isinstance(errors, int) and errors > limit:
        return "format_errors"
    if config.require_trial and episode.mode == "trial" and not _really_trialed(episode):
        return "no_trial"
    return None


def _broken(episode: Episode) -> str | None:
    """Why an episode is never training data (whatever the filters), or None."""
    if episode.timings.finished_at is None:
        return "unfinished"
    if episode.error is not None:
        return "error"
    if not any(m.role == "assistant" for m in episode.messages):
        return "empty"
    return None


def _really_trialed(episode: Episode) -> bool:
    calls = [c for m in episode.messages for c in m.tool_calls if c.phase == "trial"]
    probed = any(c.tool != FINISH_TRIAL for c in calls)
    finished = any(c.tool == FINISH_TRIAL for c in calls)
    return had_trial(episode) and probed and finished and bool((episode.notes or "").strip())


def episode_row(episode: Episode) -> dict[str, Any]:
    """One episode as a conversational row (see the module docstring for the columns)."""
    tools = offered_tools(episode.tools, trial=had_trial(episode))
    chat = chat_input(episode.messages, tools, wire=True)
    messages: list[dict[str, JsonValue]] = [
        {key: message.get(key) for key in _MESSAGE_KEYS} for message in chat.messages
    ]
    return {
        "messages": messages,
        "tools": json.dumps(chat.tools, ensure_ascii=False),
        "episode_id": episode.id,
        "task_id": episode.task.id,
        "env": episode.env or "",
        "mode": episode.mode,
        "policy": episode.policy.name,
        "score": episode.verdict.score if episode.verdict is not None else 0.0,
    }


def _datasets() -> Any:
    """The `datasets` module, imported on first use (heavy) and used untyped (partly typed)."""
    return importlib.import_module("datasets")


def sft_features() -> Features:
    """The `datasets` feature types of a row (explicit, so empty splits have them too)."""
    hf = _datasets()
    Value, List = hf.Value, hf.List  # noqa: N806 (the library's names)

    call = {
        "id": Value("string"),
        "type": Value("string"),
        "function": {"name": Value("string"), "arguments": Value("string")},
    }
    message = {
        "role": Value("string"),
        "content": Value("string"),
        "tool_calls": List(call),
        "tool_call_id": Value("string"),
        "name": Value("string"),
    }
    columns: dict[str, Any] = {"messages": List(message), "tools": Value("string")}
    columns |= {k: Value("string") for k in ("episode_id", "task_id", "env", "mode", "policy")}
    columns["score"] = Value("float64")
    return cast("Features", hf.Features(columns))


def select_episodes(store: Store, config: DataConfig) -> Iterator[Episode]:
    """The stored episodes that the store's indexes can pre-select (environment, mode, policy,
    verdict), page by page; `drop_reason` judges the rest."""
    verdict = "passed" if config.passed_only else None
    envs: Sequence[str | None] = config.environments or [None]
    modes: Sequence[str | None] = config.modes or [None]
    policies: Sequence[str | None] = config.policies or [None]
    for env, mode, policy in itertools.product(envs, modes, policies):
        offset = 0
        while True:
            query = EpisodeQuery(
                env=env,
                mode=mode,  # pyright: ignore[reportArgumentType] (validated by DataConfig)
                policy=policy,
                verdict=verdict,
                limit=_PAGE,
                offset=offset,
            )
            page = store.episodes(query)
            yield from page
            if len(page) < _PAGE:
                break
            offset += _PAGE


def split_rows(
    rows: Sequence[dict[str, Any]], *, eval_fraction: float, seed: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Train and eval rows, split by task (`env` and `task_id`); deterministic."""
    tasks = sorted({(r["env"], r["task_id"]) for r in rows}, key=lambda t: _rank(seed, t))
    held = 0
    if eval_fraction > 0 and len(tasks) >= 2:
        held = min(len(tasks) - 1, max(1, round(len(tasks) * eval_fraction)))
    held_out = set(tasks[:held])
    train = [r for r in rows if (r["env"], r["task_id"]) not in held_out]
    evaluation = [r for r in rows if (r["env"], r["task_id"]) in held_out]
    return train, evaluation


def _rank(seed: int, task: tuple[str, str]) -> str:
    return hashlib.sha256(f"{seed}\x00{task[0]}\x00{task[1]}".encode()).hexdigest()


def _fingerprint(row: dict[str, Any]) -> str:
    """Identical conversations hash alike: rows are built with their keys in one order."""
    text = json.dumps(row["messages"], ensure_ascii=False) + row["tools"]
    return hashlib.sha256(text.encode()).hexdigest()


def rows_of(
    episodes: Iterable[Episode], config: DataConfig
) -> tuple[list[dict[str, Any]], int, Counter[str], int]:
    """Kept and de-duplicated rows (in task, then episode order), how many episodes were read,
    the drop reasons and the number of duplicates."""
    dropped: Counter[str] = Counter()
    kept: dict[str, dict[str, Any]] = {}
    read = duplicates = 0
    for episode in episodes:
        read += 1
        reason = drop_reason(episode, config)
        if reason is not None:
            dropped[reason] += 1
            continue
        row = episode_row(episode)
        key = _fingerprint(row)
        if key in kept:
            duplicates += 1
            continue
        kept[key] = row
    rows = sorted(kept.values(), key=lambda r: (r["env"], r["task_id"], r["episode_id"]))
    return rows, read, dropped, duplicates


def build_sft_dataset(store: Store, config: DataConfig) -> tuple[DatasetDict, DataStats]:
    """The `train` and `eval` splits of the episodes in `store` that `config` keeps. An empty
    selection is a `UserError` that says what was read and why it was dropped."""
    hf = _datasets()
    started = time.perf_counter()
    rows, read, dropped, duplicates = rows_of(select_episodes(store, config), config)
    if not rows:
        raise UserError(_nothing_kept(store, config, read, dropped))
    train, evaluation = split_rows(rows, eval_fraction=config.eval_fraction, seed=config.seed)
    train = [
        mask_names(row, seed=config.seed)
        if masked(row, seed=config.seed, share=config.mask_names)
        else row
        for row in train
    ]
    features = sft_features()
    empty: dict[str, list[Any]] = {str(name): [] for name in cast("dict[str, Any]", features)}
    splits = hf.DatasetDict(
        train=hf.Dataset.from_list(train, features=features),
        eval=hf.Dataset.from_list(evaluation, features=features)
        if evaluation
        else hf.Dataset.from_dict(empty, features=features),
    )
    stats = DataStats(
        episodes_read=read,
        dropped=dict(dropped),
        duplicates=duplicates,
        train_rows=len(train),
        eval_rows=len(evaluation),
        train_tasks=len({(r["env"], r["task_id"]) for r in train}),
        eval_tasks=len({(r["env"], r["task_id"]) for r in evaluation}),
        seconds=time.perf_counter() - started,
        config=config,
    )
    logger.info("dataset: %d train and %d eval rows", stats.train_rows, stats.eval_rows)
    return cast("DatasetDict", splits), stats


def _nothing_kept(store: Store, config: DataConfig, read: int, dropped: Counter[str]) -> str:
    chosen = [
        f"{name}={value}"
        for name, value in (
            ("environments", config.environments),
            ("modes", config.modes),
            ("policies", config.policies),
        )
        if value
    ]
    where = f"{store.path} ({', '.join(chosen)}{', passed only' if config.passed_only else ''})"
    if read == 0:
        return (
            f"no episodes to train on: none in {where}; record teacher episodes first "
            "(`toolmaster synth`)"
        )
    reasons = ", ".join(f"{count} {reason}" for reason, count in dropped.most_common())
    return (
        f"no episodes to train on: all {read} episodes read from {where} were dropped ({reasons})"
    )


def save_sft_dataset(splits: DatasetDict, stats: DataStats, out: Path) -> None:
    """Write the splits (`datasets.load_from_disk(out)` reads them) and `DATASET_INFO`. An empty
    split is left out (`datasets` cannot read one back): no held-out tasks, no `eval` split."""
    kept = {name: split for name, split in splits.items() if len(split) > 0}
    saving: Any = _datasets().DatasetDict(kept)
    saving.save_to_disk(str(out))
    (out / DATASET_INFO).write_text(stats.model_dump_json(indent=2) + "\n", encoding="utf-8")


def load_sft_dataset(path: Path) -> DatasetDict:
    """A dataset saved by `save_sft_dataset` (or any `DatasetDict` with `train`, and optionally
    `eval`, splits of conversational rows)."""
    hf = _datasets()
    if not path.is_dir():
        raise UserError(f"dataset {path} does not exist (build one with `toolmaster data build`)")
    try:
        loaded: Any = hf.load_from_disk(str(path))
    except (FileNotFoundError, ValueError) as exc:
        raise UserError(f"{path} is not a saved dataset: {exc}") from exc
    if not isinstance(loaded, hf.DatasetDict) or "train" not in loaded:
        raise UserError(f"dataset {path} has no `train` split")
    if "messages" not in loaded["train"].column_names:
        raise UserError(f"dataset {path} is not conversational (no `messages` column)")
    return cast("DatasetDict", loaded)


def prompt_dataset(rows: Sequence[dict[str, Any]]) -> Dataset:
    """GRPO prompt rows (`toolmaster.train._worlds.prompt_rows`) as a dataset."""
    if not rows:
        raise UserError("no tasks to make GRPO prompts of")
    return cast("Dataset", _datasets().Dataset.from_list(list(rows)))
