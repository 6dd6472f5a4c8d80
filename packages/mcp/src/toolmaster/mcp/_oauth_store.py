"""Where OAuth tokens live: the SDK's `TokenStorage`, in this process's memory (the default) or
in a file only its owner can read (`"store": "file"`).

Tokens never go anywhere else: not into a spec, an episode, an event or a log line. A store is
keyed by everything that makes a grant distinct (the server's URL, the grant, the issuer, the
client id and the scopes), so two Toolboxes of one process (one per episode in an evaluation)
share a token instead of asking for a new one each.

A token loaded from a store is used until the server refuses it (401); the SDK's provider then
discovers the authorization server again and gets a new one. (It is not refreshed ahead of its
expiry: before discovery the SDK would send the refresh, with the client's credentials, to the
MCP server's own origin rather than to the authorization server.)
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any

import anyio.to_thread
import platformdirs
from pydantic import ValidationError

from mcp.client.auth import TokenStorage
from mcp.shared.auth import OAuthClientInformationFull, OAuthToken

__all__ = ["FileTokens", "MemoryTokens", "default_token_folder", "memory_tokens"]

logger = logging.getLogger(__name__)


def default_token_folder() -> Path:
    """`oauth/` in the platform's user cache folder for ToolMaster (`~/.cache/toolmaster/oauth`
    on Linux): where `"store": "file"` keeps tokens unless the Toolbox is given a folder."""
    return Path(platformdirs.user_cache_dir("toolmaster", appauthor=False)) / "oauth"


class MemoryTokens(TokenStorage):
    """Tokens and client registration in this process's memory."""

    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client_info: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client_info

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client_info = client_info


_memory: dict[str, MemoryTokens] = {}


def memory_tokens(key: str) -> MemoryTokens:
    """The process's memory store for `key` (one per grant, shared by every Toolbox)."""
    return _memory.setdefault(key, MemoryTokens())


class FileTokens(TokenStorage):
    """Tokens and client registration in a JSON file readable by its owner alone (0600, in a
    0700 folder), so that a browser sign-in outlives the process."""

    def __init__(self, folder: Path, key: str) -> None:
        digest = hashlib.sha256(key.encode()).hexdigest()[:32]
        self.path = folder / f"{digest}.json"
        self.tokens: OAuthToken | None = None
        self.client_info: OAuthClientInformationFull | None = None
        self._read = False

    async def get_tokens(self) -> OAuthToken | None:
        await self._load()
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        await self._load()
        self.tokens = tokens
        await self._save()

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        await self._load()
        return self.client_info

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        await self._load()
        self.client_info = client_info
        await self._save()

    async def _load(self) -> None:
        if self._read:
            return
        self._read = True
        data = await anyio.to_thread.run_sync(self._read_file)
        if data is None:
            return
        try:
            tokens, info = data.get("tokens"), data.get("client_info")
            self.tokens = None if tokens is None else OAuthToken.model_validate(tokens)
            self.client_info = (
                None if info is None else OAuthClientInformationFull.model_validate(info)
            )
        except ValidationError:
            logger.warning("ignoring the unreadable OAuth token file %s", self.path)
            self.tokens = self.client_info = None

    def _read_file(self) -> dict[str, Any] | None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            logger.warning("ignoring the unreadable OAuth token file %s: %s", self.path, exc)
            return None
        return data if isinstance(data, dict) else None  # pyright: ignore[reportUnknownVariableType]

    async def _save(self) -> None:
        data = {
            "tokens": None if self.tokens is None else self.tokens.model_dump(mode="json"),
            "client_info": None
            if self.client_info is None
            else self.client_info.model_dump(mode="json", exclude_none=True),
        }
        await anyio.to_thread.run_sync(self._write_file, json.dumps(data))

    def _write_file(self, text: str) -> None:
        folder = self.path.parent
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        temporary = folder / f".{self.path.name}.{os.getpid()}.tmp"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as file:
                file.write(text)
            os.replace(temporary, self.path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
