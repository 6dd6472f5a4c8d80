"""The `files` scripted teacher: its knowledge, its plumbing and its trial phase, which probes
hidden entries, the read limit, regex search, non-recursive delete and move targets. It reads
only what the tools print."""

from __future__ import annotations

import random
import re
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

from toolmaster.core import Mode, Task, ToolCall, ToolResult, Turn
from toolmaster.envs.files._fs import MAX_LIMIT
from toolmaster.envs.kit import Notes, Step, TeacherRun, error_text

_PRIORITY = {
    "find_port": ("search", "read"),
    "count_errors": ("read", "search"),
    "config_value": ("read", "search"),
    "largest": ("read", "search"),
    "move_tmp": ("search", "move"),
    "delete_backups": ("delete", "read"),
}
"""The probes each kind of task needs most, tried first."""


@dataclass
class Knowledge:
    """What the teacher has seen so far."""

    read_limit: int | None = None
    """The default number of lines `read_file` returns (seen, not told)."""
    max_limit: int | None = None
    search_is_regex: bool = False
    search_skips_hidden: bool = False
    delete_needs_recursive: bool = False
    move_needs_parent: bool = False
    notes: Notes = field(default_factory=Notes)


_ENTRY = re.compile(r"^(?P<name>.+?)(?:/  dir|  (?P<size>\d+) B)  mtime=(?P<mtime>\d+)$")


def entries(result: ToolResult) -> list[dict[str, Any]]:
    """The entries of a `list_dir` result, read from its text (`name  SIZE B  mtime=T` for a
    file, `name/  dir  mtime=T` for a directory)."""
    if result.is_error:
        raise RuntimeError(f"unexpected tool error: {result.text}")
    found: list[dict[str, Any]] = []
    for line in result.text.splitlines():
        match = _ENTRY.match(line)
        if match:
            size = match.group("size")
            found.append(
                {
                    "name": match.group("name"),
                    "type": "dir" if size is None else "file",
                    "size": int(size or 0),
                    "mtime": int(match.group("mtime")),
                }
            )
    return found


