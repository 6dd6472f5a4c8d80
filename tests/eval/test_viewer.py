"""The viewer's site, without a browser: its data hold the store's episodes, the filters' values
and the report's tables; its pages reference local files only; `toolmaster view` and
`toolmaster eval report --html` write it. (tests/eval/test_viewer_browser.py opens it.)"""

from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from toolmaster.cli._app import app
from toolmaster.core import Store, UserError
from toolmaster.eval import build_report, build_site, write_site
from toolmaster.eval._report import paired_row
from typer.testing import CliRunner

from tests.cli._isolation import isolate
from tests.eval.viewer_store import MARKUP, make_store

DOC = Path(__file__).resolve().parents[2] / "docs" / "viewer.md"


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_store(tmp_path_factory.mktemp("viewer") / "sessions.db")


def script_data(path: Path, prefix: str) -> Any:
    """The JSON a data script hands to the page (`prefix` + JSON + `);` or `;`)."""
    text = path.read_text(encoding="ascii")
    assert text.startswith(prefix)
    return json.loads(text[len(prefix) :].rstrip().removesuffix(";").removesuffix(")"))


def test_the_data_hold_every_episode_the_filters_and_the_paired_table(
    store_path: Path, tmp_path: Path
) -> None:
    with Store(store_path) as store:
        site = build_site(store)
        stored = {e.id for e in store.episodes()}
        report = build_report(store, ["base", "second"])
    index = write_site(site, tmp_path / "site")
    data = script_data(tmp_path / "site" / "data.js", "window.TOOLMASTER_VIEW = ")

    assert {row["id"] for row in data["episodes"]} == stored
    assert [row["index"] for row in data["episodes"]] == list(range(17))
    assert data["filters"] == {
        "run": ["base", "second", "(no run)"],
        "suite": ["weather"],
        "setting": ["clean", "renamed", "-"],
        "mode": ["trial", "direct"],
        "policy": ["guess", "reference", "reference-weather"],
        "verdict": ["passed", "failed"],
    }
    assert [r["run"] for r in data["runs"]] == ["base", "second"]
    assert "details" not in data
    # The tables are the report's rows, with the run in front.
    assert [row["cells"] for row in data["paired"]["rows"]] == [
        [p.run, *paired_row(p)] for p in report.paired
    ]
    assert {row["keys"]["policy"] for row in data["paired"]["rows"]} == {"reference", "guess"}
    assert data["comparison"]["columns"][-1] == "Δ (second - base)"
    guess = [r for r in data["results"]["rows"] if r["keys"]["policy"] == "guess"]
    assert [r["cells"][6] for r in guess] == ["0.0%", "0.0%"]
    assert index == tmp_path / "site" / "index.html"


def test_every_episode_has_its_page_with_phases_calls_results_and_notes(
    store_path: Path, tmp_path: Path
) -> None:
    with Store(store_path) as store:
        write_site(build_site(store, ["base"]), tmp_path)
    pages = sorted((tmp_path / "episodes").iterdir())
    assert len(pages) == 8
    first = script_data(tmp_path / "episodes" / "0.js", "toolmasterEpisode(0, ")
    assert (first["row"]["run"], first["row"]["mode"]) == ("base", "trial")
    assert [s["label"] for s in first["sections"]] == ["prompt", "trial phase", "execute phase"]
    trial = first["sections"][1]["steps"]
    assert {s["kind"] for s in trial} >= {"assistant", "call", "result"}
    assert all(s["phase"] == "trial" for s in trial if s["kind"] == "call")
    assert any(s["is_error"] and s["text"].startswith("Error") for s in trial)
    assert first["notes"]
    assert first["verdict"]["passed"] is True
    assert first["verdict"]["reasons"]
    assert ("run", "base") in [tuple(f) for f in first["facts"]]
    assert {t["name"] for t in first["tools"]} >= {"find_city", "get_forecast"}


def test_the_session_outside_runs_is_listed_and_its_markup_kept_as_data(
    store_path: Path, tmp_path: Path
) -> None:
    with Store(store_path) as store:
        write_site(build_site(store), tmp_path)
    data = script_data(tmp_path / "data.js", "window.TOOLMASTER_VIEW = ")
    (session,) = [row for row in data["episodes"] if row["run"] == "(no run)"]
    assert (session["task"], session["prompt"], session["setting"]) == (
        "session/markup",
        MARKUP,
        "-",
    )
    assert session["policy"] == "reference-weather"  # its PolicyInfo.name: no run labels it


