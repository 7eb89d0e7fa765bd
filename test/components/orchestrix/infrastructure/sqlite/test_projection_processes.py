"""Projection processes on a SQLite file: killed with SIGKILL in the middle of a batch,
racing for one projection, and sharing the file with writers.

Exactly-once: the read model lives in the file of the checkpoint, so after any number of
kills and restarts each event has exactly one row. At-least-once: a read model outside the
checkpoint's transaction may see an event twice, but never misses one. Two processes race
for one projection: only the lock holder projects, and the standby takes over after SIGKILL.
A projection catching up in the event store's file leaves the store's writers their turn.
"""

from __future__ import annotations

import sqlite3
import time
from collections import Counter
from pathlib import Path

import pytest

from orchestrix.infrastructure.sqlite import SQLiteEventStore
from test.components.orchestrix.infrastructure._projector import (
    PROJECTION,
    STANDBY_INTERVAL,
    Projector,
    ProjectorTick,
    holder_and_standby,
    project_at_least_once_with_kills,
)

pytestmark = pytest.mark.slow


def append(path: Path, count: int, first: int = 0) -> None:
    with SQLiteEventStore(path, synchronous="NORMAL") as store:
        for start in range(first, first + count, 100):
            stop = min(start + 100, first + count)
            store.save(f"ticks-{start}", [ProjectorTick(n=n) for n in range(start, stop)])


def log_ids(path: Path) -> list[str]:
    with SQLiteEventStore(path) as store:
        return [recorded.event.id for recorded in store.read_all()]


def query(path: Path, sql: str) -> list[tuple[object, ...]]:
    connection = sqlite3.connect(path, timeout=30)
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


def committed_position(path: Path) -> int:
    found = query(
        path, f"SELECT last_position FROM projection_states WHERE projection_id = '{PROJECTION}'"
    )
    return int(found[0][0]) if found else 0  # type: ignore[call-overload]


@pytest.fixture
def app_db(tmp_path: Path) -> Path:
    path = tmp_path / "app.db"
    append(path, 1500)
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE applied (event_id TEXT, position INTEGER, pid INTEGER)")
    return path


def test_killed_mid_batch_and_restarted_applies_each_event_exactly_once(
    app_db: Path, pytestconfig: pytest.Config
) -> None:
    root, killed_inside_a_batch = pytestconfig.rootpath, 0
    for round_ in range(4):
        with Projector(root, "sqlite", str(app_db), "exactly-once", lock=False) as projector:
            target = len(projector.handled) + 120 + 37 * round_
            projector.wait_until("some progress", lambda p, t=target: len(p.handled) >= t)
            projector.kill()
            last_handled = projector.handled[-1]
        if last_handled > committed_position(app_db):
            killed_inside_a_batch += 1  # handled but never committed: rolled back
        append(app_db, 200, first=1500 + 200 * round_)
    assert killed_inside_a_batch >= 1, "no kill landed inside a batch"
    expected = log_ids(app_db)
    with Projector(root, "sqlite", str(app_db), "exactly-once", lock=False) as projector:
        projector.wait_until("the end of the log", lambda p: p.status == "live")
    rows = query(app_db, "SELECT event_id, position FROM applied ORDER BY rowid")
    assert Counter(event_id for event_id, _ in rows) == Counter(expected)
    assert [event_id for event_id, _ in rows] == expected  # and in log order
    assert committed_position(app_db) == len(expected)


def test_at_least_once_never_skips_an_event(
    app_db: Path, tmp_path: Path, pytestconfig: pytest.Config
) -> None:
    model = tmp_path / "model.txt"
    applied = project_at_least_once_with_kills(pytestconfig.rootpath, "sqlite", str(app_db), model)
    assert applied == set(log_ids(app_db))  # every event, some perhaps twice


def test_two_processes_race_and_the_standby_takes_over_after_a_kill(
    app_db: Path, pytestconfig: pytest.Config
) -> None:
    root = pytestconfig.rootpath
    with (
        Projector(root, "sqlite", str(app_db), "exactly-once", lock=True) as first,
        Projector(root, "sqlite", str(app_db), "exactly-once", lock=True) as second,
    ):
        active, standby = holder_and_standby(first, second)
        pids = {pid for (pid,) in query(app_db, "SELECT DISTINCT pid FROM applied")}
        assert pids == {active.pid}  # only the holder projects

        active.kill()
        killed_at = time.monotonic()
        standby.wait_until("the takeover", lambda p: p.is_active(), timeout=10)
        took_over_in = time.monotonic() - killed_at
        append(app_db, 300, first=1500)
        expected = log_ids(app_db)
        standby.wait_until("the end of the log", lambda p: p.status == "live", timeout=120)
        standby.wait_until("the new events", lambda p: p.handled[-1] == len(expected))
        standby.wait_until(  # a handler returns before its batch commits
            "the last commit", lambda _: committed_position(app_db) >= len(expected)
        )
    rows = query(app_db, "SELECT event_id, pid FROM applied ORDER BY rowid")
    assert [event_id for event_id, _ in rows] == expected  # each once, in order
    assert {pid for _, pid in rows} == {active.pid, standby.pid}
    print(
        f"standby took over {took_over_in:.2f} s after the kill (tries every {STANDBY_INTERVAL} s)"
    )


def test_a_projection_catching_up_leaves_writers_their_turn(
    app_db: Path, pytestconfig: pytest.Config
) -> None:
    append(app_db, 8000, first=1500)
    waits = []
    with (
        Projector(pytestconfig.rootpath, "sqlite", str(app_db), "exactly-once", lock=False) as p,
        SQLiteEventStore(app_db, synchronous="NORMAL") as store,
    ):
        p.wait_until("catching up", lambda p: len(p.handled) >= 100)
        for n in range(20):
            started = time.monotonic()
            store.save(f"writer-{n}", [ProjectorTick(n=n)])
            waits.append(time.monotonic() - started)
            time.sleep(0.1)
        p._read()
        assert p.status == "catching_up", "the projection finished before the writer did"
    # Without the store's fairness gap a save waited for the whole catch-up (14 s measured);
    # SQLite's own limit is 30 s, after which the save fails.
    assert max(waits) < 5, waits
