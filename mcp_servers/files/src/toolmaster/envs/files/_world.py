"""The seeded world of `files`: a small Unix-like tree (service configs in /etc, logs in
/var/log, home directories, /backups, sometimes /trash) as JSON.

State layout: `{"files": {path: {"content": str, "mtime": int}}, "dirs": {path: {"mtime": int}},
"read_limit": int}`; `read_limit` is the undocumented default line limit of `read_file`.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

from pydantic import JsonValue

SERVICES = (
    "nginx", "redis", "postgres", "rabbitmq", "haproxy", "memcached", "prometheus", "etcd",
    "grafana", "kafka", "vault", "consul",
)  # fmt: skip
TRAIN_SERVICES, TEST_SERVICES = SERVICES[:8], SERVICES[8:]
APPS = ("billing", "search", "auth", "mailer", "ingest", "reports", "gateway", "scheduler")
TRAIN_APPS, TEST_APPS = APPS[:6], APPS[6:]
USERS = ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi")
TRAIN_USERS, TEST_USERS = USERS[:6], USERS[6:]

FILLER_KEYS = (
    "log_level", "data_dir", "max_connections", "timeout_ms", "worker_threads", "cache_size",
    "admin_email", "region", "tls_cert", "bind_address", "retention_days", "pid_file",
    "backlog", "keepalive_s", "buffer_kb", "compression", "replica_of", "metrics_path",
    "auth_mode", "queue_depth", "shard_count", "flush_interval", "audit_log", "node_name",
)  # fmt: skip
WORDS = (
    "alpha", "amber", "birch", "cobalt", "delta", "ember", "fjord", "garnet", "harbor", "iris",
    "juniper", "kelp", "lumen", "maple", "nimbus", "onyx", "pylon", "quartz", "raven", "sable",
)  # fmt: skip
NOW = int(datetime(2024, 12, 15, tzinfo=UTC).timestamp())
"""The clock of the world: mtime of anything written during an episode."""
YEAR_START = int(datetime(2024, 1, 1, tzinfo=UTC).timestamp())


@dataclass
class Tree:
    """A mutable tree while the world is being built."""

    files: dict[str, dict[str, Any]] = field(default_factory=dict[str, dict[str, Any]])
    dirs: dict[str, dict[str, Any]] = field(default_factory=dict[str, dict[str, Any]])

    def mkdir(self, path: str, mtime: int) -> None:
        while path not in self.dirs:
            self.dirs[path] = {"mtime": mtime}
            if path == "/":
                break
            path = path.rsplit("/", 1)[0] or "/"

    def add(self, path: str, content: str, mtime: int) -> None:
        self.mkdir(path.rsplit("/", 1)[0] or "/", mtime)
        self.files[path] = {"content": content, "mtime": mtime}


@dataclass(frozen=True)
class ServiceConfig:
    service: str
    path: str
    port: int
    values: dict[str, str]
    """Key as written in the file -> value."""
    key_lines: dict[str, int]
    """Key as written in the file -> 0-based line index."""


@dataclass(frozen=True)
class World:
    seed: int
    state: dict[str, JsonValue]
    read_limit: int
    configs: tuple[ServiceConfig, ...]
    apps: tuple[str, ...]
    users: tuple[str, ...]


def _value(rng: random.Random, key: str) -> str:
    if key in ("max_connections", "timeout_ms", "worker_threads", "cache_size", "backlog"):
        return str(rng.randrange(16, 5000))
    if key in ("retention_days", "keepalive_s", "buffer_kb", "queue_depth", "shard_count"):
        return str(rng.randrange(2, 400))
    return f"{rng.choice(WORDS)}-{rng.randrange(10, 99)}"


def _config(rng: random.Random, tree: Tree, service: str, port: int, other: int) -> ServiceConfig:
    style = rng.choice(("conf", "yaml", "env"))
    path = {
        "conf": f"/etc/{service}/{service}.conf",
        "yaml": f"/etc/{service}/config.yaml",
        "env": f"/etc/{service}/.env",
    }[style]

    def line(key: str, value: str) -> str:
        if style == "env":
            return f"{key.upper()}={value}"
        return f"{key}: {value}" if style == "yaml" else f"{key} = {value}"

    keys = rng.sample(FILLER_KEYS, rng.randint(14, 22))
    lines = [f"# {service} configuration", "# managed by ops; edit with care", ""]
    values: dict[str, str] = {}
    key_lines: dict[str, int] = {}
    port_at = rng.randrange(len(keys))
    for i, key in enumerate(keys):
        if rng.random() < 0.45:
            lines.append(f"# {key.replace('_', ' ')}: see runbook section {rng.randint(1, 9)}")
        if rng.random() < 0.25:
            lines.append("")
        if i == port_at:
            if rng.random() < 0.5:
                lines.append("# " + line("port", str(other)) + "  (old)")
            lines.append(line("port", str(port)))
        value = _value(rng, key)
        written = key.upper() if style == "env" else key
        key_lines[written] = len(lines)
        values[written] = value
        lines.append(line(key, value))
    if rng.random() < 0.4:
        lines.append(line("metrics_port", str(rng.randrange(9100, 9199))))
    tree.add(path, "\n".join(lines) + "\n", YEAR_START + rng.randrange(10**7))
    tree.add(
        f"/etc/{service}/README",
        f"Configuration for {service}.\n",
        YEAR_START + rng.randrange(10**6),
    )
    return ServiceConfig(service, path, port, values, key_lines)


_LEVELS = ("INFO",) * 12 + ("DEBUG",) * 4 + ("WARN",) * 4 + ("ERROR",) * 3
_ERROR_MESSAGES = ("request failed", "db timeout", "worker crashed", "bad checksum")
_OTHER_MESSAGES = (
    "request ok",
    "retrying after error",
    "cache warm",
    "error budget at 90%",
    "tick",
)


def _log(rng: random.Random, app: str, n: int) -> str:
    lines: list[str] = []
    ts = YEAR_START + int(rng.random() * 2 * 10**7)
    for _ in range(n):
        ts += 1 + int(rng.random() * 899)
        t = time.gmtime(ts)
        level = _LEVELS[int(rng.random() * len(_LEVELS))]
        msgs = _ERROR_MESSAGES if level == "ERROR" else _OTHER_MESSAGES
        msg = msgs[int(rng.random() * len(msgs))]
        lines.append(
            f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}T{t.tm_hour:02d}:{t.tm_min:02d}:"
            f"{t.tm_sec:02d}Z {level} {app}: {msg}\n"
        )
    return "".join(lines)


def _lines(rng: random.Random, lo: int, hi: int, prefix: str) -> str:
    return "".join(f"{prefix} {rng.choice(WORDS)} {i}\n" for i in range(rng.randint(lo, hi)))


def _home(rng: random.Random, tree: Tree, user: str, tmp_names: list[str]) -> None:
    home = f"/home/{user}"

    def mtime() -> int:
        return YEAR_START + rng.randrange(3 * 10**7)

    tree.add(f"{home}/notes.txt", _lines(rng, 3, 40, "note"), mtime())
    tree.add(f"{home}/todo.md", _lines(rng, 2, 30, "- [ ]"), mtime())
    tree.add(f"{home}/.bashrc", _lines(rng, 5, 25, "export"), mtime())
    tree.add(f"{home}/.bash_history", _lines(rng, 5, 90, "git"), mtime())
    tree.add(f"{home}/.profile", _lines(rng, 1, 12, "umask"), mtime())
    tree.add(f"{home}/notes.tmpl", _lines(rng, 1, 5, "title"), mtime())
    tree.add(f"{home}/settmp.sh", "#!/bin/sh\nexport TMPDIR=$HOME/tmp\n", mtime())
    scratch = f"{home}/tmp"  # noqa: S108 (a virtual path)
    tree.add(f"{scratch}/cache.bin", _lines(rng, 1, 8, "blob"), mtime())
    tree.add(f"{home}/.cache/thumbs.db", _lines(rng, 1, 8, "thumb"), mtime())
    project = rng.choice(WORDS)
    tree.add(f"{home}/projects/{project}/main.py", _lines(rng, 3, 30, "# line"), mtime())
    tree.add(f"{home}/projects/{project}/report.tmp.bak", "old\n", mtime())
    places = (f"{home}/projects/{project}", f"{home}/downloads", home, f"{home}/projects")
    for name in tmp_names:
        tree.add(f"{rng.choice(places)}/{name}", _lines(rng, 1, 6, "partial"), mtime())


def _backups(rng: random.Random, tree: Tree) -> None:
    stamps = sorted(rng.sample(range(YEAR_START, NOW, 3600), rng.randint(6, 9)))
    for i, stamp in enumerate(stamps, start=1):
        if rng.random() < 0.35:
            base = f"/backups/snap-{i:03d}"
            for part in ("part-1.bin", "part-2.bin", "manifest.txt"):
                tree.add(f"{base}/{part}", _lines(rng, 1, 4, "chunk"), stamp)
            tree.dirs[base]["mtime"] = stamp
        else:
            tree.add(f"/backups/db-{i:03d}.tar.gz", _lines(rng, 1, 6, "blob"), stamp)
    tree.dirs["/backups"]["mtime"] = stamps[-1]


@cache
def build_world(seed: int) -> World:
    """The world of `seed` (deterministic; callers must copy `state` before changing it)."""
    rng = random.Random(f"files:{seed}")
    tree = Tree()
    tree.mkdir("/", YEAR_START)
    services = rng.sample(TRAIN_SERVICES, 4) + rng.sample(TEST_SERVICES, 2)
    rng.shuffle(services)
    ports = rng.sample(range(2000, 9000), len(services) + 2)
    configs = tuple(
        _config(rng, tree, s, ports[i], rng.choice(ports[:i] + ports[-2:]))
        for i, s in enumerate(services)
    )
    apps = tuple(rng.sample(TRAIN_APPS, 2) + rng.sample(TEST_APPS, 1))
    for app in apps:
        for name in rng.sample(("app.log", "app.log.1", "error.log", "access.log"), 3):
            tree.add(f"/var/log/{app}/{name}", _log(rng, app, rng.randint(15, 90)), NOW - 3600)
    users = tuple(rng.sample(TRAIN_USERS, 2) + rng.sample(TEST_USERS, 1))
    tmp_words = rng.sample(WORDS, 12)
    for j, user in enumerate(users):
        _home(
            rng, tree, user, [f"{w}-{j}.tmp" for w in tmp_words[j * 4 : j * 4 + rng.randint(2, 4)]]
        )
    _backups(rng, tree)
    if rng.random() < 0.5:
        tree.add("/trash/old-download.part", "x\n", YEAR_START)
    read_limit = rng.choice((20, 25, 30))
    state: dict[str, JsonValue] = {
        "files": dict(sorted(tree.files.items())),
        "dirs": dict(sorted(tree.dirs.items())),
        "read_limit": read_limit,
    }
    return World(seed, state, read_limit, configs, apps, users)
