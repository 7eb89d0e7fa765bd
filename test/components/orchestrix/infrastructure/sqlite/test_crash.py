"""A process SIGKILLed in the middle of saving loses nothing it was told was saved.

The killed process leaves its WAL and shared-memory files behind; the next store to open the
file must recover from them: a batch is there whole or not at all, and the file works on.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from orchestrix.infrastructure.sqlite import SQLiteEventStore
from test.components.orchestrix.infrastructure.sqlite._worker import STREAM, Attempted

WORKER = "test.components.orchestrix.infrastructure.sqlite._worker"
BATCH = 50_000


@contextmanager
def child(root: Path, *args: str) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", WORKER, *args],
        cwd=root,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        yield process
    finally:
        process.kill()
        process.wait(timeout=30)
        assert process.stdout is not None
        process.stdout.close()


def wait_for(condition: str, check: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {condition}"
        time.sleep(0.001)


def check_file_works(path: Path, expected_version: int) -> None:
    with SQLiteEventStore(path) as store:
        store.save(
            STREAM, [Attempted(writer="after", attempt=0)], expected_version=expected_version
        )
        assert len(store.load(STREAM)) == expected_version + 1
    connection = sqlite3.connect(path)
    assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    connection.close()


def test_a_batch_killed_mid_save_is_all_or_nothing(
    tmp_path: Path, pytestconfig: pytest.Config
) -> None:
    path = tmp_path / "events.db"
    wal = Path(f"{path}-wal")
    with child(pytestconfig.rootpath, "batch", str(path), str(BATCH)) as process:
        assert process.stdout is not None
        assert process.stdout.readline() == "saving\n"
        start = wal.stat().st_size
        # Writing has begun once the transaction spills pages into the WAL.
        wait_for(
            "the batch to reach the WAL",
            lambda: process.poll() is not None or wal.stat().st_size > start + 1_000_000,
        )
        killed_while_running = process.poll() is None
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    assert wal.exists(), "the killed process leaves its WAL behind"
    with SQLiteEventStore(path) as store:
        stored = len(store.load(STREAM))
    assert stored in (0, BATCH)
    if killed_while_running:
        assert stored == 0, "a batch killed before its commit must leave nothing"
    check_file_works(path, stored)


def test_every_save_that_returned_survives_a_kill(
    tmp_path: Path, pytestconfig: pytest.Config
) -> None:
    path = tmp_path / "events.db"
    with child(pytestconfig.rootpath, "trickle", str(path)) as process:
        assert process.stdout is not None
        acknowledged = [process.stdout.readline().split()[1] for _ in range(200)]
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        acknowledged += [line.split()[1] for line in process.stdout.read().splitlines()]
    with SQLiteEventStore(path) as store:
        recorded = list(store.read_all())
    assert [r.version for r in recorded] == list(range(1, len(recorded) + 1))
    stored = [r.event.id for r in recorded]
    assert stored[: len(acknowledged)] == acknowledged
    assert len(stored) - len(acknowledged) <= 1  # at most the save being acknowledged
    check_file_works(path, len(stored))
