"""File-system operations over the JSON state of `files`. Errors are `FsError` with short
errno-style messages (`ENOENT: ...`), which is all the model gets to see."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from typing import Any, cast

from pydantic import JsonValue
from toolmaster.envs.files._world import NOW

MAX_LIMIT = 200
"""The largest `limit` `read_file` accepts."""


class FsError(Exception):
    """A failed operation; the message is what the model sees."""


@dataclass(frozen=True)
class Entry:
    name: str
    type: str
    size: int
    mtime: int


class Fs:
    """A view of one session's JSON state as a file system."""

    def __init__(self, data: dict[str, JsonValue]) -> None:
        self.data = data

    @property
    def files(self) -> dict[str, dict[str, Any]]:
        return cast(dict[str, dict[str, Any]], self.data["files"])

    @property
    def dirs(self) -> dict[str, dict[str, Any]]:
        return cast(dict[str, dict[str, Any]], self.data["dirs"])

    # ------------------------------------------------------------ helpers
    @staticmethod
    def norm(path: str) -> str:
        if not path.startswith("/"):
            raise FsError(f"EINVAL: {path!r}: path must be absolute")
        return posixpath.normpath(path).replace("//", "/")

    def _need_dir(self, path: str) -> None:
        if path in self.files:
            raise FsError(f"ENOTDIR: {path}")
        if path not in self.dirs:
            raise FsError(f"ENOENT: {path}")

    def _children(self, path: str) -> list[str]:
        prefix = path.rstrip("/") + "/"
        found = {
            prefix + p[len(prefix) :].split("/", 1)[0]
            for p in (*self.files, *self.dirs)
            if p.startswith(prefix) and p != path
        }
        return sorted(found)

    def _subtree(self, path: str) -> list[str]:
        prefix = path.rstrip("/") + "/"
        return [p for p in (*self.files, *self.dirs) if p == path or p.startswith(prefix)]

    # ------------------------------------------------------------ reads
    def list_dir(self, path: str, show_hidden: bool) -> list[Entry]:
        path = self.norm(path)
        self._need_dir(path)
        entries: list[Entry] = []
        for child in self._children(path):
            name = posixpath.basename(child)
            if name.startswith(".") and not show_hidden:
                continue
            if child in self.files:
                f = self.files[child]
                entries.append(
                    Entry(name, "file", len(str(f["content"]).encode()), int(f["mtime"]))
                )
            else:
                entries.append(Entry(name, "dir", 0, int(self.dirs[child]["mtime"])))
        return entries

    def read(self, path: str, offset: int, limit: int | None) -> str:
        path = self.norm(path)
        if path in self.dirs:
            raise FsError(f"EISDIR: {path}")
        if path not in self.files:
            raise FsError(f"ENOENT: {path}")
        if offset < 0:
            raise FsError("EINVAL: offset")
        if limit is not None and not 0 < limit <= MAX_LIMIT:
            raise FsError("EINVAL: limit")
        count = int(cast(int, self.data["read_limit"])) if limit is None else limit
        lines = str(self.files[path]["content"]).splitlines(keepends=True)
        return "".join(lines[offset : offset + count])

    def search(self, pattern: str, root: str, content: bool) -> list[str]:
        root = self.norm(root)
        self._need_dir(root)
        try:
            regex = re.compile(pattern)
        except re.error as exc:
            raise FsError(f"EINVAL: bad pattern: {exc}") from None
        prefix = root.rstrip("/") + "/"
        hits: list[str] = []
        for path, f in self.files.items():
            if not path.startswith(prefix) or "/." in path:
                continue  # hidden files and everything below hidden directories are skipped
            if not content:
                if regex.search(path):
                    hits.append(path)
                continue
            for n, line in enumerate(str(f["content"]).splitlines(), start=1):
                if regex.search(line):
                    hits.append(f"{path}:{n}:{line}")
        return hits

    # ------------------------------------------------------------ writes
    def write(self, path: str, text: str) -> int:
        path = self.norm(path)
        parent = posixpath.dirname(path)
        if path in self.dirs:
            raise FsError(f"EISDIR: {path}")
        self._need_dir(parent)
        self.files[path] = {"content": text, "mtime": NOW}
        return len(text.encode())

    def make_dir(self, path: str) -> None:
        path = self.norm(path)
        if path in self.files:
            raise FsError(f"EEXIST: {path}")
        while path not in self.dirs:
            self.dirs[path] = {"mtime": NOW}
            path = posixpath.dirname(path)

    def move(self, src: str, dst: str) -> str:
        src, dst = self.norm(src), self.norm(dst)
        if src not in self.files and src not in self.dirs:
            raise FsError(f"ENOENT: {src}")
        if src == "/":
            raise FsError("EBUSY: /")
        if dst in self.dirs:
            dst = posixpath.join(dst, posixpath.basename(src))
        if dst in self.files or dst in self.dirs:
            raise FsError(f"EEXIST: {dst}")
        self._need_dir(posixpath.dirname(dst))
        if dst.startswith(src.rstrip("/") + "/"):
            raise FsError(f"EINVAL: cannot move {src} into itself")
        for old in self._subtree(src):
            new = dst + old[len(src) :]
            if old in self.files:
                self.files[new] = self.files.pop(old)
            else:
                self.dirs[new] = self.dirs.pop(old)
        return dst

    def delete(self, path: str, recursive: bool) -> int:
        path = self.norm(path)
        if path == "/":
            raise FsError("EBUSY: /")
        if path in self.files:
            del self.files[path]
            return 1
        if path not in self.dirs:
            raise FsError(f"ENOENT: {path}")
        doomed = self._subtree(path)
        if len(doomed) > 1 and not recursive:
            raise FsError(f"ENOTEMPTY: {path}")
        for p in doomed:
            self.files.pop(p, None)
            self.dirs.pop(p, None)
        return sum(1 for _ in doomed)
