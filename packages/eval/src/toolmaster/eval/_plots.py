# matplotlib's stubs leave `**kwargs` of most Axes and Figure methods untyped:
# pyright: reportUnknownMemberType=false
"""The report's PNG plots, drawn with matplotlib's object API on the Agg canvas (no pyplot, no
global state, no display needed).

- `pass_rate.png`: pass rate by setting, one panel per suite, one bar per (run,) policy and
  mode, labelled with its value (percent), with the bootstrap interval as the error bar.
- `trials_success.png`: pass rate against the number of trial calls, one line per (run,)
  policy and mode; the marker area grows with the episodes in the bin.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from toolmaster.eval._metrics import TRIAL_BINS, GroupMetrics, TrialBin


def _series_name(run: str, policy: str, mode: str, many_runs: bool) -> str:
    return f"{run} · {policy} · {mode}" if many_runs else f"{policy} · {mode}"


def plot_pass_rates(groups: Sequence[GroupMetrics], path: Path) -> None:
    """Write `pass_rate.png`: pass rate by setting with bootstrap error bars."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: PLC0415 (heavy)
    from matplotlib.figure import Figure  # noqa: PLC0415

    many_runs = len({g.run for g in groups}) > 1
    suites = list(dict.fromkeys(g.suite for g in groups)) or ["(no episodes)"]
    series = list(dict.fromkeys((g.run, g.policy, g.mode) for g in groups))
    figure = Figure(figsize=(max(6.0, 4.5 * len(suites)), 4.2), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(1, len(suites), squeeze=False)[0]
    width = 0.8 / max(1, len(series))
    for ax, suite in zip(axes, suites, strict=True):
        rows = [g for g in groups if g.suite == suite]
        settings = list(dict.fromkeys(g.setting for g in rows))
        for index, (run, policy, mode) in enumerate(series):
            xs: list[float] = []
            ys: list[float] = []
            errors: tuple[list[float], list[float]] = ([], [])
            for position, setting in enumerate(settings):
                found = [
                    g
                    for g in rows
                    if (g.run, g.policy, g.mode, g.setting) == (run, policy, mode, setting)
                ]
                if not found or found[0].pass_rate is None or found[0].pass_ci is None:
                    continue
                group = found[0]
                assert group.pass_rate is not None
                assert group.pass_ci is not None
                xs.append(position + (index - (len(series) - 1) / 2) * width)
                ys.append(group.pass_rate)
                errors[0].append(max(0.0, group.pass_rate - group.pass_ci[0]))
                errors[1].append(max(0.0, group.pass_ci[1] - group.pass_rate))
            bars = ax.bar(xs, ys, width, yerr=errors, capsize=3,
                          label=_series_name(run, policy, mode, many_runs))  # fmt: skip
            ax.bar_label(bars, [f"{100 * y:.0f}" for y in ys], fontsize="x-small", padding=2)
        ax.set_xticks(range(len(settings)), settings, rotation=20)
        ax.set_ylim(0, 1.12)
        ax.set_title(suite)
        ax.set_ylabel("pass rate")
        ax.grid(axis="y", alpha=0.3)
    if series:
        axes[0].legend(fontsize="small")
    figure.savefig(path, dpi=110)


def bin_label(low: int, high: int | None) -> str:
    """`3`, `4-5`, `10+`."""
    if high is None:
        return f"{low}+"
    return str(low) if low == high else f"{low}-{high}"


def plot_trials_success(bins: Sequence[TrialBin], path: Path) -> None:
    """Write `trials_success.png`: pass rate against trial calls."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: PLC0415 (heavy)
    from matplotlib.figure import Figure  # noqa: PLC0415

    many_runs = len({b.run for b in bins}) > 1
    figure = Figure(figsize=(6.5, 4.2), layout="constrained")
    FigureCanvasAgg(figure)
    ax = figure.subplots()
    positions = {(low, high): i for i, (low, high) in enumerate(TRIAL_BINS)}
    series = list(dict.fromkeys((b.run, b.policy, b.mode) for b in bins))
    for run, policy, mode in series:
        mine = [b for b in bins if (b.run, b.policy, b.mode) == (run, policy, mode)]
        xs = [positions[(b.low, b.high)] for b in mine]
        ys = [b.pass_rate for b in mine]
        sizes = [15.0 + 10.0 * b.episodes**0.5 for b in mine]
        line = ax.plot(xs, ys, alpha=0.6, label=_series_name(run, policy, mode, many_runs))
        ax.scatter(xs, ys, s=sizes, color=line[0].get_color())
    ax.set_xticks(range(len(TRIAL_BINS)), [bin_label(lo, hi) for lo, hi in TRIAL_BINS])
    ax.set_xlabel("trial calls in the episode")
    ax.set_ylabel("pass rate")
    ax.set_ylim(-0.05, 1.05)
    ax.grid(alpha=0.3)
    if series:
        ax.legend(fontsize="small")
    figure.savefig(path, dpi=110)
