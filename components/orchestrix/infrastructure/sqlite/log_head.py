"""The end of a SQLite event store's log, for lag figures and starting at the head.

Reads the event store's file on a read connection of its own, in a worker thread of its own
(see `_threaded`): a count over the rowid index and the first event's time, never decoding an
event.
"""

from __future__ import annotations

import os
import sqlite3
from datetime import datetime

from orchestrix.core.eventsourcing.event_log import START, Checkpoint
from orchestrix.core.eventsourcing.subscription_lag import Backlog
from orchestrix.infrastructure.sqlite._driver import BUSY_TIMEOUT_SECONDS, DriverErrors
from orchestrix.infrastructure.sqlite._threaded import ThreadedResource

_READING = DriverErrors("Cannot read the end of the event log")
_HEAD = "SELECT position FROM events ORDER BY position DESC LIMIT 1"
_COUNT = "SELECT count(*) FROM events WHERE position > ?"
_OLDEST = "SELECT timestamp FROM events WHERE position > ? ORDER BY position LIMIT 1"


class SQLiteLogHead(ThreadedResource[sqlite3.Connection]):
    """A `LogHead` for the event store in the SQLite file at `path`."""

    role = "log head"

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = path
        super().__init__()

    def _open(self) -> sqlite3.Connection:
        with _READING:
            return sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_SECONDS)

    def _release(self, connection: sqlite3.Connection) -> None:
        connection.close()

    async def head(self) -> Checkpoint:
        found = await self._run(_last)
        return START if found is None else Checkpoint(0, found[0])

    async def backlog(self, after: Checkpoint) -> Backlog:
        def measure(connection: sqlite3.Connection) -> tuple[int, str | None]:
            with _READING:
                (count,) = connection.execute(_COUNT, (after.position,)).fetchone()
                oldest = connection.execute(_OLDEST, (after.position,)).fetchone()
            return count, None if oldest is None else oldest[0]

        count, oldest = await self._run(measure)
        return Backlog(count, None if oldest is None else datetime.fromisoformat(oldest))


def _last(connection: sqlite3.Connection) -> tuple[int] | None:
    with _READING:
        found: tuple[int] | None = connection.execute(_HEAD).fetchone()
    return found


__all__ = ["SQLiteLogHead"]
