"""Errors, split by audience: mistakes in how ToolMaster is used versus failures of a run."""

from __future__ import annotations


class ToolMasterError(Exception):
    """Base of every error ToolMaster raises on purpose."""


class UserError(ToolMasterError):
    """A mistake in how ToolMaster was called or configured; the message says how to fix it."""


class FormatVersionError(UserError, ValueError):
    """A record was written by a newer ToolMaster than this one."""

    def __init__(self, version: int, *, newest: int) -> None:
        self.version = version
        self.newest = newest
        """The newest version this ToolMaster reads."""
        super().__init__(
            f"episode format version {version} is newer than this ToolMaster understands "
            f"(up to {newest}); upgrade ToolMaster to read it"
        )


class StoreError(ToolMasterError):
    """The session store could not be opened or used."""


class ImportFormatError(UserError):
    """A JSONL import had a bad line; nothing was imported."""

    def __init__(self, line: int, reason: str) -> None:
        self.line = line
        self.reason = reason
        super().__init__(f"line {line}: {reason}; nothing was imported")
