"""Starting a run from the TUI: pick an environment, a task, a policy and a mode."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Select
from toolmaster.core import Mode, environments
from toolmaster.tui._data import Context, PolicyName
from toolmaster.tui._screen import ContextScreen

TASKS_SHOWN = 40
"""Test-split tasks offered per environment."""
_POLICIES: list[tuple[str, PolicyName]] = [
    ("reference teacher (fast)", "reference"),
    ("embedded SmolLM2-135M", "embedded"),
]
_MODES: list[tuple[str, Mode]] = [("trial", "trial"), ("direct", "direct")]


@dataclass(frozen=True)
class RunRequest:
    """What the user chose."""

    env: str
    task_id: str
    policy: PolicyName
    mode: Mode


class StartRunScreen(ContextScreen[RunRequest | None], ModalScreen[RunRequest | None]):
    """The run form; enter on Start (or ctrl+s) runs it, escape cancels."""

    DEFAULT_CSS = """
    StartRunScreen { align: center middle; }
    StartRunScreen > Vertical { width: 76; height: auto; border: round $accent; padding: 0 1; }
    StartRunScreen Select { width: 1fr; }
    StartRunScreen #buttons { height: 3; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        ("escape", "cancel", "Cancel"),
        ("ctrl+s", "start", "Start"),
    ]

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.names = sorted(environments())
        self.env_select: Select[str] = Select(
            [(n, n) for n in self.names], value=self.names[0], allow_blank=False, id="env"
        )
        self.task_select: Select[str] = Select([], prompt="task", id="task")
        self.policy_select: Select[PolicyName] = Select(
            _POLICIES, value="reference", allow_blank=False, id="policy"
        )
        self.mode_select: Select[Mode] = Select(_MODES, value="trial", allow_blank=False, id="mode")

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("[b]Start a run[/b] (bundled environment, recorded in the store)")
            yield self.env_select
            yield self.task_select
            yield self.policy_select
            yield self.mode_select
            with Horizontal(id="buttons"):
                yield Button("Start", variant="primary", id="start")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        """Tasks of the first environment."""
        self.load_tasks(self.names[0])

    def on_select_changed(self, event: Select.Changed) -> None:
        """Another environment: its tasks."""
        if event.select.id == "env" and isinstance(event.value, str):
            self.load_tasks(event.value)

    @work(thread=True, exclusive=True)
    def load_tasks(self, env_name: str) -> None:
        """The first test tasks of an environment (generating them may take a moment)."""
        tasks = environments()[env_name].tasks("test")[:TASKS_SHOWN]
        options = [(f"{t.id}  {t.prompt[:40]}", t.id) for t in tasks]
        self.ctx.on_ui(self._set_tasks, options)

    def _set_tasks(self, options: list[tuple[str, str]]) -> None:
        select = self.task_select
        select.set_options(options)
        if options:
            select.value = options[0][1]

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Start or Cancel."""
        if event.button.id == "start":
            self.action_start()
        else:
            self.action_cancel()

    def action_start(self) -> None:
        """Run what the form says (needs a task)."""
        env = self.env_select.value
        task = self.task_select.value
        policy = self.policy_select.value
        mode = self.mode_select.value
        if not (isinstance(env, str) and isinstance(task, str)):
            self.notify("pick a task first", severity="warning")
            return
        self.dismiss(
            RunRequest(
                env,
                task,
                "embedded" if policy == "embedded" else "reference",
                "direct" if mode == "direct" else "trial",
            )
        )

    def action_cancel(self) -> None:
        """No run."""
        self.dismiss(None)
