"""AsyncStore: the same store from async code, without blocking the event loop."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest
from toolmaster.core import AsyncStore, EpisodeQuery, Event, Experience, Store, ToolKey

from tests.core._factories import BASE, make_episode

pytestmark = pytest.mark.anyio


async def test_async_store_round_trips_through_worker_threads(tmp_path: Path) -> None:
    with Store(tmp_path / "sessions.db") as store:
        astore = AsyncStore(store)
        with anyio.fail_after(10):
            await astore.put_episode(make_episode(1))
            assert await astore.put_episodes([make_episode(2), make_episode(3)]) == 2
            assert await astore.get_episode(make_episode(1).id) == make_episode(1)
            assert len(await astore.episodes(EpisodeQuery(limit=2))) == 2
            assert [s.id for s in await astore.summaries()] == [
                make_episode(i).id for i in (3, 2, 1)
            ]

            key = ToolKey(server="s", tool="t", schema_hash="h")
            experience = Experience(key=key, notes="n", created_at=BASE)
            await astore.put_experience(experience)
            assert await astore.get_experience(key) == experience
            assert await astore.experiences(server="s") == [experience]
            assert await astore.forget_experience(key)

            event = await astore.append_event("running", "episode_started", ts=BASE)
            assert await astore.open_streams(since=BASE) == [event]


async def test_concurrent_async_appends_keep_the_stream_gapless(tmp_path: Path) -> None:
    with Store(tmp_path / "sessions.db") as store:
        astore = AsyncStore(store)

        async def append(n: int) -> None:
            for _ in range(n):
                await astore.append_event("run", "tool_call", {"n": n})

        with anyio.fail_after(20):
            async with anyio.create_task_group() as tg:
                for _ in range(4):
                    tg.start_soon(append, 10)
            await astore.put_event(
                Event(episode_id="run", seq=40, kind="episode_finished", ts=BASE)
            )
            events = await astore.events("run")
            assert [e.seq for e in events] == list(range(41))
            assert await astore.events("run", after_seq=37) == events[38:]
