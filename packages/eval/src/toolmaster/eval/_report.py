"""Reports: the metrics of one or more runs as `report.md`, `report.json` and PNG plots.

`build_report` reads the runs' episodes from the store and computes everything;
`write_report` writes the files. Pass rates carry their Wilson interval; where a run has both
modes, trial minus direct is compared on the same tasks (Newcombe's paired interval, exact
McNemar test; `toolmaster.eval._intervals`). With several runs, a comparison table puts their
pass rates side by side per (suite, setting, policy, mode), with the difference of the last run
against the first.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field
from toolmaster.core import Store, UserError, utcnow
from toolmaster.eval._intervals import Intervals, format_p
from toolmaster.eval._metrics import (
    GroupMetrics,
    PairedDifference,
    TrialBin,
    paired_differences,
    summarise,
    trial_bins,
)
from toolmaster.eval._plots import (
    bin_label,
    plot_paired_differences,
    plot_pass_rates,
    plot_trials_success,
)
from toolmaster.eval._tags import TaggedEpisode, run_episodes

REPORT_VERSION = 2
NONE = "-"
"""What a table shows for a value that does not exist (no episodes, no calls)."""
PASS_RATE_PNG = "pass_rate.png"  # noqa: S105 (a file name)
TRIALS_PNG = "trials_success.png"
PAIRED_PNG = "paired_difference.png"


class RunInfo(BaseModel):
    """One run of the report."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    run: str
    episodes: int
    suites: list[str]
    settings: list[str]
    policies: list[str]
    modes: list[str]
    started_at: datetime | None
    finished_at: datetime | None


class Comparison(BaseModel):
    """One (suite, setting, policy, mode) across runs."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    suite: str
    setting: str
    policy: str
    mode: str
    pass_rates: dict[str, float | None]
    """By run; None where the run has no such episodes."""
    delta: float | None
    """Last run minus first run, where both have episodes."""


class Report(BaseModel):
    """Everything a report shows; `report.json` is this model."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int = REPORT_VERSION
    generated_at: datetime = Field(default_factory=utcnow)
    intervals: Intervals
    runs: list[RunInfo]
    groups: list[GroupMetrics]
    paired: list[PairedDifference]
    """Trial minus direct on the same tasks, per (run, suite, setting, policy)."""
    trial_bins: list[TrialBin]
    comparison: list[Comparison]


def build_report(store: Store, runs: Sequence[str], intervals: Intervals | None = None) -> Report:
    """The report of `runs` (in that order). A run with no episodes is a `UserError`."""
    if not runs:
        raise UserError("name at least one run")
    items = run_episodes(store, runs)
    missing = [run for run in runs if not any(t.run == run for t, _ in items)]
    if missing:
        raise UserError(
            f"no episodes of run(s) {', '.join(missing)} in {store.path}; "
            "`toolmaster eval runs` lists the runs there"
        )
    return report_of(items, runs, intervals)


def report_of(
    items: Sequence[TaggedEpisode], runs: Sequence[str], intervals: Intervals | None = None
) -> Report:
    """The report of `runs` (in that order) from their tagged episodes, read already."""
    chosen = intervals or Intervals()
    groups = summarise(items, chosen)
    paired = paired_differences(items, chosen)
    order = {run: i for i, run in enumerate(runs)}
    groups.sort(key=lambda g: order[g.run])  # stable: keeps the sorted order within a run
    paired.sort(key=lambda p: order[p.run])
    return Report(
        intervals=chosen,
        runs=[_run_info(run, items) for run in runs],
        groups=groups,
        paired=paired,
        trial_bins=trial_bins(items),
        comparison=compare(groups, runs) if len(runs) > 1 else [],
    )


def _run_info(run: str, items: Sequence[TaggedEpisode]) -> RunInfo:
    mine = [(t, e) for t, e in items if t.run == run]
    starts = [e.timings.started_at for _, e in mine]
    ends = [f for _, e in mine if (f := e.timings.finished_at) is not None]
    return RunInfo(
        run=run,
        episodes=len(mine),
        suites=sorted({t.suite for t, _ in mine}),
        settings=sorted({t.setting for t, _ in mine}),
        policies=sorted({t.policy for t, _ in mine}),
        modes=sorted({e.mode for _, e in mine}),
        started_at=min(starts) if starts else None,
        finished_at=max(ends) if ends else None,
    )


def compare(groups: Sequence[GroupMetrics], runs: Sequence[str]) -> list[Comparison]:
    """Pass rates of `runs` side by side for every (suite, setting, policy, mode)."""
    keys = list(dict.fromkeys((g.suite, g.setting, g.policy, g.mode) for g in groups))
    rates = {(g.run, g.suite, g.setting, g.policy, g.mode): g.pass_rate for g in groups}
    rows: list[Comparison] = []
    for suite, setting, policy, mode in keys:
        by_run = {run: rates.get((run, suite, setting, policy, mode)) for run in runs}
        first, last = by_run[runs[0]], by_run[runs[-1]]
        delta = last - first if first is not None and last is not None else None
        rows.append(Comparison(suite=suite, setting=setting, policy=policy, mode=mode,
                               pass_rates=by_run, delta=delta))  # fmt: skip
    return rows


