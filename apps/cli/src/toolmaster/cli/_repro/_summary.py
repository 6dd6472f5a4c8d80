"""The arms side by side: `arms.md` and `arms.json` beside `toolmaster eval report`'s files.

`toolmaster eval report` compares runs per (suite, setting, policy, mode); the arms differ in
mode, so its comparison table is sparse. This summary puts the five arms in columns:

- pass rate with its 95% Wilson interval and n, per suite and setting;
- per arm and suite, pooled over the clean setting and over the five perturbed ones: pass rate,
  interval, trial and execution calls, tool-error and format-error rates, turns, tokens, wall
  seconds and episodes that ended in an error (the metrics of docs/eval.md).

The numbers come from `toolmaster.eval`'s own metrics over the store's episodes (newest per key).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from toolmaster.core import Store
from toolmaster.eval import GroupMetrics, TaggedEpisode, run_episodes, summarise

__all__ = ["write_summary"]

ARMS_MD = "arms.md"
ARMS_JSON = "arms.json"
CLEAN = "clean"
PERTURBED = "perturbed"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f}%"


def _num(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _cell(group: GroupMetrics | None) -> str:
    if group is None or group.pass_rate is None:
        return "-"
    low, high = group.pass_ci or (0.0, 0.0)
    return f"{_pct(group.pass_rate)} [{100 * low:.0f}-{100 * high:.0f}] n={group.episodes}"


def _relabel(
    items: Sequence[TaggedEpisode], arms: Mapping[str, str], pooled: bool
) -> list[TaggedEpisode]:
    """The episodes with the arm name as the run (and clean/perturbed as the setting)."""
    out: list[TaggedEpisode] = []
    for tag, episode in items:
        update: dict[str, str] = {"run": arms[tag.run]}
        if pooled:
            update["setting"] = CLEAN if tag.setting == CLEAN else PERTURBED
        out.append(TaggedEpisode(tag.model_copy(update=update), episode))
    return out


def _by_setting(groups: Sequence[GroupMetrics], names: Sequence[str]) -> list[str]:
    index = {(g.run, g.suite, g.setting): g for g in groups}
    keys = sorted({(g.suite, g.setting) for g in groups}, key=lambda k: (k[0], k[1] != CLEAN, k[1]))
    lines = ["| suite | setting | " + " | ".join(f"`{n}`" for n in names) + " |"]
    lines.append("|---|---|" + "---:|" * len(names))
    for suite, setting in keys:
        cells = [_cell(index.get((n, suite, setting))) for n in names]
        lines.append(f"| {suite} | {setting} | " + " | ".join(cells) + " |")
    return lines


def _pooled(groups: Sequence[GroupMetrics], names: Sequence[str]) -> list[str]:
    header = ["arm", "suite", "tools", "n", "pass", "CI", "trial calls", "exec calls",
              "tool err", "fmt err", "turns", "tokens", "wall s", "errors"]  # fmt: skip
    lines = ["| " + " | ".join(header) + " |", "|---|---|---|" + "---:|" * (len(header) - 3)]
    order = {n: i for i, n in enumerate(names)}
    for g in sorted(groups, key=lambda g: (g.suite, order[g.run], g.setting)):
        low, high = g.pass_ci or (0.0, 0.0)
        row = [f"`{g.run}`", g.suite, g.setting, str(g.episodes), _pct(g.pass_rate),
               f"{100 * low:.0f}-{100 * high:.0f}", _num(g.trial_calls), _num(g.execute_calls),
               _pct(g.tool_error_rate), _pct(g.format_error_rate), _num(g.turns),
               _num(g.tokens, 0), _num(g.wall_s, 0), str(g.errors)]  # fmt: skip
        lines.append("| " + " | ".join(row) + " |")
    return lines


def write_summary(
    store_path: Path, runs: Mapping[str, str], labels: Mapping[str, str], out: Path, title: str
) -> list[Path]:
    """Write arms.md and arms.json for `runs` (arm -> run id, in the arms' order)."""
    with Store(store_path) as store:
        items = run_episodes(store, list(runs.values()))
    arm_of = {run: arm for arm, run in runs.items()}
    by_setting = summarise(_relabel(items, arm_of, pooled=False))
    pooled = summarise(_relabel(items, arm_of, pooled=True))
    names = list(runs)
    lines = [f"# {title}", "", "Arms (evaluation run ids in the store):", ""]
    lines += [f"- `{arm}`: {labels[arm]} (run `{run}`)" for arm, run in runs.items()]
    lines += ["", "Pass rate [95% Wilson interval] and episodes, per suite and setting:", ""]
    lines += _by_setting(by_setting, names)
    pooled_note = (
        "Pooled per arm and suite: the clean tools, and the five perturbed settings together "
        "(means per episode; error rates are shares of calls, docs/eval.md):"
    )
    lines += ["", pooled_note, ""]
    lines += _pooled(pooled, names)
    out.mkdir(parents=True, exist_ok=True)
    md = out / ARMS_MD
    md.write_text("\n".join(lines) + "\n", encoding="utf-8")
    data = {
        "arms": [{"arm": a, "label": labels[a], "run": r} for a, r in runs.items()],
        "by_setting": [g.model_dump(mode="json") for g in by_setting],
        "pooled": [g.model_dump(mode="json") for g in pooled],
    }
    js = out / ARMS_JSON
    js.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return [md, js]
