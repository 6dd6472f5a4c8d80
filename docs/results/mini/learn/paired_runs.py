"""Run against run, paired by task: the pass-rate difference of two evaluation runs on the same
tasks, per suite, setting and mode, with its Newcombe interval and the exact McNemar p-value.

    uv run python docs/results/mini/learn/paired_runs.py --store runs/learn/eval3.db \
        --store runs/learn/eval2.db mask440-id-clean sft330-id-clean

The first run is the minuend: Δ = first minus second, in points. Arms evaluated in different
modes (the SFT-trial arm in trial mode against the SFT-direct arm in direct mode) pair by suite
and setting with `--first-mode trial --second-mode direct`:

    uv run python docs/results/mini/learn/paired_runs.py --store runs/learn/eval-all.db \
        --first-mode trial --second-mode direct mask440-id-clean direct440-id-clean
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


def in_mode(
    found: dict[Cell, dict[str, bool]], mode: str | None, label: str
) -> dict[Cell, dict[str, bool]]:
    """The cells of one mode, relabelled `label` to pair with another run's mode; None: all."""
    if mode is None:
        return found
    return {(suite, setting, label): v for (suite, setting, m), v in found.items() if m == mode}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", action="append", required=True, help="a store (repeatable)")
    parser.add_argument("--first-mode", help="only this mode of the first run")
    parser.add_argument("--second-mode", help="only this mode of the second run")
    parser.add_argument("first")
    parser.add_argument("second")
    args = parser.parse_args()
    label = f"{args.first_mode} vs {args.second_mode}"
    first = in_mode(outcomes(args.store, args.first), args.first_mode, label)
    second = in_mode(outcomes(args.store, args.second), args.second_mode, label)
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
