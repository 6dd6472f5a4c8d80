"""How an evaluation episode is tagged in the store, and how tagged episodes are read back.

Every episode an evaluation records carries one key in `Episode.metadata`, `"eval"`:

```json
{"eval": {"run": "smoke-1", "suite": "in-domain", "setting": "renamed",
          "policy": "embedded", "sample": 0, "seed": 0,
          "kinds": ["rename_tool", "rename_param"]}}
```

- `run`: the run id; every episode of one `toolmaster eval run` (or `eval bfcl`) shares it.
- `suite`: the suite the task came from (`in-domain`, `out-of-domain`, an environment, a task
  file's name, a BFCL category, ...).
- `setting`: how the tools were served: `clean`, `renamed`, `paraphrased`, `stripped`,
  `misleading`, `evolved`, or any other name.
- `policy`: the policy's label in the run (`embedded`, `reference`, `openai`, ...); reports group
  by it, not by `PolicyInfo.name`.
- `sample`: which repetition of the same (task, setting, mode, policy), from 0.
- `seed`, `kinds` (optional): the perturbation seed and kinds applied, if any.

The task is `episode.task` (its `id`, and `env` for the environment), the mode
`episode.mode`. The key of an episode within a run is
`(suite, setting, task.id, mode, policy, sample)`: a resumed run skips keys it has, and metrics
keep only the newest episode of a key. Anything that records episodes with this tag (the BFCL
adapter, a script of your own) is summarised by `toolmaster eval report` like the rest.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from pydantic import Field, ValidationError
from toolmaster.core import Episode, EpisodeQuery, Mode, Record, Store

logger = logging.getLogger(__name__)

EVAL_KEY = "eval"
"""The key of `Episode.metadata` that holds an `EvalTag`."""


class EvalTag(Record):
    """Where an episode belongs in an evaluation (stored as `Episode.metadata["eval"]`)."""

    run: str = Field(min_length=1)
    suite: str = Field(min_length=1)
    setting: str = Field(min_length=1)
    policy: str = Field(min_length=1)
    """The policy's label in the run."""
    sample: int = Field(default=0, ge=0)
    seed: int | None = None
    """The perturbation seed, if the tools were perturbed."""
    kinds: list[str] = Field(default_factory=list[str])
    """The perturbation kinds applied."""

    @classmethod
    def of(cls, episode: Episode) -> EvalTag | None:
        """The episode's tag, or None when it has none (or a malformed one, which is logged)."""
        raw = episode.metadata.get(EVAL_KEY)
        if raw is None:
            return None
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            logger.warning("episode %s has a malformed eval tag: %s", episode.id, exc)
            return None

    def apply(self, episode: Episode) -> Episode:
        """The episode with this tag in its metadata (other metadata kept)."""
        metadata = {**episode.metadata, EVAL_KEY: self.model_dump(mode="json")}
        return episode.model_copy(update={"metadata": metadata})


class EpisodeKey(NamedTuple):
    """What identifies one episode within a run."""

    suite: str
    setting: str
    task: str
    mode: Mode
    policy: str
    sample: int


def episode_key(tag: EvalTag, episode: Episode) -> EpisodeKey:
    """The key of a tagged episode within its run."""
    return EpisodeKey(tag.suite, tag.setting, episode.task.id, episode.mode, tag.policy, tag.sample)


class TaggedEpisode(NamedTuple):
    """An episode with its tag."""

    tag: EvalTag
    episode: Episode


def tagged(episodes: Iterable[Episode], runs: Sequence[str] | None = None) -> list[TaggedEpisode]:
    """The tagged episodes among `episodes` (of `runs`, if given), one per key and run: where a
    key was recorded more than once, the newest episode (latest start) wins."""
    wanted = None if runs is None else set(runs)
    newest: dict[tuple[str, EpisodeKey], TaggedEpisode] = {}
    for episode in episodes:
        tag = EvalTag.of(episode)
        if tag is None or (wanted is not None and tag.run not in wanted):
            continue
        key = (tag.run, episode_key(tag, episode))
        kept = newest.get(key)
        if kept is None or _later(episode, kept.episode):
            newest[key] = TaggedEpisode(tag, episode)
    return list(newest.values())


def _later(a: Episode, b: Episode) -> bool:
    return (a.timings.started_at, a.id) > (b.timings.started_at, b.id)


def run_episodes(
    store: Store, runs: Sequence[str], query: EpisodeQuery | None = None
) -> list[TaggedEpisode]:
    """The episodes of `runs` in `store` (newest per key). The store has no index on metadata,
    so this reads the episodes `query` selects (default: all) and keeps the tagged ones."""
    return tagged(store.episodes(query), runs)


def known_runs(store: Store) -> dict[str, int]:
    """Every run id in `store` and its number of episodes (newest per key)."""
    counts: dict[str, int] = {}
    for item in tagged(store.episodes()):
        counts[item.tag.run] = counts.get(item.tag.run, 0) + 1
    return counts
