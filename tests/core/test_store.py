"""The session store: episodes, queries, event streams and experience, on real SQLite files."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from toolmaster.core import (
    Episode,
    EpisodeQuery,
    Event,
    Experience,
    Store,
    StoreError,
    ToolKey,
    ToolSpec,
    UserError,
    Verdict,
    default_store_path,
    find_experience,
)

from tests.core._factories import BASE, episode_id, make_episode


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "sessions.db")


def ids(episodes: list[Episode]) -> list[str]:
    return [episode.id for episode in episodes]


def test_put_and_get_episode_round_trips_exactly(store: Store) -> None:
    episode = make_episode(1, turns=3)
    store.put_episode(episode)
    back = store.get_episode(episode.id)
    assert back == episode
    assert back is not None
    assert back.model_dump_json() == episode.model_dump_json()
    assert store.get_episode("missing") is None


def test_put_replaces_an_episode_with_the_same_id(store: Store) -> None:
    episode = make_episode(1, passed=None)
    store.put_episode(episode)
    judged = episode.model_copy(update={"verdict": Verdict(score=0.5, passed=False)})
    store.put_episode(judged)
    assert store.count() == 1
    assert store.get_episode(episode.id) == judged
    assert store.summaries()[0].verdict == "failed"


def test_the_store_file_is_in_wal_mode_and_reopens(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dir" / "sessions.db"
    with Store(path) as store:
        store.put_episode(make_episode(1))
    assert (path.parent / "sessions.db").exists()
    with Store(path) as store:
        assert store.count() == 1
        assert store.path == path


def test_default_path_is_in_the_user_data_directory() -> None:
    path = default_store_path()
    assert path.name == "sessions.db"
    assert "toolmaster" in path.parent.name.lower()


def test_in_memory_store() -> None:
    with Store(":memory:") as store:
        store.put_episode(make_episode(1))
        assert store.count() == 1


def test_queries_filter_and_come_newest_first(store: Store) -> None:
    store.put_episodes(
        [
            make_episode(0, env="weather", policy="a", mode="trial", passed=True),
            make_episode(1, env="shop", policy="a", mode="direct", passed=False),
            make_episode(2, env="weather", policy="b", mode="direct", passed=None),
            make_episode(3, env="shop", policy="b", mode="trial", passed=True, task="t-x"),
            make_episode(4, env=None, policy="a", mode="trial", passed=False),
        ]
    )
    e = episode_id
    assert ids(store.episodes()) == [e(4), e(3), e(2), e(1), e(0)]
    assert ids(store.episodes(EpisodeQuery(env="weather"))) == [e(2), e(0)]
    assert ids(store.episodes(EpisodeQuery(policy="b"))) == [e(3), e(2)]
    assert ids(store.episodes(EpisodeQuery(mode="direct"))) == [e(2), e(1)]
    assert ids(store.episodes(EpisodeQuery(task="t-x"))) == [e(3)]
    assert ids(store.episodes(EpisodeQuery(verdict="passed"))) == [e(3), e(0)]
    assert ids(store.episodes(EpisodeQuery(verdict="failed"))) == [e(4), e(1)]
    assert ids(store.episodes(EpisodeQuery(verdict="unjudged"))) == [e(2)]
    assert ids(store.episodes(EpisodeQuery(policy="a", verdict="failed", env="shop"))) == [e(1)]
    since = BASE + timedelta(seconds=1)
    until = BASE + timedelta(seconds=3)
    assert ids(store.episodes(EpisodeQuery(since=since, until=until))) == [e(2), e(1)]
    naive_since = since.replace(tzinfo=None)  # naive is UTC
    assert ids(store.episodes(EpisodeQuery(since=naive_since, until=until))) == [e(2), e(1)]
    assert store.count(EpisodeQuery(mode="trial", limit=1)) == 3


def test_limit_and_offset_page_through_results(store: Store) -> None:
    store.put_episodes(make_episode(i) for i in range(10))
    pages = [ids(store.episodes(EpisodeQuery(limit=4, offset=o))) for o in (0, 4, 8)]
    assert pages == [[episode_id(i) for i in r] for r in ([9, 8, 7, 6], [5, 4, 3, 2], [1, 0])]
    assert store.episodes(EpisodeQuery(limit=0)) == []


def test_ties_on_start_time_are_ordered_by_id(store: Store) -> None:
    same = datetime(2026, 3, 1, tzinfo=UTC)
    store.put_episodes([make_episode(i, started_at=same) for i in (2, 0, 1)])
    assert ids(store.episodes()) == [episode_id(2), episode_id(1), episode_id(0)]


def test_time_zones_are_compared_as_instants(store: Store) -> None:
    plus_two = datetime(2026, 3, 1, 12, tzinfo=UTC).astimezone(timezone(timedelta(hours=2)))
    store.put_episode(make_episode(1, started_at=plus_two))
    after = EpisodeQuery(since=datetime(2026, 3, 1, 11, 59, tzinfo=UTC))
    before = EpisodeQuery(until=datetime(2026, 3, 1, 12, 0, tzinfo=UTC))
    assert store.count(after) == 1
    assert store.count(before) == 0


def test_bad_limit_or_offset_is_a_user_error() -> None:
    with pytest.raises(UserError, match="limit"):
        EpisodeQuery(limit=-1)
    with pytest.raises(UserError, match="offset"):
        EpisodeQuery(offset=-3)


def test_summaries_hold_the_indexed_columns(store: Store) -> None:
    episode = make_episode(7, env="shop", policy="p", mode="direct", passed=False, task="t")
    store.put_episode(episode)
    (summary,) = store.summaries()
    assert summary.id == episode.id
    assert (summary.task_id, summary.env, summary.policy, summary.mode) == (
        "t",
        "shop",
        "p",
        "direct",
    )
    assert (summary.passed, summary.score, summary.verdict) == (False, 0.0, "failed")
    assert summary.started_at == episode.timings.started_at
    assert summary.wall_s == 2.0


def test_ids_starting_with_resolves_short_ids(store: Store) -> None:
    store.put_episodes(make_episode(i) for i in (10, 11, 20))
    assert store.ids_starting_with("ep0000001") == [episode_id(10), episode_id(11)]
    assert store.ids_starting_with("ep00000020") == [episode_id(20)]
    assert store.ids_starting_with("zz") == []


def test_delete_episode_removes_it_and_its_events(store: Store) -> None:
    episode = make_episode(1)
    store.put_episode(episode)
    store.append_event(episode.id, "episode_started")
    assert store.delete_episode(episode.id)
    assert not store.delete_episode(episode.id)
    assert store.get_episode(episode.id) is None
    assert store.events(episode.id) == []


def test_put_episodes_is_all_or_nothing(store: Store) -> None:
    def episodes_then_failure() -> Iterator[Episode]:
        yield make_episode(1)
        raise RuntimeError("the producer broke")

    with pytest.raises(RuntimeError):
        store.put_episodes(episodes_then_failure())
    assert store.count() == 0


def test_events_are_numbered_without_gaps_and_followed_by_seq(store: Store) -> None:
    first = store.append_event("run-1", "episode_started", {"task": "t"})
    second = store.append_event("run-1", "tool_call", {"tool": "forecast"})
    other = store.append_event("run-2", "episode_started")
    assert (first.seq, second.seq, other.seq) == (0, 1, 0)
    assert store.events("run-1") == [first, second]
    assert store.events("run-1", after_seq=0) == [second]
    assert store.events("run-1", after_seq=1) == []
    third = store.append_event("run-1", "episode_finished", ts=BASE)
    assert third.ts == BASE
    assert store.events("run-1", after_seq=1) == [third]
    assert store.events("run-1", limit=2) == [first, second]


def test_put_event_keeps_the_producers_seq_and_refuses_gaps(store: Store) -> None:
    first = Event(episode_id="run", seq=0, kind="episode_started", ts=BASE)
    store.put_event(first)
    with pytest.raises(StoreError, match="seq 2 of episode run is out of order"):
        store.put_event(Event(episode_id="run", seq=2, kind="assistant", ts=BASE))
    with pytest.raises(StoreError, match="expects seq 1"):
        store.put_event(first)
    second = Event(episode_id="run", seq=1, kind="assistant", ts=BASE, data={"text": "hi"})
    store.put_event(second)
    assert store.events("run") == [first, second]
    assert store.append_event("run", "episode_finished").seq == 2


def test_open_streams_are_the_last_events_of_episodes_not_stored_yet(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    with Store(path) as writer, Store(path) as viewer:
        done = make_episode(1)
        writer.append_event(done.id, "episode_started", ts=BASE)
        writer.put_episode(done)  # stored: its stream is no longer open
        old = writer.append_event("old", "episode_started", ts=BASE)
        writer.append_event("live", "episode_started", ts=BASE)
        live = writer.append_event("live", "assistant", ts=BASE + timedelta(minutes=5))
        assert viewer.open_streams() == [live, old]  # newest first, one event per stream
        assert viewer.open_streams(since=BASE + timedelta(minutes=1)) == [live]
        assert viewer.open_streams(since=BASE + timedelta(minutes=6)) == []


def test_a_viewer_in_another_store_follows_a_live_stream(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    with Store(path) as writer, Store(path) as viewer:
        seen: list[int] = []
        for step in range(5):
            writer.append_event("live", "assistant", {"step": step})
            after = seen[-1] if seen else -1
            seen.extend(event.seq for event in viewer.events("live", after_seq=after))
        assert seen == [0, 1, 2, 3, 4]


def test_concurrent_appends_from_threads_have_no_gaps(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    shared = Store(path)
    own_stores = [Store(path) for _ in range(3)]

    def append(store: Store) -> None:
        for _ in range(50):
            store.append_event("busy", "tool_call")

    threads = [threading.Thread(target=append, args=(s,)) for s in [shared, shared, *own_stores]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [event.seq for event in shared.events("busy")] == list(range(250))
    for store in [shared, *own_stores]:
        store.close()


def test_experience_put_get_list_forget(store: Store) -> None:
    key = ToolKey(server="weather", tool="forecast", schema_hash="abc")
    newer = ToolKey(server="weather", tool="forecast", schema_hash="def")
    other = ToolKey(server="shop", tool="buy", schema_hash="123")
    first = Experience(key=key, notes="days is 0-based", created_at=BASE)
    store.put_experience(first)
    store.put_experience(Experience(key=newer, notes="v2", created_at=BASE + timedelta(1)))
    store.put_experience(Experience(key=other, notes="ids", created_at=BASE))
    assert store.get_experience(key) == first
    assert store.get_experience(ToolKey(server="x", tool="y", schema_hash="z")) is None
    assert [e.notes for e in store.experiences()] == ["ids", "days is 0-based", "v2"]
    assert [e.notes for e in store.experiences(server="weather")] == ["days is 0-based", "v2"]
    assert [e.notes for e in store.experiences(tool="buy")] == ["ids"]

    replaced = Experience(key=key, notes="days is 0-based; units C", episode_id="e1")
    store.put_experience(replaced)
    assert store.get_experience(key) == replaced
    assert store.forget_experience(key)
    assert not store.forget_experience(key)
    assert store.get_experience(key) is None
    assert len(store.experiences()) == 2


def test_a_server_filter_matches_an_identity_a_name_of_every_version_or_a_config_name(
    store: Store,
) -> None:
    for server in ("mcp-server-memory@0.6.0", "mcp-server-memory@0.7.0", "memory", "mem@1"):
        store.put_experience(
            Experience(key=ToolKey(server=server, tool="t", schema_hash="h"), notes="n")
        )

    def servers(name: str) -> list[str]:
        return [e.key.server for e in store.experiences(server=name)]

    assert servers("mcp-server-memory") == ["mcp-server-memory@0.6.0", "mcp-server-memory@0.7.0"]
    assert servers("mcp-server-memory@0.7.0") == ["mcp-server-memory@0.7.0"]
    assert servers("memory") == ["memory"]
    assert servers("mem") == ["mem@1"]
    assert servers("mcp-server") == []


def test_experience_saved_before_keys_were_identities_is_still_found(store: Store) -> None:
    offered = ToolSpec(
        name="files__read", server="files", server_identity="fs@1.0", upstream_name="read"
    )
    before = offered.model_copy(update={"server_identity": None, "upstream_name": None})
    old = Experience(key=before.key, notes="old notes", created_at=BASE)
    store.put_experience(old)
    assert store.get_experience(offered.key) is None
    assert offered.keys == (offered.key, before.key)
    assert find_experience(store.get_experience, offered) == old
    new = Experience(key=offered.key, notes="new notes", created_at=BASE)
    store.put_experience(new)
    assert find_experience(store.get_experience, offered) == new


def test_a_closed_store_refuses_use(tmp_path: Path) -> None:
    store = Store(tmp_path / "sessions.db")
    store.close()
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.count()
