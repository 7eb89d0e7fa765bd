"""One active instance per projection across processes sharing a SQLite file: a lease.

The holder's row in `projection_locks` names it and expires `lease` seconds after its last
renewal (the runner renews every third of that). A holder that dies stops renewing, and a
standby takes the row once it has expired, so takeover happens within `lease` seconds. The
checkpoint's compare-and-set still guards the read model should a stalled holder outlive
its lease. Times are the machine's clock: the processes share the file, hence the machine.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable

from orchestrix.infrastructure.sqlite import _projection_rows as rows
from orchestrix.infrastructure.sqlite._driver import DriverErrors, Synchronous
from orchestrix.infrastructure.sqlite.projection_schema import open_projection_database

_LOCKING = DriverErrors("Cannot access the projection lock")


class SQLiteProjectionLock:
    """A lease on one projection, on a connection of its own (so a long batch on the
    checkpoint store's connection never delays a renewal)."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        projection_id: str,
        *,
        lease: float = 5.0,
        synchronous: Synchronous = "FULL",
    ) -> None:
        self.path = path
        self.projection_id = projection_id
        self.lease = lease
        self.renew_interval = lease / 3
        self.owner = f"{os.getpid()}-{uuid.uuid4().hex}"
        self._synchronous: Synchronous = synchronous
        self._connection: sqlite3.Connection | None = None
        self._guard = threading.Lock()

    async def _run[T](self, call: Callable[[sqlite3.Connection], T]) -> T:
        return await asyncio.to_thread(self._call, call)

    def _call[T](self, call: Callable[[sqlite3.Connection], T]) -> T:
        with self._guard, _LOCKING:
            if self._connection is None:
                self._connection = open_projection_database(self.path, self._synchronous)
            return call(self._connection)

    async def acquire(self) -> bool:
        def take(connection: sqlite3.Connection) -> bool:
            now = time.time()
            values = (self.projection_id, self.owner, now + self.lease, now)
            return connection.execute(rows.TAKE_LOCK, values).rowcount == 1

        return await self._run(take)

    async def renew(self) -> bool:
        def renew(connection: sqlite3.Connection) -> bool:
            values = (time.time() + self.lease, self.projection_id, self.owner)
            return connection.execute(rows.RENEW_LOCK, values).rowcount == 1

        return await self._run(renew)

    async def release(self) -> None:
        def release(connection: sqlite3.Connection) -> None:
            connection.execute(rows.RELEASE_LOCK, (self.projection_id, self.owner))

        await self._run(release)
        await asyncio.to_thread(self._close)

    def _close(self) -> None:
        with self._guard:
            if self._connection is not None:
                self._connection.close()
                self._connection = None


__all__ = ["SQLiteProjectionLock"]
