"""The examples in docs/formats.md are real: the JSON parses exactly and the SQL is the schema."""

from __future__ import annotations

import json
import re
import sqlite3
from contextlib import closing
from pathlib import Path

from toolmaster.core import FORMAT_VERSION, Episode, Event, Experience, Record, Store, render_parts

DOC = Path(__file__).resolve().parents[2] / "docs" / "formats.md"


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC.read_text(), flags=re.DOTALL)


def test_the_json_examples_parse_and_show_every_field() -> None:
    kinds: list[type[Record]] = [Episode, Event, Experience]
    blocks = _blocks("json")
    assert len(blocks) == len(kinds)
    for kind, block in zip(kinds, blocks, strict=True):
        record = kind.model_validate_json(block)
        assert json.loads(record.model_dump_json()) == json.loads(block), kind.__name__
    episode = Episode.from_json(blocks[0])
    assert episode.format_version == FORMAT_VERSION == 3
    with_parts = [m for m in episode.messages if m.parts]
    assert with_parts, "the example shows a tool message with parts"
    for message in with_parts:  # its content is the one rendering of its parts
        assert message.content == render_parts(message.parts)
    assert {n.kind for n in episode.notices} == {"server_log", "progress", "elicitation"}


def _shape(conn: sqlite3.Connection) -> dict[str, object]:
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    return {
        table: (
            list(conn.execute(f"PRAGMA table_info({table})")),
            sorted(
                (index[1], [c[2] for c in conn.execute(f"PRAGMA index_info({index[1]})")])
                for index in conn.execute(f"PRAGMA index_list({table})")
            ),
        )
        for table in sorted(tables)
    }


def test_the_documented_schema_is_the_schema(tmp_path: Path) -> None:
    (sql,) = _blocks("sql")
    Store(tmp_path / "s.db").close()
    with closing(sqlite3.connect(":memory:")) as documented:
        documented.executescript(sql)
        with closing(sqlite3.connect(tmp_path / "s.db")) as real:
            assert _shape(documented) == _shape(real)
