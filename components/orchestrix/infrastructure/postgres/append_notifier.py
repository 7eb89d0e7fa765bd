"""Telling followers of the log that events were appended: a LISTEN/NOTIFY hint, sent after
the save has committed.

A NOTIFY inside the writing transaction would hold PostgreSQL's notification lock from the
start of that transaction's commit to its end (its WAL flush included), so concurrent writers
would commit one at a time: measured here, 8 writers appended at half the rate of raw inserts.
So a save notifies afterwards, from a pooled connection, one notification at a time and at
most one per `SPACING`: appends that commit while one is in flight, or within `SPACING` after
it, are announced by one more sent then, and none goes unannounced. A follower of a busy log
is thus woken at most `SPACING` late, and writers do not pay a notification per save. The
notification carries only the schema name; followers read the log from their checkpoint. One
lost to a crash between the commit and the notification only delays them to their next poll.
"""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg

from orchestrix.core.common.logging import StructuredLogger, get_logger
from orchestrix.infrastructure.postgres._projection_sql import NOTIFY_CHANNEL
from orchestrix.infrastructure.postgres.connection_pool import ConnectionPool

NOTIFY = "SELECT pg_notify($1, $2)"
SPACING = 0.005  # seconds between two notifications of one store

_log = StructuredLogger(get_logger(__name__))


class AppendNotifier:
    """Announces the appends to one schema's log, at most one notification in flight."""

    def __init__(self, pool: ConnectionPool, schema: str) -> None:
        self._pool = pool
        self._schema = schema
        self._sending: asyncio.Task[None] | None = None
        self._again = False

    def appended(self) -> None:
        """Announce an append that has committed (call it on the saving event loop)."""
        sending = self._sending
        if sending is not None and not sending.done():
            self._again = True
            return
        self._sending = asyncio.get_running_loop().create_task(self._send())

    async def _send(self) -> None:
        again = True
        while again:
            self._again = False
            try:
                async with self._pool.acquire() as connection:
                    await connection.execute(NOTIFY, NOTIFY_CHANNEL, self._schema)
            except Exception as error:  # the save has committed; followers poll
                _log.debug("cannot notify an append", schema=self._schema, error=repr(error))
                return
            await asyncio.sleep(SPACING)  # still in flight: appends meanwhile wait for the next
            again = self._again

    async def in_transaction(self, connection: asyncpg.Connection) -> None:
        """Announce an append made in the caller's transaction: delivered at its commit."""
        await connection.execute(NOTIFY, NOTIFY_CHANNEL, self._schema)

    async def close(self) -> None:
        """Let the notification in flight finish (before the pool closes)."""
        sending, self._sending = self._sending, None
        if sending is not None and not sending.done():
            with contextlib.suppress(RuntimeError):  # a task of another event loop, still running
                await asyncio.wait([sending])


__all__ = ["NOTIFY", "SPACING", "AppendNotifier"]
