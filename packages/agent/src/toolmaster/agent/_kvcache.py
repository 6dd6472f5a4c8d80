"""Key-value caches of the decode engine: one per sequence, and the store that keeps them between
the turns of an episode.

A conversation's turn `n + 1` renders a prompt whose token ids start with turn `n`'s prompt (the
rendering is prefix-preserving), usually followed by the generated reply as the template writes it
back, then the tool results. The store keeps each finished sequence's cache with the token ids it
holds; the next request takes the entry with the longest common prefix of token ids, cuts the
cache there and feeds only the rest. Nothing is trusted but token ids: a prompt that diverged
earlier than expected reuses less (and is counted), never something wrong.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

__all__ = ["CacheStats", "KVCache", "PrefixStore"]

_GRAIN = 256
"""Capacities are multiples of this many positions."""


class KVCache:
    """The keys and values of one sequence, for every layer, with room to grow:
    `k[layer]` and `v[layer]` are `[kv_heads, capacity, head_dim]`; positions `[0, length)` hold
    the sequence's tokens."""

    def __init__(
        self,
        layers: int,
        kv_heads: int,
        head_dim: int,
        *,
        dtype: torch.dtype,
        device: torch.device,
        capacity: int = _GRAIN,
    ) -> None:
        import torch  # noqa: PLC0415

        capacity = _round_up(capacity)
        shape = (layers, kv_heads, capacity, head_dim)
        self.k = torch.empty(shape, dtype=dtype, device=device)
        self.v = torch.empty(shape, dtype=dtype, device=device)
        self.length = 0

    @property
    def capacity(self) -> int:
        return self.k.shape[2]

    @property
    def nbytes(self) -> int:
        return 2 * self.k.numel() * self.k.element_size()

    def reserve(self, positions: int) -> None:
        """Make room for `positions` positions in all (a copy when it grows)."""
        if positions <= self.capacity:
            return
        import torch  # noqa: PLC0415

        capacity = _round_up(max(positions, self.capacity * 3 // 2))
        layers, heads, _, dim = self.k.shape
        for name in ("k", "v"):
            old: torch.Tensor = getattr(self, name)
            new = torch.empty((layers, heads, capacity, dim), dtype=old.dtype, device=old.device)
            new[:, :, : self.length] = old[:, :, : self.length]
            setattr(self, name, new)

    def truncate(self, length: int) -> None:
        """Forget the positions from `length` on."""
        self.length = min(self.length, length)

    def copy_prefix(self, length: int, capacity: int) -> KVCache:
        """A new cache holding the first `length` positions of this one."""
        length = min(length, self.length)
        layers, heads, _, dim = self.k.shape
        copy = KVCache(
            layers,
            heads,
            dim,
            dtype=self.k.dtype,
            device=self.k.device,
            capacity=max(capacity, length),
        )
        copy.k[:, :, :length] = self.k[:, :, :length]
        copy.v[:, :, :length] = self.v[:, :, :length]
        copy.length = length
        return copy


@dataclass
class CacheStats:
    """What the store did for the requests it served."""

    requests: int = 0
    continued: int = 0
    """Requests whose prompt started with a stored sequence's whole prompt (the next turn of an
    episode): only the new tokens were fed."""
    shared: int = 0
    """Requests that reused a copy of a common prefix of another sequence (a prompt that diverged
    from its conversation's earlier rendering, or another episode with the same system prompt,
    tools and task)."""
    missed: int = 0
    """Requests with nothing to reuse: a full prefill."""
    reused_tokens: int = 0
    prefilled_tokens: int = 0
    evicted: int = 0


@dataclass
class _Entry:
    tokens: list[int]
    """The token ids whose keys and values `cache` holds."""
    prompt_tokens: int
    """How many of them were the prompt (the rest: generated tokens fed back)."""
    cache: KVCache


@dataclass
class PrefixStore:
    """Finished sequences' caches, least recently used first, within `max_bytes`.

    Used from one thread (the engine's). A request takes an entry out while its sequence runs, so
    two sequences never write one cache; a prefix of an entry can be copied for another.
    """

    max_bytes: int
    min_shared: int = 16
    """The shortest common prefix worth copying from another sequence."""
    stats: CacheStats = field(default_factory=CacheStats)
    _entries: OrderedDict[int, _Entry] = field(default_factory=OrderedDict[int, _Entry])
    _ids: itertools.count[int] = field(default_factory=itertools.count)

    @property
    def nbytes(self) -> int:
        return sum(entry.cache.nbytes for entry in self._entries.values())

    def __len__(self) -> int:
        return len(self._entries)

    def acquire(self, tokens: list[int], capacity: int) -> tuple[KVCache | None, int]:
        """The cache to continue `tokens` from and how many of them it holds (at least one token
        is always left to feed); `(None, 0)` when nothing is worth reusing."""
        self.stats.requests += 1
        best_key, best = None, 0
        for key, entry in self._entries.items():
            common = _common_prefix(entry.tokens, tokens)
            if common > best:
                best_key, best = key, common
        best = min(best, len(tokens) - 1)
        if best_key is None or best < self.min_shared:
            self.stats.missed += 1
            self.stats.prefilled_tokens += len(tokens)
            return None, 0
        entry = self._entries[best_key]
        if best >= entry.prompt_tokens:
            del self._entries[best_key]
            cache = entry.cache
            cache.truncate(best)
            cache.reserve(capacity)
            self.stats.continued += 1
        else:
            self._entries.move_to_end(best_key)
            cache = entry.cache.copy_prefix(best, capacity)
            self.stats.shared += 1
        self.stats.reused_tokens += best
        self.stats.prefilled_tokens += len(tokens) - best
        return cache, best

    def release(self, tokens: list[int], prompt_tokens: int, cache: KVCache) -> None:
        """Keep a finished sequence's cache (`tokens`: the ids it holds), evicting the least
        recently used entries beyond `max_bytes`."""
        if cache.length != len(tokens):
            raise ValueError(f"a cache of {cache.length} positions stored for {len(tokens)} tokens")
        self._entries[next(self._ids)] = _Entry(tokens, prompt_tokens, cache)
        total = self.nbytes
        while total > self.max_bytes and self._entries:
            _, evicted = self._entries.popitem(last=False)
            total -= evicted.cache.nbytes
            self.stats.evicted += 1

    def clear(self) -> None:
        self._entries.clear()


def _common_prefix(a: list[int], b: list[int]) -> int:
    """The length of the common prefix of two token lists."""
    n = min(len(a), len(b))
    if a[:n] == b[:n]:
        return n
    low, high = 0, n  # a[:low] == b[:low], a[:high] != b[:high]
    while high - low > 1:
        mid = (low + high) // 2
        if a[:mid] == b[:mid]:
            low = mid
        else:
            high = mid
    return low


def _round_up(n: int) -> int:
    return max(_GRAIN, -(-n // _GRAIN) * _GRAIN)
