"""The PostgreSQL inbox: handled message ids in the consumer's database (migration 0005).

`receive` borrows a connection, opens a transaction and inserts the (consumer, message id)
row; the receipt hands that connection to the handler, so the read model's writes and the row
commit or roll back together. A second delivery of the same message, even in another process,
waits on the first's uncommitted row and then sees a duplicate (or, if the first rolled back,
handles it).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import datetime

import asyncpg

from orchestrix.core.messaging.inbox import InboxReceipt
from orchestrix.infrastructure.postgres._errors import raise_translated
from orchestrix.infrastructure.postgres._identifiers import quote_schema
from orchestrix.infrastructure.postgres.connection_pool import ConnectionPool
from orchestrix.infrastructure.postgres.schema import prepare


class PostgreSQLInbox:
    """An `Inbox` whose receipts carry the asyncpg connection of the open transaction.

    Shares a pool and schema with the read model (`PostgreSQLInbox(pool, "read_models")`);
    the pool belongs to the caller.
    """

    def __init__(self, pool: ConnectionPool, schema: str = "orchestrix") -> None:
        table = f"{quote_schema(schema)}.inbox"
        self.pool = pool
        self.schema = schema
        self._record = f"""
            INSERT INTO {table} (consumer, message_id) VALUES ($1, $2)
            ON CONFLICT DO NOTHING
        """
        self._handled = (
            f"SELECT EXISTS (SELECT FROM {table} WHERE consumer = $1 AND message_id = $2)"
        )
        self._prune = f"DELETE FROM {table} WHERE received_at < $1"

    async def initialize(self) -> None:
        """Open the pool if needed and bring the schema up to date."""
        await prepare(self.pool, self.schema)

    @asynccontextmanager
    async def receive(
        self, consumer: str, message_id: str
    ) -> AsyncIterator[InboxReceipt[asyncpg.Connection]]:
        """Record the message for `consumer` in a new transaction (see `Inbox.receive`)."""
        async with self.pool.acquire() as connection:
            transaction = connection.transaction()
            try:
                await transaction.start()
                status: str = await connection.execute(self._record, consumer, message_id)
            except Exception as error:
                with suppress(Exception):
                    await transaction.rollback()
                raise_translated(error, f"recording message {message_id!r} in the inbox")
            try:
                yield InboxReceipt(status.endswith(" 0"), connection)
            except BaseException:
                with suppress(Exception):  # the handler's error is the one to report
                    await transaction.rollback()
                raise
            try:
                await transaction.commit()
            except Exception as error:
                raise_translated(error, f"committing message {message_id!r} in the inbox")

    async def handled(self, consumer: str, message_id: str) -> bool:
        """Whether `consumer` has handled the message."""
        try:
            async with self.pool.acquire() as connection:
                return bool(await connection.fetchval(self._handled, consumer, message_id))
        except Exception as error:
            raise_translated(error, "reading the inbox")

    async def prune(self, received_before: datetime) -> int:
        """Forget the records older than `received_before`; returns how many."""
        try:
            async with self.pool.acquire() as connection:
                status: str = await connection.execute(self._prune, received_before)
        except Exception as error:
            raise_translated(error, "pruning the inbox")
        return int(status.rsplit(" ", 1)[1])


__all__ = ["PostgreSQLInbox"]
