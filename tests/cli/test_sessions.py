"""`toolmaster sessions`: list, show, export, import, and one-line errors with exit status 2."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from toolmaster.cli._app import app, main
from toolmaster.cli._sessions import parse_moment
from toolmaster.core import Episode, Message, PhaseSpan, Store, UserError
from typer.testing import CliRunner

from tests.cli._isolation import isolate
from tests.core._factories import make_episode

runner = CliRunner()


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate(monkeypatch, tmp_path / "home")


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A store with 9 episodes, named by TOOLMASTER_STORE_PATH."""
    path = tmp_path / "sessions.db"
    with Store(path) as store:
        store.put_episodes(
            make_episode(
                i,
                env=["weather", "shop", "bank"][i % 3],
                policy=["smol", "teacher"][i % 2],
                mode=["trial", "direct"][i % 2],
                passed=[True, False, None][i % 3],
            )
            for i in range(9)
        )
    monkeypatch.setenv("TOOLMASTER_STORE_PATH", str(path))
    return path


@dataclass
class Run:
    code: int
    out: str
    err: str


def run_main(capsys: pytest.CaptureFixture[str], *args: str) -> Run:
    """Run through `main()`, the entry point's error handling included."""
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    out, err = capsys.readouterr()
    code = exit_info.value.code
    return Run(code if isinstance(code, int) else 1, out, err)


def listed_ids(output: str) -> list[str]:
    return [line.split()[0] for line in output.splitlines() if line.startswith("ep0")]


def test_list_shows_a_table_newest_first(db: Path) -> None:
    result = runner.invoke(app, ["sessions", "list"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].split() == [
        "id", "started", "task", "env", "policy", "mode", "verdict", "time",
    ]  # fmt: skip
    assert listed_ids(result.stdout) == [f"ep0000000{i}" for i in range(8, -1, -1)]
    assert "9 of 9 matching episodes" in result.stdout


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--env", "shop"], [7, 4, 1]),
        (["--policy", "teacher"], [7, 5, 3, 1]),
        (["--mode", "trial"], [8, 6, 4, 2, 0]),
        (["--passed"], [6, 3, 0]),
        (["--failed"], [7, 4, 1]),
        (["--unjudged"], [8, 5, 2]),
        (["--task", "shop-1"], [1]),
        (["--failed", "--env", "shop", "--limit", "2"], [7, 4]),
        (["--since", "2026-01-01T00:00:05+00:00"], [8, 7, 6, 5]),
        (["--until", "2026-01-01T00:00:02Z"], [1, 0]),
    ],
)
def test_list_filters(db: Path, args: list[str], expected: list[int]) -> None:
    result = runner.invoke(app, ["sessions", "list", *args])
    assert result.exit_code == 0, result.output
    assert listed_ids(result.stdout) == [f"ep0000000{i}" for i in expected]


def test_list_with_no_matches_and_with_no_store(db: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["sessions", "list", "--env", "nowhere"])
    assert result.stdout.strip() == "No episodes match."
    missing = tmp_path / "missing.db"
    result = runner.invoke(app, ["sessions", "list", "--store", str(missing)])
    assert result.exit_code == 0
    assert "No sessions recorded yet" in result.stdout
    assert not missing.exists()


def test_parse_moment_takes_ages_and_iso_times() -> None:
    now = datetime(2026, 5, 1, 12, tzinfo=UTC)
    assert parse_moment("2h", "--since", now) == now - timedelta(hours=2)
    assert parse_moment("7d", "--since", now) == now - timedelta(days=7)
    assert parse_moment("2026-01-31T10:00+01:00", "--since", now) == datetime(
        2026, 1, 31, 9, tzinfo=UTC
    )
    assert parse_moment("2026-01-31", "--since", now).tzinfo is not None
    with pytest.raises(UserError, match="--since 'soon'"):
        parse_moment("soon", "--since", now)


