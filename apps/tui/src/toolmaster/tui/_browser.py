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
from toolmaster.core import EpisodeQuery, EpisodeSummary, VerdictFilter
from toolmaster.tui._data import Context
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
    """A table of recorded episodes with filters by environment, policy and verdict."""

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
        self.marked: set[str] = set()
        self.last_export: tuple[Path, int] | None = None
        self.env_select: Select[str] = Select([], prompt="env: all", id="env")
        self.policy_select: Select[str] = Select([], prompt="policy: all", id="policy")
        self.verdict_select: Select[str] = Select(_VERDICTS, prompt="verdict: all", id="verdict")
        self.table: DataTable[str | Text] = DataTable(cursor_type="row", zebra_stripes=True)

    def compose(self) -> ComposeResult:
        with Horizontal(id="filters"):
            yield self.env_select
            yield self.policy_select
            yield self.verdict_select
        yield Static("", id="count")
        yield self.table
        yield Footer()

    def on_mount(self) -> None:
        """Columns, then the filter choices and the rows, from a worker."""
        table = self.table
        table.add_columns("", "id", "task", "policy", "mode", "ok", "started")
        table.focus()
        self.load_choices()
        self.reload()

    def episode_query(self) -> EpisodeQuery:
        """The episodes the filters select."""
        env = self.env_select.value
        policy = self.policy_select.value
        verdict = self.verdict_select.value
        return EpisodeQuery(
            env=env if isinstance(env, str) else None,
            policy=policy if isinstance(policy, str) else None,
            verdict=_verdict(verdict),
            limit=LIMIT,
        )

    def on_select_changed(self) -> None:
        """A filter changed: list again."""
        self.reload()

    @work(thread=True, exclusive=True, group="choices")
    def load_choices(self) -> None:
        """The environments and policies present in the store, for the filters."""
        summaries = self.ctx.store.summaries()
        envs = sorted({s.env for s in summaries if s.env is not None})
        policies = sorted({s.policy for s in summaries})
        self.ctx.on_ui(self._set_choices, envs, policies)

    def _set_choices(self, envs: list[str], policies: list[str]) -> None:
        with self.prevent(Select.Changed):
            self.env_select.set_options((e, e) for e in envs)
            self.policy_select.set_options((p, p) for p in policies)

    @work(thread=True, exclusive=True, group="rows")
    def reload(self) -> None:
        """The episodes matching the filters, newest first."""
        query = self.ctx.app.call_from_thread(self.episode_query)
        rows = self.ctx.store.summaries(query)
        total = self.ctx.store.count(replace(query, limit=None))
        self.ctx.on_ui(self._show, rows, total)

    def _show(self, rows: list[EpisodeSummary], total: int) -> None:
        self.rows = rows
        table = self.table
        table.clear()
        for row in rows:
            table.add_row(*self._cells(row), key=row.id)
        shown = f"{len(rows)} of {total}" if total > len(rows) else f"{total}"
        marks = f", {len(self.marked)} marked" if self.marked else ""
        self.query_one("#count", Static).update(f" {shown} episodes{marks}")

    def _cells(self, row: EpisodeSummary) -> tuple[str | Text, ...]:
        score = "" if row.score is None else f" {row.score:.2g}"
        mark = {"passed": "✓", "failed": "✗", "unjudged": "-"}[row.verdict]
        return (
            "●" if row.id in self.marked else " ",
            row.id[:8],
            plain(row.task_id),
            plain(row.policy),
            row.mode,
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
        table = self.table
        table.update_cell(row.id, table.ordered_columns[0].key, self._cells(row)[0])
        self.query_one("#count", Static).update(
            f" {len(self.rows)} episodes, {len(self.marked)} marked"
        )

    def action_reload(self) -> None:
        """Read the store again."""
        self.load_choices()
        self.reload()

    def action_export(self) -> None:
        """Export the marked episodes, or all that the filters select, to a JSONL file."""
        what = f"{len(self.marked)} marked episodes" if self.marked else "the filtered episodes"
        default = self.ctx.config.export_dir / "episodes.jsonl"

        def chosen(path: Path | None) -> None:
            if path is not None:
                self.export(path, sorted(self.marked), self.episode_query())

        self.ctx.app.push_screen(ExportScreen(default, what), chosen)

    @work(thread=True, exclusive=True, group="export")
    def export(self, path: Path, ids: list[str], query: EpisodeQuery) -> None:
        """Write the episodes, one JSON line each, as `toolmaster sessions export` does."""
        store = self.ctx.store
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8") as out:
            if ids:
                count = 0
                for episode_id in ids:
                    episode = store.get_episode(episode_id)
                    if episode is not None:
                        out.write(episode.model_dump_json() + "\n")
                        count += 1
            else:
                count = store.export_jsonl(out, query)
        self.ctx.on_ui(self._exported, path, count)

    def _exported(self, path: Path, count: int) -> None:
        self.last_export = (path, count)
        self.notify(f"exported {count} episodes to {path}")


def _verdict(value: object) -> VerdictFilter | None:
    for _, verdict in _VERDICTS:
        if value == verdict:
            return verdict
    return None
