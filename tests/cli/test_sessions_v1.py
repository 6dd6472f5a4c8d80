"""Episodes of format version 1 in an existing store: `sessions show` and `sessions export`
read them, and so does the evaluation report's episode viewer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from toolmaster.cli._app import app
from toolmaster.core import Episode, Store
from toolmaster.eval._episode_view import sections
from typer.testing import CliRunner

from tests.cli._isolation import isolate
from tests.core._factories import V1_EPISODE, store_raw

runner = CliRunner()
TEXT = V1_EPISODE.read_text().strip()
ID = json.loads(TEXT)["id"]


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate(monkeypatch, tmp_path / "home")
    path = tmp_path / "old.db"
    Store(path).close()
    store_raw(path, TEXT)
    monkeypatch.setenv("TOOLMASTER_STORE_PATH", str(path))


def test_show_reads_a_version_1_episode() -> None:
    result = runner.invoke(app, ["sessions", "show", ID])
    assert result.exit_code == 0, result.output
    assert f"{ID} (format 3)" in result.stdout
    assert '{"day": 3, "rain_mm": 12}' in result.stdout
    shown = runner.invoke(app, ["sessions", "show", "--json", ID])
    assert Episode.from_json(shown.stdout).format_version == 3


def test_export_writes_it_as_stored() -> None:
    result = runner.invoke(app, ["sessions", "export", "-"])
    assert result.exit_code == 0, result.output
    assert result.stdout == TEXT + "\n"


def test_the_report_viewer_reads_it() -> None:
    episode = Episode.from_json(TEXT)
    steps = [step for section in sections(episode) for step in section.steps]
    results = [step.text for step in steps if step.kind == "result"]
    assert results[0] == '{"day": 4, "rain_mm": 0}'
