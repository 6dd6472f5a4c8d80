"""Reports: report.md (markdown tables), report.json (the Report model), PNG plots; runs
compared side by side."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from toolmaster.core import Store, UserError
from toolmaster.eval._metrics import Bootstrap
from toolmaster.eval._report import Report, build_report, write_report

from tests.eval.common import episode, tag

PNG = b"\x89PNG\r\n\x1a\n"


def fill(store: Store) -> None:
    """Run `a`: 3 of 4 pass clean, 1 of 2 renamed; run `b`: all pass clean; both trial mode."""
    results = {("a", "clean"): [True, True, True, False], ("a", "renamed"): [True, False],
               ("b", "clean"): [True, True]}  # fmt: skip
    for (run, setting), outcomes in results.items():
        for index, passed in enumerate(outcomes):
            item = episode(passed=passed, trial=index, calls=index + 1, execute=1, task=f"t{index}")
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


def test_a_report_writes_markdown_json_and_pngs(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        fill(store)
        report = build_report(store, ["a"], Bootstrap(resamples=200))
    files = write_report(report, tmp_path / "out")
    assert [f.name for f in files] == [
        "report.md", "report.json", "pass_rate.png", "trials_success.png",
    ]  # fmt: skip
    for png in files[2:]:
        assert png.read_bytes().startswith(PNG)
        assert png.stat().st_size > 5_000
    loaded = Report.model_validate_json(files[1].read_text())
    assert loaded == report
    raw = json.loads(files[1].read_text())
    assert set(raw) == {"version", "generated_at", "bootstrap", "runs", "groups", "trial_bins",
                        "comparison"}  # fmt: skip
    assert [(g["setting"], g["episodes"], g["passed"]) for g in raw["groups"]] == [
        ("clean", 4, 3), ("renamed", 2, 1),
    ]  # fmt: skip
    results, bins = tables(files[0].read_text())
    header, *rows = results
    assert header[:7] == ["suite", "setting", "policy", "mode", "n", "pass", "CI"]
    assert all(len(row) == len(header) for row in rows)
    assert rows[0][:6] == ["s", "clean", "model", "trial", "4", "75.0%"]
    assert rows[1][:6] == ["s", "renamed", "model", "trial", "2", "50.0%"]
    assert bins[0] == ["run", "policy", "mode", "trial calls", "n", "pass"]
    assert "![pass rate by setting](pass_rate.png)" in files[0].read_text()


def test_runs_are_compared_side_by_side(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        fill(store)
        report = build_report(store, ["a", "b"], Bootstrap(resamples=200))
    assert [r.run for r in report.runs] == ["a", "b"]
    assert [(r.run, r.episodes) for r in report.runs] == [("a", 6), ("b", 2)]
    clean, renamed = report.comparison
    assert clean.pass_rates == {"a": 0.75, "b": 1.0}
    assert clean.delta == pytest.approx(0.25)
    assert (renamed.pass_rates, renamed.delta) == ({"a": 0.5, "b": None}, None)
    write_report(report, tmp_path / "out")
    markdown = (tmp_path / "out" / "report.md").read_text()
    comparison = tables(markdown)[2]
    assert comparison[0] == ["suite", "setting", "policy", "mode", "`a`", "`b`", "Δ"]
    assert comparison[1] == ["s", "clean", "model", "trial", "75.0%", "100.0%", "+25.0"]
    assert comparison[2][-3:] == ["50.0%", "-", "-"]


def test_a_run_without_episodes_is_a_user_error(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        fill(store)
        with pytest.raises(UserError, match="no episodes of run\\(s\\) nope"):
            build_report(store, ["a", "nope"])
        with pytest.raises(UserError, match="at least one run"):
            build_report(store, [])
