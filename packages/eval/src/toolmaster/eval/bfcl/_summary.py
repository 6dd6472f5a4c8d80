"""Accuracy per BFCL category over scored episodes."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import JsonValue
from toolmaster.core import Episode, Record

_BFCL_KEY = "bfcl"


class CategoryScore(Record):
    """BFCL's accuracy on one category: the share of entries its checker finds valid."""

    category: str
    entries: int
    passed: int
    errors: int
    """Episodes that ended with a failure (budget, policy, server): counted as not passed."""

    @property
    def accuracy(self) -> float:
        return self.passed / self.entries if self.entries else 0.0


def summarize(episodes: Iterable[Episode]) -> list[CategoryScore]:
    """Accuracy per category of BFCL episodes (others are ignored), in order of appearance."""
    counts: dict[str, list[int]] = {}
    for episode in episodes:
        category = _category(episode.metadata.get(_BFCL_KEY))
        if category is None:
            continue
        row = counts.setdefault(category, [0, 0, 0])
        row[0] += 1
        row[1] += int(episode.verdict is not None and episode.verdict.passed)
        row[2] += int(episode.error is not None)
    return [
        CategoryScore(category=c, entries=n, passed=p, errors=e) for c, (n, p, e) in counts.items()
    ]


def _category(bfcl: JsonValue) -> str | None:
    if isinstance(bfcl, dict):
        category = bfcl.get("category")
        if isinstance(category, str):
            return category
    return None
