"""Load and crash tests with real processes: concurrent writers, and a writer killed mid-write."""

from __future__ import annotations

import multiprocessing
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

from toolmaster.core import Episode, EpisodeQuery, Store

from tests.core._factories import episode_id, make_episode

ROOT = Path(__file__).resolve().parents[2]


def _writer(db: Path, first: int, count: int, batch: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.core._writer", str(db), str(first), str(count), str(batch)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _write_slice(db: str, episodes: list[Episode], batch: int) -> None:
    with Store(db) as store:
        for start in range(0, len(episodes), batch):
            store.put_episodes(episodes[start : start + batch])


def test_ten_thousand_episodes_from_eight_concurrent_writers(tmp_path: Path) -> None:
    db = tmp_path / "sessions.db"  # the writers race to create it, too
    writers, per_writer = 8, 1250
    episodes = [make_episode(i, turns=0) for i in range(writers * per_writer)]
    # Forked writers inherit the episodes and start at once (no pydantic import each); each
    # opens its own Store and commits 25 episodes per transaction.
    context = multiprocessing.get_context("fork")
    procs = [
        context.Process(
            target=_write_slice,
            args=(str(db), episodes[w * per_writer : (w + 1) * per_writer], 25),
        )
        for w in range(writers)
    ]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(timeout=120)
        assert proc.exitcode == 0

    with Store(db) as store:
        assert store.count() == len(episodes)
        stored = {episode.id: episode.model_dump_json() for episode in store.episodes()}
        newest = store.summaries(EpisodeQuery(limit=1))[0]
    assert stored == {episode.id: episode.model_dump_json() for episode in episodes}
    assert newest.id == episode_id(len(episodes) - 1)


def test_writer_killed_mid_write_leaves_every_committed_episode(tmp_path: Path) -> None:
    db = tmp_path / "sessions.db"
    Store(db).close()
    batch = 10
    proc = _writer(db, 0, 0, batch)  # writes until killed
    assert proc.stdout is not None
    seen = 0
    with Store(db) as watcher:
        # Paced by the writer's own progress lines; the database is what decides.
        while seen < 20 * batch:
            line = proc.stdout.readline()
            assert line, proc.stderr.read() if proc.stderr else "writer exited"
            seen = watcher.count()
    proc.kill()
    proc.communicate(timeout=30)
    assert proc.returncode == -9

    with closing(sqlite3.connect(db, isolation_level=None)) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    with Store(db) as store:
        episodes = store.episodes()
    committed = len(episodes)
    assert committed >= seen
    assert committed % batch == 0, "a batch was committed in part"
    stored = {episode.id: episode.model_dump_json() for episode in episodes}
    assert stored == {episode_id(i): make_episode(i).model_dump_json() for i in range(committed)}
