"""Answering servers' elicitations at the terminal: a person at `toolmaster run` is shown the
server's message and the form's fields, chooses to accept (and fills in each field, with its
type, choices and default; what does not fit is asked again), decline or cancel. Without a
terminal (scripts, CI) elicitations are declined with the reason, as in every unattended run.

Questions go to stderr and answers come from stdin, so the run's own output on stdout stays
as it is."""

from __future__ import annotations

import sys
from typing import Literal, TextIO

import anyio.to_thread
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

__all__ = ["TerminalForm", "terminal_elicitor"]

Action = Literal["accept", "decline", "cancel"]
_ACTIONS: dict[str, Action] = {
    "a": "accept",
    "accept": "accept",
    "y": "accept",
    "yes": "accept",
    "d": "decline",
    "decline": "decline",
    "n": "decline",
    "no": "decline",
    "c": "cancel",
    "cancel": "cancel",
}


class _InputEndedError(Exception):
    """Stdin ended while a question was open: the elicitation is cancelled."""


class TerminalForm:
    """Shows elicitation forms on `out` and reads the answers from `stdin`, a line each (an
    `AskForm` for `form_elicitor`). Stdin that ends mid-form cancels the elicitation."""

    def __init__(self, stdin: TextIO, out: TextIO) -> None:
        self.stdin = stdin
        self.out = out

    async def __call__(self, form: ElicitationForm) -> ElicitationReply:
        """Ask, in a worker thread (reading stdin blocks); the run goes on meanwhile."""
        return await anyio.to_thread.run_sync(self.ask, form, abandon_on_cancel=True)

    def ask(self, form: ElicitationForm) -> ElicitationReply:
        """Show `form` and ask it to the end (blocking)."""
        try:
            return self._ask(form)
        except _InputEndedError:
            self._say("(no more input: the request is cancelled)")
            return ElicitationReply("cancel")

    def _ask(self, form: ElicitationForm) -> ElicitationReply:
        server = terminal_safe(form.server)
        self._say(f"\nServer {server!r} asks: {terminal_safe(form.message)}")
        if form.url is not None:
            self._say(f"  It asks you to open: {terminal_safe(form.url)}")
            action = self._action("Open it? [a]ccept, [d]ecline, [c]ancel: ")
            if action == "accept":
                self._say(f"  Open this URL in a browser: {terminal_safe(form.url)}")
            return ElicitationReply(action)
        for spec in form.fields:
            about = f" — {terminal_safe(spec.description)}" if spec.description else ""
            self._say(f"  {terminal_safe(spec.label)}{about} ({terminal_safe(spec.hint())})")
        action = self._action("Answer? [a]ccept and fill in, [d]ecline, [c]ancel: ")
        if action != "accept":
            return ElicitationReply(action)
        values = {spec.name: self._value(spec) for spec in form.fields}
        return ElicitationReply("accept", form.content(values))

    def _action(self, question: str) -> Action:
        while True:
            word = self._read(question).strip().lower()
            if word in _ACTIONS:
                return _ACTIONS[word]
            self._say("  answer a (accept), d (decline) or c (cancel)")

    def _value(self, spec: FormField) -> ElicitValue:
        question = f"{terminal_safe(spec.label)} ({terminal_safe(spec.hint())}): "
        while True:
            try:
                return spec.parse(self._read(question))
            except AnswerError as exc:
                self._say(f"  {terminal_safe(str(exc))}")

    def _read(self, question: str) -> str:
        self.out.write(question)
        self.out.flush()
        line = self.stdin.readline()
        if not line:
            raise _InputEndedError
        return line

    def _say(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()


def terminal_elicitor(
    stdin: TextIO | None = None, out: TextIO | None = None, *, interactive: bool | None = None
) -> Elicitor | None:
    """The elicitor of a run with a person at the terminal (stdin and stderr both terminals,
    unless `interactive` says), else None: the Toolbox declines, saying no one is there."""
    source: TextIO | None = stdin or sys.stdin
    sink: TextIO | None = out or sys.stderr
    if source is None or sink is None:  # no standard streams at all (pythonw, a daemon)
        return None
    if interactive is None:
        interactive = source.isatty() and sink.isatty()
    if not interactive:
        return None
    return form_elicitor(TerminalForm(source, sink))
