"""Reports: report.md (markdown tables), report.json (the Report model), PNG plots; the Wilson
interval of every pass rate and trial minus direct paired by task in all three; runs compared
side by side."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from matplotlib.container import BarContainer, ErrorbarContainer
from toolmaster.core import Store, UserError
from toolmaster.eval._intervals import Intervals
from toolmaster.eval._plots import paired_figure, pass_rate_figure, trials_figure
from toolmaster.eval._report import Report, build_report, write_report

from tests.eval.common import episode, tag
from tests.eval.test_intervals import newcombe_paired, wilson_closed_form

PNG = b"\x89PNG\r\n\x1a\n"


def fill(store: Store) -> None:
    """Run `a`: trial mode passes 3 of 4 clean and 1 of 2 renamed, direct mode passes 1 of the
    same 4 clean tasks (t0); run `b`: trial mode passes both of 2 clean tasks."""
    results = {("a", "clean", "trial"): [True, True, True, False],
               ("a", "renamed", "trial"): [True, False],
               ("a", "clean", "direct"): [True, False, False, False],
               ("b", "clean", "trial"): [True, True]}  # fmt: skip
    for (run, setting, mode), outcomes in results.items():
        for index, passed in enumerate(outcomes):
            item = episode(passed=passed, trial=index, calls=index + 1, execute=1,
                           task=f"t{index}", mode=mode)  # fmt: skip
            store.put_episode(tag(setting, run=run).apply(item))
    store.put_episode(episode(passed=True))  # not tagged: not part of any run


def tables(markdown: str) -> list[list[list[str]]]:
    """The markdown tables of a document, as rows of cells (the separator row left out)."""
    found: list[list[list[str]]] = []
    current: list[list[str]] = []
    for line in [*markdown.splitlines(), ""]:
        if line.startswith("|"):
            current.append([cell.strip() for cell in line.strip("|").split("|")])
        elif current:
            found.append([row for row in current if not set("".join(row)) <= set("-:")])
            current = []
    return found


def pct_range(interval: tuple[float, float]) -> str:
    return f"{100 * interval[0]:.1f}-{100 * interval[1]:.1f}"


def test_a_report_writes_markdown_json_and_pngs(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        fill(store)
        report = build_report(store, ["a"])
    files = write_report(report, tmp_path / "out")
    assert [f.name for f in files] == [
        "report.md", "report.json", "pass_rate.png", "trials_success.png",
        "paired_difference.png",
    ]  # fmt: skip
    for png in files[2:]:
        assert png.read_bytes().startswith(PNG)
        assert png.stat().st_size > 5_000
    loaded = Report.model_validate_json(files[1].read_text())
    assert loaded == report
    raw = json.loads(files[1].read_text())
    assert set(raw) == {"version", "generated_at", "intervals", "runs", "groups", "paired",
                        "trial_bins", "comparison"}  # fmt: skip
    assert raw["version"] == 2
    assert raw["intervals"] == {"confidence": 0.95, "rate_interval": "wilson",
                                "difference_interval": "newcombe-hybrid-score",
                                "difference_test": "exact-mcnemar"}  # fmt: skip
    assert [(g["setting"], g["mode"], g["episodes"], g["passed"]) for g in raw["groups"]] == [
        ("clean", "direct", 4, 1), ("clean", "trial", 4, 3), ("renamed", "trial", 2, 1),
    ]  # fmt: skip
    expected = [wilson_closed_form(1, 4, 0.95), wilson_closed_form(3, 4, 0.95),
                wilson_closed_form(1, 2, 0.95)]  # fmt: skip
    for group, interval in zip(raw["groups"], expected, strict=True):
        assert group["pass_ci"] == pytest.approx(list(interval), abs=1e-12)

    (paired,) = raw["paired"]  # renamed ran in trial mode only: no pairs
    counts = ("pairs", "both", "trial_only", "direct_only", "neither", "unpaired")
    assert paired["setting"] == "clean"
    assert [paired[k] for k in counts] == [4, 1, 2, 0, 1, 0]
    assert paired["difference"] == pytest.approx(0.5)
    assert paired["ci"] == pytest.approx(list(newcombe_paired((1, 2, 0, 1), 0.95)), abs=1e-12)
    assert paired["p_value"] == pytest.approx(0.5)  # 2 discordant pairs, both for trial

    markdown = files[0].read_text()
    results, differences, bins = tables(markdown)
    header, *rows = results
    assert header[:7] == ["suite", "setting", "policy", "mode", "n", "pass", "CI"]
    assert all(len(row) == len(header) for row in rows)
    assert rows[0][:7] == ["s", "clean", "model", "direct", "4", "25.0%", pct_range(expected[0])]
    assert rows[1][:7] == ["s", "clean", "model", "trial", "4", "75.0%", pct_range(expected[1])]
    assert rows[2][:7] == ["s", "renamed", "model", "trial", "2", "50.0%", "9.5-90.5"]
    low, high = newcombe_paired((1, 2, 0, 1), 0.95)
    assert differences == [
        ["suite", "setting", "policy", "pairs", "trial", "direct", "Δ", "CI", "both",
         "trial only", "direct only", "neither", "unpaired", "McNemar p"],
        ["s", "clean", "model", "4", "75.0%", "25.0%", "+50.0",
         f"[{100 * low:+.1f}, {100 * high:+.1f}]", "1", "2", "0", "1", "0", "0.500"],
    ]  # fmt: skip
    assert "95% Wilson score interval" in markdown
    assert "Newcombe hybrid score interval" in markdown
    assert bins[0] == ["run", "policy", "mode", "trial calls", "n", "pass"]
    assert "![pass rate by setting](pass_rate.png)" in markdown
    assert "![trial minus direct, paired by task](paired_difference.png)" in markdown


def test_a_group_of_no_episodes_shows_no_interval(tmp_path: Path) -> None:
    """A pass rate of nothing has no interval; markdown shows `-` (the models say None)."""
    with Store(tmp_path / "s.db") as store:
        fill(store)
        report = build_report(store, ["a"])
    empty = report.groups[0].model_copy(update={"episodes": 0, "passed": 0, "pass_rate": None,
                                                "pass_ci": None})  # fmt: skip
    shown = report.model_copy(update={"groups": [empty]})
    write_report(shown, tmp_path / "out")
    (row,) = tables((tmp_path / "out" / "report.md").read_text())[0][1:]
    assert row[4:7] == ["0", "-", "-"]


def test_the_plots_show_the_intervals_and_keep_legends_off_the_data(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        fill(store)
        report = build_report(store, ["a", "b"], Intervals(confidence=0.9))
    figure = pass_rate_figure(report.groups)
    figure.canvas.draw()
    (ax,) = figure.axes
    bars = [c for c in ax.containers if isinstance(c, BarContainer)]
    assert len(bars) == 3  # a · trial, a · direct, b · trial
    drawn = [
        (float(low[1]), float(high[1]))
        for c in ax.containers
        if isinstance(c, ErrorbarContainer)
        for low, high in c.lines[2][0].get_segments()
    ]
    wanted = [g.pass_ci for g in report.groups if g.pass_ci is not None]
    flat = [x for pair in sorted(drawn) for x in pair]
    assert flat == pytest.approx([x for pair in sorted(wanted) for x in pair])  # Wilson
    for fig in (figure, trials_figure(report.trial_bins)):
        fig.canvas.draw()
        (legend,) = fig.legends
        box = legend.get_window_extent()
        assert not any(box.overlaps(a.get_window_extent()) for a in fig.axes)

    paired = paired_figure(report.paired, many_runs=True)
    (ax,) = paired.axes
    (bars,) = ax.containers
    assert isinstance(bars, ErrorbarContainer)
    ((start, end),) = bars.lines[2][0].get_segments()
    ci = report.paired[0].ci
    assert ci is not None
    assert (start[0], end[0]) == pytest.approx((100 * ci[0], 100 * ci[1]))
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a · clean · model\nn=4, p=0.500"]

    files = write_report(report, tmp_path / "out")
    assert (tmp_path / "out" / "paired_difference.png") in files
    assert all(f.stat().st_size > 5_000 for f in files if f.suffix == ".png")


def test_runs_are_compared_side_by_side(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        fill(store)
        report = build_report(store, ["a", "b"])
    assert [r.run for r in report.runs] == ["a", "b"]
    assert [(r.run, r.episodes) for r in report.runs] == [("a", 10), ("b", 2)]
    direct, clean, renamed = report.comparison
    assert direct.pass_rates == {"a": 0.25, "b": None}
    assert clean.pass_rates == {"a": 0.75, "b": 1.0}
    assert clean.delta == pytest.approx(0.25)
    assert (renamed.pass_rates, renamed.delta) == ({"a": 0.5, "b": None}, None)
    write_report(report, tmp_path / "out")
    markdown = (tmp_path / "out" / "report.md").read_text()
    comparison = tables(markdown)[3]
    assert comparison[0] == ["suite", "setting", "policy", "mode", "`a`", "`b`", "Δ"]
    assert comparison[2] == ["s", "clean", "model", "trial", "75.0%", "100.0%", "+25.0"]
    assert comparison[3][-3:] == ["50.0%", "-", "-"]


def test_a_run_without_episodes_is_a_user_error(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        fill(store)
        with pytest.raises(UserError, match="no episodes of run\\(s\\) nope"):
            build_report(store, ["a", "nope"])
        with pytest.raises(UserError, match="at least one run"):
            build_report(store, [])
