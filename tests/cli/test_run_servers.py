"""`toolmaster run --config` with a server that cannot be connected: the servers are connected
before the model loads, the run goes on with the others and names the broken one in an
`error:` line (or stops, with --require-all-servers)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from toolmaster.cli import _policies
from toolmaster.cli._app import main
from toolmaster.core import Store, UserError

from tests.cli._http_servers import scripted_model
from tests.cli._isolation import isolated_store
from tests.mcp.servers.memory import RAW_SERVER

BROKEN = "error: server 'broken' could not be connected: "


@pytest.fixture(autouse=True)
def store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    return isolated_store(monkeypatch, tmp_path)


@pytest.fixture
def no_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """The embedded model's loading, made a one-line error that says it was reached."""

    def loading(**_: object) -> None:
        raise UserError("the model was loaded")

    monkeypatch.setattr(_policies, "EmbeddedPolicy", loading)


def servers(tmp_path: Path, *, working: bool = True) -> Path:
    entries: dict[str, object] = {"broken": {"command": str(tmp_path / "no-such-server")}}
    if working:
        entries["raw"] = {"command": sys.executable, "args": [str(RAW_SERVER)]}
    path = tmp_path / "mcp.json"
    path.write_text(json.dumps({"mcpServers": entries}))
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(list(argv))
    out, err = capsys.readouterr()
    code = exit_info.value.code
    return (code if isinstance(code, int) else 1), out, err


def test_a_broken_server_is_named_and_the_task_runs_with_the_others(
    tmp_path: Path, store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with scripted_model("grow", "done") as base_url:
        code, out, err = run(
            capsys, "run", "--config", str(servers(tmp_path)), "grow it", "-m", "direct",
            "--policy", "openai", "--base-url", base_url, "--model", "scripted",
        )  # fmt: skip
    assert code == 0, out + err
    (line,) = err.splitlines()
    assert line.startswith(BROKEN)
    assert "execute → grow({})" in out
    with Store(store) as opened:
        (episode,) = opened.episodes()
    assert episode.answer == "done"


def test_servers_are_connected_before_the_model_loads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_model: None
) -> None:
    code, _, err = run(capsys, "run", "--config", str(servers(tmp_path)), "grow it")
    assert code == 2
    assert [line.split(":")[0] for line in err.splitlines()] == ["error", "error"]
    first, second = err.splitlines()
    assert first.startswith(BROKEN)
    assert second == "error: the model was loaded"


def test_require_all_servers_stops_before_the_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_model: None
) -> None:
    config = str(servers(tmp_path))
    code, _, err = run(capsys, "run", "--config", config, "grow it", "--require-all-servers")
    assert code == 2
    (line,) = err.splitlines()
    assert line.startswith(BROKEN)
    assert "model was loaded" not in err


def test_no_server_connected_is_an_error_before_the_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_model: None
) -> None:
    config = servers(tmp_path, working=False)
    code, _, err = run(capsys, "run", "--config", str(config), "grow it")
    assert code == 2
    first, second = err.splitlines()
    assert first.startswith(BROKEN)
    assert second == f"error: no server of {config} could be connected"
