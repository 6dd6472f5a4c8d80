"""Reading episodes from JSONL, one episode JSON per line, with errors that name the line."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from pydantic import ValidationError
from toolmaster.core._episode import Episode
from toolmaster.core._errors import FormatVersionError, ImportFormatError


def parse_lines(lines: Iterable[str | bytes]) -> Iterator[Episode]:
    """The episodes of a JSONL stream, in order; blank lines are skipped.

    Raises `ImportFormatError` with the 1-based line number at the first line that is not valid
    JSON, not an episode, or an episode of a newer format version.
    """
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        yield parse_line(number, _chomp(line))


def parse_line(number: int, line: str | bytes) -> Episode:
    """One episode from line `number` of a JSONL stream."""
    try:
        return Episode.from_json(line)
    except FormatVersionError as exc:
        raise ImportFormatError(number, str(exc)) from exc
    except ValidationError as exc:
        raise ImportFormatError(number, _describe(exc)) from exc


def _chomp(line: str | bytes) -> str | bytes:
    """The line without its line ending, so that error positions are within the line."""
    return line.rstrip(b"\r\n") if isinstance(line, bytes) else line.rstrip("\r\n")


def _describe(exc: ValidationError) -> str:
    errors = exc.errors(include_url=False)
    first = errors[0]
    if first["type"] in {"json_invalid", "json_type"}:
        return f"not valid JSON ({first['msg']})"
    where = ".".join(str(part) for part in first["loc"])
    problem = f"{where}: {first['msg']}" if where else str(first["msg"])
    more = f"; {len(errors) - 1} more problems" if len(errors) > 1 else ""
    return f"not a ToolMaster episode ({problem}{more})"
