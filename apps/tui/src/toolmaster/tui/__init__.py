"""ToolMaster terminal UI: watch trials live, start runs, browse and replay sessions, and see
what experience memory holds. Built on Textual; every store and agent call runs in a worker.

`run_tui(TuiConfig(store_path=...))` runs it; `ToolMasterApp` is the Textual app.
"""

from toolmaster.tui._app import ToolMasterApp, run_tui
from toolmaster.tui._data import TuiConfig
from toolmaster.tui._model import EpisodeView, Step, events_from_episode, view_of

__all__ = [
    "EpisodeView",
    "Step",
    "ToolMasterApp",
    "TuiConfig",
    "events_from_episode",
    "run_tui",
    "view_of",
]
