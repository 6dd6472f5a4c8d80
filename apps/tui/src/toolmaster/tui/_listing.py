"""What the session browser lists: recorded episodes, filtered by the store's indexed columns
(environment, policy, verdict) and by the evaluation tag (`toolmaster.eval.EvalTag`: run and
setting), which the store does not index. Blocking: call from thread workers only."""

from __future__ import annotations

from dataclasses import dataclass, replace

from toolmaster.core import Episode, EpisodeQuery, EpisodeSummary, Store
from toolmaster.eval import SETTINGS, EvalTag

GROUND_TRUTH_POLICY = "bfcl-ground-truth"
"""The `PolicyInfo.name` (or its prefix) of BFCL's ground truth replayed
(`toolmaster.eval.bfcl.ground_truth_policy`; the `bfcl` extra is not imported for a name)."""


@dataclass(frozen=True)
class Filters:
    """The browser's filters; `None` matches everything."""

    query: EpisodeQuery
    """Environment, policy and verdict, with the most rows listed at once as its `limit`."""
    run: str | None = None
    """An evaluation run id."""
    setting: str | None = None
    """An evaluation setting (`clean`, `renamed`, ...)."""

    @property
    def tagged(self) -> bool:
        """Whether the evaluation tag filters too."""
        return self.run is not None or self.setting is not None

    def admits(self, episode: Episode) -> bool:
        """Whether `episode`'s evaluation tag matches the run and setting asked for."""
        tag = EvalTag.of(episode)
        if tag is None:
            return not self.tagged
        return self.run in (None, tag.run) and self.setting in (None, tag.setting)


@dataclass(frozen=True)
class Listing:
    """The rows the filters select, newest first."""

    rows: list[EpisodeSummary]
    """At most `query.limit` of them."""
    total: int
    """How many the filters select."""
    ids: list[str] | None = None
    """Every id the filters select, where the store's query alone cannot say (a run or a
    setting asked for); None otherwise."""


@dataclass(frozen=True)
class Choices:
    """The values each filter offers: those present in the store."""

    envs: list[str]
    policies: list[str]
    runs: list[str]
    settings: list[str]


def list_episodes(store: Store, filters: Filters) -> Listing:
    """The episodes `filters` select. With a run or a setting asked for, every episode the
    store's query selects is read (the tag lives in the episode's metadata)."""
    query = filters.query
    if not filters.tagged:
        return Listing(store.summaries(query), store.count(replace(query, limit=None)))
    kept = [e for e in store.episodes(replace(query, limit=None)) if filters.admits(e)]
    shown = kept if query.limit is None else kept[: query.limit]
    return Listing([summary_of(e) for e in shown], len(kept), [e.id for e in kept])


def filter_choices(store: Store) -> Choices:
    """The environments, policies, runs and settings of the stored episodes."""
    summaries = store.summaries()
    tags = [tag for e in store.episodes() if (tag := EvalTag.of(e)) is not None]
    present = {tag.setting for tag in tags}
    settings = [name for name in SETTINGS if name in present]
    return Choices(
        envs=sorted({s.env for s in summaries if s.env is not None}),
        policies=sorted({s.policy for s in summaries}),
        runs=sorted({tag.run for tag in tags}),
        settings=settings + sorted(present - set(settings)),
    )


def summary_of(episode: Episode) -> EpisodeSummary:
    """The listing row of a stored episode, as `Store.summaries` gives it."""
    verdict = episode.verdict
    return EpisodeSummary(
        id=episode.id,
        task_id=episode.task.id,
        env=episode.task.env,
        policy=episode.policy.name,
        mode=episode.mode,
        passed=None if verdict is None else verdict.passed,
        score=None if verdict is None else verdict.score,
        started_at=episode.timings.started_at,
        finished_at=episode.timings.finished_at,
    )


def mode_label(row: EpisodeSummary) -> str:
    """The mode column: `truth` for BFCL's ground truth replayed (its trial calls are a
    script's, not a trial), else the episode's mode."""
    return "truth" if row.policy.startswith(GROUND_TRUTH_POLICY) else row.mode


def counted(count: int, noun: str = "episode") -> str:
    """`1 episode`, `2 episodes` (`noun` may have words before the noun: `marked episode`)."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
