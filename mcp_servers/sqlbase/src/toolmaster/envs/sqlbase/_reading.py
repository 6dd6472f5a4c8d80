"""How the `sqlbase` teacher reads tool output: from the text a model sees, nothing else."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from toolmaster.core import ToolResult

_INT = re.compile(r"-?\d+")
_FLOAT = re.compile(r"-?\d+\.\d*(?:[eE][-+]?\d+)?|-?\d+[eE][-+]?\d+")
_FOOTER = re.compile(r"\((\d+) rows(?:, first (\d+) shown)?\)")
_COLUMN = re.compile(r"^\s+(\S+) (\w+)( PRIMARY KEY)?(?: -> (\S+))?$")


@dataclass(frozen=True)
class Table:
    """A `query` result as printed: header, rows, and the footer's counts."""

    columns: list[str]
    rows: list[list[Any]]
    row_count: int
    truncated: bool


def _text(result: ToolResult) -> str:
    if result.is_error:
        raise RuntimeError(f"unexpected tool error: {result.text}")
    return result.text


def cell(text: str) -> Any:
    """`NULL` -> None, numbers -> int/float, anything else stays text."""
    if text == "NULL":
        return None
    if _INT.fullmatch(text):
        return int(text)
    if _FLOAT.fullmatch(text):
        return float(text)
    return text


def tables_of(result: ToolResult) -> list[str]:
    """The table names of a `list_tables` result (`name (N rows)` per line)."""
    return [line.rsplit(" (", 1)[0] for line in _text(result).splitlines() if line.strip()]


def description_of(result: ToolResult) -> tuple[str, list[dict[str, Any]]]:
    """The table and its columns from a `describe` result."""
    lines = _text(result).splitlines()
    table = lines[0].removeprefix("table ").strip()
    columns: list[dict[str, Any]] = []
    for line in lines[1:]:
        match = _COLUMN.match(line)
        if match:
            name, sql_type, pk, ref = match.groups()
            columns.append({"name": name, "type": sql_type, "pk": bool(pk), "references": ref})
    return table, columns


def table_of(result: ToolResult) -> Table:
    """A `query` result: `a | b` header, `1 | x` rows, `(N rows[, first M shown])` footer."""
    lines = _text(result).splitlines()
    footer = _FOOTER.fullmatch(lines[-1].strip())
    if footer is None:
        raise RuntimeError(f"unreadable query output: {result.text[:200]}")
    columns = lines[0].split(" | ")
    rows = [[cell(v) for v in line.split(" | ")] for line in lines[1:-1]]
    return Table(columns, rows, int(footer.group(1)), footer.group(2) is not None)


def first_value(result: ToolResult) -> Any:
    """The first cell of the first row, or None for no rows."""
    table = table_of(result)
    return table.rows[0][0] if table.rows and table.rows[0] else None


def affected_of(result: ToolResult) -> int:
    """The count of an `execute` result (`rows affected: N`)."""
    return int(_text(result).rsplit(":", 1)[1])
