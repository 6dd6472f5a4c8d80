"""Widgets shared by the live view and the replay: the timeline, the counters, the tools.

What came from outside (tool names and results, model output, the store's values) is shown
through `plain` or `terminal_safe`: as text, with no markup parsed and control characters inert,
so a tool's escape sequences never reach the terminal."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option
from toolmaster.core import ToolSpec, terminal_safe
from toolmaster.tui._model import EpisodeView, Step

_PHASE_STYLE = {"trial": "yellow", "execute": "green"}
_MARK = {"trial": "T", "execute": "E"}


def plain(text: str, style: str = "") -> Text:
    """Outside text as it reads: no markup parsed, control characters inert."""
    return Text(terminal_safe(text), style=style)


def step_text(step: Step, *, expanded: bool = False, width: int = 0) -> Text:
    """One timeline row: trial rows yellow (`T`), execution rows green (`E`). The timeline shows
    each line of a row as wide as it is and cuts it there with `…`; an expanded row adds the
    step's detail, folded at `width` (when given) so that all of it shows."""
    text = _row_text(step)
    if expanded and step.detail:
        detail = terminal_safe(step.detail)
        if width > 0:
            detail = fold(detail, width)
        text.append("\n")
        text.append(detail, style="dim" if step.kind != "result" else "")
    return text


def fold(text: str, width: int) -> str:
    """`text` with every line longer than `width` broken into lines of `width` characters."""
    lines = text.splitlines() or [""]
    return "\n".join(
        line[i : i + width] for line in lines for i in range(0, max(len(line), 1), width)
    )


def _row_text(step: Step) -> Text:
    colour = _PHASE_STYLE.get(step.phase or "", "white")
    mark = _MARK.get(step.phase or "", " ")
    text = Text()
    summary = terminal_safe(step.summary)
    if step.kind == "header":
        return Text(summary, style=f"bold {colour}")
    if step.kind == "task":
        text.append("task ", style="bold")
        text.append(summary.removeprefix("task "))
    elif step.kind == "call":
        text.append(f"{mark}▸ ", style=f"bold {colour}")
        text.append(summary, style=colour)
    elif step.kind == "result":
        text.append(f"{mark} ", style=colour)
        text.append("✗ " if step.is_error else "← ", style="red" if step.is_error else "dim")
        text.append(summary, style="red" if step.is_error else "")
    elif step.kind == "notes":
        text.append("✎ ", style="bold magenta")
        text.append(summary, style="magenta")
    elif step.kind == "verdict":
        text.append("★ ", style="bold")
        text.append(summary, style="bold red" if step.is_error else "bold green")
    elif step.kind == "error":
        text.append("! " + summary, style="red")
    elif step.kind == "notice":
        text.append(f"{mark} ", style=colour)
        text.append("· " + summary, style="blue")
    else:
        text.append(f"{mark} ", style=colour)
        text.append(summary, style="cyan")
    return text


class Timeline(OptionList):
    """The steps of one episode; enter (or a click) expands a row to its full JSON."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "select", "Expand")]

    DEFAULT_CSS = """
    Timeline { height: 1fr; border: none; padding: 0; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 — Textual's name
        super().__init__(id=id)
        self.steps: list[Step] = []
        self.expanded: set[int] = set()

    def show(self, steps: list[Step]) -> None:
        """Replace every row; rows that stay the same stay expanded."""
        old = self.steps
        self.expanded = {
            i for i in self.expanded if i < min(len(old), len(steps)) and old[i] == steps[i]
        }
        self.steps = list(steps)
        self.set_options(self._option(i) for i in range(len(self.steps)))

    def extend(self, steps: list[Step]) -> None:
        """Append rows, keeping the view at the bottom when it was there."""
        if not steps:
            return
        at_end = self.highlighted is None or self.highlighted >= len(self.steps) - 1
        start = len(self.steps)
        self.steps += steps
        self.add_options(self._option(i) for i in range(start, len(self.steps)))
        if at_end:
            self.highlighted = len(self.steps) - 1
            self.call_after_refresh(self.scroll_end, animate=False)

    def toggle(self, index: int) -> None:
        """Expand or collapse row `index`."""
        if not 0 <= index < len(self.steps):
            return
        self.expanded ^= {index}
        self.replace_option_prompt_at_index(index, self._prompt(index))

    def toggle_highlighted(self) -> None:
        """Expand or collapse the highlighted row."""
        if self.highlighted is not None:
            self.toggle(self.highlighted)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Enter or click: expand or collapse."""
        event.stop()
        self.toggle(event.option_index)

    def _option(self, index: int) -> Option:
        return Option(self._prompt(index))

    def _prompt(self, index: int) -> Text:
        expanded = index in self.expanded
        width = self.scrollable_content_region.width - 1 if expanded else 0
        return step_text(self.steps[index], expanded=expanded, width=width)


@dataclass(frozen=True)
class ToolRow:
    """One tool of the tools panel."""

    spec: ToolSpec
    has_experience: bool


def tools_text(server: str | None, rows: list[ToolRow]) -> Text:
    """The servers-and-tools panel: `R` read-only, `D` destructive, `★` experience stored."""
    text = Text()
    text.append(f"server {terminal_safe(server or '?')}\n", style="bold")
    if not rows:
        text.append("(tools unknown)", style="dim")
    for row in rows:
        hints = row.spec.annotations
        text.append("★" if row.has_experience else " ", style="magenta")
        if hints.read_only_hint:
            text.append("R", style="green")
        elif hints.destructive_hint:
            text.append("D", style="red")
        else:
            text.append("·", style="dim")
        text.append(f" {terminal_safe(row.spec.name)}\n")
    text.append("★ known R read-only\nD destructive", style="dim")
    return text


def status_text(view: EpisodeView | None, label: str) -> Text:
    """The one-line header: which task, running in which phase or done, its budget counters,
    then the episode id (cut with `…` where the line is too narrow)."""
    text = Text()
    text.append(f" {label} ", style="bold reverse")
    if view is None:
        text.append(" no episode yet — r starts a run, s browses sessions", style="dim")
        return text
    text.append(f" {terminal_safe(view.task_id)} ", style="bold")
    if view.finished:
        text.append("done", style="green")
    else:
        text.append("running", style="bold yellow")
        text.append(" · ")
        text.append(f"{view.phase} phase", style=_PHASE_STYLE[view.phase])
    text.append(f" · calls: {view.trial_calls} trial, {view.execute_calls} exec")
    text.append(f" · turns {view.turns} · {view.tokens} tok · {view.episode_id[:8]}", style="dim")
    return text


def outcome_text(view: EpisodeView | None) -> Text:
    """Notes from finish_trial and the verdict, under the timeline."""
    text = Text()
    if view is None:
        return text
    text.append("notes ", style="bold magenta")
    text.append(terminal_safe(view.notes or "—"), style="magenta" if view.notes else "dim")
    text.append("\n")
    if view.verdict is not None:
        word = "passed" if view.verdict.passed else "failed"
        text.append(
            f"verdict {word} score={view.verdict.score:g} ",
            style="bold green" if view.verdict.passed else "bold red",
        )
        text.append(terminal_safe("; ".join(view.verdict.reasons)), style="dim")
    elif view.error is not None:
        text.append(f"error {terminal_safe(view.error)}", style="red")
    else:
        text.append("verdict —", style="dim")
    return text


class Pane(Static):
    """A text pane with a title in its border."""

    DEFAULT_CSS = """
    Pane { border: round $primary-darken-2; padding: 0 1; }
    """
