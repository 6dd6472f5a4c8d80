"""`AsyncStore`: the session store for async code, each call run in a worker thread."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from functools import partial
from typing import Any, Concatenate, ParamSpec, TypeVar

import anyio.to_thread
from toolmaster.core._store import Store

_P = ParamSpec("_P")
_T = TypeVar("_T")


def _in_thread(
    method: Callable[Concatenate[Store, _P], _T],
) -> Callable[Concatenate[AsyncStore, _P], Coroutine[Any, Any, _T]]:
    """`Store.<method>` as a coroutine method of `AsyncStore`, run in a worker thread."""

    async def call(self: AsyncStore, /, *args: _P.args, **kwargs: _P.kwargs) -> _T:
        return await anyio.to_thread.run_sync(partial(method, self.store, *args, **kwargs))

    call.__name__ = call.__qualname__ = method.__name__
    call.__doc__ = f"See `Store.{method.__name__}`."
    return call


class AsyncStore:
    """Awaitable access to a `Store`, so that SQLite never blocks the event loop.

    It wraps a store the caller opened and still owns (`AsyncStore(Store(path))`); closing
    stays with the `Store`. Calls run in anyio's worker threads; the store's lock keeps them
    one at a time. Each method takes what the `Store` method of its name takes.
    """

    def __init__(self, store: Store) -> None:
        self.store = store

    put_episode = _in_thread(Store.put_episode)
    put_episodes = _in_thread(Store.put_episodes)
    get_episode = _in_thread(Store.get_episode)
    episodes = _in_thread(Store.episodes)
    summaries = _in_thread(Store.summaries)
    append_event = _in_thread(Store.append_event)
    put_event = _in_thread(Store.put_event)
    """Usable as the agent loop's event sink."""
    events = _in_thread(Store.events)
    open_streams = _in_thread(Store.open_streams)
    abandoned_streams = _in_thread(Store.abandoned_streams)
    put_experience = _in_thread(Store.put_experience)
    get_experience = _in_thread(Store.get_experience)
    experiences = _in_thread(Store.experiences)
    forget_experience = _in_thread(Store.forget_experience)
