"""A projection process for the crash, race and takeover tests, and its handle in the parent.

    python -m test.components.orchestrix.infrastructure._projector BACKEND TARGET MODE LOCK

BACKEND `sqlite`: TARGET is the file with the events, the checkpoints and the read model.
BACKEND `postgres`: TARGET is `DSN|SCHEMA`.
MODE `exactly-once`: each event inserts a row into table `applied` through the checkpoint
transaction. MODE `at-least-once:FILE`: each event appends a line to FILE, outside it.
LOCK `lock` runs as one instance among many (a standby until it holds the lock), `free`
runs alone.

The child prints `status <status>` on every change of its runner's status, `lock refused`
each time it tried the lock and another instance held it, `handled <position>` as each
event's handler returns (before its batch commits) and `committed <position>` once the
checkpoint is committed at a new position; it runs until killed.
"""

from __future__ import annotations

import asyncio
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestrix.core.eventsourcing.checkpoint import ProjectionLock
from orchestrix.core.eventsourcing.projection import ProjectionContext, ProjectionEngine
from orchestrix.core.eventsourcing.subscription import ProjectionRunner
from orchestrix.core.messaging.message import Event

MODULE = "test.components.orchestrix.infrastructure._projector"
PROJECTION = "applied"
BATCH = 50
STANDBY_INTERVAL = 0.2  # how often a standby tries the lock


@dataclass(frozen=True, kw_only=True)
class ProjectorTick(Event, type_name="projector_tests.Tick"):
    n: int


# --- the child ------------------------------------------------------------------------------


def say(*words: object) -> None:
    print(*words, flush=True)


class ReportingLock:
    """The projection lock, announcing each attempt refused because another instance holds
    it: the parent then knows a standby really tried, rather than guessing from timing."""

    def __init__(self, lock: ProjectionLock) -> None:
        self.lock = lock
        self.renew_interval = lock.renew_interval

    async def acquire(self) -> bool:
        held = await self.lock.acquire()
        if not held:
            say("lock", "refused")
        return held

    async def renew(self) -> bool:
        return await self.lock.renew()

    async def release(self) -> None:
        await self.lock.release()


async def open_sqlite(target: str, exclusive: bool) -> dict[str, Any]:
    from orchestrix.infrastructure.sqlite import SQLiteCheckpointStore, SQLiteEventStore

    checkpoints = SQLiteCheckpointStore(target, synchronous="NORMAL")
    await checkpoints.initialize()
    return {
        "log": SQLiteEventStore(target, synchronous="NORMAL"),
        "checkpoints": checkpoints,
        "lock": ReportingLock(checkpoints.lock(PROJECTION)) if exclusive else None,
        "standby_interval": STANDBY_INTERVAL,
    }


async def open_postgres(target: str, exclusive: bool) -> dict[str, Any]:
    from orchestrix.infrastructure.postgres import (
        PostgreSQLCheckpointStore,
        PostgreSQLEventStore,
        PostgreSQLWakeUp,
    )

    dsn, schema = target.split("|")
    store = PostgreSQLEventStore(dsn, 1, 3, schema=schema)
    await store.initialize()
    checkpoints = PostgreSQLCheckpointStore(store.pool, schema)
    return {
        "log": store,
        "checkpoints": checkpoints,
        "wake_up": PostgreSQLWakeUp(store.pool, schema),
        "lock": ReportingLock(checkpoints.lock(PROJECTION)) if exclusive else None,
        "standby_interval": STANDBY_INTERVAL,
    }


def exactly_once_handler(backend: str, target: str) -> Callable[..., Any]:
    pid = os.getpid()
    if backend == "sqlite":

        async def insert_row(event: ProjectorTick, context: ProjectionContext[Any]) -> None:
            context.connection.execute(
                "INSERT INTO applied (event_id, position, pid) VALUES (?, ?, ?)",
                (event.id, context.position, pid),
            )
            await asyncio.sleep(0.001)  # a batch lasts long enough to be killed inside it
            say("handled", context.position)

        return insert_row
    schema = target.split("|")[1]

    async def insert_pg_row(event: ProjectorTick, context: ProjectionContext[Any]) -> None:
        await context.connection.execute(
            f'INSERT INTO "{schema}".applied (event_id, position, pid) VALUES ($1, $2, $3)',
            event.id,
            context.position,
            pid,
        )
        await asyncio.sleep(0.001)
        say("handled", context.position)

    return insert_pg_row


def at_least_once_handler(path: str) -> Callable[..., Any]:
    def append_line(event: ProjectorTick, context: ProjectionContext[Any]) -> None:
        with open(path, "a", encoding="utf-8") as model:
            model.write(f"{event.id}\n")
        time.sleep(0.001)
        say("handled", context.position)

    return append_line


