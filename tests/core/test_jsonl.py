"""JSONL export and import: an exact round trip, and bad lines refused with nothing imported."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from toolmaster.core import (
    FORMAT_VERSION,
    EpisodeQuery,
    FormatVersionError,
    ImportFormatError,
    Store,
)

from tests.core._factories import make_episode


def _export(store: Store, query: EpisodeQuery | None = None) -> str:
    out = io.StringIO()
    store.export_jsonl(out, query)
    return out.getvalue()


@pytest.fixture
def filled(tmp_path: Path) -> Store:
    store = Store(tmp_path / "a.db")
    store.put_episodes(
        make_episode(i, turns=i % 4, passed=[True, False, None][i % 3]) for i in range(30)
    )
    return store


def test_export_import_export_is_byte_identical(filled: Store, tmp_path: Path) -> None:
    first = tmp_path / "first.jsonl"
    with first.open("w", encoding="utf-8", newline="\n") as out:
        assert filled.export_jsonl(out) == 30
    with Store(tmp_path / "b.db") as empty:
        with first.open("rb") as src:
            assert empty.import_jsonl(src) == 30
        second = tmp_path / "second.jsonl"
        with second.open("w", encoding="utf-8", newline="\n") as out:
            empty.export_jsonl(out)
        assert empty.episodes() == filled.episodes()
    assert second.read_bytes() == first.read_bytes()


def test_export_has_one_episode_json_per_line_newest_first(filled: Store) -> None:
    lines = _export(filled).splitlines()
    assert len(lines) == 30
    assert [json.loads(line)["id"] for line in lines] == [e.id for e in filled.episodes()]
    assert all(json.loads(line)["format_version"] == FORMAT_VERSION for line in lines)


def test_export_takes_the_query(filled: Store) -> None:
    text = _export(filled, EpisodeQuery(verdict="failed", limit=3))
    assert [json.loads(line)["id"] for line in text.splitlines()] == [
        e.id for e in filled.episodes(EpisodeQuery(verdict="failed", limit=3))
    ]
    assert _export(filled, EpisodeQuery(env="nowhere")) == ""


def test_import_of_text_lines_skips_blank_lines_and_replaces_same_ids(filled: Store) -> None:
    lines = _export(filled).splitlines(keepends=True)
    with Store(":memory:") as other:
        assert other.import_jsonl(["\n", *lines[:5], "   \n", *lines[:10]]) == 10
        assert other.count() == 10


def _bad_import(store: Store, lines: list[str]) -> ImportFormatError:
    before = _export(store)
    with pytest.raises(ImportFormatError) as caught:
        store.import_jsonl(lines)
    assert _export(store) == before, "a failed import changed the store"
    return caught.value


def test_bad_json_names_the_line_and_imports_nothing(filled: Store) -> None:
    good = make_episode(100).model_dump_json() + "\n"
    error = _bad_import(filled, [good, "\n", '{"id": "x", \n', good])
    assert error.line == 3
    assert str(error).startswith("line 3: not valid JSON")
    assert str(error).endswith("nothing was imported")


def test_json_that_is_not_an_episode_names_the_line(filled: Store) -> None:
    good = make_episode(100).model_dump_json()
    for bad in ('{"hello": "world"}', "[1, 2, 3]", "42", '"text"'):
        error = _bad_import(filled, [good, good, bad])
        assert error.line == 3
        assert "not a ToolMaster episode" in str(error)


def test_an_episode_with_a_wrong_field_names_the_field(filled: Store) -> None:
    data = make_episode(100).model_dump(mode="json")
    data["mode"] = "sideways"
    error = _bad_import(filled, [json.dumps(data)])
    assert error.line == 1
    assert "mode" in error.reason


def test_an_episode_of_a_newer_format_is_refused_with_the_version(filled: Store) -> None:
    data = make_episode(100).model_dump(mode="json")
    data["format_version"] = FORMAT_VERSION + 1
    error = _bad_import(filled, [make_episode(101).model_dump_json(), json.dumps(data)])
    assert error.line == 2
    assert f"format version {FORMAT_VERSION + 1} is newer" in str(error)
    assert isinstance(error.__cause__, FormatVersionError)


def test_bytes_that_are_not_utf8_name_the_line(filled: Store) -> None:
    before = _export(filled)
    with pytest.raises(ImportFormatError, match="line 2"):
        filled.import_jsonl([make_episode(1).model_dump_json().encode(), b"\xff\xfe{}\n"])
    assert _export(filled) == before
