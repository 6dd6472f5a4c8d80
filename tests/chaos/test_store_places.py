"""Stores in places that cannot be written (issue 19 item 4): every command that creates a
store says so in one line, before any work, and a store on a read-only filesystem can still
be listed and shown (opened read-only)."""

from __future__ import annotations

from pathlib import Path

import pytest
from toolmaster.cli._app import main
from toolmaster.core import Store, get_environment

from tests.cli._isolation import isolate
from tests.core._factories import make_episode
from tests.core._readonly import read_only_copy

TASK = get_environment("weather").tasks("test")[0].id
COMMANDS = {
    "run": ["run", "--env", "weather", "--task", TASK, "--policy", "reference"],
    "demo": ["demo", "--no-model", "--env", "weather"],
    "synth": ["synth", "--env", "weather", "--tasks-per-env", "1"],
    "eval": ["eval", "run", "--suite", "weather", "--policy", "reference", "--limit", "1"],
}


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate(monkeypatch, tmp_path / "home")
    monkeypatch.chdir(tmp_path)


def _fails_in_one_line(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    out, err = capsys.readouterr()
    assert exit_info.value.code == 2, out + err
    assert "Traceback" not in out + err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    return lines[0]


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_store_under_a_file_is_one_clear_line(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "afile").write_text("not a folder")
    store = tmp_path / "afile" / "sub" / "sessions.db"
    line = _fails_in_one_line([*COMMANDS[command], "--store", str(store)], capsys)
    # Before the fix: a NotADirectoryError traceback from mkdir.
    assert f"cannot create the folder of session store {store}" in line


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_store_in_a_read_only_folder_is_one_clear_line(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "data").mkdir()
    with read_only_copy(tmp_path / "data", tmp_path / "ro") as ro:
        line = _fails_in_one_line([*COMMANDS[command], "--store", str(ro / "s.db")], capsys)
    assert "cannot be opened for writing" in line
    assert "read-only" in line


def test_a_store_on_a_read_only_filesystem_is_listed_and_shown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "data").mkdir()
    episodes = [make_episode(i) for i in range(2)]
    with Store(tmp_path / "data" / "s.db") as store:
        store.put_episodes(episodes)
    with read_only_copy(tmp_path / "data", tmp_path / "ro") as ro:
        store = str(ro / "s.db")
        with pytest.raises(SystemExit) as listed:
            main(["sessions", "list", "--store", store])
        out, err = capsys.readouterr()
        # Before the fix: "unable to open database file", nothing listed.
        assert listed.value.code == 0, out + err
        assert all(episode.id[:8] in out for episode in episodes)
        with pytest.raises(SystemExit) as shown:
            main(["sessions", "show", episodes[0].id, "--store", store])
        out, err = capsys.readouterr()
        assert shown.value.code == 0, out + err
        lines = tmp_path / "more.jsonl"
        lines.write_text(make_episode(5).model_dump_json() + "\n")
        line = _fails_in_one_line(["sessions", "import", str(lines), "--store", store], capsys)
        assert "read-only" in line