class _References(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found += [value for name, value in attrs if name in ("src", "href") and value]


def test_the_page_references_local_files_only(store_path: Path, tmp_path: Path) -> None:
    with Store(store_path) as store:
        index = write_site(build_site(store), tmp_path)
    parser = _References()
    parser.feed(index.read_text(encoding="utf-8"))
    assert parser.found == ["data:,", "style.css", "data.js", "app.js"]
    assert all((tmp_path / ref).is_file() for ref in parser.found[1:])
    script = (tmp_path / "app.js").read_text(encoding="utf-8")
    for risky in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(",
                  "fetch(", "XMLHttpRequest", "http:", "https:"):  # fmt: skip
        assert risky not in script, risky
    assert "http" not in (tmp_path / "style.css").read_text(encoding="utf-8")


def test_a_store_of_sessions_only_has_no_tables_but_its_episodes(
    store_path: Path, tmp_path: Path
) -> None:
    with Store(store_path) as store:
        sessions = [e for e in store.episodes() if "eval" not in e.metadata]
    with Store(tmp_path / "sessions.db") as store:
        store.put_episodes(sessions)
        site = build_site(store)
    assert (len(site.episodes), site.runs, site.results.rows, site.paired.rows) == (1, [], [], [])
    assert site.filters["run"] == ["(no run)"]
    assert site.details[0].sections[0].label == "prompt"


def test_named_runs_must_exist_and_an_empty_store_has_nothing_to_show(
    store_path: Path, tmp_path: Path
) -> None:
    with Store(store_path) as store, pytest.raises(UserError, match="no episodes of run"):
        build_site(store, ["base", "nope"])
    with Store(tmp_path / "empty.db") as empty, pytest.raises(UserError, match="nothing to show"):
        build_site(empty)


def test_writing_again_replaces_the_episode_pages_and_a_foreign_folder_is_refused(
    store_path: Path, tmp_path: Path
) -> None:
    with Store(store_path) as store:
        write_site(build_site(store), tmp_path / "site")
        assert len(list((tmp_path / "site" / "episodes").iterdir())) == 17
        write_site(build_site(store, ["second"]), tmp_path / "site")
        assert len(list((tmp_path / "site" / "episodes").iterdir())) == 8
        (tmp_path / "other" / "episodes").mkdir(parents=True)
        with pytest.raises(UserError, match="no viewer"):
            write_site(build_site(store, ["second"]), tmp_path / "other")


def test_the_view_and_report_html_commands_write_the_site(
    store_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    isolate(monkeypatch, tmp_path / "home")
    runner = CliRunner()
    store = ["--store", str(store_path)]
    viewed = runner.invoke(app, ["view", *store, "--out", str(tmp_path / "view")])
    assert viewed.exit_code == 0, viewed.output
    assert "(17 episodes, 2 runs)" in viewed.output
    assert (tmp_path / "view" / "index.html").is_file()
    named = runner.invoke(app, ["view", "second", "base", *store, "--out", str(tmp_path / "two")])
    assert named.exit_code == 0, named.output
    data = script_data(tmp_path / "two" / "data.js", "window.TOOLMASTER_VIEW = ")
    assert data["filters"]["run"] == ["second", "base"]
    reported = runner.invoke(
        app, ["eval", "report", "base", *store, "--out", str(tmp_path / "report"), "--html"]
    )
    assert reported.exit_code == 0, reported.output
    assert (tmp_path / "report" / "report.md").is_file()
    assert len(list((tmp_path / "report" / "site" / "episodes").iterdir())) == 8
    missing = runner.invoke(app, ["view", "--store", str(tmp_path / "none.db")])
    assert isinstance(missing.exception, UserError)
    assert "no session store" in str(missing.exception)


def test_the_python_example_of_the_docs_runs(
    store_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    shutil.copy(store_path, tmp_path / "sessions.db")
    (snippet,) = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)
    exec(compile(snippet, str(DOC), "exec"), {})
    assert len(list((tmp_path / "viewer" / "episodes").iterdir())) == 17


def test_the_docs_images_exist_and_are_small() -> None:
    images = re.findall(r"\]\((img/[^)]+)\)", DOC.read_text(encoding="utf-8"))
    assert images == ["img/viewer.png", "img/viewer-episode.png"]
    for image in images:
        assert (DOC.parent / image).stat().st_size < 300_000
