# matplotlib's stubs leave `**kwargs` of most Axes and Figure methods untyped:
# pyright: reportUnknownMemberType=false
"""The report's PNG plots, drawn with matplotlib's object API on the Agg canvas (no pyplot, no
global state, no display needed). Each `*_figure` function builds the figure; `plot_*` writes it.
Legends sit outside the axes, so they cover no data.

- `pass_rate.png`: pass rate by setting, one panel per suite, one bar per (run,) policy and
  mode, labelled with its value (percent), with the Wilson interval as the error bar.
- `paired_difference.png`: trial minus direct on the same tasks, one panel per suite, one row
  per (run,) setting and policy: the difference in points with Newcombe's paired interval; the
  row's label gives the number of pairs and the exact McNemar p-value.
- `trials_success.png`: pass rate against the number of trial calls, one line per (run,)
  policy and mode; the marker area grows with the episodes in the bin.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from toolmaster.eval._intervals import format_p
from toolmaster.eval._metrics import TRIAL_BINS, GroupMetrics, PairedDifference, TrialBin

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def _series_name(run: str, policy: str, mode: str, many_runs: bool) -> str:
    return f"{run} · {policy} · {mode}" if many_runs else f"{policy} · {mode}"


def _figure(width: float, height: float) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: PLC0415 (heavy)
    from matplotlib.figure import Figure  # noqa: PLC0415

    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def pass_rate_figure(groups: Sequence[GroupMetrics]) -> Figure:
    """Pass rate by setting with the Wilson intervals as error bars."""
    many_runs = len({g.run for g in groups}) > 1
    suites = list(dict.fromkeys(g.suite for g in groups)) or ["(no episodes)"]
    series = list(dict.fromkeys((g.run, g.policy, g.mode) for g in groups))
    figure = _figure(max(6.0, 4.5 * len(suites)), 4.2 + 0.25 * ((len(series) + 2) // 3))
    axes = figure.subplots(1, len(suites), squeeze=False)[0]
    width = 0.8 / max(1, len(series))
    for ax, suite in zip(axes, suites, strict=True):
        rows = {(g.run, g.policy, g.mode, g.setting): g for g in groups if g.suite == suite}
        settings = list(dict.fromkeys(key[3] for key in rows))
        for index, (run, policy, mode) in enumerate(series):
            xs: list[float] = []
            ys: list[float] = []
            errors: tuple[list[float], list[float]] = ([], [])
            for position, setting in enumerate(settings):
                group = rows.get((run, policy, mode, setting))
                if group is None or group.pass_rate is None or group.pass_ci is None:
                    continue
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
        ax.set_ylabel("pass rate (error bars: Wilson interval)")
        ax.grid(axis="y", alpha=0.3)
    if series:
        handles, labels = axes[0].get_legend_handles_labels()
        figure.legend(handles, labels, loc="outside lower center", ncols=min(3, len(series)),
                      fontsize="small")  # fmt: skip
    return figure


def plot_pass_rates(groups: Sequence[GroupMetrics], path: Path) -> None:
    """Write `pass_rate.png`."""
    pass_rate_figure(groups).savefig(path, dpi=110)


def paired_figure(paired: Sequence[PairedDifference], *, many_runs: bool = False) -> Figure:
    """Trial minus direct per setting and policy, with the paired intervals; rows are labelled
    with their run too when `many_runs` (the report has several) or they come from several."""
    many_runs = many_runs or len({p.run for p in paired}) > 1
    suites = list(dict.fromkeys(p.suite for p in paired)) or ["(no task ran in both modes)"]
    most = max([sum(1 for p in paired if p.suite == s) for s in suites] + [1])
    figure = _figure(max(6.5, 5.0 * len(suites)), 1.6 + 0.6 * most)
    axes = figure.subplots(1, len(suites), squeeze=False)[0]
    for ax, suite in zip(axes, suites, strict=True):
        rows = [p for p in paired if p.suite == suite and p.difference is not None]
        for y, row in enumerate(rows):
            assert row.difference is not None
            x = 100 * row.difference
            low, high = row.ci if row.ci is not None else (row.difference, row.difference)
            ax.errorbar([x], [y], xerr=[[x - 100 * low], [100 * high - x]], fmt="o", capsize=3,
                        color="C0")  # fmt: skip
        names = [
            " · ".join([*([p.run] if many_runs else []), p.setting, p.policy])
            + f"\nn={p.pairs}, p={format_p(p.p_value)}"
            for p in rows
        ]
        ax.set_yticks(range(len(rows)), names)
        ax.set_ylim(max(1, len(rows)) - 0.5, -0.5)
        ax.axvline(0.0, color="grey", linewidth=1)
        ax.set_xlim(-105, 105)
        ax.set_xlabel("trial minus direct (points)")
        ax.set_title(suite)
        ax.grid(axis="x", alpha=0.3)
    figure.suptitle("Paired by task, with Newcombe's interval and the exact McNemar p")
    return figure


def plot_paired_differences(
    paired: Sequence[PairedDifference], path: Path, *, many_runs: bool = False
) -> None:
    """Write `paired_difference.png`."""
    paired_figure(paired, many_runs=many_runs).savefig(path, dpi=110)


def bin_label(low: int, high: int | None) -> str:
    """`3`, `4-5`, `10+`."""
    if high is None:
        return f"{low}+"
    return str(low) if low == high else f"{low}-{high}"


def trials_figure(bins: Sequence[TrialBin]) -> Figure:
    """Pass rate against trial calls."""
    many_runs = len({b.run for b in bins}) > 1
    figure = _figure(8.0, 4.2)
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
        figure.legend(loc="outside right upper", fontsize="small")
    return figure


def plot_trials_success(bins: Sequence[TrialBin], path: Path) -> None:
    """Write `trials_success.png`."""
    trials_figure(bins).savefig(path, dpi=110)
