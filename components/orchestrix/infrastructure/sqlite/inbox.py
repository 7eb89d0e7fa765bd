"""The SQLite inbox: handled message ids in the consumer's own SQLite file.

`receive` opens a write transaction (`BEGIN IMMEDIATE`) on the inbox's connection, records
the message and hands that connection to the handler in the receipt: the read model's rows
written through it commit together with the record, or roll back together. The inbox
serialises its receipts (SQLite has one writer anyway); statements run through
`receipt.connection` are plain blocking `sqlite3` calls, fast on a local file.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime

from orchestrix.core.messaging.inbox import InboxReceipt
from orchestrix.infrastructure.sqlite._driver import Synchronous, immediate_transaction
from orchestrix.infrastructure.sqlite._feature import SQLiteFeature
from orchestrix.infrastructure.sqlite._feature_schema import FeatureSchema
from orchestrix.infrastructure.sqlite._times import utc_text
from orchestrix.infrastructure.sqlite.schema import Migration

MIGRATIONS: Sequence[Migration] = (
    (  # 1: one row per (consumer, message) handled
        """
        CREATE TABLE inbox (
            consumer TEXT NOT NULL,
            message_id TEXT NOT NULL,
            received_at TEXT NOT NULL,
            PRIMARY KEY (consumer, message_id)
        ) WITHOUT ROWID
        """,
        "CREATE INDEX inbox_received_at ON inbox (received_at)",
    ),
)
INBOX = FeatureSchema("inbox", MIGRATIONS)

_RECORD = "INSERT OR IGNORE INTO inbox (consumer, message_id, received_at) VALUES (?, ?, ?)"
_HANDLED = "SELECT 1 FROM inbox WHERE consumer = ? AND message_id = ?"
_PRUNE = "DELETE FROM inbox WHERE received_at < ?"
_RECEIVING = "record the message in the inbox"


class SQLiteInbox(SQLiteFeature):
    """An `Inbox` whose receipts carry the `sqlite3.Connection` of the open transaction."""

    schema = INBOX
    role = "inbox"

    def __init__(self, path: str | os.PathLike[str], *, synchronous: Synchronous = "FULL") -> None:
        super().__init__(path, synchronous=synchronous)
        self._lock = asyncio.Lock()

    @asynccontextmanager
    async def receive(
        self, consumer: str, message_id: str
    ) -> AsyncIterator[InboxReceipt[sqlite3.Connection]]:
        """Record the message for `consumer` in a new transaction (see `Inbox.receive`)."""
        async with self._lock:
            connection, recorded = await self._execute(
                _RECEIVING,
                lambda connection: (
                    connection,
                    _begin_and_record(connection, consumer, message_id),
                ),
            )
            try:
                yield InboxReceipt(not recorded, connection)
            except BaseException:
                await self._run(_rollback)
                raise
            await self._execute(_RECEIVING, lambda connection: connection.execute("COMMIT"))

    async def handled(self, consumer: str, message_id: str) -> bool:
        """Whether `consumer` has handled the message."""

        def handled(connection: sqlite3.Connection) -> bool:
            return connection.execute(_HANDLED, (consumer, message_id)).fetchone() is not None

        async with self._lock:
            return await self._execute("read the inbox", handled)

    async def prune(self, received_before: datetime) -> int:
        """Forget the records older than `received_before`; returns how many."""
        cutoff = utc_text(received_before)

        def prune(connection: sqlite3.Connection) -> int:
            with immediate_transaction(connection):
                return connection.execute(_PRUNE, (cutoff,)).rowcount

        async with self._lock:
            return await self._execute("prune the inbox", prune)


def _begin_and_record(connection: sqlite3.Connection, consumer: str, message_id: str) -> bool:
    # A receipt whose task was cancelled while its BEGIN ran in the worker thread leaves that
    # transaction open, with nothing written yet: end it before starting this one.
    _rollback(connection)
    connection.execute("BEGIN IMMEDIATE")
    try:
        cursor = connection.execute(_RECORD, (consumer, message_id, utc_text(datetime.now(UTC))))
    except BaseException:
        _rollback(connection)
        raise
    return cursor.rowcount == 1


def _rollback(connection: sqlite3.Connection) -> None:
    if connection.in_transaction:
        with suppress(sqlite3.Error):  # must not hide the error that caused it
            connection.execute("ROLLBACK")


__all__ = ["INBOX", "MIGRATIONS", "SQLiteInbox"]
