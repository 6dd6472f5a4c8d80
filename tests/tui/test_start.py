"""The run form (issue 21, item 4): labelled fields, its start key in the footer, every
evaluation setting and any `mcpServers` file as choices, and every policy of the command line
(an OpenAI-compatible server with its base URL and model)."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Label
from toolmaster.agent import OpenAIPolicy
from toolmaster.core import get_environment
from toolmaster.eval import SETTINGS
from toolmaster.mcp import InProcessServerSpec, PerturbationProxy, Toolbox, servers_from_file
from toolmaster.tui import ToolMasterApp
from toolmaster.tui._data import Endpoint, make_policy
from toolmaster.tui._runs import SEED, Source
from toolmaster.tui._start import StartRunScreen

from tests.cli._http_servers import scripted_model
from tests.mcp.servers.memory import RAW_SERVER
from tests.tui.conftest import config, screen_text, wait_for

pytestmark = pytest.mark.anyio


def server_file(folder: Path) -> Path:
    """An `mcpServers` file with the hand-written stdio server (its tool `grow`)."""
    path = folder / "mcp.json"
    entry = {"command": sys.executable, "args": [str(RAW_SERVER)]}
    path.write_text(json.dumps({"mcpServers": {"raw": entry}}))
    return path


async def renamed_tools(path: Path) -> list[str]:
    """The names the `renamed` setting (seed 0) gives `grow` of the server file's servers."""
    specs = servers_from_file(path)
    async with Toolbox(specs) as toolbox:
        proxy = await PerturbationProxy.create(
            toolbox.client("raw"), seed=SEED, kinds=SETTINGS["renamed"].kinds, name="raw"
        )
        spec = InProcessServerSpec(name="raw", server=proxy.server)
        async with Toolbox([spec]) as proxied:
            names = [t.name for t in proxied.tools]
    return [name for name in names if (t := proxy.plan.tool(name)) and t.upstream == "grow"]


async def open_form(app: ToolMasterApp, pilot: Pilot[None]) -> StartRunScreen:
    await pilot.press("r")
    form = app.screen
    assert isinstance(form, StartRunScreen)
    await wait_for(pilot, lambda: isinstance(form.task_select.value, str))
    return form