def write_report(report: Report, out: Path) -> list[Path]:
    """Write `report.md`, `report.json` and the three plots into `out` (made if missing)."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot make report folder {out}: {exc.strerror or exc}") from None
    plot_pass_rates(report.groups, out / PASS_RATE_PNG)
    plot_trials_success(report.trial_bins, out / TRIALS_PNG)
    plot_paired_differences(report.paired, out / PAIRED_PNG, many_runs=len(report.runs) > 1)
    (out / "report.json").write_text(report.model_dump_json(indent=2) + "\n", encoding="utf-8")
    (out / "report.md").write_text(render_markdown(report), encoding="utf-8")
    names = ("report.md", "report.json", PASS_RATE_PNG, TRIALS_PNG, PAIRED_PNG)
    return [out / name for name in names]


def _pct(value: float | None) -> str:
    return NONE if value is None else f"{100 * value:.1f}%"


def _num(value: float | None, digits: int = 1) -> str:
    return NONE if value is None else f"{value:.{digits}f}"


def _ci(interval: tuple[float, float] | None) -> str:
    return NONE if interval is None else f"{100 * interval[0]:.1f}-{100 * interval[1]:.1f}"


def diff_ci(interval: tuple[float, float] | None) -> str:
    """A paired difference's interval in points: `[-12.5, +30.0]`."""
    return NONE if interval is None else f"[{100 * interval[0]:+.1f}, {100 * interval[1]:+.1f}]"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], text: int = 4) -> list[str]:
    right = ["---" if i < text else "---:" for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(right) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def group_row(g: GroupMetrics) -> list[str]:
    """One row of the results table."""
    return [
        g.suite, g.setting, g.policy, g.mode, str(g.episodes), _pct(g.pass_rate), _ci(g.pass_ci),
        _num(g.mean_score, 2), _num(g.trial_calls), _num(g.execute_calls),
        _pct(g.tool_error_rate), _pct(g.format_error_rate), _num(g.turns), _num(g.tokens, 0),
        _num(g.wall_s, 2), str(g.errors),
    ]  # fmt: skip


def paired_row(p: PairedDifference) -> list[str]:
    """One row of the trial-minus-direct table."""
    return [
        p.suite, p.setting, p.policy, str(p.pairs), _pct(p.trial_rate), _pct(p.direct_rate),
        NONE if p.difference is None else f"{100 * p.difference:+.1f}", diff_ci(p.ci),
        str(p.both), str(p.trial_only), str(p.direct_only), str(p.neither), str(p.unpaired),
        format_p(p.p_value),
    ]  # fmt: skip


def comparison_row(c: Comparison, runs: Sequence[str]) -> list[str]:
    """One row of the comparison table: the pass rates of `runs`, then the difference."""
    rates = [_pct(c.pass_rates.get(run)) for run in runs]
    delta = NONE if c.delta is None else f"{100 * c.delta:+.1f}"
    return [c.suite, c.setting, c.policy, c.mode, *rates, delta]


PAIRED_COLUMNS = (
    "suite", "setting", "policy", "pairs", "trial", "direct", "Δ", "CI", "both", "trial only",
    "direct only", "neither", "unpaired", "McNemar p",
)  # fmt: skip


RESULT_COLUMNS = (
    "suite", "setting", "policy", "mode", "n", "pass", "CI", "score", "trial calls",
    "exec calls", "tool err", "fmt err", "turns", "tokens", "wall s", "errors",
)  # fmt: skip


def render_markdown(report: Report) -> str:
    """`report.md`: the tables and the plots."""
    level = f"{100 * report.intervals.confidence:g}%"
    lines = ["# ToolMaster evaluation report", ""]
    lines += [
        f"- run `{run.run}`: {run.episodes} episodes; suites {', '.join(run.suites)}; "
        f"policies {', '.join(run.policies)}; modes {', '.join(run.modes)}"
        for run in report.runs
    ]
    note = (
        f"CI: the {level} Wilson score interval of the pass rate (percent). "
        "Calls, turns, tokens and wall seconds are means per episode; the error rates "
        "are shares of calls (definitions: docs/eval.md)."
    )
    lines += ["", note, ""]
    for run in report.runs:
        rows = [group_row(g) for g in report.groups if g.run == run.run]
        lines += [f"## Results: `{run.run}`", "", *_table(RESULT_COLUMNS, rows), ""]
    lines += _paired_section(report, level)
    if report.comparison:
        names = [r.run for r in report.runs]
        header = ["suite", "setting", "policy", "mode", *[f"`{n}`" for n in names], "Δ"]
        rows = [comparison_row(c, names) for c in report.comparison]
        lines += ["## Comparison (pass rate; Δ: last run minus first, points)", ""]
        lines += [*_table(header, rows), ""]
    bins = [
        [b.run, b.policy, b.mode, bin_label(b.low, b.high), str(b.episodes), _pct(b.pass_rate)]
        for b in report.trial_bins
    ]
    lines += ["## Trial calls against success", ""]
    lines += [*_table(["run", "policy", "mode", "trial calls", "n", "pass"], bins), ""]
    lines += [f"![pass rate by setting]({PASS_RATE_PNG})", "",
              f"![trial minus direct, paired by task]({PAIRED_PNG})", "",
              f"![trial calls against success]({TRIALS_PNG})", ""]  # fmt: skip
    return "\n".join(lines)


def _paired_section(report: Report, level: str) -> list[str]:
    """Trial minus direct on the same tasks, one table per run that has both modes."""
    if not report.paired:
        return []
    note = (
        "Each task (and sample) run in both modes is a pair. Δ: trial pass rate minus direct "
        f"pass rate over the pairs, in points; CI: its {level} Newcombe hybrid score interval "
        "for paired proportions (Newcombe 1998, method 10); both / trial only / direct only / "
        "neither: pairs by which modes passed; unpaired: tasks run in one mode only, left out; "
        "McNemar p: exact two-sided McNemar test on the discordant pairs."
    )
    lines: list[str] = []
    for run in report.runs:
        rows = [paired_row(p) for p in report.paired if p.run == run.run]
        if rows:
            lines += [f"## Trial minus direct, paired by task: `{run.run}`", "", note, ""]
            lines += [*_table(PAIRED_COLUMNS, rows, text=3), ""]
    return lines
