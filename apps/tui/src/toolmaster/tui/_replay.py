"""Replay: step through a recorded episode, one event at a time."""

from __future__ import annotations

from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.widgets import Footer, Static
from toolmaster.core import Event, find_experience
from toolmaster.tui._data import Context
from toolmaster.tui._model import events_from_episode, view_of
from toolmaster.tui._screen import ContextScreen
from toolmaster.tui._widgets import Pane, Timeline, ToolRow, outcome_text, status_text, tools_text


class ReplayScreen(ContextScreen[None]):
    """A recorded episode, shown up to the current step; n / p move one step."""

    DEFAULT_CSS = """
    ReplayScreen #status { height: 1; text-wrap: nowrap; text-overflow: ellipsis; }
    ReplayScreen #tools { width: 28; overflow-y: auto; }
    ReplayScreen #outcome { height: auto; min-height: 4; max-height: 50%; overflow-y: auto; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        ("n,right", "step(1)", "Next"),
        ("p,left", "step(-1)", "Prev"),
        Binding("home", "jump(0)", "Start", priority=True),
        Binding("end", "jump(-1)", "End", priority=True),
        ("escape", "app.pop_screen", "Back"),
    ]

    cursor: reactive[int] = reactive(-1)
    """Index of the last event shown; -1 before loading."""

    def __init__(self, ctx: Context, episode_id: str) -> None:
        super().__init__(ctx)
        self.episode_id = episode_id
        self.events: list[Event] = []

    def compose(self) -> ComposeResult:
        yield Static(status_text(None, "REPLAY"), id="status")
        with Horizontal():
            yield Pane(id="tools")
            with Vertical():
                yield Timeline(id="timeline")
                yield Pane(id="outcome")
        yield Footer()

    def on_mount(self) -> None:
        """Load the episode's events in a worker."""
        self.query_one(Timeline).focus()
        self.load()

    @work(thread=True, exclusive=True)
    def load(self) -> None:
        """Its recorded events, or a stream rebuilt from its messages when it has none."""
        store = self.ctx.store
        episode = store.get_episode(self.episode_id)
        events = store.events(self.episode_id)
        if not events and episode is not None:
            events = events_from_episode(episode)
        rows: list[ToolRow] = []
        if episode is not None:
            known = store.get_experience
            rows = [ToolRow(t, find_experience(known, t) is not None) for t in episode.tools]
        server = episode.servers[0].name if episode is not None and episode.servers else None
        self.ctx.on_ui(self._loaded, events, server, rows)

    def _loaded(self, events: list[Event], server: str | None, rows: list[ToolRow]) -> None:
        self.events = events
        self.query_one("#tools", Pane).update(tools_text(server, rows))
        self.cursor = 0 if events else -1

    def watch_cursor(self, cursor: int) -> None:
        """Show the episode as it stood after event `cursor`."""
        if cursor < 0:
            return
        view = view_of(self.episode_id, self.events[: cursor + 1])
        timeline = self.query_one(Timeline)
        timeline.show(view.steps)
        if view.steps:
            timeline.highlighted = len(view.steps) - 1
        label = f"REPLAY {cursor + 1}/{len(self.events)}"
        self.query_one("#status", Static).update(status_text(view, label))
        self.query_one("#outcome", Pane).update(outcome_text(view))

    def action_step(self, delta: int) -> None:
        """One event forward or back."""
        if self.events:
            self.cursor = max(0, min(len(self.events) - 1, self.cursor + delta))

    def action_jump(self, where: int) -> None:
        """To the first (0) or the last (-1) event."""
        if self.events:
            self.cursor = where % len(self.events)
