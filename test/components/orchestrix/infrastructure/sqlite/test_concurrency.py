"""Many writers on one stream: every version exactly once, losers get ConcurrencyError.

Threads share one sync store, tasks share one async store, and two OS processes share one
file, each writer appending with the version it has just read.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from orchestrix.core.common.exceptions import ConcurrencyError
from orchestrix.core.eventsourcing.event_log import RecordedEvent
from orchestrix.infrastructure.sqlite import SQLiteAsyncEventStore, SQLiteEventStore
from test.components.orchestrix.infrastructure.sqlite._worker import STREAM, Attempted

WRITERS = 20
ROUNDS = 50
WORKER = "test.components.orchestrix.infrastructure.sqlite._worker"


def check_outcome(recorded: list[RecordedEvent], won: list[str], attempts: int) -> None:
    """Versions 1..n exactly once, each won save stored once, nothing else stored."""
    assert [r.version for r in recorded] == list(range(1, len(recorded) + 1))
    assert {r.aggregate_id for r in recorded} == {STREAM}
    ids = [r.event.id for r in recorded]
    assert len(ids) == len(set(ids)) == len(won)
    assert set(ids) == set(won)
    assert 0 < len(won) < attempts, "expected both winners and losers"


def test_twenty_threads_append_to_one_stream(tmp_path: Path) -> None:
    barrier = threading.Barrier(WRITERS, timeout=60)
    won: list[str] = []
    lost: list[int] = []

    def write(store: SQLiteEventStore, writer: int) -> None:
        for attempt in range(ROUNDS):
            barrier.wait()
            version = len(store.load(STREAM))
            event = Attempted(writer=str(writer), attempt=attempt)
            try:
                store.save(STREAM, [event], expected_version=version)
            except ConcurrencyError as error:
                assert error.expected_version == version < error.actual_version
                lost.append(writer)
            else:
                won.append(event.id)

    with SQLiteEventStore(tmp_path / "events.db") as store:
        with ThreadPoolExecutor(WRITERS) as pool:
            for future in [pool.submit(write, store, n) for n in range(WRITERS)]:
                future.result()
        check_outcome(list(store.read_all()), won, WRITERS * ROUNDS)
    assert len(won) + len(lost) == WRITERS * ROUNDS


async def test_twenty_tasks_append_to_one_stream(tmp_path: Path) -> None:
    barrier = asyncio.Barrier(WRITERS)
    won: list[str] = []
    lost: list[int] = []

    async def write(store: SQLiteAsyncEventStore, writer: int) -> None:
        for attempt in range(ROUNDS):
            await barrier.wait()
            version = len(await store.load(STREAM))
            event = Attempted(writer=str(writer), attempt=attempt)
            try:
                await store.save(STREAM, [event], expected_version=version)
            except ConcurrencyError:
                lost.append(writer)
            else:
                won.append(event.id)

    async with SQLiteAsyncEventStore(tmp_path / "events.db") as store:
        async with asyncio.timeout(60), asyncio.TaskGroup() as group:
            for writer in range(WRITERS):
                group.create_task(write(store, writer))
        check_outcome([r async for r in store.read_all()], won, WRITERS * ROUNDS)
    assert len(won) + len(lost) == WRITERS * ROUNDS


def test_two_processes_append_to_one_file(tmp_path: Path, pytestconfig: pytest.Config) -> None:
    path, go, rounds = tmp_path / "events.db", tmp_path / "go", 300
    SQLiteEventStore(path).close()  # create the schema before the race starts
    children = [
        subprocess.Popen(
            [sys.executable, "-m", WORKER, "hammer", str(path), name, str(rounds), str(go)],
            cwd=pytestconfig.rootpath,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("first", "second")
    ]
    go.touch()
    outputs = [child.communicate(timeout=90) for child in children]
    for child, (_, errors) in zip(children, outputs, strict=True):
        assert child.returncode == 0, errors
    lines = [line.split() for out, _ in outputs for line in out.splitlines()]
    assert len(lines) >= 2 * rounds
    won = [words[1] for words in lines if words[0] == "won"]
    with SQLiteEventStore(path) as store:
        check_outcome(list(store.read_all()), won, len(lines))