class Teacher(TeacherRun):
    """One run of the scripted teacher on one task."""

    def __init__(self, task: Task, rng: random.Random, mode: Mode) -> None:
        super().__init__(task, rng, mode)
        self.k = Knowledge()
        self.reserve = 0
        """Trial calls to keep free for probes still to come."""

    def call(self, tool: str, **arguments: Any) -> ToolCall:
        return self.script.make(tool, arguments)

    def one(
        self, say: str | None, tool: str, **arguments: Any
    ) -> Generator[Turn, list[ToolResult], ToolResult]:
        (result,) = yield from self.ask(say, self.call(tool, **arguments))
        return result

    def read_many(self, sizes: dict[str, int]) -> Generator[Turn, list[ToolResult], dict[str, str]]:
        """Whole files, read in parallel, paging as the limits seen so far require (a read is
        complete when its bytes reach the size `list_dir` showed)."""
        texts = dict.fromkeys(sizes, "")
        pending = [p for p, size in sizes.items() if size > 0]
        while pending:
            calls: list[ToolCall] = []
            for path in pending:
                args: dict[str, Any] = {"path": path}
                if texts[path]:
                    args["offset"] = texts[path].count("\n")
                if self.k.max_limit:
                    args["limit"] = self.k.max_limit
                calls.append(self.call("read_file", **args))
            started = any(texts[p] for p in pending)
            say = "Only part came back; reading on from where it stopped." if started else None
            results = yield from self.ask(say, *calls)
            still: list[str] = []
            for path, result in zip(pending, results, strict=True):
                if result.is_error:
                    raise RuntimeError(f"unexpected tool error: {result.text}")
                texts[path] += result.text
                if result.text and len(texts[path].encode()) < sizes[path]:
                    still.append(path)
            pending = still
        return texts

    # ------------------------------------------------------------ trial (budgeted)
    def spare(self, cost: int) -> bool:
        """Whether `cost` more trial calls fit the budget."""
        return self.script.fits(cost)

    def trial(self) -> Step:
        """At most `TRIAL_BUDGET` probes: dotfiles always, then the probes this task needs most."""
        home = yield from self.one("Let me look around the file system.", "list_dir", path="/home")
        user = f"/home/{entries(home)[0]['name']}"
        biggest = yield from self._trial_hidden(user)
        probes = {
            "read": (2, lambda: self._trial_read(*biggest)),
            "search": (2, lambda: self._trial_search(user)),
            "delete": (2, lambda: self._trial_delete(user)),
            "move": (2, lambda: self._trial_move(user)),
        }
        first = _PRIORITY[str(self.task.metadata["kind"])]
        rest = [name for name in probes if name not in first]
        self.rng.shuffle(rest)
        done: set[str] = set()
        for name in [*first, *rest]:
            cost, probe = probes[name]
            # optional mistakes inside a probe must leave room for the other probe this task needs
            self.reserve = sum(probes[n][0] for n in first if n != name and n not in done)
            if self.spare(cost):
                yield from probe()
            done.add(name)
        yield from self.script.finish_trial(
            self.k.notes.render(joiner="; "),
            say="I have tried the tools I need; writing down what I learnt.",
        )

    def _trial_hidden(self, user: str) -> Generator[Turn, list[ToolResult], tuple[str, int]]:
        plain, every = yield from self.ask(
            f"Does list_dir show dotfiles? Comparing {user} with and without the `a` flag.",
            self.call("list_dir", path=user),
            self.call("list_dir", path=user, a=True),
        )
        hidden = sorted({e["name"] for e in entries(every)} - {e["name"] for e in entries(plain)})
        self.k.notes.add(
            "list_dir",
            "one entry per line, 'name  SIZE B  mtime=T' or 'name/  dir  mtime=T' (T: unix "
            "seconds, UTC); hidden entries (names starting with '.') are skipped unless a=true "
            f"(saw {', '.join(hidden)} only with a=true)",
        )
        files = [e for e in entries(every) if e["type"] == "file"]
        top = max(files, key=lambda e: int(e["size"]))
        return f"{user}/{top['name']}", int(top["size"])

    def _trial_read(self, path: str, size: int) -> Step:
        first = yield from self.one(f"Reading {path} ({size} bytes).", "read_file", path=path)
        got = first.text.count("\n")
        if len(first.text.encode()) < size:
            self.k.read_limit = got
            self.k.notes.add(
                "read_file",
                f"without limit it silently returns only the first {got} lines "
                f"({len(first.text.encode())} of {size} bytes); offset = lines to skip (0-based)",
            )
        if self.rng.random() < 0.4 and not self.spare(2 + self.reserve):
            # the tempting mistake, in place of the explicit-limit read when the budget is short
            big = yield from self.one(
                "Can I read it all at once?", "read_file", path=path, limit=100_000
            )
            if big.is_error:
                self.k.notes.add(
                    "read_file",
                    f"a huge limit fails ({error_text(big)}): page with offset instead, until the "
                    "bytes read reach the size from list_dir",
                )
            return
        if self.spare(2 + self.reserve) and self.rng.random() < 0.5:
            big = yield from self.one(
                "Can I read it all at once?", "read_file", path=path, limit=100_000
            )
            if big.is_error:
                self.k.notes.add("read_file", f"a huge limit fails ({error_text(big)})")
        rest = yield from self.one(
            "Reading with an explicit limit.", "read_file", path=path, offset=got, limit=MAX_LIMIT
        )
        self.k.max_limit = MAX_LIMIT
        self.k.notes.add(
            "read_file",
            f"limit={MAX_LIMIT} works (read {rest.text.count(chr(10))} more lines from offset "
            f"{got}); compare the bytes read with the size from list_dir and page until they match",
        )

    def _trial_search(self, user: str) -> Step:
        glob_first = self.rng.random() < 0.5
        if glob_first:
            glob = yield from self.one("Is search a glob?", "search", pattern="*.sh", path=user)
            if glob.is_error:
                self.k.notes.add(
                    "search", f"pattern is NOT a glob: '*.sh' gives '{error_text(glob)}'"
                )
        regex = yield from self.one(None, "search", pattern=r"\.sh$", path=user)
        self.k.search_is_regex = not regex.is_error
        self.k.notes.add(
            "search",
            "pattern is a Python regex matched anywhere in the full path (anchor with $, "
            "escape the dot: '\\.sh$'); one path per line; content=true greps lines as "
            "'path:LINE:text' (LINE 1-based); 'no matches' when empty",
        )
        if glob_first and not self.spare(1 + self.reserve):
            return
        dot = yield from self.one("And dotfiles?", "search", pattern=r"bashrc", path=user)
        if dot.text.strip() == "no matches":
            self.k.search_skips_hidden = True
            self.k.notes.add(
                "search",
                f"skips hidden files and hidden dirs (found no .bashrc in {user} although it "
                "exists): use list_dir(a=true) + read_file for dotfiles",
            )

    def _trial_delete(self, user: str) -> Step:
        target = f"{user}/tmp"  # noqa: S108 (virtual path)
        first = yield from self.one(
            "Trying delete on a directory (sandboxed trial).", "delete", path=target
        )
        if first.is_error:
            self.k.delete_needs_recursive = True
            again = yield from self.one(None, "delete", path=target, recursive=True)
            self.k.notes.add(
                "delete",
                f"a non-empty directory fails with '{error_text(first)}'; recursive=true deletes "
                f"the whole subtree ({again.text}); files go with a plain delete",
            )

    def _trial_move(self, user: str) -> Step:
        src = f"{user}/notes.tmpl"
        first = yield from self.one(
            "Trying move into a directory that does not exist.",
            "move",
            src=src,
            dst="/scratch/notes.tmpl",
        )
        if first.is_error:
            self.k.move_needs_parent = True
            made = yield from self.one(None, "make_dir", path="/scratch")
            self.k.notes.add(
                "move",
                f"the target's parent must exist ('{error_text(first)}'); make_dir creates it "
                f"({made.text}); give the full target path",
            )
            if self.spare(1):
                done = yield from self.one(None, "move", src=src, dst="/scratch/notes.tmpl")
                self.k.notes.add("move", f"after make_dir it works ({done.text})")
