"""Errors, split by audience: mistakes in how ToolMaster is used versus failures of a run."""

from __future__ import annotations


class ToolMasterError(Exception):
    """Base of every error ToolMaster raises on purpose."""


class UserError(ToolMasterError):
    """A mistake in how ToolMaster was called or configured; the message says how to fix it."""


class FormatVersionError(UserError, ValueError):
    """A record was written by a newer ToolMaster than this one."""

    def __init__(self, version: int) -> None:
        from toolmaster.core._episode import FORMAT_VERSION  # noqa: PLC0415 (import cycle)

        self.version = version
        super().__init__(
            f"episode format version {version} is newer than this ToolMaster understands "
            f"(up to {FORMAT_VERSION}); upgrade ToolMaster to read it"
        )


class StoreError(ToolMasterError):
    """The session store could not be opened or used."""


class ImportFormatError(UserError):
    """A JSONL import had a bad line; nothing was imported."""

    def __init__(self, line: int, reason: str) -> None:
        self.line = line
        self.reason = reason
        super().__init__(f"line {line}: {reason}; nothing was imported")
