"""`AsyncStore`: the session store for async code, each call run in a worker thread."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial
from typing import TypeVar

import anyio.to_thread
from pydantic import JsonValue
from toolmaster.core._episode import Episode, Event, EventKind, Experience
from toolmaster.core._query import EpisodeQuery, EpisodeSummary
from toolmaster.core._store import Store
from toolmaster.core._tools import ToolKey

_T = TypeVar("_T")


class AsyncStore:
    """Awaitable access to a `Store`, so that SQLite never blocks the event loop.

    It wraps a store the caller opened and still owns (`AsyncStore(Store(path))`); closing
    stays with the `Store`. Calls run in anyio's worker threads; the store's lock keeps them
    one at a time.
    """

    def __init__(self, store: Store) -> None:
        self.store = store

    async def put_episode(self, episode: Episode) -> None:
        """See `Store.put_episode`."""
        await _run(partial(self.store.put_episode, episode))

    async def put_episodes(self, episodes: Sequence[Episode]) -> int:
        """See `Store.put_episodes`."""
        return await _run(partial(self.store.put_episodes, episodes))

    async def get_episode(self, episode_id: str) -> Episode | None:
        """See `Store.get_episode`."""
        return await _run(partial(self.store.get_episode, episode_id))

    async def episodes(self, query: EpisodeQuery | None = None) -> list[Episode]:
        """See `Store.episodes`."""
        return await _run(partial(self.store.episodes, query))

    async def summaries(self, query: EpisodeQuery | None = None) -> list[EpisodeSummary]:
        """See `Store.summaries`."""
        return await _run(partial(self.store.summaries, query))

    async def append_event(
        self,
        episode_id: str,
        kind: EventKind,
        data: dict[str, JsonValue] | None = None,
        *,
        ts: datetime | None = None,
    ) -> Event:
        """See `Store.append_event`."""
        return await _run(partial(self.store.append_event, episode_id, kind, data, ts=ts))

    async def put_event(self, event: Event) -> None:
        """See `Store.put_event`. Usable as the agent loop's event sink."""
        await _run(partial(self.store.put_event, event))

    async def events(
        self, episode_id: str, *, after_seq: int = -1, limit: int | None = None
    ) -> list[Event]:
        """See `Store.events`."""
        return await _run(partial(self.store.events, episode_id, after_seq=after_seq, limit=limit))

    async def open_streams(self, since: datetime | None = None) -> list[Event]:
        """See `Store.open_streams`."""
        return await _run(partial(self.store.open_streams, since))

    async def put_experience(self, experience: Experience) -> None:
        """See `Store.put_experience`."""
        await _run(partial(self.store.put_experience, experience))

    async def get_experience(self, key: ToolKey) -> Experience | None:
        """See `Store.get_experience`."""
        return await _run(partial(self.store.get_experience, key))

    async def experiences(
        self, server: str | None = None, tool: str | None = None
    ) -> list[Experience]:
        """See `Store.experiences`."""
        return await _run(partial(self.store.experiences, server, tool))

    async def forget_experience(self, key: ToolKey) -> bool:
        """See `Store.forget_experience`."""
        return await _run(partial(self.store.forget_experience, key))


async def _run(call: Callable[[], _T]) -> _T:
    return await anyio.to_thread.run_sync(call)
