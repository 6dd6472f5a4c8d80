"""How the `files` teacher executes each kind of task. Without trial knowledge (direct mode) it
starts the obvious way (default reads, glob patterns, plain deletes, moves into a missing
directory) and recovers from what comes back."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from typing import Any, cast

from toolmaster.envs.files._trial import Teacher, entries
from toolmaster.envs.kit import Returning, error_text


def _params(t: Teacher) -> dict[str, Any]:
    return cast(dict[str, Any], t.task.metadata["params"])


def _active_port_hits(text: str, port: int) -> list[str]:
    pattern = re.compile(rf"^\s*port\s*[:=]\s*{port}\b", re.IGNORECASE)
    hits: list[str] = []
    for line in text.splitlines():
        parts = line.split(":", 2)
        if len(parts) == 3 and pattern.match(parts[2]):
            hits.append(parts[0])
    return hits


def _find_port(t: Teacher) -> Returning[str]:
    port = int(_params(t)["port"])
    if t.mode == "direct":
        naive = yield from t.one(
            "Grepping /etc for the port.",
            "search",
            pattern=f"port = {port}",
            path="/etc",
            content=True,
        )
        hits = _active_port_hits(naive.text, port)
        if len(hits) == 1:
            return f"The file is {hits[0]}."
    result = yield from t.one(
        "Looser regex for any 'port' setting, then dropping commented lines.",
        "search",
        pattern=rf"(?i)\bport\s*[:=]\s*{port}\b",
        path="/etc",
        content=True,
    )
    hits = _active_port_hits(result.text, port)
    if len(hits) == 1:
        return f"The file is {hits[0]}."
    say = (
        "No active setting among the matches; search skips dotfiles, so I check hidden files."
        if t.k.search_skips_hidden
        else "No active setting found. Maybe search ignores dotfiles; listing with a=true."
    )
    etc = yield from t.one(say, "list_dir", path="/etc")
    dirs = [f"/etc/{e['name']}" for e in entries(etc) if e["type"] == "dir"]
    listings = yield from t.ask(None, *(t.call("list_dir", path=d, a=True) for d in dirs))
    hidden = {
        f"{directory}/{e['name']}": int(e["size"])
        for directory, listing in zip(dirs, listings, strict=True)
        for e in entries(listing)
        if e["type"] == "file" and e["name"].startswith(".")
    }
    texts = yield from t.read_many(hidden)
    for path, text in texts.items():
        if _active_port_hits("\n".join(f"{path}:0:{x}" for x in text.splitlines()), port):
            return f"The file is {path}."
    return "I could not find it."


def _count_errors(t: Teacher) -> Returning[str]:
    directory = str(_params(t)["dir"])
    if t.rng.random() < 0.5:
        result = yield from t.one(
            "Counting ERROR lines with a content search.",
            "search",
            pattern="ERROR",
            path=directory,
            content=True,
        )
        lines = [x for x in result.text.splitlines() if x != "no matches"]
        return f"There are {len(lines)} lines containing ERROR."
    listing = yield from t.one(f"Reading every file in {directory}.", "list_dir", path=directory)
    sizes = {
        f"{directory}/{e['name']}": int(e["size"]) for e in entries(listing) if e["type"] == "file"
    }
    texts = yield from t.read_many(sizes)
    total = sum("ERROR" in line for text in texts.values() for line in text.splitlines())
    return f"There are {total} lines containing ERROR."


def _config_value(t: Teacher) -> Returning[str]:
    path, key = str(_params(t)["path"]), str(_params(t)["key"])
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*[:=]\s*(.*?)\s*$")
    listing = yield from t.one(
        "Checking the file size first.", "list_dir", path=posixpath.dirname(path), a=True
    )
    size = next(int(e["size"]) for e in entries(listing) if e["name"] == posixpath.basename(path))
    text = (yield from t.read_many({path: size}))[path]
    for line in text.splitlines():
        match = pattern.match(line)
        if match:
            return f"{key} is {match.group(1)}"
    return f"{key} is not set."


def _largest(t: Teacher) -> Returning[str]:
    directory = str(_params(t)["dir"])
    if t.mode == "direct":
        yield from t.one(f"Listing {directory}.", "list_dir", path=directory)
    say = "Including dotfiles (a=true)." if t.mode == "trial" else "No dotfiles listed; a=true:"
    listing = yield from t.one(say, "list_dir", path=directory, a=True)
    files = [e for e in entries(listing) if e["type"] == "file"]
    best = max(files, key=lambda e: int(e["size"]))
    return f"The largest file is {directory}/{best['name']} ({best['size']} bytes)."


def _move_tmp(t: Teacher) -> Returning[str]:
    directory = str(_params(t)["dir"])
    if not t.k.search_is_regex:
        glob = yield from t.one(
            "Finding the .tmp files.", "search", pattern="*.tmp", path=directory
        )
        say = f"'{error_text(glob)}': the pattern is a regex. Anchored:" if glob.is_error else None
    else:
        say = "Finding the .tmp files (regex, anchored)."
    found = yield from t.one(say, "search", pattern=r"\.tmp$", path=directory)
    paths = [p for p in found.text.splitlines() if p.endswith(".tmp")]
    if t.mode == "trial":
        trash = yield from t.one("Does /trash exist?", "list_dir", path="/trash")
        if trash.is_error:
            yield from t.one("It does not; creating it.", "make_dir", path="/trash")
    moves = [t.call("move", src=p, dst=f"/trash/{posixpath.basename(p)}") for p in paths]
    results = yield from t.ask(f"Moving {len(paths)} files.", *moves)
    failed = [p for p, r in zip(paths, results, strict=True) if r.is_error]
    if failed:
        yield from t.one(
            f"{error_text(results[0])}: creating /trash first.", "make_dir", path="/trash"
        )
        yield from t.ask(
            "Moving them again.",
            *(t.call("move", src=p, dst=f"/trash/{posixpath.basename(p)}") for p in failed),
        )
    return f"Moved {len(paths)} .tmp files into /trash."


def _delete_backups(t: Teacher) -> Returning[str]:
    before = int(_params(t)["before"])
    listing = yield from t.one(
        f"Listing /backups; deleting what is older than {before} (unix seconds).",
        "list_dir",
        path="/backups",
        a=True,
    )
    old = [e for e in entries(listing) if int(e["mtime"]) < before]
    recursive = t.k.delete_needs_recursive
    calls = [
        t.call("delete", path=f"/backups/{e['name']}", recursive=True)
        if recursive and e["type"] == "dir"
        else t.call("delete", path=f"/backups/{e['name']}")
        for e in old
    ]
    results = yield from t.ask(f"Deleting {len(old)} old backups.", *calls)
    retry = [e for e, r in zip(old, results, strict=True) if r.is_error]
    if retry:
        message = error_text(next(r for r in results if r.is_error))
        yield from t.ask(
            f"'{message}': directories need recursive=true.",
            *(t.call("delete", path=f"/backups/{e['name']}", recursive=True) for e in retry),
        )
    return f"Deleted {len(old)} backups: " + ", ".join(e["name"] for e in old)


_KINDS: dict[str, Callable[[Teacher], Returning[str]]] = {
    "find_port": _find_port,
    "count_errors": _count_errors,
    "config_value": _config_value,
    "largest": _largest,
    "move_tmp": _move_tmp,
    "delete_backups": _delete_backups,
}


def execute(t: Teacher) -> Returning[str]:
    """Carry out the task; returns the final answer text."""
    return (yield from _KINDS[str(t.task.metadata["kind"])](t))
