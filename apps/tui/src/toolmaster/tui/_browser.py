"""The session browser: recorded episodes, filtered, opened for replay, exported to JSONL."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Input, Label, Select, Static
from toolmaster.core import EpisodeQuery, EpisodeSummary, VerdictFilter, terminal_safe
from toolmaster.tui._data import Context
from toolmaster.tui._listing import (
    Choices,
    Filters,
    Listing,
    counted,
    filter_choices,
    list_episodes,
    mode_label,
)
from toolmaster.tui._model import one_line
from toolmaster.tui._replay import ReplayScreen
from toolmaster.tui._screen import ContextScreen
from toolmaster.tui._widgets import plain

_VERDICTS: list[tuple[str, VerdictFilter]] = [
    ("passed", "passed"),
    ("failed", "failed"),
    ("unjudged", "unjudged"),
]
LIMIT = 500
"""Most episodes listed at once (newest first)."""
_FIXED = {"": 1, "id": 8, "mode": 6, "ok": 5, "started": 11}
"""Widths of the columns that do not stretch; task and policy share the rest."""


class ExportScreen(ModalScreen[Path | None]):
    """Asks where to write the export."""

    DEFAULT_CSS = """
    ExportScreen { align: center middle; }
    ExportScreen > Vertical { width: 70; height: auto; border: round $accent; padding: 0 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [("escape", "cancel", "Cancel")]

    def __init__(self, default: Path, what: str) -> None:
        super().__init__()
        self.default = default
        self.what = what

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"Export {self.what} to JSONL file:")
            yield Input(str(self.default), id="path")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter: export there."""
        self.dismiss(Path(event.value) if event.value.strip() else None)

    def action_cancel(self) -> None:
        """Escape: no export."""
        self.dismiss(None)


class BrowserScreen(ContextScreen[None]):
    """A table of recorded episodes with filters by environment, policy, verdict, evaluation
    run and setting."""

    DEFAULT_CSS = """
    BrowserScreen #filters { height: 3; }
    BrowserScreen Select { width: 1fr; }
    BrowserScreen #count { height: 1; }
    BrowserScreen DataTable { height: 1fr; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        ("enter", "open", "Replay"),
        ("space", "mark", "Mark"),
        ("x", "export", "Export"),
        ("g", "reload", "Reload"),
        ("escape", "app.pop_screen", "Back"),
    ]

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.rows: list[EpisodeSummary] = []
        self.total = 0
        """How many episodes the filters select (`rows` holds at most `LIMIT` of them)."""
        self.selected_ids: list[str] | None = None
        """Every id the filters select, when a run or setting filters (else the store's query
        says which)."""
        self.marked: set[str] = set()
        self.last_export: tuple[Path, int] | None = None
        self.env_select: Select[str] = Select([], prompt="env", id="env")
        self.policy_select: Select[str] = Select([], prompt="policy", id="policy")
        self.verdict_select: Select[str] = Select(_VERDICTS, prompt="verdict", id="verdict")
        self.run_select: Select[str] = Select([], prompt="run", id="run")
        self.setting_select: Select[str] = Select([], prompt="setting", id="setting")
        self.table: DataTable[str | Text] = DataTable(cursor_type="row", zebra_stripes=True)

    def compose(self) -> ComposeResult:
        with Horizontal(id="filters"):
            yield self.env_select
            yield self.policy_select
            yield self.verdict_select
            yield self.run_select
            yield self.setting_select
        yield Static("", id="count")
        yield self.table
        yield Footer()

    def on_mount(self) -> None:
        """Columns, then the filter choices and the rows, from a worker."""
        self.table.focus()
        self._add_columns()
        self.load_choices()
        self.reload()

    def _add_columns(self) -> None:
        """The columns, task and policy sharing what the fixed ones leave of the width."""
        table = self.table
        spare = max(self.size.width, 80) - 1 - sum(_FIXED.values()) - 2 * (len(_FIXED) + 2)
        self.task_width = max(12, spare * 5 // 9)
        self.policy_width = max(10, spare - self.task_width)
        widths = {**_FIXED, "task": self.task_width, "policy": self.policy_width}
        for name in ("", "id", "task", "policy", "mode", "ok", "started"):
            table.add_column(name, width=widths[name], key=name or "mark")

    def filters(self) -> Filters:
        """What the filters select."""
        return Filters(
            EpisodeQuery(
                env=_chosen(self.env_select),
                policy=_chosen(self.policy_select),
                verdict=_verdict(self.verdict_select.value),
                limit=LIMIT,
            ),
            run=_chosen(self.run_select),
            setting=_chosen(self.setting_select),
        )

    def on_select_changed(self) -> None:
        """A filter changed: list again."""
        self.reload()

    @work(thread=True, exclusive=True, group="choices")
    def load_choices(self) -> None:
        """The environments, policies, runs and settings in the store, for the filters."""
        self.ctx.on_ui(self._set_choices, filter_choices(self.ctx.store))

    def _set_choices(self, choices: Choices) -> None:
        with self.prevent(Select.Changed):
            self.env_select.set_options((e, e) for e in choices.envs)
            self.policy_select.set_options((p, p) for p in choices.policies)
            self.run_select.set_options((r, r) for r in choices.runs)
            self.setting_select.set_options((s, s) for s in choices.settings)

    @work(thread=True, exclusive=True, group="rows")
    def reload(self) -> None:
        """The episodes matching the filters, newest first."""
        filters = self.ctx.app.call_from_thread(self.filters)
        self.ctx.on_ui(self._show, list_episodes(self.ctx.store, filters))

    def _show(self, listing: Listing) -> None:
        self.rows = listing.rows
        self.total = listing.total
        self.selected_ids = listing.ids
        table = self.table
        table.clear()
        for row in self.rows:
            table.add_row(*self._cells(row), key=row.id)
        self._count()

    def _count(self) -> None:
        shown = f"{len(self.rows)} of {self.total}" if self.total > len(self.rows) else ""
        what = f"{shown} episodes" if shown else counted(self.total)
        marks = f", {len(self.marked)} marked" if self.marked else ""
        self.query_one("#count", Static).update(f" {what}{marks}")

    def _cells(self, row: EpisodeSummary) -> tuple[str | Text, ...]:
        score = "" if row.score is None else f" {row.score:.2g}"
        mark = {"passed": "✓", "failed": "✗", "unjudged": "-"}[row.verdict]
        return (
            "●" if row.id in self.marked else " ",
            row.id[:8],
            plain(one_line(row.task_id, self.task_width)),
            plain(one_line(row.policy, self.policy_width)),
            mode_label(row),
            mark + score,
            row.started_at.strftime("%m-%d %H:%M"),
        )

    def _current(self) -> EpisodeSummary | None:
        table = self.table
        if not self.rows or not 0 <= table.cursor_row < len(self.rows):
            return None
        return self.rows[table.cursor_row]

    def action_open(self) -> None:
        """Replay the episode under the cursor."""
        row = self._current()
        if row is not None:
            self.ctx.app.push_screen(ReplayScreen(self.ctx, row.id))

    def on_data_table_row_selected(self) -> None:
        """Enter or a click on a row: replay it."""
        self.action_open()

    def action_mark(self) -> None:
        """Mark or unmark the episode under the cursor for export."""
        row = self._current()
        if row is None:
            return
        self.marked ^= {row.id}
        self.table.update_cell(row.id, "mark", self._cells(row)[0])
        self._count()

    def action_reload(self) -> None:
        """Read the store again."""
        self.load_choices()
        self.reload()

    def action_export(self) -> None:
        """Export the marked episodes, or all that the filters select, to a JSONL file."""
        if self.marked:
            what = counted(len(self.marked), "marked episode")
        else:
            what = "the " + counted(self.total, "filtered episode")
        default = self.ctx.config.exports / "episodes.jsonl"
        ids = sorted(self.marked) if self.marked else self.selected_ids
        query = self.filters().query

        def chosen(path: Path | None) -> None:
            if path is not None:
                self.export(path, ids, query)

        self.ctx.app.push_screen(ExportScreen(default, what), chosen)

    @work(thread=True, exclusive=True, group="export")
    def export(self, path: Path, ids: list[str] | None, query: EpisodeQuery) -> None:
        """Write the episodes (`ids`, or all that `query` selects), one JSON line each, as
        `toolmaster sessions export` does."""
        store = self.ctx.store
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8") as out:
            if ids is not None:
                count = 0
                for episode_id in ids:
                    episode = store.get_episode(episode_id)
                    if episode is not None:
                        out.write(episode.model_dump_json() + "\n")
                        count += 1
            else:
                count = store.export_jsonl(out, replace(query, limit=None))
        self.ctx.on_ui(self._exported, path, count)

    def _exported(self, path: Path, count: int) -> None:
        self.last_export = (path, count)
        self.notify(terminal_safe(f"exported {counted(count)} to {path}"), markup=False)


def _chosen(select: Select[str]) -> str | None:
    value = select.value
    return value if isinstance(value, str) else None


def _verdict(value: object) -> VerdictFilter | None:
    for _, verdict in _VERDICTS:
        if value == verdict:
            return verdict
    return None
