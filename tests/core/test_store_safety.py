"""What the store keeps safe: text that UTF-8 cannot encode, read-only places, and streams
whose writer is gone (issue 19, items 3 and 4)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from toolmaster.core import Episode, Event, Message, Store, StoreError, ToolCall, episode_json
from toolmaster.core._writers import Writer, gone, this_writer

from tests.core._factories import BASE, make_episode
from tests.core._readonly import read_only_copy


def _with_surrogates(i: int) -> Episode:
    episode = make_episode(i)
    call = ToolCall(id="bad", tool="forecast", arguments={"city\udc80": "Par\ud800is"})
    broken = Message(role="assistant", content="half a pair: \ud83d", tool_calls=[call])
    return episode.model_copy(update={"messages": [*episode.messages, broken]})


def test_a_lone_surrogate_is_stored_as_u_fffd_and_marked(tmp_path: Path) -> None:
    episode = _with_surrogates(1)
    event = Event(episode_id=episode.id, seq=0, kind="assistant", ts=BASE, data={"t": "\ud800"})
    with Store(tmp_path / "s.db") as store:
        store.put_event(event)  # before the fix: PydanticSerializationError, nothing stored
        store.put_episode(episode)
        stored = store.get_episode(episode.id)
        (stored_event,) = store.events(episode.id)
    assert stored is not None
    last = stored.messages[-1]
    assert last.content == "half a pair: \ufffd"
    assert last.tool_calls[0].arguments == {"city\ufffd": "Par\ufffdis"}
    assert stored.metadata["sanitised"] is True
    assert stored.messages[:-1] == episode.messages[:-1]
    assert stored_event.data == {"t": "\ufffd", "sanitised": True}
    assert episode_json(episode) == stored.model_dump_json()


def test_a_clean_record_is_stored_unmarked(tmp_path: Path) -> None:
    episode = make_episode(2)
    with Store(tmp_path / "s.db") as store:
        store.put_episode(episode)
        assert store.get_episode(episode.id) == episode


def test_a_store_on_a_read_only_place_is_listed_read_only(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    with Store(folder / "s.db") as store:
        store.put_episodes(make_episode(i) for i in range(3))
    with read_only_copy(folder, tmp_path / "ro") as ro:
        with pytest.raises(StoreError, match="cannot be opened for writing"):
            Store(ro / "s.db")
        with Store(ro / "s.db", read_only=True) as store:
            assert store.count() == 3
            assert [e.id for e in store.episodes()] == [make_episode(i).id for i in (2, 1, 0)]
            assert store.open_streams() == []
            with pytest.raises(StoreError, match="opened read-only"):
                store.put_episode(make_episode(4))
        assert sorted(p.name for p in ro.iterdir()) == ["s.db"]


def test_read_only_refuses_a_missing_or_empty_file(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no session store"):
        Store(tmp_path / "missing.db", read_only=True)
    (tmp_path / "empty.db").touch()
    with pytest.raises(StoreError, match="not a session store"):
        Store(tmp_path / "empty.db", read_only=True)


def test_a_stream_whose_writer_exited_is_abandoned_not_live(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    script = (
        "import sys; from toolmaster.core import Store\n"
        "with Store(sys.argv[1]) as s: s.append_event('gone', 'episode_started')\n"
    )
    subprocess.run([sys.executable, "-c", script, str(path)], check=True, timeout=60)
    with Store(path) as store:
        store.append_event("here", "episode_started")
        # Before the fix both streams were "open" (live) until the TUI's 10-minute window.
        assert [e.episode_id for e in store.open_streams()] == ["here"]
        assert [e.episode_id for e in store.abandoned_streams()] == ["gone"]
        store.put_episode(make_episode(1).model_copy(update={"id": "gone"}))
        assert store.abandoned_streams() == []


def test_a_reused_pid_is_not_the_writer() -> None:
    me = this_writer()
    assert not gone(me)
    if me.started is not None:  # where start times are known (Linux)
        assert gone(Writer(me.host, me.pid, me.started + 1))
    assert not gone(Writer("another-host", 1, None))  # cannot be checked: not called gone
    assert gone(Writer(me.host, _dead_pid(), None))


def _dead_pid() -> int:
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    pid = int(done.stdout)
    assert not os.path.exists(f"/proc/{pid}") or sys.platform != "linux"
    return pid


def test_read_only_refuses_a_file_that_is_not_a_store(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"\x00\x01 definitely not sqlite " * 300)
    with pytest.raises(StoreError, match="is not a ToolMaster session store"):
        Store(garbage, read_only=True)