async def project(backend: str, target: str, mode: str, exclusive: bool) -> None:
    opener = open_sqlite if backend == "sqlite" else open_postgres
    parts = await opener(target, exclusive)
    engine = ProjectionEngine(PROJECTION, parts["checkpoints"])
    if mode == "exactly-once":
        engine.on(ProjectorTick)(exactly_once_handler(backend, target))
    else:
        engine.on(ProjectorTick)(at_least_once_handler(mode.split(":", 1)[1]))
    runner = ProjectionRunner(engine, batch_size=BATCH, **parts)
    await runner.start()
    status, committed = None, 0
    while True:
        if runner.status != status:
            status = runner.status
            say("status", status)
        state = runner.state  # what the runner has committed
        if state is not None and state.last_processed_position != committed:
            committed = state.last_processed_position
            say("committed", committed)
        if runner.error is not None:
            say("error", repr(runner.error))
        await asyncio.sleep(0.005)


# --- the parent -----------------------------------------------------------------------------


class Projector:
    """A child projection process whose output lines are collected as they come."""

    def __init__(self, root: Path, backend: str, target: str, mode: str, lock: bool) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", MODULE, backend, target, mode, "lock" if lock else "free"],
            cwd=root,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.handled: list[int] = []
        self.committed = 0  # the last position the child's checkpoint was committed at
        self.statuses: list[str] = []
        self.refusals = 0
        self._drainer = threading.Thread(target=self._drain, daemon=True)
        self._drainer.start()

    @property
    def pid(self) -> int:
        return self.process.pid

    def _drain(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.strip())

    def _read(self) -> None:
        while True:
            try:
                line = self.lines.get_nowait()
            except queue.Empty:
                return
            kind, _, value = line.partition(" ")
            if kind == "handled" and value.isdigit():  # a kill may cut the last line short
                self.handled.append(int(value))
            elif kind == "committed" and value.isdigit():
                self.committed = int(value)
            elif kind == "status":
                self.statuses.append(value)
            elif line == "lock refused":
                self.refusals += 1
            elif kind == "error":
                raise AssertionError(f"projector {self.pid} failed: {value}")

    def wait_until(
        self, what: str, check: Callable[[Projector], bool], timeout: float = 60
    ) -> None:
        deadline = time.monotonic() + timeout
        while True:
            self._read()
            if check(self):
                return
            assert self.process.poll() is None, f"projector {self.pid} exited early"
            assert time.monotonic() < deadline, f"projector {self.pid}: timed out on {what}"
            time.sleep(0.005)

    @property
    def status(self) -> str | None:
        self._read()
        return self.statuses[-1] if self.statuses else None

    def is_active(self) -> bool:
        return self.status in ("catching_up", "live")

    def kill(self) -> None:
        """Kill the child, then take every line it printed before it died (the drain thread
        ends at the end of its output), so `handled` ends with its true last event."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=30)
        self._drainer.join(timeout=30)
        assert not self._drainer.is_alive(), f"projector {self.pid}: output never ended"
        self._read()

    def __enter__(self) -> Projector:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.kill()
        assert self.process.stdout is not None
        self.process.stdout.close()


def project_at_least_once_with_kills(
    root: Path, backend: str, target: str, model: Path
) -> set[str]:
    """Kill an at-least-once projector three times along the log, then let a fourth reach
    its end; the event ids its read model (the file `model`) holds."""
    mode = f"at-least-once:{model}"
    for round_ in range(3):
        with Projector(root, backend, target, mode, lock=False) as projector:
            target_count = 150 + 40 * round_
            projector.wait_until("some progress", lambda p, t=target_count: len(p.handled) >= t)
            projector.kill()
    with Projector(root, backend, target, mode, lock=False) as projector:
        projector.wait_until("the end of the log", lambda p: p.status == "live")
    return set(model.read_text().split())


def holder_and_standby(first: Projector, second: Projector) -> tuple[Projector, Projector]:
    """Which of two racing projectors holds the lock (once it has committed 200 events) and
    which waits as a standby, having projected nothing."""
    # Each runner reports `standby` before it tries the lock, so wait for one to be active.
    deadline = time.monotonic() + 60
    while not (first.is_active() or second.is_active()):
        for projector in (first, second):
            assert projector.process.poll() is None, f"projector {projector.pid} exited early"
        assert time.monotonic() < deadline, "neither projector took the lock"
        time.sleep(0.005)
    holder, standby = (first, second) if first.is_active() else (second, first)
    standby.wait_until(
        "a refused try of the lock", lambda p: p.refusals >= 1 and p.status == "standby"
    )
    holder.wait_until("some progress", lambda p: p.committed >= 200)
    assert standby.status == "standby" and standby.handled == []
    return holder, standby


if __name__ == "__main__":
    backend_, target_, mode_, lock_ = sys.argv[1:5]
    asyncio.run(project(backend_, target_, mode_, lock_ == "lock"))
