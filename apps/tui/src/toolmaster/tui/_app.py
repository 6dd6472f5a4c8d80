"""The ToolMaster TUI application: the live view, with the other screens pushed over it."""

from __future__ import annotations

import logging
from typing import ClassVar

from textual import work
from textual.app import App
from textual.binding import Binding, BindingType
from toolmaster.core import Episode, Event, Store, UserError, terminal_safe
from toolmaster.tui._browser import BrowserScreen
from toolmaster.tui._data import Context, TuiConfig
from toolmaster.tui._elicit import tui_elicitor
from toolmaster.tui._experience import ExperienceScreen
from toolmaster.tui._live import LiveScreen
from toolmaster.tui._runs import RunRequest, run_request
from toolmaster.tui._start import StartRunScreen

logger = logging.getLogger(__name__)


class ToolMasterApp(App[None]):
    """Watch trials live, start runs, browse and replay sessions, inspect experience memory."""

    TITLE = "ToolMaster"
    CSS = """
    /* toasts at the top right, clear of the notes and verdict pane at the bottom */
    ToastRack { dock: top; align: right top; margin-top: 1; margin-bottom: 0; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "start_run", "Run"),
        Binding("s", "sessions", "Sessions"),
        Binding("e", "experience", "Memory"),
        Binding("l", "live", "Live"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(self, config: TuiConfig) -> None:
        super().__init__()
        config.store_path.parent.mkdir(parents=True, exist_ok=True)
        self.ctx = Context(Store(config.store_path), config, self)
        self.live_screen = LiveScreen(self.ctx)
        self.runs: list[Episode] = []
        """Episodes started from this app, once finished."""
        self.elicitor = tui_elicitor(self)
        """Asks the servers' elicitations of runs started here in a modal form."""

    def get_default_screen(self) -> LiveScreen:
        """The live view."""
        return self.live_screen

    def on_unmount(self) -> None:
        """Close the store."""
        self.ctx.store.close()

    def action_live(self) -> None:
        """Back to the live view."""
        while len(self.screen_stack) > 1:
            self.pop_screen()

    def action_sessions(self) -> None:
        """The session browser."""
        if not isinstance(self.screen, BrowserScreen):
            self.action_live()
            self.push_screen(BrowserScreen(self.ctx))

    def action_experience(self) -> None:
        """The experience view."""
        if not isinstance(self.screen, ExperienceScreen):
            self.action_live()
            self.push_screen(ExperienceScreen(self.ctx))

    def action_start_run(self) -> None:
        """Ask what to run, then run it and follow it live."""
        if isinstance(self.screen, StartRunScreen):
            return

        def chosen(request: RunRequest | None) -> None:
            if request is not None:
                self.action_live()
                self.start_run(request)

        self.push_screen(StartRunScreen(self.ctx), chosen)

    @work(thread=True, group="runs")
    def start_run(self, request: RunRequest) -> Episode | None:
        """Run one episode in this thread (its own event loop), recorded in the store; the live
        view follows it through the store like any other. A failure outside the loop is
        recorded as the episode; a run that cannot start is said in a toast."""

        async def started(event: Event) -> None:
            if event.seq == 0:
                self.call_from_thread(self.live_screen.follow_new, event.episode_id)

        try:
            episode = run_request(self.ctx.store, request, also=started, elicitor=self.elicitor)
        except UserError as exc:
            self.call_from_thread(self._not_started, exc)
            return None
        self.call_from_thread(self._finished, episode)
        return episode

    def _not_started(self, error: UserError) -> None:
        self.notify(terminal_safe(f"run not started: {error}"), severity="error", markup=False)

    def _finished(self, episode: Episode) -> None:
        self.runs.append(episode)
        word = "no verdict"
        if episode.error is not None:
            word = f"{episode.error.boundary} error: {episode.error.message}"
        elif episode.verdict is not None:
            word = "passed" if episode.verdict.passed else "failed"
        severity = "error" if episode.error is not None else "information"
        text = terminal_safe(f"run {episode.id[:8]} {episode.task.id}: {word}")
        self.notify(text, severity=severity, markup=False)


def run_tui(config: TuiConfig) -> None:
    """Run the TUI until the user quits."""
    ToolMasterApp(config).run()
