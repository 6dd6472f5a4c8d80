"""A server's sampling request in `toolmaster run --config`: the servers connect before the
policy is built, and their requests are answered by that policy once it is (`LateSampler`).
Driven through a real stdio server whose tool samples and the scripted OpenAI-compatible model;
the reply reaches the server and the episode, its events and `sessions show` record it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from toolmaster.core import Store

from tests.cli._exit import run
from tests.cli._http_servers import scripted_model
from tests.cli._isolation import isolated_store
from tests.mcp.servers.asking import asking_config


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    return isolated_store(monkeypatch, tmp_path)


def test_the_runs_policy_answers_a_servers_sampling_request(
    tmp_path: Path, store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    requests: list[dict[str, Any]] = []
    with scripted_model("headline", "done", requests, sampled="Sun shines") as base_url:
        code = run(
            "run", "--config", str(asking_config(tmp_path)), "do it", "-m", "direct",
            "--policy", "openai", "--base-url", base_url, "--model", "scripted",
        )  # fmt: skip
    assert code == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "sampling asking: answered sampling request 1 of 8" in out
    # The model saw the server's request, offered no tools.
    (asked,) = [r for r in requests if "tools" not in r]
    assert asked["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "A headline for today."},
    ]
    assert asked["max_tokens"] == 32
    with Store(store) as opened:
        (episode,) = opened.episodes()
        kinds = [event.kind for event in opened.events(episode.id)]
    assert episode.error is None
    assert episode.messages[-2].content == "scripted: Sun shines"  # what the server got
    (notice,) = episode.notices
    assert notice.kind == "sampling"
    assert notice.details["outcome"] == "answered"
    assert (notice.details["reply"], notice.details["model"]) == ("Sun shines", "scripted")
    assert notice.details["count"] == 1
    assert kinds.count("sampling") == 1
    assert run("sessions", "show", episode.id) == 0
    shown = " ".join(capsys.readouterr().out.split())
    assert "sampling asking: answered sampling request 1 of 8" in shown
