"""Metrics of an evaluation, from tagged episodes, grouped by run, suite, setting, policy, mode.

For a group of n episodes (the newest per key; see `toolmaster.eval._tags`):

- `pass_rate` = (episodes whose verdict passed) / n. An episode without a verdict (it failed
  before it was judged) counts as not passed.
- `pass_ci` = the percentile bootstrap interval of the pass rate: `resamples` resamples of the
  n pass indicators with replacement (numpy's `default_rng(seed)`), the mean of each, and the
  (1 - confidence) / 2 and (1 + confidence) / 2 quantiles of those means.
- `mean_score` = mean of `verdict.score` (0 without a verdict).
- `trial_calls`, `execute_calls` = mean per episode of the calls that reached a server in each
  phase (`metadata.trial_calls`, `metadata.execute_calls`).
- `tool_error_rate` = sum of `metadata.tool_errors` / sum of (trial + execution calls): the share
  of calls that reached a server and came back as errors (None when no call was made).
- `format_error_rate` = sum of `metadata.format_errors` / (that + tool calls the model emitted
  in its assistant messages): the share of attempted calls that could not be parsed (None
  when none was attempted).
- `turns` = mean number of assistant messages; `tokens` = mean prompt + completion tokens;
  `wall_s` = mean seconds from start to finish.
- `errors` = episodes that ended with an `EpisodeError`, and how many per boundary.

Means are None for an empty group.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, JsonValue
from toolmaster.core import Episode
from toolmaster.eval._settings import SETTINGS
from toolmaster.eval._tags import TaggedEpisode

_CHUNK = 1_000_000
"""Resampled values drawn at once (bounds memory for big groups)."""

TRIAL_BINS: tuple[tuple[int, int | None], ...] = (
    (0, 0), (1, 1), (2, 2), (3, 3), (4, 5), (6, 9), (10, None),
)  # fmt: skip
"""Trial-call counts grouped for the trials-against-success view: [low, high], None: open."""


class Bootstrap(BaseModel):
    """How confidence intervals are computed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    resamples: int = Field(default=2000, ge=1)
    confidence: float = Field(default=0.95, gt=0.0, lt=1.0)
    seed: int = 0


