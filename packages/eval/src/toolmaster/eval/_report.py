"""Reports: the metrics of one or more runs as `report.md`, `report.json` and PNG plots.

`build_report` reads the runs' episodes from the store and computes everything;
`write_report` writes the files. With several runs, a comparison table puts their pass rates
side by side per (suite, setting, policy, mode), with the difference of the last run against
the first.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field
from toolmaster.core import Store, UserError, utcnow
from toolmaster.eval._metrics import (
    Bootstrap,
    GroupMetrics,
    TrialBin,
    summarise,
    trial_bins,
)
from toolmaster.eval._plots import bin_label, plot_pass_rates, plot_trials_success
from toolmaster.eval._tags import TaggedEpisode, run_episodes

REPORT_VERSION = 1
NONE = "-"
"""What a table shows for a value that does not exist (no episodes, no calls)."""
PASS_RATE_PNG = "pass_rate.png"  # noqa: S105 (a file name)
TRIALS_PNG = "trials_success.png"


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
    bootstrap: Bootstrap
    runs: list[RunInfo]
    groups: list[GroupMetrics]
    trial_bins: list[TrialBin]
    comparison: list[Comparison]


def build_report(store: Store, runs: Sequence[str], bootstrap: Bootstrap | None = None) -> Report:
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
    boot = bootstrap or Bootstrap()
    groups = summarise(items, boot)
    order = {run: i for i, run in enumerate(runs)}
    groups.sort(key=lambda g: order[g.run])  # stable: keeps the sorted order within a run
    return Report(
        bootstrap=boot,
        runs=[_run_info(run, items) for run in runs],
        groups=groups,
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
    """Write `report.md`, `report.json` and the plots into `out` (made if missing)."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot make report folder {out}: {exc.strerror or exc}") from None
    plot_pass_rates(report.groups, out / PASS_RATE_PNG)
    plot_trials_success(report.trial_bins, out / TRIALS_PNG)
    (out / "report.json").write_text(report.model_dump_json(indent=2) + "\n", encoding="utf-8")
    (out / "report.md").write_text(render_markdown(report), encoding="utf-8")
    return [out / name for name in ("report.md", "report.json", PASS_RATE_PNG, TRIALS_PNG)]


def _pct(value: float | None) -> str:
    return NONE if value is None else f"{100 * value:.1f}%"


def _num(value: float | None, digits: int = 1) -> str:
    return NONE if value is None else f"{value:.{digits}f}"


def _ci(interval: tuple[float, float] | None) -> str:
    return NONE if interval is None else f"{100 * interval[0]:.1f}-{100 * interval[1]:.1f}"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    right = ["---" if i < 4 else "---:" for i in range(len(header))]
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


RESULT_COLUMNS = (
    "suite", "setting", "policy", "mode", "n", "pass", "CI", "score", "trial calls",
    "exec calls", "tool err", "fmt err", "turns", "tokens", "wall s", "errors",
)  # fmt: skip


def render_markdown(report: Report) -> str:
    """`report.md`: the tables and the plots."""
    level = round(100 * report.bootstrap.confidence)
    lines = ["# ToolMaster evaluation report", ""]
    lines += [
        f"- run `{run.run}`: {run.episodes} episodes; suites {', '.join(run.suites)}; "
        f"policies {', '.join(run.policies)}; modes {', '.join(run.modes)}"
        for run in report.runs
    ]
    note = (
        f"CI: {level}% percentile bootstrap of the pass rate "
        f"({report.bootstrap.resamples} resamples, seed {report.bootstrap.seed}). "
        "Calls, turns, tokens and wall seconds are means per episode; the error rates "
        "are shares of calls (definitions: docs/eval.md)."
    )
    lines += ["", note, ""]
    for run in report.runs:
        rows = [group_row(g) for g in report.groups if g.run == run.run]
        lines += [f"## Results: `{run.run}`", "", *_table(RESULT_COLUMNS, rows), ""]
    if report.comparison:
        names = [r.run for r in report.runs]
        header = ["suite", "setting", "policy", "mode", *[f"`{n}`" for n in names], "Δ"]
        rows = [
            [c.suite, c.setting, c.policy, c.mode, *[_pct(c.pass_rates[n]) for n in names],
             NONE if c.delta is None else f"{100 * c.delta:+.1f}"]
            for c in report.comparison
        ]  # fmt: skip
        lines += ["## Comparison (pass rate; Δ: last run minus first, points)", ""]
        lines += [*_table(header, rows), ""]
    bins = [
        [b.run, b.policy, b.mode, bin_label(b.low, b.high), str(b.episodes), _pct(b.pass_rate)]
        for b in report.trial_bins
    ]
    lines += ["## Trial calls against success", ""]
    lines += [*_table(["run", "policy", "mode", "trial calls", "n", "pass"], bins), ""]
    lines += [f"![pass rate by setting]({PASS_RATE_PNG})", "",
              f"![trial calls against success]({TRIALS_PNG})", ""]  # fmt: skip
    return "\n".join(lines)
