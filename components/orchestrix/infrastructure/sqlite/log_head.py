"""The end of a SQLite event store's log, for lag figures and starting at the head.

Reads the event store's file on a read connection of its own: a count over the rowid index
and the first event's time, never decoding an event.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
from collections.abc import Callable
from datetime import datetime

from orchestrix.core.eventsourcing.event_log import START, Checkpoint
from orchestrix.core.eventsourcing.subscription_lag import Backlog
from orchestrix.infrastructure.sqlite._driver import BUSY_TIMEOUT_SECONDS, DriverErrors

_READING = DriverErrors("Cannot read the end of the event log")
_HEAD = "SELECT position FROM events ORDER BY position DESC LIMIT 1"
_COUNT = "SELECT count(*) FROM events WHERE position > ?"
_OLDEST = "SELECT timestamp FROM events WHERE position > ? ORDER BY position LIMIT 1"


class SQLiteLogHead:
    """A `LogHead` for the event store in the SQLite file at `path`."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = path
        self._connection: sqlite3.Connection | None = None
        self._guard = threading.Lock()

    async def _run[T](self, call: Callable[[sqlite3.Connection], T]) -> T:
        return await asyncio.to_thread(self._call, call)

    def _call[T](self, call: Callable[[sqlite3.Connection], T]) -> T:
        with self._guard, _READING:
            if self._connection is None:
                self._connection = sqlite3.connect(
                    self.path, timeout=BUSY_TIMEOUT_SECONDS, check_same_thread=False
                )
            return call(self._connection)

    async def head(self) -> Checkpoint:
        found = await self._run(lambda connection: connection.execute(_HEAD).fetchone())
        return START if found is None else Checkpoint(0, found[0])

    async def backlog(self, after: Checkpoint) -> Backlog:
        def measure(connection: sqlite3.Connection) -> tuple[int, str | None]:
            (count,) = connection.execute(_COUNT, (after.position,)).fetchone()
            oldest = connection.execute(_OLDEST, (after.position,)).fetchone()
            return count, None if oldest is None else oldest[0]

        count, oldest = await self._run(measure)
        return Backlog(count, None if oldest is None else datetime.fromisoformat(oldest))

    def close(self) -> None:
        with self._guard:
            if self._connection is not None:
                self._connection.close()
                self._connection = None


__all__ = ["SQLiteLogHead"]
