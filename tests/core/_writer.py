"""A writer process for the load and crash tests: `python -m tests.core._writer DB FIRST COUNT
BATCH` writes `make_episode(i)` for FIRST <= i < FIRST + COUNT (COUNT 0: forever) in
transactions of BATCH episodes, and prints the number written after each commit."""

from __future__ import annotations

import itertools
import sys

from toolmaster.core import Store

from tests.core._factories import make_episode


def main(db: str, first: int, count: int, batch: int) -> None:
    indices = itertools.count(first) if count == 0 else iter(range(first, first + count))
    written = 0
    with Store(db) as store:
        while chunk := list(itertools.islice(indices, batch)):
            written += store.put_episodes(make_episode(i) for i in chunk)
            print(written, flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
