"""Rich tables for the terminal: a report's results and comparison, the suites and settings."""

from __future__ import annotations

from collections.abc import Sequence

from rich import box
from rich.table import Table
from toolmaster.core import environments
from toolmaster.eval._intervals import format_p
from toolmaster.eval._report import NONE, Report, diff_ci, group_row
from toolmaster.eval._settings import SETTINGS
from toolmaster.eval._suites import builtin_suites


def _table(
    title: str, columns: Sequence[str], rows: Sequence[Sequence[str]], *, wrap: int | None = None
) -> Table:
    """A table that keeps its cells whole: every column as wide as its widest cell, but for
    column `wrap` (a long text), which wraps. The first column that does not start with a
    letter-free cell is left-aligned text; numbers are right-aligned."""
    table = Table(box=box.SIMPLE_HEAD, title=title, pad_edge=False, padding=0)
    for index, column in enumerate(columns):
        cells = [column, *(row[index] for row in rows)]
        numeric = index > 0 and all(_numeric(cell) for cell in cells[1:])
        table.add_column(
            column,
            justify="right" if numeric else "left",
            no_wrap=index != wrap,
            min_width=None if index == wrap else max(len(cell) for cell in cells),
        )
    for row in rows:
        table.add_row(*row)
    return table


def _numeric(cell: str) -> bool:
    return cell == NONE or cell[:1].isdigit() or cell[:1] in "+-"


def _rate(value: float | None) -> str:
    return NONE if value is None else f"{100 * value:.0f}%"


def results_table(report: Report) -> Table:
    """Every group of the report, one row each: pass rate and its Wilson interval, mean trial
    and execution calls, episodes that ended with an error (report.md has every column)."""
    many = len(report.runs) > 1
    columns = ["run"] if many else []
    columns += ["suite", "setting", "policy", "mode", "n", "pass", "CI", "trial", "exec", "err"]
    rows: list[list[str]] = []
    for g in report.groups:
        ci = NONE if g.pass_ci is None else f"{100 * g.pass_ci[0]:.0f}-{100 * g.pass_ci[1]:.0f}"
        full = group_row(g)
        rows.append(
            ([g.run] if many else [])
            + [g.suite, g.setting, g.policy, g.mode, str(g.episodes), _rate(g.pass_rate), ci]
            + [full[8], full[9], str(g.errors)]
        )
    runs = ", ".join(r.run for r in report.runs)
    return _table(f"ToolMaster evaluation: {runs}", columns, rows)


def paired_table(report: Report) -> Table:
    """Trial minus direct on the same tasks: pairs, the difference in points, its Newcombe
    interval, the discordant pairs and the exact McNemar p (report.md has every column)."""
    many = len(report.runs) > 1
    columns = ["run"] if many else []
    columns += ["suite", "setting", "policy", "pairs", "Δ", "CI", "trial only", "direct only", "p"]
    rows = [
        ([p.run] if many else [])
        + [p.suite, p.setting, p.policy, str(p.pairs),
           NONE if p.difference is None else f"{100 * p.difference:+.0f}", diff_ci(p.ci),
           str(p.trial_only), str(p.direct_only), format_p(p.p_value)]
        for p in report.paired
    ]  # fmt: skip
    return _table("trial minus direct, paired by task (points)", columns, rows)


def comparison_table(report: Report) -> Table:
    """Pass rates of the report's runs side by side."""
    names = [r.run for r in report.runs]
    rows = [
        [c.suite, c.setting, c.policy, c.mode, *[_rate(c.pass_rates[n]) for n in names],
         NONE if c.delta is None else f"{100 * c.delta:+.0f}"]
        for c in report.comparison
    ]  # fmt: skip
    columns = ["suite", "setting", "policy", "mode", *names, "Δ"]
    return _table("pass rate by run (Δ: last minus first, points)", columns, rows)


def suites_table() -> Table:
    """The built-in suites, their environments and test tasks."""
    envs = environments()
    rows = [
        [name, ", ".join(suite.envs), str(sum(len(envs[e].tasks("test")) for e in suite.envs))]
        for name, suite in builtin_suites().items()
    ]
    return _table("built-in suites (--suite)", ["suite", "environments", "test tasks"], rows)


def settings_table() -> Table:
    """The settings and what each changes."""
    rows = [[s.name, ", ".join(s.kinds) or NONE, s.description] for s in SETTINGS.values()]
    columns = ["setting", "perturbation kinds", "what the policy sees"]
    return _table("settings (--setting)", columns, rows, wrap=2)
