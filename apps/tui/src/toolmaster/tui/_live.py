"""The live view: episodes as they run, followed through the store's event streams."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option
from toolmaster.core import (
    EpisodeQuery,
    Event,
    UserError,
    Verdict,
    VerdictFilter,
    find_experience,
    get_environment,
    utcnow,
)
from toolmaster.tui._data import Context
from toolmaster.tui._model import EpisodeView
from toolmaster.tui._screen import ContextScreen
from toolmaster.tui._widgets import (
    Pane,
    Timeline,
    ToolRow,
    outcome_text,
    plain,
    status_text,
    tools_text,
)

logger = logging.getLogger(__name__)

_OUTCOME_MARKS: dict[VerdictFilter, Text] = {
    "passed": Text("✓ ", style="green"),
    "failed": Text("✗ ", style="red"),
    "unjudged": Text("■ ", style="dim"),
}


class LiveScreen(ContextScreen[None]):
    """Follows the newest running episode (or the one picked in the episode list)."""

    DEFAULT_CSS = """
    LiveScreen #status { height: 1; text-wrap: nowrap; text-overflow: ellipsis; }
    LiveScreen #side { width: 28; }
    LiveScreen #episodes { height: 1fr; border: round $primary-darken-2; }
    LiveScreen #tools { height: 1fr; overflow-y: auto; }
    LiveScreen #outcome { height: auto; min-height: 4; max-height: 50%; overflow-y: auto; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        ("tab", "app.focus_next", "Focus"),
    ]

    followed: reactive[str | None] = reactive(None)
    """The episode shown in the timeline."""

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.view: EpisodeView | None = None
        self.live: dict[str, str] = {}
        """Episode id -> task id of every stream seen running."""
        self.abandoned: set[str] = set()
        """Streams whose writer is gone without storing the episode (killed, crashed)."""
        self.outcomes: dict[str, VerdictFilter] = {}
        """Episode id -> how it ended, for every listed episode known to have finished."""
        self.tools_env: str | None = None
        self.tool_rows: list[ToolRow] = []
        self.tools_shown: str | None = None
        """The environment whose tools the panel shows (none known: not a bundled one)."""
        """The tools panel's rows: the followed episode's tools, and whether memory knows each."""
        self._stop = threading.Event()

    def compose(self) -> ComposeResult:
        yield Static(status_text(None, "LIVE"), id="status")
        with Horizontal():
            with Vertical(id="side"):
                episodes = OptionList(id="episodes")
                episodes.border_title = "episodes"
                yield episodes
                tools = Pane(id="tools")
                tools.border_title = "tools"
                yield tools
            with Vertical():
                yield Timeline(id="timeline")
                yield Pane(outcome_text(None), id="outcome")
        yield Footer()

    def on_mount(self) -> None:
        """Start the two pollers: new episodes, and new events of the followed one."""
        self.query_one(Timeline).focus()
        self.discover()
        self.follow()

    def on_unmount(self) -> None:
        """Stop the pollers."""
        self._stop.set()

    # ------------------------------------------------------------------ workers

    @work(thread=True, exclusive=True, group="discover")
    def discover(self) -> None:
        """Poll for event streams whose episode is not stored yet (running elsewhere)."""
        store = self.ctx.store
        latest = store.summaries(EpisodeQuery(limit=1))
        if latest:
            self.ctx.on_ui(self._offer_latest, latest[0].id, latest[0].verdict)
        while not self._stop.is_set():
            window = timedelta(seconds=self.ctx.config.live_window_s)
            since = utcnow() - window
            streams = store.open_streams(since=since)
            abandoned = store.abandoned_streams(since=since)
            if streams or abandoned:
                self.ctx.on_ui(self._on_streams, streams, abandoned)
            ended = self._ended({event.episode_id for event in streams})
            if ended:
                self.ctx.on_ui(self._on_ended, ended)
            self._stop.wait(self.ctx.config.discover_interval_s)

    def _ended(self, running: set[str]) -> dict[str, VerdictFilter]:
        """How the listed episodes that are no longer running ended, for those now stored."""
        unfinished = self.ctx.app.call_from_thread(self._unfinished)
        listed = [episode_id for episode_id in unfinished if episode_id not in running]
        ended: dict[str, VerdictFilter] = {}
        for episode_id in listed:
            episode = self.ctx.store.get_episode(episode_id)
            if episode is not None:
                ended[episode_id] = _outcome(episode.verdict)
        return ended

    @work(thread=True, exclusive=True, group="follow")
    def follow(self) -> None:
        """Poll the followed episode's stream for events after the last one applied."""
        while not self._stop.is_set():
            view = self.view
            if view is not None and not (view.finished and view.episode_id not in self.live):
                events = self.ctx.store.events(view.episode_id, after_seq=view.last_seq)
                if events:
                    self.ctx.on_ui(self._apply, view.episode_id, events)
            self._stop.wait(self.ctx.config.poll_interval_s)

    @work(thread=True, exclusive=True, group="tools")
    def load_tools(self, env_name: str) -> None:
        """List the environment's tools and which of them experience memory knows."""
        try:
            get_environment(env_name)
        except UserError:  # not a bundled environment (an ad-hoc run over MCP servers)
            self.ctx.on_ui(self._show_tools, env_name, [])
            return
        specs = self.ctx.tool_specs(env_name)
        known = self.ctx.store.get_experience
        rows = [ToolRow(s, find_experience(known, s) is not None) for s in specs]
        self.ctx.on_ui(self._show_tools, env_name, rows)

    # ------------------------------------------------------------------ UI thread

    def _offer_latest(self, episode_id: str, outcome: VerdictFilter) -> None:
        if self.followed is None:
            self.live.setdefault(episode_id, "")
            self.outcomes[episode_id] = outcome
            self.followed = episode_id
            self._list_episodes()

    def _on_streams(self, streams: list[Event], abandoned: list[Event] | None = None) -> None:
        new = [event for event in streams if event.episode_id not in self.live]
        for event in reversed(new):
            task = str(event.data.get("task_id", "")) if event.seq == 0 else ""
            self.live[event.episode_id] = task
        gone = {event.episode_id for event in abandoned or []} - self.abandoned
        for event in reversed(abandoned or []):
            if event.episode_id in gone:
                self.live.setdefault(event.episode_id, "")
        self.abandoned |= gone
        if gone:
            self._list_episodes()
        if new:
            self._list_episodes()
            newest = new[0].episode_id
            if self.view is None or self.view.finished:
                self.followed = newest

    def _unfinished(self) -> list[str]:
        """The listed episodes not known to have finished."""
        return [episode_id for episode_id in self.live if episode_id not in self.outcomes]

    def _on_ended(self, ended: dict[str, VerdictFilter]) -> None:
        self.outcomes |= ended
        self._list_episodes()

    def follow_new(self, episode_id: str) -> None:
        """Follow an episode that just started (a run started from this app)."""
        self.live.setdefault(episode_id, "")
        self._list_episodes()
        self.followed = episode_id

    def watch_followed(self, episode_id: str | None) -> None:
        """Switch the timeline to another episode; the follow poller fills it."""
        if episode_id is None:
            return
        self.view = EpisodeView(episode_id)
        self.query_one(Timeline).show([])
        self._refresh_panels()

    def _apply(self, episode_id: str, events: list[Event]) -> None:
        view = self.view
        if view is None or view.episode_id != episode_id:
            return
        steps = view.apply_all(events)
        if self.live.get(episode_id, view.task_id) != view.task_id:
            self.live[episode_id] = view.task_id
            self._list_episodes()
        self.query_one(Timeline).extend(steps)
        self._refresh_panels()
        learnt = any(event.kind in ("experience", "phase") for event in events)
        if view.env is not None and (view.env != self.tools_env or learnt or view.finished):
            self.tools_env = view.env
            self.load_tools(view.env)
        if self.ctx.config.on_events is not None:
            self.ctx.config.on_events(events)
        if view.finished:
            self.outcomes[episode_id] = _outcome(view.verdict)
            self._list_episodes()

    def _show_tools(self, env_name: str, rows: list[ToolRow]) -> None:
        self.tool_rows = rows
        self.tools_shown = env_name
        self.query_one("#tools", Pane).update(tools_text(env_name, rows))

    def _refresh_panels(self) -> None:
        self.query_one("#status", Static).update(status_text(self.view, "LIVE"))
        self.query_one("#outcome", Pane).update(outcome_text(self.view))

    def _list_episodes(self) -> None:
        listing = self.query_one("#episodes", OptionList)
        options = [
            Option(
                Text.assemble(self._mark(episode_id), plain(f"{episode_id[:8]} {task}")),
                id=episode_id,
            )
            for episode_id, task in self.live.items()
        ]
        listing.set_options(reversed(options))

    def _mark(self, episode_id: str) -> Text:
        """`✓` passed, `✗` failed, `■` finished unjudged, `●` running, `✗ abandoned`."""
        outcome = self.outcomes.get(episode_id)
        if outcome is not None:
            return _OUTCOME_MARKS[outcome]
        if episode_id in self.abandoned:
            return Text("✗ abandoned ", style="bold red")
        return Text("● ", style="bold yellow")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Picking an episode in the list follows it."""
        if event.option_list.id == "episodes" and event.option.id is not None:
            self.followed = event.option.id


def _outcome(verdict: Verdict | None) -> VerdictFilter:
    if verdict is None:
        return "unjudged"
    return "passed" if verdict.passed else "failed"
