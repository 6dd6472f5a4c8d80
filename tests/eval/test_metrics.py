"""Metrics: every formula on episodes built by hand, the pass-rate interval, the pairing of
trial and direct episodes by task."""

from __future__ import annotations

from datetime import timedelta

import pytest
from toolmaster.core import EpisodeError, Timings
from toolmaster.eval._intervals import Intervals, mcnemar_exact, paired_ci, wilson_ci
from toolmaster.eval._metrics import paired_differences, summarise, trial_bins
from toolmaster.eval._tags import TaggedEpisode, tagged

from tests.eval.common import START, episode, tag


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
    assert group.pass_ci == wilson_ci(1, 3)
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
    low, high = group.pass_ci or (1.0, 1.0)  # 0 of 1: Wilson [0, 79.3%], not a point
    assert (low, round(high, 3)) == (0.0, 0.793)


def test_the_pass_interval_follows_the_confidence() -> None:
    items = [TaggedEpisode(tag(), episode(passed=i < 3, task=f"t{i}")) for i in range(4)]
    (wide,) = summarise(items, Intervals(confidence=0.99))
    (narrow,) = summarise(items, Intervals(confidence=0.8))
    assert wide.pass_ci == wilson_ci(3, 4, 0.99)
    assert narrow.pass_ci == wilson_ci(3, 4, 0.8)


def both(
    outcomes: dict[str, tuple[bool | None, bool | None]], setting: str = "clean"
) -> list[TaggedEpisode]:
    """Episodes of tasks in trial and direct mode: task -> (trial passed, direct passed);
    None leaves that mode out."""
    items: list[TaggedEpisode] = []
    for task, pair in outcomes.items():
        for mode, result in zip(("trial", "direct"), pair, strict=True):
            if result is not None:
                items.append(TaggedEpisode(tag(setting), episode(passed=result, mode=mode,
                                                                 task=task)))  # fmt: skip
    return items


def test_trial_and_direct_are_paired_by_task() -> None:
    outcomes = {"a": (True, True), "b": (True, False), "c": (True, False), "d": (False, True),
                "e": (False, False), "f": (True, None), "g": (None, False)}  # fmt: skip
    (row,) = paired_differences(both(outcomes))
    assert (row.run, row.suite, row.setting, row.policy) == ("r", "s", "clean", "model")
    assert (row.pairs, row.both, row.trial_only, row.direct_only, row.neither) == (5, 1, 2, 1, 1)
    assert row.unpaired == 2  # f and g ran in one mode only
    assert row.trial_rate == pytest.approx(3 / 5)
    assert row.direct_rate == pytest.approx(2 / 5)
    assert row.difference == pytest.approx(1 / 5)
    assert row.ci == paired_ci(1, 2, 1, 1)
    assert row.p_value == mcnemar_exact(2, 1)


def test_pairs_stay_within_their_setting_and_sample() -> None:
    items = [*both({"a": (True, False)}), *both({"a": (False, False)}, setting="renamed")]
    resampled = tag().model_copy(update={"sample": 1})
    items.append(TaggedEpisode(resampled, episode(passed=True, mode="trial", task="a")))
    clean, renamed = paired_differences(items)
    assert (clean.setting, clean.pairs, clean.trial_only, clean.unpaired) == ("clean", 1, 1, 1)
    assert (renamed.setting, renamed.pairs, renamed.neither) == ("renamed", 1, 1)


def test_no_pairs_without_both_modes() -> None:
    assert paired_differences(both({"a": (True, None), "b": (False, None)})) == []
    (row,) = paired_differences(both({"a": (True, None), "b": (None, False)}))
    assert (row.pairs, row.unpaired) == (0, 2)
    assert (row.difference, row.ci, row.p_value, row.trial_rate) == (None, None, None, None)


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
