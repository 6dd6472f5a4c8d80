"""The episode view fold: events in, timeline steps and counters out."""

from __future__ import annotations

from toolmaster.core import Episode, Event
from toolmaster.tui import EpisodeView, events_from_episode, view_of
from toolmaster.tui._model import one_line, pretty


def test_fold_of_a_trial_episode(fixed_episodes: list[Episode]) -> None:
    episode = fixed_episodes[0]
    view = view_of(episode.id, events_from_episode(episode))
    assert view.finished
    assert view.task_id == episode.task.id
    assert view.env == "weather"
    assert view.notes == episode.notes
    assert view.verdict == episode.verdict
    assert view.trial_calls == episode.metadata["trial_calls"]
    assert view.execute_calls == episode.metadata["execute_calls"]
    assert view.turns == sum(m.role == "assistant" for m in episode.messages)
    headers = [s.phase for s in view.steps if s.kind == "header"]
    assert headers == ["trial", "execute"]
    calls = [s for s in view.steps if s.kind == "call"]
    assert {s.phase for s in calls} == {"trial", "execute"}


def test_direct_episode_has_no_trial_phase(fixed_episodes: list[Episode]) -> None:
    episode = fixed_episodes[1]
    view = view_of(episode.id, events_from_episode(episode))
    assert [s.phase for s in view.steps if s.kind == "header"] == ["execute"]
    assert view.trial_calls == 0
    assert view.verdict is not None and not view.verdict.passed


def test_seen_events_are_ignored(fixed_episodes: list[Episode]) -> None:
    events = events_from_episode(fixed_episodes[0])
    view = EpisodeView(fixed_episodes[0].id)
    first = view.apply_all(events[:5])
    assert view.apply_all(events[:5]) == []
    rest = view.apply_all(events)
    assert len(view.steps) == len(first) + len(rest)


def test_unreadable_event_becomes_an_error_step() -> None:
    view = EpisodeView("x")
    steps = view.apply(Event(episode_id="x", seq=0, kind="tool_call", data={"call": 3}))
    assert [s.kind for s in steps] == ["error"]
    assert view.last_seq == 0


def test_pretty_and_one_line() -> None:
    assert pretty('{"a": [1, 2]}') == '{\n  "a": [\n    1,\n    2\n  ]\n}'
    assert pretty("not json") == "not json"
    assert pretty("x" * 5000).endswith("(truncated)")
    assert one_line("a\n  b", 10) == "a b"
    assert one_line("y" * 100, 10) == "y" * 9 + "…"
