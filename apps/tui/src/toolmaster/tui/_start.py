"""Starting a run from the TUI: where the tools and the task come from (a bundled environment
or an `mcpServers` file), the setting that serves the tools, the policy and the mode."""

from __future__ import annotations

import os
from typing import ClassVar, TypeVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Footer, Input, Label, Select
from toolmaster.core import Mode, UserError, environments
from toolmaster.eval import SETTINGS
from toolmaster.tui._data import Context, Endpoint, PolicyName
from toolmaster.tui._runs import RunRequest, Source, server_files
from toolmaster.tui._screen import ContextScreen

Value = TypeVar("Value")

TASKS_SHOWN = 40
"""Test-split tasks offered per environment."""
_POLICIES: dict[PolicyName, str] = {
    "reference": "reference teacher (fast, scripted)",
    "embedded": "embedded SmolLM2-135M (offline)",
    "openai": "OpenAI-compatible server",
}
_MODES: list[tuple[str, Mode]] = [
    ("trial (trial-and-execution)", "trial"),
    ("direct (no trial phase)", "direct"),
]


class StartRunScreen(ContextScreen[RunRequest | None], ModalScreen[RunRequest | None]):
    """The run form; ctrl+s (or Start) runs it, escape cancels."""

    DEFAULT_CSS = """
    StartRunScreen { align: center middle; }
    StartRunScreen > Vertical {
        width: 78; max-width: 100%; height: auto; max-height: 100%;
        border: round $accent; padding: 0 1;
    }
    StartRunScreen #title { margin-bottom: 1; }
    StartRunScreen .field { height: 1; margin-bottom: 1; }
    StartRunScreen .name { width: 10; color: $text-muted; }
    StartRunScreen Select, StartRunScreen Input { width: 1fr; }
    StartRunScreen #buttons { height: 1; align-horizontal: right; }
    StartRunScreen Button { margin-left: 2; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "start", "Start", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.sources = [Source(name) for name in sorted(environments())]
        self.source_select: Select[Source] = self._select(
            [(s.label, s) for s in self.sources], "source"
        )
        self.task_select: Select[str] = Select([], prompt="task", id="task", compact=True)
        self.prompt_input = Input(placeholder="what the agent should do", id="prompt", compact=True)
        self.setting_select: Select[str] = self._select(
            [(f"{name}: {s.description}", name) for name, s in SETTINGS.items()], "setting"
        )
        self.policy_select: Select[PolicyName] = self._select(
            [(label, name) for name, label in _POLICIES.items()], "policy"
        )
        self.base_url_input = Input(
            placeholder="http://127.0.0.1:8000/v1", id="base-url", compact=True
        )
        self.model_input = Input(placeholder="the served model's name", id="model", compact=True)
        self.key_input = Input(
            placeholder="name of the API-key variable (optional)", id="key-var", compact=True
        )
        self.mode_select: Select[Mode] = self._select(_MODES, "mode")

    @staticmethod
    def _select(options: list[tuple[str, Value]], name: str) -> Select[Value]:
        return Select(options, value=options[0][1], allow_blank=False, id=name, compact=True)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("[b]Start a run[/b] (recorded in the store, followed live)", id="title")
            yield _field("source", self.source_select)
            yield _field("task", self.task_select, row="task-row")
            yield _field("prompt", self.prompt_input, row="prompt-row")
            yield _field("setting", self.setting_select)
            yield _field("policy", self.policy_select)
            yield _field("base URL", self.base_url_input, row="base-url-row")
            yield _field("model", self.model_input, row="model-row")
            yield _field("key var", self.key_input, row="key-var-row")
            yield _field("mode", self.mode_select)
            with Horizontal(id="buttons"):
                yield Button("Start", variant="primary", id="start", compact=True)
                yield Button("Cancel", id="cancel", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        """Tasks of the first environment; the server files found, as more sources."""
        self._show_fields()
        self.load_tasks(self.sources[0].name)
        self.find_server_files()

    @work(thread=True, exclusive=True, group="servers")
    def find_server_files(self) -> None:
        """The `mcpServers` files in the configured folders (reading them may take a moment)."""
        found = [Source(path.name, path) for path in server_files(self.ctx.config.server_folders)]
        if found:
            self.ctx.on_ui(self._add_sources, found)

    def _add_sources(self, found: list[Source]) -> None:
        chosen = self.source_select.value
        self.sources += found
        with self.prevent(Select.Changed):
            self.source_select.set_options((s.label, s) for s in self.sources)
            self.source_select.value = chosen

    def on_select_changed(self, event: Select.Changed) -> None:
        """Another source: its tasks; another source or policy: the fields that go with it."""
        if event.select is self.source_select and isinstance(event.value, Source):
            if event.value.servers is None:
                self.load_tasks(event.value.name)
            self._offer_policies(bundled=event.value.servers is None)
        self._show_fields()

    def _offer_policies(self, *, bundled: bool) -> None:
        """Every policy for a bundled environment; no reference teacher for other servers."""
        chosen = self.policy_select.value
        names: list[PolicyName] = [n for n in _POLICIES if bundled or n != "reference"]
        with self.prevent(Select.Changed):
            self.policy_select.set_options((_POLICIES[n], n) for n in names)
            self.policy_select.value = chosen if chosen in names else names[0]

    def _show_fields(self) -> None:
        bundled = self._source().servers is None
        openai = self.policy_select.value == "openai"
        self.query_one("#task-row").display = bundled
        self.query_one("#prompt-row").display = not bundled
        for row in ("#base-url-row", "#model-row", "#key-var-row"):
            self.query_one(row).display = openai

    def _source(self) -> Source:
        value = self.source_select.value
        return value if isinstance(value, Source) else self.sources[0]

    @work(thread=True, exclusive=True, group="tasks")
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
        """Run what the form says, or say what it lacks."""
        try:
            request = self.request()
        except UserError as exc:
            self.notify(str(exc), severity="warning", markup=False)
            return
        self.dismiss(request)

    def request(self) -> RunRequest:
        """The run the form describes; `UserError` for what is missing."""
        source = self._source()
        if source.servers is None:
            task = self.task_select.value
            if not isinstance(task, str):
                raise UserError("pick a task first")
        else:
            task = self.prompt_input.value.strip()
            if not task:
                raise UserError("type the task for the servers first")
        policy = self.policy_select.value
        endpoint = None
        if policy == "openai":
            key_var = self.key_input.value.strip() or None
            endpoint = Endpoint(self.base_url_input.value, self.model_input.value, key_var)
            endpoint.check(os.environ)
        setting = self.setting_select.value
        return RunRequest(
            source,
            task,
            policy if isinstance(policy, str) else "reference",
            "direct" if self.mode_select.value == "direct" else "trial",
            setting=setting if isinstance(setting, str) else "clean",
            endpoint=endpoint,
        )

    def action_cancel(self) -> None:
        """No run."""
        self.dismiss(None)


def _field(name: str, widget: Widget, *, row: str | None = None) -> Horizontal:
    """One labelled row of the form."""
    return Horizontal(Label(name, classes="name"), widget, classes="field", id=row)
