"""`toolmaster run --config` with the trial policy and the trial sandbox: a scripted model
trials `wipe` (which deletes every file of the server's working folder) on a real stdio
server; the command line, the config's `"trial"` and the default decide where it runs."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest
from toolmaster.cli._app import main
from toolmaster.core import Store
from toolmaster.mcp import namespace_support

from tests.cli._http_servers import scripted_model
from tests.cli._isolation import isolated_store
from tests.mcp.servers.memory import HERE

FILES_SERVER = HERE / "files_server.py"


@pytest.fixture(autouse=True)
def store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    return isolated_store(monkeypatch, tmp_path)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    work = tmp_path / "work"
    work.mkdir()
    (work / "keep.txt").write_text("precious")
    return work


def config(tmp_path: Path, folder: Path, trial: dict[str, str] | None = None) -> Path:
    entry: dict[str, Any] = {
        "command": sys.executable,
        "args": [str(FILES_SERVER)],
        "cwd": str(folder),
    }
    if trial is not None:
        entry["trial"] = trial
    path = tmp_path / "mcp.json"
    path.write_text(json.dumps({"mcpServers": {"files": entry}}))
    return path


def wipe(capsys: pytest.CaptureFixture[str], servers: Path, *flags: str) -> tuple[str, str]:
    """Run the scripted model that trials `wipe`; what was printed."""
    with scripted_model("wipe", "done") as base_url, pytest.raises(SystemExit) as exit_info:
        main(
            ["run", "--config", str(servers), "wipe the folder", "--policy", "openai",
             "--base-url", base_url, "--model", "scripted", *flags]
        )  # fmt: skip
    out, err = capsys.readouterr()
    assert exit_info.value.code == 0, out + err
    return out, err


def trial_runs(store: Path) -> object:
    with Store(store) as opened:
        episode = opened.episodes()[-1]
    return episode.metadata["trial_runs"]


@pytest.fixture
def namespaces() -> None:
    reason = anyio.run(namespace_support)
    if reason is not None:
        pytest.skip(f"no trial sandbox on this machine: {reason}")


@pytest.mark.usefixtures("namespaces")
def test_by_default_an_unannotated_tool_is_trialed_in_the_sandbox(
    tmp_path: Path, folder: Path, store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, _ = wipe(capsys, config(tmp_path, folder))
    assert "trial → wipe({})" in out
    assert "← (sandbox) deleted keep.txt" in out
    assert (folder / "keep.txt").read_text() == "precious"
    assert trial_runs(store) == {"call_0": "sandbox"}


def test_the_command_line_refuses_over_the_config(
    tmp_path: Path, folder: Path, store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    servers = config(tmp_path, folder, trial={"wipe": "allow"})
    out, _ = wipe(capsys, servers, "--trial-policy", "files.wipe=refuse")
    assert "the trial policy does not let `wipe` be trialed" in out
    assert (folder / "keep.txt").exists()
    assert trial_runs(store) == {"call_0": "refused"}


def test_the_config_allows_a_real_trial(
    tmp_path: Path, folder: Path, store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, _ = wipe(capsys, config(tmp_path, folder, trial={"w*": "allow"}))
    assert "← deleted keep.txt" in out
    assert not (folder / "keep.txt").exists()
    assert trial_runs(store) == {"call_0": "real"}


def test_allow_unsafe_trials_is_star_allow(
    tmp_path: Path, folder: Path, store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wipe(capsys, config(tmp_path, folder, trial={"*": "refuse"}), "--allow-unsafe-trials")
    assert not (folder / "keep.txt").exists()
    assert trial_runs(store) == {"call_0": "real"}


def test_a_malformed_rule_is_a_usage_error(
    tmp_path: Path, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--config", str(config(tmp_path, folder)), "x", "--trial-policy", "wipe"])
    assert exit_info.value.code == 2
    assert (
        "--trial-policy: expected GLOB=allow|refuse|sandbox, not 'wipe'" in capsys.readouterr().err
    )
