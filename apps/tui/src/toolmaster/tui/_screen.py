"""The base of the TUI's screens: each reads the store and the configuration through `ctx`."""

from __future__ import annotations

from typing import TypeVar

from textual.screen import Screen
from toolmaster.tui._data import Context

Result = TypeVar("Result")


class ContextScreen(Screen[Result]):
    """A screen of the app, with the context every screen shares (store, configuration, app).
    A modal one also derives from `ModalScreen`, after this class."""

    def __init__(self, ctx: Context) -> None:
        super().__init__()
        self.ctx = ctx