def test_show_prints_the_episode_phase_by_phase(db: Path) -> None:
    with Store(db) as store:
        episode = make_episode(20, turns=2)
        messages = [Message(role="system", content="be careful"), *episode.messages]
        store.put_episode(
            episode.model_copy(
                update={
                    "messages": messages,
                    "phases": [
                        PhaseSpan(phase="trial", start=2, end=4),
                        PhaseSpan(phase="execute", start=4, end=6),
                    ],
                    "notes": "days counts from 0",
                }
            )
        )
    result = runner.invoke(app, ["sessions", "show", "ep00000020"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    for expected in ("episode   ep00000020", "verdict   passed, score 1.00", "system: be careful"):
        assert expected in out
    headings = [line.split()[0] for line in out.splitlines() if "───" in line]
    assert headings == ["prompt", "trial", "execute", "end", "experience"]
    assert '-> forecast [c0] {"city": "Paris", "days": 0}' in out
    assert "days counts from 0" in out


def test_show_accepts_a_unique_prefix_and_prints_raw_json(db: Path) -> None:
    episode = make_episode(70).model_copy(update={"id": "f00dcafe" * 4})
    with Store(db) as store:
        store.put_episode(episode)
    result = runner.invoke(app, ["sessions", "show", "--json", "f00d"])
    assert result.exit_code == 0, result.output
    assert result.stdout == episode.model_dump_json() + "\n"
    assert Episode.from_json(result.stdout) == episode


def test_show_shortens_long_contents_unless_full(db: Path) -> None:
    with Store(db) as store:
        long = make_episode(30)
        long = long.model_copy(update={"messages": [Message(role="user", content="x" * 5000)]})
        store.put_episode(long)
    short = runner.invoke(app, ["sessions", "show", long.id]).stdout
    assert "more characters; --full shows all" in short
    full = runner.invoke(app, ["sessions", "show", "--full", long.id]).stdout
    assert "more characters" not in full


def test_export_to_stdout_and_file_then_import_round_trips(db: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["sessions", "export", "--passed"])
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == [
        "ep00000006",
        "ep00000003",
        "ep00000000",
    ]
    assert "exported 3 episodes to stdout" in result.stderr

    first = tmp_path / "all.jsonl"
    assert runner.invoke(app, ["sessions", "export", str(first)]).exit_code == 0
    other = tmp_path / "other.db"
    result = runner.invoke(app, ["sessions", "import", str(first), "--store", str(other)])
    assert result.exit_code == 0, result.output
    assert f"imported 9 episodes into {other}" in result.stderr
    second = tmp_path / "again.jsonl"
    result = runner.invoke(app, ["sessions", "export", str(second), "--store", str(other)])
    assert result.exit_code == 0
    assert second.read_bytes() == first.read_bytes()


def test_import_from_stdin(db: Path, tmp_path: Path) -> None:
    lines = make_episode(50).model_dump_json() + "\n"
    other = tmp_path / "stdin.db"
    result = runner.invoke(app, ["sessions", "import", "-", "--store", str(other)], input=lines)
    assert result.exit_code == 0, result.output
    with Store(other) as store:
        assert store.count() == 1


def test_every_command_has_help() -> None:
    for args in (
        [],
        ["sessions"],
        *(["sessions", c] for c in ("list", "show", "export", "import")),
    ):
        result = runner.invoke(app, [*args, "--help"])
        assert result.exit_code == 0, args
        assert "Usage:" in result.stdout


def test_errors_are_one_line_with_status_2(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(make_episode(60).model_dump_json() + "\n" + '{"id": "x"}\n')
    text_file = tmp_path / "notes.txt"
    text_file.write_text("not a database\n" * 100)
    foreign = tmp_path / "foreign.db"
    with closing(sqlite3.connect(foreign, isolation_level=None)) as conn:
        conn.execute("CREATE TABLE t (x)")
    cases = {
        ("sessions", "show", "nope"): "no episode with id 'nope'",
        ("sessions", "show", "ep0"): "is ambiguous",
        ("sessions", "import", str(bad)): "line 2: not a ToolMaster episode",
        ("sessions", "import", str(tmp_path / "absent.jsonl")): "cannot read",
        ("sessions", "list", "--store", str(text_file)): "is not a ToolMaster session store",
        ("sessions", "export", "--store", str(foreign)): "another program",
        ("sessions", "show", "x", "--store", str(tmp_path / "gone.db")): "no session store",
        ("sessions", "list", "--passed", "--unjudged"): "cannot be combined",
        ("sessions", "list", "--since", "later"): "neither an ISO date/time",
        ("sessions", "export", str(tmp_path / "no" / "dir" / "x.jsonl")): "cannot write",
        ("--config", str(tmp_path / "none.toml"), "sessions", "list"): "does not exist",
    }
    for args, message in cases.items():
        result = run_main(capsys, *args)
        assert result.code == 2, (args, result)
        assert result.err.startswith("error: "), (args, result)
        assert message in result.err, (args, result.err)
        assert len(result.err.strip().splitlines()) == 1, result.err
        assert "Traceback" not in result.err
    with Store(db) as store:
        assert store.count() == 9  # the failed import changed nothing


def test_usage_mistakes_are_reported_by_click(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_main(capsys, "sessions", "list", "--mode", "sideways")
    assert result.code == 2
    assert "Invalid value for '--mode'" in result.err


def test_import_reports_the_episodes_it_stored_not_the_lines(db: Path, tmp_path: Path) -> None:
    episode = make_episode(60)
    again = episode.model_copy(update={"answer": "the second line wins"})
    lines = episode.model_dump_json() + "\n" + again.model_dump_json() + "\n"
    other = tmp_path / "twice.db"
    result = runner.invoke(app, ["sessions", "import", "-", "--store", str(other)], input=lines)
    assert result.exit_code == 0, result.output
    assert f"imported 1 episode into {other}" in result.stderr
    with Store(other) as store:
        assert store.count() == 1
        stored = store.get_episode(episode.id)
        assert stored is not None
        assert stored.answer == "the second line wins"
