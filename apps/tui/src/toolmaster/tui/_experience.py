"""The experience view: what memory holds per tool."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import DataTable, Footer, Static
from toolmaster.core import Experience
from toolmaster.tui._data import Context
from toolmaster.tui._model import one_line, tool_note
from toolmaster.tui._screen import ContextScreen
from toolmaster.tui._widgets import Pane, plain


class ExperienceScreen(ContextScreen[None]):
    """One row per remembered tool version; the highlighted row's notes in full below."""

    DEFAULT_CSS = """
    ExperienceScreen #title { height: 1; }
    ExperienceScreen DataTable { height: 1fr; }
    ExperienceScreen #notes { height: 8; overflow-y: auto; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        ("g", "reload", "Reload"),
        ("escape", "app.pop_screen", "Back"),
    ]

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.table: DataTable[str | Text] = DataTable(cursor_type="row", zebra_stripes=True)
        self.items: list[Experience] = []

    def compose(self) -> ComposeResult:
        yield Static(
            " [b reverse] MEMORY [/] experience per tool (server, tool, schema)", id="title"
        )
        yield self.table
        notes = Pane("", id="notes")
        notes.border_title = "notes"
        yield notes
        yield Footer()

    def on_mount(self) -> None:
        """Columns, then the rows from a worker."""
        table = self.table
        table.add_columns("server", "tool", "schema", "learnt", "notes")
        table.focus()
        self.reload()

    @work(thread=True, exclusive=True)
    def reload(self) -> None:
        """Everything experience memory holds."""
        items = self.ctx.store.experiences()
        self.ctx.on_ui(self._show, items)

    def _show(self, items: list[Experience]) -> None:
        self.items = items
        table = self.table
        table.clear()
        for item in items:
            key = item.key
            note = tool_note(item.notes, item.key.tool)
            table.add_row(
                plain(key.server),
                plain(key.tool),
                key.schema_hash[:8],
                item.created_at.strftime("%m-%d %H:%M"),
                plain(one_line(note or item.notes, 30), style="" if note else "dim"),
            )
        if not items:
            self.query_one("#notes", Pane).update("memory is empty: run a trial to fill it")

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """Show the highlighted tool's own notes in full (or the episode's, said so)."""
        if not 0 <= event.cursor_row < len(self.items):
            return
        item = self.items[event.cursor_row]
        note = tool_note(item.notes, item.key.tool)
        head = f"{item.key.tool} (episode {(item.episode_id or '?')[:8]})"
        if note is None:
            head += ": no note of its own; the episode's notes"
        self.query_one("#notes", Pane).update(plain(f"{head}\n{note or item.notes}"))

    def action_reload(self) -> None:
        """Read memory again."""
        self.reload()
