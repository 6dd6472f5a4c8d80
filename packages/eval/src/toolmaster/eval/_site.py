"""The viewer: a static site of evaluation runs and recorded sessions, one folder that opens
from disk (`file://`, no server) or from any static host.

```
index.html  style.css  app.js     the page (vanilla JS; nothing from the network)
data.js                           the runs, their tables, every episode's row, the filters
episodes/<n>.js                   episode n's detail page, loaded when it is opened
```

The data are scripts that hand JSON to the page (`window.TOOLMASTER_VIEW = {...}` and
`toolmasterEpisode(n, {...})`), because a page opened from disk may not fetch files. The tables
are the report's (`toolmaster.eval._report`): the same rows, pass rates with their Wilson
interval, trial minus direct paired by task with Newcombe's interval and the exact McNemar test.
The page puts every value into the DOM as text, never as markup.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from datetime import datetime
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, JsonValue
from toolmaster.core import Episode, Store, UserError, utcnow
from toolmaster.eval._episode_view import (
    NO_RUN,
    EpisodeDetail,
    EpisodeRow,
    episode_detail,
    episode_row,
)
from toolmaster.eval._intervals import Intervals
from toolmaster.eval._report import (
    PAIRED_COLUMNS,
    RESULT_COLUMNS,
    Report,
    RunInfo,
    compare,
    comparison_row,
    group_row,
    paired_row,
    report_of,
)
from toolmaster.eval._settings import SETTINGS
from toolmaster.eval._tags import EvalTag, TaggedEpisode, tagged

SITE_VERSION = 1
PAGE_FILES = ("index.html", "style.css", "app.js")
DATA_FILE = "data.js"
EPISODES_DIR = "episodes"
FILTERS = ("run", "suite", "setting", "mode", "policy", "verdict")
"""The episode fields the page filters on, in the order of its filter bar."""


class TableRow(BaseModel):
    """A row of a table: its cells, and the fields the page's filters match it on (a filter
    whose field the row lacks lets it through)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    keys: dict[str, str]
    cells: list[str]


