"""Answering servers' elicitations in the TUI: a run started here that a server asks a question
shows a modal form (the server's message, a field for each of the form's fields, with its type,
choices and default) with Accept, Decline and Cancel. What does not fit a field is said under
the form and the form stays open."""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any, ClassVar

import anyio.to_thread
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select
from toolmaster.core import terminal_safe
from toolmaster.mcp import (
    AnswerError,
    ElicitationForm,
    ElicitationReply,
    Elicitor,
    ElicitValue,
    FormField,
    form_elicitor,
)

__all__ = ["ElicitScreen", "tui_elicitor"]

_BOOLEAN = [("yes", True), ("no", False)]


class ElicitScreen(ModalScreen[ElicitationReply]):
    """One elicitation: ctrl+s (or Accept) sends the form, Decline declines, escape cancels."""

    DEFAULT_CSS = """
    ElicitScreen { align: center middle; }
    ElicitScreen > Vertical {
        width: 78; max-width: 100%; height: auto; max-height: 100%;
        border: round $warning; padding: 0 1;
    }
    ElicitScreen #message { margin-bottom: 1; }
    ElicitScreen #fields { height: auto; max-height: 20; }
    ElicitScreen .field { height: auto; margin-bottom: 1; }
    ElicitScreen .name { width: 18; color: $text-muted; }
    ElicitScreen .hint { color: $text-muted; }
    ElicitScreen Select, ElicitScreen Input { width: 1fr; }
    ElicitScreen #problem { color: $error; height: auto; }
    ElicitScreen #buttons { height: 1; align-horizontal: right; }
    ElicitScreen Button { margin-left: 2; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "accept", "Accept", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(
        self, form: ElicitationForm, answer: Future[ElicitationReply] | None = None
    ) -> None:
        """`answer`, when given, gets the reply (a cancel if the screen goes without one: the
        app quit)."""
        super().__init__()
        self.form = form
        self.answer = answer

    def on_unmount(self) -> None:
        """Gone without an answer (the app quit): the request is cancelled."""
        if self.answer is not None and not self.answer.done():
            self.answer.set_result(ElicitationReply("cancel"))

    def compose(self) -> ComposeResult:
        form = self.form
        with Vertical():
            yield Label(
                f"[b]Server {terminal_safe(form.server)!r} asks[/b]", markup=True, id="title"
            )
            yield Label(terminal_safe(form.message), markup=False, id="message")
            if form.url is not None:
                yield Label(f"It asks you to open: {terminal_safe(form.url)}", markup=False)
            with VerticalScroll(id="fields"):
                for spec in form.fields:
                    yield _row(spec)
            yield Label("", markup=False, id="problem")
            with Horizontal(id="buttons"):
                yield Button("Accept", variant="primary", id="accept", compact=True)
                yield Button("Decline", id="decline", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Accept, Decline or Cancel."""
        if event.button.id == "accept":
            self.action_accept()
        elif event.button.id == "decline":
            self._answer(ElicitationReply("decline"))
        else:
            self.action_cancel()

    def _answer(self, reply: ElicitationReply) -> None:
        if self.answer is not None and not self.answer.done():
            self.answer.set_result(reply)
        self.dismiss(reply)

    def action_accept(self) -> None:
        """Send the form, or say what does not fit."""
        try:
            content = self.form.content(self.values())
        except AnswerError as exc:
            self.query_one("#problem", Label).update(str(exc))
            return
        self._answer(ElicitationReply("accept", content))

    def action_cancel(self) -> None:
        """Dismiss without an answer."""
        self._answer(ElicitationReply("cancel"))

    def values(self) -> dict[str, ElicitValue]:
        """What the fields hold: typed text parsed (`AnswerError` names the field), choices as
        they are, nothing chosen as left out."""
        values: dict[str, ElicitValue] = {}
        for spec in self.form.fields:
            widget = self.query_one(f"#field-{spec.name}")
            if isinstance(widget, Input):
                try:
                    values[spec.name] = spec.parse(widget.value)
                except AnswerError as exc:
                    raise AnswerError(f"{spec.label}: {exc}") from None
            elif isinstance(widget, Select):
                chosen: object = widget.value  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
                values[spec.name] = chosen if isinstance(chosen, bool | str) else None
        return values


def _row(spec: FormField) -> Vertical:
    """A field: its label, the widget that takes it, and what it takes."""
    name = terminal_safe(spec.label) + ("*" if spec.required else "")
    about = terminal_safe(spec.description or spec.hint())
    widget_id = f"field-{spec.name}"
    if spec.kind == "choice":
        options = [(terminal_safe(c.label), c.value) for c in spec.choices]
        picked = spec.default if isinstance(spec.default, str) else Select.BLANK
        widget = Select(options, value=picked, id=widget_id, compact=True)
    elif spec.kind == "boolean":
        yes_no = spec.default if isinstance(spec.default, bool) else Select.BLANK
        widget = Select(_BOOLEAN, value=yes_no, id=widget_id, compact=True)
    else:
        default = spec.default
        text = ", ".join(default) if isinstance(default, list) else str(default or "")
        widget = Input(text, placeholder=spec.hint(), id=widget_id, compact=True)
    return Vertical(
        Horizontal(Label(name, classes="name", markup=False), widget),
        Label(about, classes="hint", markup=False),
        classes="field",
    )


def tui_elicitor(app: App[Any]) -> Elicitor:
    """The elicitor of runs started from `app` (each in its own thread and event loop): the
    form is shown on the UI thread and the run waits for the answer without blocking."""

    async def ask(form: ElicitationForm) -> ElicitationReply:
        answer: Future[ElicitationReply] = Future()

        def show() -> None:
            app.push_screen(ElicitScreen(form, answer))

        app.call_from_thread(show)
        return await anyio.to_thread.run_sync(answer.result, abandon_on_cancel=True)

    return form_elicitor(ask)
