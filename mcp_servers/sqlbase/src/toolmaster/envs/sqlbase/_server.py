"""The `sqlbase` MCP server: four tools over the JSON tables of one `JsonSession`."""

from __future__ import annotations

from typing import Any, cast

from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, JsonValue
from toolmaster.envs import kit
from toolmaster.envs.kit import JsonSession
from toolmaster.envs.sqlbase._db import MAX_ROWS, SqlError, run_query, run_write
from toolmaster.envs.sqlbase._world import build_world

INSTRUCTIONS = "A company database. Explore it with list_tables and describe, read with query."


class TableInfo(BaseModel):
    name: str
    rows: int


class TableList(BaseModel):
    tables: list[TableInfo]


class ColumnInfo(BaseModel):
    name: str
    type: str
    pk: bool
    references: str | None


class TableDescription(BaseModel):
    table: str
    columns: list[ColumnInfo]


class QueryResult(BaseModel):
    columns: list[str]
    rows: list[list[Any]]
    row_count: int
    truncated: bool


class ExecuteResult(BaseModel):
    rows_affected: int


def _result(model: BaseModel, text: str) -> CallToolResult:
    """Compact text for the model, the typed object as structured content.

    No output schema is published: clients (the SDK's included) would compile and check it for
    every new session, which doubles the cost of a short rollout.
    """
    return CallToolResult(
        content=[TextContent(type="text", text=text)], structured_content=model.model_dump()
    )


def _cell(value: JsonValue) -> str:
    return "NULL" if value is None else str(value)


def _table_text(result: QueryResult) -> str:
    lines = [" | ".join(result.columns)]
    lines += [" | ".join(_cell(v) for v in row) for row in result.rows]
    if result.truncated:
        lines.append(f"({result.row_count} rows, first {len(result.rows)} shown)")
    else:
        lines.append(f"({result.row_count} rows)")
    return "\n".join(lines)


def _describe_text(desc: TableDescription) -> str:
    lines = [f"table {desc.table}"]
    for c in desc.columns:
        extra = " PRIMARY KEY" if c.pk else ""
        extra += f" -> {c.references}" if c.references else ""
        lines.append(f"  {c.name} {c.type}{extra}")
    return "\n".join(lines)


_READ = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True)
_WRITE = ToolAnnotations(read_only_hint=False, destructive_hint=True, idempotent_hint=False)


def open_session(seed: int, version: str = "v1") -> JsonSession:
    """A fresh session on the world of `seed`."""
    data: dict[str, JsonValue] = {"tables": build_world(seed).tables()}
    server = kit.server("sqlbase", instructions=INSTRUCTIONS, version=version)
    session = JsonSession(server, data, version)

    def tables() -> dict[str, JsonValue]:
        return cast(dict[str, JsonValue], session.data["tables"])

    @server.tool(annotations=_READ)
    def list_tables() -> CallToolResult:
        """List the tables in the database."""
        listing = TableList(
            tables=[
                TableInfo(name=name, rows=len(cast(dict[str, Any], spec)["rows"]))
                for name, spec in sorted(tables().items())
            ]
        )
        return _result(listing, "\n".join(f"{t.name} ({t.rows} rows)" for t in listing.tables))

    @server.tool(annotations=_READ)
    def describe(table: str) -> CallToolResult:
        """Describe the columns of a table."""
        spec = tables().get(table)
        if spec is None:
            raise ToolError(f"no such table: {table}")
        columns = cast(list[dict[str, Any]], cast(dict[str, Any], spec)["columns"])
        desc = TableDescription(table=table, columns=[ColumnInfo(**c) for c in columns])
        return _result(desc, _describe_text(desc))

    @server.tool(annotations=_READ)
    def query(sql: str) -> CallToolResult:
        """Run a read-only SQL query (SQLite dialect) and return the rows."""
        try:
            rows = run_query(tables(), sql)
        except SqlError as exc:
            raise ToolError(str(exc)) from None
        result = QueryResult(
            columns=rows.columns,
            rows=rows.rows[:MAX_ROWS],
            row_count=len(rows.rows),
            truncated=len(rows.rows) > MAX_ROWS,
        )
        return _result(result, _table_text(result))

    @server.tool(annotations=_WRITE)
    def execute(sql: str) -> CallToolResult:
        """Run a SQL statement that changes data (SQLite dialect)."""
        try:
            changed = run_write(tables(), sql)
        except SqlError as exc:
            raise ToolError(str(exc)) from None
        return _result(ExecuteResult(rows_affected=changed), f"rows affected: {changed}")

    return session