class Table(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    columns: list[str]
    rows: list[TableRow]


class Site(BaseModel):
    """What the viewer shows; `data.js` holds all of it but `details`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int = SITE_VERSION
    generated_at: datetime = Field(default_factory=utcnow)
    store: str
    """The store's file name."""
    confidence: float
    runs: list[RunInfo]
    results: Table
    """Per (run, suite, setting, policy, mode): the report's results table."""
    paired: Table
    """Per (run, suite, setting, policy): trial minus direct on the same tasks."""
    comparison: Table
    """Pass rates of the runs side by side (empty with fewer than two runs)."""
    episodes: list[EpisodeRow]
    filters: dict[str, list[str]]
    """Every value of each filter, in the order the page lists them."""
    details: list[EpisodeDetail] = Field(exclude=True)
    """Episode n's detail page is `details[n]`."""


def build_site(
    store: Store, runs: Sequence[str] | None = None, intervals: Intervals | None = None
) -> Site:
    """The site of `runs` (in that order), or with `runs=None` of the whole store: every run
    (oldest first) and the episodes no evaluation tagged. A run with no episodes, or a store
    with none, is a `UserError`."""
    episodes = store.episodes()
    items = tagged(episodes, runs)
    if runs is None:
        names = _runs_by_start(items)
        loose = [e for e in episodes if EvalTag.of(e) is None]
    else:
        names = list(dict.fromkeys(runs))
        missing = [run for run in names if not any(t.run == run for t, _ in items)]
        if missing:
            raise UserError(
                f"no episodes of run(s) {', '.join(missing)} in {store.path}; "
                "`toolmaster eval runs` lists the runs there"
            )
        loose = []
    if not items and not loose:
        raise UserError(f"no episodes in {store.path}: nothing to show")
    report = report_of(items, names, intervals)
    order = {run: i for i, run in enumerate(names)}
    items.sort(key=lambda item: _place(order, item))
    loose.sort(key=lambda e: (e.timings.started_at, e.id), reverse=True)
    listed: list[tuple[EvalTag | None, Episode]] = [*items, *((None, e) for e in loose)]
    rows = [episode_row(i, tag, episode) for i, (tag, episode) in enumerate(listed)]
    return Site(
        store=store.path.name,
        confidence=report.intervals.confidence,
        runs=report.runs,
        results=_results(report),
        paired=_paired(report),
        comparison=_comparison(report, names),
        episodes=rows,
        filters=_filters(rows, [*names, *([NO_RUN] if loose else [])]),
        details=[episode_detail(row, tag, e) for row, (tag, e) in zip(rows, listed, strict=True)],
    )


def _runs_by_start(items: Sequence[TaggedEpisode]) -> list[str]:
    first: dict[str, datetime] = {}
    for tag, episode in items:
        start = episode.timings.started_at
        first[tag.run] = min(first.get(tag.run, start), start)
    return sorted(first, key=lambda run: (first[run], run))


def _place(order: dict[str, int], item: TaggedEpisode) -> tuple[object, ...]:
    """Where an episode of a run is listed: by run, suite, setting, policy, task, then trial
    before direct, then sample."""
    tag, episode = item
    return (order[tag.run], tag.suite, _setting_order(tag.setting), tag.policy, episode.task.id,
            episode.mode != "trial", tag.sample)  # fmt: skip


def _setting_order(setting: str) -> tuple[int, str]:
    known = list(SETTINGS)
    return (known.index(setting), "") if setting in known else (len(known), setting)


def _results(report: Report) -> Table:
    rows = [
        TableRow(
            keys={"run": g.run, "suite": g.suite, "setting": g.setting, "policy": g.policy,
                  "mode": g.mode},
            cells=[g.run, *group_row(g)],
        )
        for g in report.groups
    ]  # fmt: skip
    return Table(columns=["run", *RESULT_COLUMNS], rows=rows)


def _paired(report: Report) -> Table:
    rows = [
        TableRow(
            keys={"run": p.run, "suite": p.suite, "setting": p.setting, "policy": p.policy},
            cells=[p.run, *paired_row(p)],
        )
        for p in report.paired
    ]
    return Table(columns=["run", *PAIRED_COLUMNS], rows=rows)


def _comparison(report: Report, runs: Sequence[str]) -> Table:
    if len(runs) < 2:
        return Table(columns=[], rows=[])
    rows = [
        TableRow(
            keys={"suite": c.suite, "setting": c.setting, "policy": c.policy, "mode": c.mode},
            cells=comparison_row(c, runs),
        )
        for c in compare(report.groups, runs)
    ]
    columns = ["suite", "setting", "policy", "mode", *runs, f"Δ ({runs[-1]} - {runs[0]})"]
    return Table(columns=columns, rows=rows)


def _filters(rows: Sequence[EpisodeRow], runs: Sequence[str]) -> dict[str, list[str]]:
    settings = sorted({r.setting for r in rows}, key=_setting_order)
    return {
        "run": list(runs),
        "suite": sorted({r.suite for r in rows}),
        "setting": settings,
        "mode": [m for m in ("trial", "direct") if any(r.mode == m for r in rows)],
        "policy": sorted({r.policy for r in rows}),
        "verdict": [
            v for v in ("passed", "failed", "unjudged") if any(r.verdict == v for r in rows)
        ],
    }


def write_site(site: Site, out: Path) -> Path:
    """Write the site into `out` (made if missing) and return its `index.html`. A folder that
    holds a site already is brought up to date (its old episode pages removed); a folder that
    has an `episodes` folder of something else is refused."""
    pages = out / EPISODES_DIR
    if pages.exists() and not (out / DATA_FILE).is_file():
        raise UserError(f"{out} has an {EPISODES_DIR}/ folder but no viewer: pick another folder")
    try:
        if pages.exists():
            shutil.rmtree(pages)
        pages.mkdir(parents=True)
        static = resources.files("toolmaster.eval").joinpath("_viewer")
        for name in PAGE_FILES:
            (out / name).write_text(static.joinpath(name).read_text(encoding="utf-8"), "utf-8")
        data = site.model_dump(mode="json")
        (out / DATA_FILE).write_text(f"window.TOOLMASTER_VIEW = {_js(data)};\n", "utf-8")
        for index, detail in enumerate(site.details):
            text = f"toolmasterEpisode({index}, {_js(detail.model_dump(mode='json'))});\n"
            (pages / f"{index}.js").write_text(text, "utf-8")
    except OSError as exc:
        raise UserError(f"cannot write the viewer into {out}: {exc.strerror or exc}") from None
    return out / "index.html"


def _js(data: JsonValue) -> str:
    """`data` as a JavaScript literal: JSON, ASCII only (so the file's encoding never matters)."""
    return json.dumps(data, ensure_ascii=True, separators=(",", ":"))
