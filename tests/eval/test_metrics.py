"""Metrics: the bootstrap interval's properties and every formula on episodes built by hand."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from toolmaster.core import EpisodeError, Timings
from toolmaster.eval._metrics import Bootstrap, bootstrap_ci, summarise, trial_bins
from toolmaster.eval._tags import TaggedEpisode, tagged

from tests.eval.common import START, episode, tag


def test_bootstrap_is_deterministic_for_a_seed() -> None:
    values = [(i * 7 % 11) / 10 for i in range(30)]  # scores, so intervals vary finely
    assert bootstrap_ci(values, Bootstrap(seed=7)) == bootstrap_ci(values, Bootstrap(seed=7))
    assert bootstrap_ci(values, Bootstrap(seed=7)) != bootstrap_ci(values, Bootstrap(seed=8))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from([0.0, 1.0]), min_size=1, max_size=60), st.integers(0, 99))
def test_bootstrap_interval_covers_the_mean_within_zero_and_one(
    values: list[float], seed: int
) -> None:
    interval = bootstrap_ci(values, Bootstrap(resamples=500, seed=seed))
    assert interval is not None
    low, high = interval
    mean = sum(values) / len(values)
    assert 0.0 <= low <= mean <= high <= 1.0


@pytest.mark.parametrize(("value", "expected"), [(0.0, (0.0, 0.0)), (1.0, (1.0, 1.0))])
def test_bootstrap_of_all_failures_or_all_passes_is_a_point(
    value: float, expected: tuple[float, float]
) -> None:
    assert bootstrap_ci([value] * 25) == expected


def test_bootstrap_of_nothing_is_none_and_wider_for_fewer_episodes() -> None:
    assert bootstrap_ci([]) is None
    small = bootstrap_ci([1.0, 0.0] * 5)
    large = bootstrap_ci([1.0, 0.0] * 200)
    assert small is not None
    assert large is not None
    assert small[1] - small[0] > large[1] - large[0]
    assert large[0] == pytest.approx(0.5, abs=0.06)


def test_bootstrap_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="confidence"):
        Bootstrap(confidence=1.5)


def test_group_metrics_follow_their_formulas() -> None:
    crash = EpisodeError(boundary="server", kind="crashed", message="gone")
    items = [
        TaggedEpisode(tag(), episode(passed=True, calls=3, trial=2, execute=1, tool_errors=1)),
        TaggedEpisode(
            tag(), episode(passed=False, calls=2, execute=2, format_errors=2, tokens=300)
        ),
        TaggedEpisode(tag(), episode(passed=None, error=crash, seconds=4.0, task="u")),
    ]
    (group,) = summarise(items)
    assert (group.run, group.suite, group.setting, group.policy, group.mode) == (
        "r", "s", "clean", "model", "trial",
    )  # fmt: skip
    assert group.episodes == 3
    assert group.passed == 1
    assert group.pass_rate == pytest.approx(1 / 3)
    assert group.mean_score == pytest.approx((1.0 + 0.25 + 0.0) / 3)
    assert group.trial_calls == pytest.approx(2 / 3)
    assert group.execute_calls == pytest.approx(1.0)
    assert group.tool_error_rate == pytest.approx(1 / 5)  # 1 error in 5 calls that ran
    assert group.format_error_rate == pytest.approx(2 / (2 + 5))  # 2 unparsable, 5 emitted
    assert group.turns == pytest.approx((4 + 3 + 1) / 3)
    assert group.tokens == pytest.approx((100 + 300 + 100) / 3)
    assert group.wall_s == pytest.approx((2 + 2 + 4) / 3)
    assert group.errors == 1
    assert group.errors_by_boundary == {"server": 1}


def test_groups_split_by_setting_policy_and_mode_in_report_order() -> None:
    items = [
        TaggedEpisode(tag("evolved"), episode(passed=True)),
        TaggedEpisode(tag("clean"), episode(passed=True, mode="direct")),
        TaggedEpisode(tag("clean"), episode(passed=False)),
        TaggedEpisode(tag("clean", policy="other"), episode(passed=True)),
    ]
    keys = [(g.setting, g.policy, g.mode) for g in summarise(items)]
    assert keys == [
        ("clean", "model", "direct"),
        ("clean", "model", "trial"),
        ("clean", "other", "trial"),
        ("evolved", "model", "trial"),
    ]


def test_a_group_without_calls_has_no_error_rates() -> None:
    (group,) = summarise([TaggedEpisode(tag(), episode(passed=False))])
    assert group.tool_error_rate is None
    assert group.format_error_rate is None
    assert group.pass_ci == (0.0, 0.0)


def test_trial_bins_count_passes_by_trial_calls() -> None:
    items = [
        TaggedEpisode(tag(), episode(passed=True, trial=0)),
        TaggedEpisode(tag(), episode(passed=False, trial=4)),
        TaggedEpisode(tag(), episode(passed=True, trial=5)),
        TaggedEpisode(tag(), episode(passed=True, trial=12)),
    ]
    bins = [(b.low, b.high, b.episodes, b.pass_rate) for b in trial_bins(items)]
    assert bins == [(0, 0, 1, 1.0), (4, 5, 2, 0.5), (10, None, 1, 1.0)]


def test_the_newest_episode_of_a_key_wins_and_untagged_ones_are_left_out() -> None:
    old = tag().apply(episode(passed=False))
    new = (
        tag()
        .apply(episode(passed=True))
        .model_copy(update={"timings": Timings(started_at=START + timedelta(hours=1))})
    )
    other_run = tag(run="q").apply(episode(passed=False))
    untagged = episode(passed=True)
    malformed = episode(passed=True).model_copy(update={"metadata": {"eval": {"run": 3}}})
    kept = tagged([old, new, other_run, untagged, malformed], runs=["r"])
    assert [item.episode.id for item in kept] == [new.id]
