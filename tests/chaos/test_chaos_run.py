"""Chaos through the real `toolmaster run` (subprocesses, issue 19 item 3): a model whose
tool-call JSON holds a lone surrogate, a disk that fills mid-episode, and SIGKILL mid-call.
After each the store passes `PRAGMA integrity_check`, the episodes that finished are intact,
and no process is left behind; the TUI marks the killed run's stream as abandoned."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import time
from pathlib import Path

import anyio
import psutil
import pytest
from textual.widgets import OptionList
from toolmaster.core import Store
from toolmaster.tui import ToolMasterApp

from tests.chaos._cli import cli_env, openai_flags, raw_servers, toolmaster, toolmaster_argv
from tests.chaos._faults import descendants, gapless, integrity
from tests.chaos._model import ScriptedModel, serve
from tests.core._factories import make_episode
from tests.tui.conftest import config, wait_for

pytestmark = pytest.mark.e2e

TOKEN = "sk-chaos-0123456789"


def _store_with_finished_episodes(path: Path) -> list[str]:
    with Store(path) as store:
        episodes = [make_episode(i) for i in range(3)]
        store.put_episodes(episodes)
    return [episode.model_dump_json() for episode in episodes]


def _intact(path: Path, finished: list[str]) -> None:
    assert integrity(path) == "ok"
    with Store(path, read_only=True) as store:
        stored = {e.model_dump_json() for e in store.episodes()}
    assert set(finished) <= stored


def test_a_lone_surrogate_in_a_tool_call_is_stored_sanitised(tmp_path: Path) -> None:
    store = tmp_path / "sessions.db"
    finished = _store_with_finished_episodes(store)
    servers = raw_servers(tmp_path / "mcp.json")
    env = cli_env(tmp_path / "home", RAW_TOKEN=TOKEN)
    calls = [("echo", '{"text": "half \\ud800 a pair"}')]
    with serve(ScriptedModel(calls=calls)) as model:
        argv = ["run", "--config", str(servers), "echo it", "--mode", "direct"]
        run = toolmaster(*argv, *openai_flags(model.base_url), "--store", str(store), env=env)
    # Before the fix: a PydanticSerializationError traceback, and the episode lost. Now the
    # call reaches the server with U+FFFD and the episode is recorded. (The OpenAI backend
    # then fails to encode its next request, with the call echoed back as the model wrote it:
    # a policy failure, recorded on the episode, so the status is 1.)
    assert run.returncode in (0, 1), run.stdout + run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    assert "← half � a pair" in run.stdout
    with Store(store) as opened:
        (episode,) = [e for e in opened.episodes() if e.task.id.startswith("adhoc/")]
        assert episode.metadata["sanitised"] is True
        call = episode.messages[2].tool_calls[0]
        assert call.arguments == {"text": "half \ufffd a pair"}
        gapless(opened, episode.id)
        assert opened.open_streams() == []
    _intact(store, finished)


def _limit_file_size(limit: int) -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def test_a_disk_that_fills_mid_run_ends_in_one_line_that_says_what_was_kept(
    tmp_path: Path,
) -> None:
    store = tmp_path / "sessions.db"
    finished = _store_with_finished_episodes(store)
    size = store.stat().st_size
    servers = raw_servers(tmp_path / "mcp.json")
    env = cli_env(tmp_path / "home", RAW_TOKEN=TOKEN, TMPDIR=str(tmp_path))
    calls = [("echo", json.dumps({"text": f"{i} " + "x" * 1500})) for i in range(12)]
    with serve(ScriptedModel(calls=calls)) as model:
        argv = toolmaster_argv(
            "run", "--config", str(servers), "echo a lot", "--mode", "direct",
            *openai_flags(model.base_url), "--store", str(store),
        )  # fmt: skip
        # Every file the run writes may grow to the store's size plus 64 KiB: the store
        # opens, then its write-ahead log fills up part way through the episode.
        run = subprocess.run(
            argv, capture_output=True, text=True, env=env, timeout=120, check=False,
            preexec_fn=lambda: _limit_file_size(size + 64 * 1024),
        )  # fmt: skip
    # Before the fix: a traceback from the first failed write, the episode lost.
    assert run.returncode == 2, run.stdout + run.stderr
    errors = [line for line in run.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, run.stderr
    assert "Traceback" not in run.stderr
    (line,) = errors
    assert "was not recorded" in line
    assert "the store kept" in line
    fallback = tmp_path / "toolmaster-unrecorded-sessions.jsonl"
    assert f"written to {fallback}" in line
    _intact(store, finished)
    with Store(store) as opened:
        (stream,) = opened.abandoned_streams()  # its writer is gone, so not live
        kept = gapless(opened, stream.episode_id)
        assert f"kept {len(kept)} of its" in line
        with fallback.open() as lines:
            assert opened.import_jsonl(lines) == 1
        episode = opened.get_episode(stream.episode_id)
        assert episode is not None
        assert episode.answer == "done"
        assert opened.abandoned_streams() == []
    assert integrity(store) == "ok"


async def _tui_marks_abandoned(store: Path, episode_id: str) -> str:
    app = ToolMasterApp(config(store))
    async with app.run_test(size=(100, 24)) as pilot:
        live = app.live_screen
        await wait_for(pilot, lambda: episode_id in live.abandoned)
        await pilot.pause()
        listing = live.query_one("#episodes", OptionList)
        shown = [listing.get_option_at_index(i) for i in range(listing.option_count)]
        return "\n".join(str(option.prompt) for option in shown if option.id == episode_id)


def test_sigkill_mid_call_leaves_an_abandoned_stream_and_no_process(
    tmp_path: Path,
) -> None:
    store = tmp_path / "sessions.db"
    finished = _store_with_finished_episodes(store)
    servers = raw_servers(tmp_path / "mcp.json")
    env = cli_env(tmp_path / "home", RAW_TOKEN=TOKEN)
    before = descendants()
    with serve(ScriptedModel(calls=[("hang", "{}")])) as model:
        argv = toolmaster_argv(
            "run", "--config", str(servers), "hang", "--mode", "direct",
            *openai_flags(model.base_url), "--store", str(store),
        )  # fmt: skip
        with subprocess.Popen(
            argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        ) as run:
            deadline = time.monotonic() + 60
            episode_id = None
            while episode_id is None:
                assert time.monotonic() < deadline, "the run never called the tool"
                assert run.poll() is None, "the run ended on its own"
                with Store(store, read_only=True) as viewer:
                    calls = [e for e in viewer.open_streams() if e.kind == "tool_call"]
                    episode_id = calls[0].episode_id if calls else None
                time.sleep(0.05)  # polling the store, up to the deadline
            server = [p.pid for p in psutil.Process(run.pid).children(recursive=True)]
            assert server, "the stdio server is not running"
            os.kill(run.pid, signal.SIGKILL)
            assert run.wait(timeout=30) == -signal.SIGKILL
    # The orphaned server sees its stdin close and exits.
    _, alive = psutil.wait_procs([psutil.Process(p) for p in server if psutil.pid_exists(p)], 15)
    assert not alive
    assert descendants() <= before
    _intact(store, finished)
    with Store(store) as opened:
        assert opened.open_streams() == []  # before the fix: "live" for ten minutes
        assert [e.episode_id for e in opened.abandoned_streams()] == [episode_id]
        gapless(opened, episode_id)
    shown = anyio.run(_tui_marks_abandoned, store, episode_id)
    assert shown.startswith("✗ abandoned")