def bootstrap_ci(
    values: Sequence[float], bootstrap: Bootstrap | None = None
) -> tuple[float, float] | None:
    """The percentile bootstrap interval of the mean of `values` (None when there are none).
    Deterministic for a seed; [0, 0] for all zeros and [1, 1] for all ones."""
    if not values:
        return None
    boot = bootstrap or Bootstrap()
    data = np.asarray(values, dtype=np.float64)
    n = data.size
    rng = np.random.default_rng(boot.seed)
    per_chunk = max(1, _CHUNK // n)
    means: list[np.ndarray] = []
    left = boot.resamples
    while left > 0:
        size = min(per_chunk, left)
        picks = rng.integers(0, n, size=(size, n))
        means.append(data[picks].mean(axis=1))
        left -= size
    tail = (1.0 - boot.confidence) / 2.0
    low, high = np.quantile(np.concatenate(means), [tail, 1.0 - tail])
    return float(low), float(high)


class GroupMetrics(BaseModel):
    """The metrics of one (run, suite, setting, policy, mode); see the module docstring."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    run: str
    suite: str
    setting: str
    policy: str
    mode: str
    episodes: int
    passed: int
    pass_rate: float | None
    pass_ci: tuple[float, float] | None
    mean_score: float | None
    trial_calls: float | None
    execute_calls: float | None
    tool_error_rate: float | None
    format_error_rate: float | None
    turns: float | None
    tokens: float | None
    wall_s: float | None
    errors: int
    errors_by_boundary: dict[str, int]


class TrialBin(BaseModel):
    """Episodes of one (run, policy, mode) whose trial calls fall in [low, high]."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    run: str
    policy: str
    mode: str
    low: int
    high: int | None
    episodes: int
    pass_rate: float


def _count(episode: Episode, key: str) -> int:
    value: JsonValue = episode.metadata.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def passed(episode: Episode) -> bool:
    """Whether the episode's verdict passed."""
    return episode.verdict is not None and episode.verdict.passed


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def group_metrics(
    key: tuple[str, str, str, str, str], episodes: Sequence[Episode], bootstrap: Bootstrap
) -> GroupMetrics:
    """The metrics of one group of episodes."""
    wins = [1.0 if passed(e) else 0.0 for e in episodes]
    made = sum(_count(e, "trial_calls") + _count(e, "execute_calls") for e in episodes)
    emitted = sum(len(m.tool_calls) for e in episodes for m in e.messages if m.role == "assistant")
    malformed = sum(_count(e, "format_errors") for e in episodes)
    boundaries: dict[str, int] = defaultdict(int)
    for e in episodes:
        if e.error is not None:
            boundaries[e.error.boundary] += 1
    walls = [w for e in episodes if (w := e.timings.wall_s) is not None]
    run, suite, setting, policy, mode = key
    return GroupMetrics(
        run=run,
        suite=suite,
        setting=setting,
        policy=policy,
        mode=mode,
        episodes=len(episodes),
        passed=int(sum(wins)),
        pass_rate=_mean(wins),
        pass_ci=bootstrap_ci(wins, bootstrap),
        mean_score=_mean([e.verdict.score if e.verdict else 0.0 for e in episodes]),
        trial_calls=_mean([_count(e, "trial_calls") for e in episodes]),
        execute_calls=_mean([_count(e, "execute_calls") for e in episodes]),
        tool_error_rate=_ratio(sum(_count(e, "tool_errors") for e in episodes), made),
        format_error_rate=_ratio(malformed, malformed + emitted),
        turns=_mean([sum(1 for m in e.messages if m.role == "assistant") for e in episodes]),
        tokens=_mean([e.usage.total_tokens for e in episodes]),
        wall_s=_mean(walls),
        errors=sum(boundaries.values()),
        errors_by_boundary=dict(sorted(boundaries.items())),
    )


def summarise(
    items: Iterable[TaggedEpisode], bootstrap: Bootstrap | None = None
) -> list[GroupMetrics]:
    """Metrics per (run, suite, setting, policy, mode), sorted by those keys."""
    groups: dict[tuple[str, str, str, str, str], list[Episode]] = defaultdict(list)
    for tag, episode in items:
        groups[(tag.run, tag.suite, tag.setting, tag.policy, episode.mode)].append(episode)
    boot = bootstrap or Bootstrap()
    return [group_metrics(key, groups[key], boot) for key in sorted(groups, key=_order)]


def _order(key: tuple[str, str, str, str, str]) -> tuple[object, ...]:
    names = list(SETTINGS)
    run, suite, setting, policy, mode = key
    rank = names.index(setting) if setting in names else len(names)
    return (run, suite, rank, setting, policy, mode)


def trial_bins(items: Iterable[TaggedEpisode]) -> list[TrialBin]:
    """Pass rate by number of trial calls, per (run, policy, mode); empty bins left out."""
    groups: dict[tuple[str, str, str, int], list[bool]] = defaultdict(list)
    for tag, episode in items:
        calls = _count(episode, "trial_calls")
        index = next(
            i
            for i, (lo, hi) in enumerate(TRIAL_BINS)
            if calls >= lo and (hi is None or calls <= hi)
        )
        groups[(tag.run, tag.policy, episode.mode, index)].append(passed(episode))
    bins: list[TrialBin] = []
    for (run, policy, mode, index), wins in sorted(groups.items()):
        low, high = TRIAL_BINS[index]
        bins.append(
            TrialBin(
                run=run,
                policy=policy,
                mode=mode,
                low=low,
                high=high,
                episodes=len(wins),
                pass_rate=sum(wins) / len(wins),
            )
        )
    return bins