def labels(form: StartRunScreen) -> list[str]:
    """The labels of the fields shown."""
    rows = [row for row in form.query(".field") if row.display]
    return [str(row.query_one(".name", Label).render()) for row in rows]


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_fields_are_labelled_and_the_start_key_is_in_the_footer(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    app = ToolMasterApp(config(tmp_path / "new.db"))
    async with app.run_test(size=size) as pilot:
        form = await open_form(app, pilot)
        assert labels(form) == ["source", "task", "setting", "policy", "mode"]
        text = screen_text(app)
        assert "^s Start" in text
        assert "esc Cancel" in text
        for name in labels(form):
            assert name in text
        form.policy_select.value = "openai"
        await pilot.pause()
        assert labels(form) == [
            "source",
            "task",
            "setting",
            "policy",
            "base URL",
            "model",
            "key var",
            "mode",
        ]
        assert "base URL" in screen_text(app)


async def test_settings_and_server_files_are_choices(tmp_path: Path) -> None:
    path = server_file(tmp_path)
    (tmp_path / "other.json").write_text('{"not": "servers"}')
    app = ToolMasterApp(config(tmp_path / "new.db"))
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(app, pilot)
        settings = form.setting_select._options  # pyright: ignore[reportPrivateUsage]
        assert [value for _, value in settings] == list(SETTINGS)
        sources = [value for _, value in form.source_select._options]  # pyright: ignore[reportPrivateUsage]
        assert Source("mcp.json", path.resolve()) in sources
        assert Source("weather") in sources
        assert all(s.name != "other.json" for s in sources if isinstance(s, Source))
        form.source_select.value = Source("mcp.json", path.resolve())
        await pilot.pause()
        assert "prompt" in labels(form) and "task" not in labels(form)
        # the reference teacher needs a bundled environment
        assert "reference" not in [v for _, v in form.policy_select._options]  # pyright: ignore[reportPrivateUsage]


async def test_openai_needs_a_base_url_and_a_model(tmp_path: Path) -> None:
    app = ToolMasterApp(config(tmp_path / "new.db"))
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(app, pilot)
        form.policy_select.value = "openai"
        await pilot.press("ctrl+s")
        assert app.screen is form
        assert app.runs == []


def test_the_openai_policy_is_built_from_the_endpoint() -> None:
    task = get_environment("weather").tasks("test")[0]
    endpoint = Endpoint("http://127.0.0.1:9/v1", "Qwen/Qwen3-8B")
    policy = make_policy("openai", "weather", task, "trial", endpoint)
    assert isinstance(policy, OpenAIPolicy)
    assert policy.info.name == "Qwen/Qwen3-8B"


@pytest.mark.parametrize("setting", ["renamed", "evolved"])
async def test_a_reference_run_in_a_perturbed_setting(tmp_path: Path, setting: str) -> None:
    app = ToolMasterApp(config(tmp_path / "new.db"))
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(app, pilot)
        form.source_select.value = Source("calendar")
        await wait_for(pilot, lambda: form.task_select.value == "calendar/test/0000")
        form.setting_select.value = setting
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: len(app.runs) == 1, timeout=60)
        episode = app.runs[0]
        assert episode.error is None
        assert episode.verdict is not None and episode.verdict.passed
        upstream = {"list_events", "create_event", "delete_event", "move_event"}
        names = {t.name for t in episode.tools}
        if setting == "renamed":
            assert not names & upstream
        else:  # the calendar serves its own v2
            assert episode.task.metadata.get("version") == "v2"
        assert app.ctx.store.get_episode(episode.id) is not None


@pytest.mark.parametrize(
    ("mode", "setting"), [("direct", "clean"), ("trial", "clean"), ("trial", "renamed")]
)
async def test_an_openai_run_over_a_servers_file(tmp_path: Path, mode: str, setting: str) -> None:
    path = server_file(tmp_path)
    app = ToolMasterApp(replace(config(tmp_path / "new.db"), server_dirs=(tmp_path,)))
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(app, pilot)
        form.source_select.value = Source("mcp.json", path.resolve())
        await pilot.pause()
        form.query_one("#prompt", Input).value = "grow it"
        form.policy_select.value = "openai"
        form.mode_select.value = "direct" if mode == "direct" else "trial"
        form.setting_select.value = setting
        await pilot.pause()
        tool = "grow" if setting == "clean" else next(iter(await renamed_tools(path)))
        with scripted_model(tool, "done") as base_url:
            form.query_one("#base-url", Input).value = base_url
            form.query_one("#model", Input).value = "scripted"
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: len(app.runs) == 1, timeout=60)
        episode = app.runs[0]
        assert episode.error is None, episode.error
        assert episode.answer == "done"
        assert episode.task.prompt == "grow it"
        assert [c.tool for m in episode.messages for c in m.tool_calls] == [tool]
        assert episode.mode == mode
        assert episode.policy.backend == "openai"


async def test_a_run_that_cannot_start_is_said_not_raised(tmp_path: Path) -> None:
    path = server_file(tmp_path)
    app = ToolMasterApp(replace(config(tmp_path / "new.db"), server_dirs=(tmp_path,)))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        form = await open_form(app, pilot)
        form.source_select.value = Source("mcp.json", path.resolve())
        await pilot.pause()
        form.query_one("#prompt", Input).value = "grow it"
        path.write_text("{not json")  # broken after the form found it
        form.policy_select.value = "embedded"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "run not started" in screen_text(app))
        assert "not valid JSON" in screen_text(app)
        assert app.runs == []
        assert app.screen is app.live_screen
