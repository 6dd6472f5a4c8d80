"""A server quotes its own API token in a tool error (issue 19, items 1 and 2): through the
real `toolmaster run -vv`, the token reaches neither the terminal nor the log lines, the
store's events and episode, the JSONL export, the requests sent to the model, nor the SFT
dataset `toolmaster data build` makes of the episode."""

from __future__ import annotations

from pathlib import Path

import pytest
from datasets import load_from_disk  # pyright: ignore[reportMissingTypeStubs]
from toolmaster.core import Store

from tests.chaos._cli import cli_env, openai_flags, raw_servers, toolmaster
from tests.chaos._model import ScriptedModel, serve

pytestmark = pytest.mark.e2e

TOKEN = "sk-live-9f8e7d6c5b4a3210"
MARKER = "[secret:RAW_TOKEN]"


def test_a_quoted_token_is_scrubbed_from_everything_recorded_printed_or_sent(
    tmp_path: Path,
) -> None:
    store = tmp_path / "sessions.db"
    servers = raw_servers(tmp_path / "mcp.json")
    env = cli_env(tmp_path / "home", RAW_TOKEN=TOKEN)
    with serve(ScriptedModel(calls=[("leak", "{}")], answer="the API refused")) as model:
        argv = ["-vv", "run", "--config", str(servers), "call the API", "--mode", "direct"]
        run = toolmaster(*argv, *openai_flags(model.base_url), "--store", str(store), env=env)
    assert run.returncode == 0, run.stderr
    printed = run.stdout + run.stderr
    assert TOKEN not in printed  # the result line, httpx and the server's stderr at DEBUG
    assert MARKER in run.stdout
    assert f"key={MARKER}" in run.stderr  # the server's stderr line, logged at -vv
    sent = str(model.requests)
    assert TOKEN not in sent
    assert MARKER in sent

    with Store(store) as opened:
        (episode,) = opened.episodes()
        events = opened.events(episode.id)
    assert TOKEN not in episode.model_dump_json()
    assert MARKER in episode.model_dump_json()
    assert not [e for e in events if TOKEN in e.model_dump_json()]
    exported = toolmaster("sessions", "export", "-", "--store", str(store), env=env)
    assert exported.returncode == 0, exported.stderr
    assert MARKER in exported.stdout
    assert TOKEN not in exported.stdout

    config = tmp_path / "leak.toml"
    config.write_text(
        'name = "leak"\n[data]\nmodes = ["direct"]\npassed_only = false\neval_fraction = 0.0\n'
    )
    out = tmp_path / "dataset"
    built = toolmaster(
        "data", "build", str(config), "--out", str(out), "--store", str(store), env=env
    )
    assert built.returncode == 0, built.stderr
    rows = load_from_disk(str(out))["train"]  # pyright: ignore[reportUnknownVariableType]
    text = str(rows[:])  # pyright: ignore[reportUnknownArgumentType]
    assert MARKER in text
    assert TOKEN not in text
    assert not [p for p in out.rglob("*") if p.is_file() and TOKEN.encode() in p.read_bytes()]
