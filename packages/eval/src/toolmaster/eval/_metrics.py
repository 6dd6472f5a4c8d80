"""Metrics of an evaluation, from tagged episodes, grouped by run, suite, setting, policy, mode.

For a group of n episodes (the newest per key; see `toolmaster.eval._tags`):

- `pass_rate` = (episodes whose verdict passed) / n. An episode without a verdict (it failed
  before it was judged) counts as not passed.
- `pass_ci` = the Wilson score interval of the pass rate (`toolmaster.eval._intervals`).
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

Trial against direct (`paired_differences`), per (run, suite, setting, policy): the episodes are
paired by task (the same task id, and sample, in both modes); each pair is a 2x2 count (passed
in both, in trial only, in direct only, in neither), and the difference of the pass rates
trial minus direct gets Newcombe's paired interval and the exact McNemar test. Settings are not
pooled: the same task appears in every setting, so its pairs would not be independent.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from pydantic import BaseModel, ConfigDict, JsonValue
from toolmaster.core import Episode
from toolmaster.eval._intervals import Intervals, mcnemar_exact, paired_ci, wilson_ci
from toolmaster.eval._settings import SETTINGS
from toolmaster.eval._tags import TaggedEpisode

TRIAL_BINS: tuple[tuple[int, int | None], ...] = (
    (0, 0), (1, 1), (2, 2), (3, 3), (4, 5), (6, 9), (10, None),
)  # fmt: skip
"""Trial-call counts grouped for the trials-against-success view: [low, high], None: open."""


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


class PairedDifference(BaseModel):
    """Trial minus direct on the same tasks, for one (run, suite, setting, policy)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    run: str
    suite: str
    setting: str
    policy: str
    pairs: int
    """Tasks (with their sample) evaluated in both modes."""
    both: int
    """Pairs that passed in both modes."""
    trial_only: int
    direct_only: int
    neither: int
    unpaired: int
    """Episodes left out: their task was evaluated in one mode only."""
    trial_rate: float | None
    """Pass rate in trial mode over the pairs (None without pairs)."""
    direct_rate: float | None
    difference: float | None
    """`trial_rate - direct_rate`."""
    ci: tuple[float, float] | None
    """Newcombe's hybrid score interval of the difference."""
    p_value: float | None
    """Exact McNemar test, two-sided: `trial_only` against `direct_only`."""


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
    key: tuple[str, str, str, str, str], episodes: Sequence[Episode], intervals: Intervals
) -> GroupMetrics:
    """The metrics of one group of episodes."""
    wins = [1.0 if passed(e) else 0.0 for e in episodes]
    won = sum(1 for e in episodes if passed(e))
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
        passed=won,
        pass_rate=_mean(wins),
        pass_ci=wilson_ci(won, len(episodes), intervals.confidence),
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
    items: Iterable[TaggedEpisode], intervals: Intervals | None = None
) -> list[GroupMetrics]:
    """Metrics per (run, suite, setting, policy, mode), sorted by those keys."""
    groups: dict[tuple[str, str, str, str, str], list[Episode]] = defaultdict(list)
    for tag, episode in items:
        groups[(tag.run, tag.suite, tag.setting, tag.policy, episode.mode)].append(episode)
    chosen = intervals or Intervals()
    return [group_metrics(key, groups[key], chosen) for key in sorted(groups, key=_order)]


def _order(key: tuple[str, ...]) -> tuple[object, ...]:
    names = list(SETTINGS)
    run, suite, setting, *rest = key
    rank = names.index(setting) if setting in names else len(names)
    return (run, suite, rank, setting, *rest)


def paired_differences(
    items: Iterable[TaggedEpisode], intervals: Intervals | None = None
) -> list[PairedDifference]:
    """Trial minus direct per (run, suite, setting, policy) that has episodes in both modes,
    paired by (task id, sample); sorted like `summarise`."""
    chosen = intervals or Intervals()
    groups: dict[tuple[str, str, str, str], dict[tuple[str, int], dict[str, bool]]] = {}
    for tag, episode in items:
        key = (tag.run, tag.suite, tag.setting, tag.policy)
        unit = groups.setdefault(key, {}).setdefault((episode.task.id, tag.sample), {})
        unit[episode.mode] = passed(episode)
    rows: list[PairedDifference] = []
    for key in sorted(groups, key=_order):
        units = groups[key].values()
        if not any("trial" in u for u in units) or not any("direct" in u for u in units):
            continue
        rows.append(_paired(key, [u for u in units if len(u) == 2], len(units), chosen))
    return rows


def _paired(
    key: tuple[str, str, str, str],
    pairs: Sequence[dict[str, bool]],
    units: int,
    intervals: Intervals,
) -> PairedDifference:
    counts = {(True, True): 0, (True, False): 0, (False, True): 0, (False, False): 0}
    for pair in pairs:
        counts[(pair["trial"], pair["direct"])] += 1
    a, b, c, d = counts.values()
    n = len(pairs)
    run, suite, setting, policy = key
    return PairedDifference(
        run=run,
        suite=suite,
        setting=setting,
        policy=policy,
        pairs=n,
        both=a,
        trial_only=b,
        direct_only=c,
        neither=d,
        unpaired=units - n,
        trial_rate=_ratio(a + b, n),
        direct_rate=_ratio(a + c, n),
        difference=_ratio(b - c, n),
        ci=paired_ci(a, b, c, d, intervals.confidence),
        p_value=mcnemar_exact(b, c) if n else None,
    )


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
