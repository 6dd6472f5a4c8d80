"""Run against run, paired by task: the pass-rate difference of two evaluation runs on the same
tasks, per suite, setting and mode, with its Newcombe interval and the exact McNemar p-value.

    uv run python docs/results/mini/learn/paired_runs.py --store runs/learn/eval3.db \
        --store runs/learn/eval2.db mask440-id-clean sft330-id-clean

The first run is the minuend: Δ = first minus second, in points.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
from collections import defaultdict

from toolmaster.eval import mcnemar_exact, paired_ci

Cell = tuple[str, str, str]  # suite, setting, mode


def outcomes(stores: list[str], run: str) -> dict[Cell, dict[str, bool]]:
    """Per cell, each task's verdict in `run` (read from whichever store holds it)."""
    found: dict[Cell, dict[str, bool]] = defaultdict(dict)
    for path in stores:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            for (text,) in db.execute(
                "SELECT json FROM episodes WHERE json_extract(json, '$.metadata.eval.run') = ?",
                (run,),
            ):
                episode = json.loads(text)
                meta = episode["metadata"]["eval"]
                cell = (meta["suite"], meta["setting"], episode["mode"])
                found[cell][episode["task"]["id"]] = bool(episode["verdict"]["passed"])
    if not found:
        raise SystemExit(f"no episodes of run {run!r} in {', '.join(stores)}")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", action="append", required=True, help="a store (repeatable)")
    parser.add_argument("first")
    parser.add_argument("second")
    args = parser.parse_args()
    first, second = outcomes(args.store, args.first), outcomes(args.store, args.second)
    print(
        f"| suite | setting | mode | pairs | `{args.first}` | `{args.second}` | Δ | CI | "
        "first only | second only | McNemar p |"
    )
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for cell in sorted(first.keys() & second.keys()):
        tasks = first[cell].keys() & second[cell].keys()
        a = sum(first[cell][t] and second[cell][t] for t in tasks)
        b = sum(first[cell][t] and not second[cell][t] for t in tasks)
        c = sum(second[cell][t] and not first[cell][t] for t in tasks)
        n = len(tasks)
        interval = paired_ci(a, b, c, n - a - b - c)
        low, high = interval or (0.0, 0.0)
        print(
            f"| {' | '.join(cell)} | {n} | {a + b}/{n} | {a + c}/{n} | {100 * (b - c) / n:+.1f} "
            f"| [{100 * low:+.1f}, {100 * high:+.1f}] | {b} | {c} | {mcnemar_exact(b, c):.3f} |"
        )


if __name__ == "__main__":
    main()
