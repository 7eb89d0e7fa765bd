"""The PostgreSQL outbox: a trigger on the events table records each saved event for relays.

The trigger (created by `initialize()`, see migration 0003) inserts the outbox rows in the
saving transaction, so an event is in the outbox if and only if it was saved, and the event
store's statements are unchanged. A relay's `claim` holds a transaction on one connection:
it locks pending rows with `FOR UPDATE SKIP LOCKED` (other relays skip them rather than wait),
keeps per stream only the gapless run from the oldest pending version, and commits the
`sent_at` stamps when the block ends, also when it ends with an error (they record what the
broker confirmed). A relay that dies loses its transaction and its locks; its rows are
claimed again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from orchestrix.core.common.validation import ValidationError
from orchestrix.core.messaging.codec import decode_event
from orchestrix.core.messaging.outbox import OutboxBatch, OutboxEntry, in_stream_order
from orchestrix.infrastructure.postgres._errors import raise_translated
from orchestrix.infrastructure.postgres._identifiers import quote_schema
from orchestrix.infrastructure.postgres.connection_pool import ConnectionPool
from orchestrix.infrastructure.postgres.schema import prepare

TRIGGER = "events_to_outbox"


@dataclass(eq=False)
class _Batch:
    connection: asyncpg.Connection
    mark: str
    entries: Sequence[OutboxEntry]

    async def mark_sent(self, entries: Sequence[OutboxEntry]) -> None:
        try:
            await self.connection.execute(self.mark, [entry.position for entry in entries])
        except Exception as error:
            raise_translated(error, "marking outbox entries sent")


class PostgreSQLOutbox:
    """An `Outbox` beside the event store's tables (`PostgreSQLOutbox(store.pool, schema)`).

    `initialize()` brings the schema up to date and enables the trigger: events saved from
    then on go to the outbox. `disable()` drops the trigger. The pool belongs to the caller.
    """

    def __init__(self, pool: ConnectionPool, schema: str = "orchestrix") -> None:
        quoted = quote_schema(schema)
        self.pool = pool
        self.schema = schema
        self._enable = f"""
            CREATE OR REPLACE TRIGGER {TRIGGER} AFTER INSERT ON {quoted}.events
            REFERENCING NEW TABLE AS new_events
            FOR EACH STATEMENT EXECUTE FUNCTION {quoted}.outbox_capture()
        """
        self._disable = f"DROP TRIGGER IF EXISTS {TRIGGER} ON {quoted}.events"
        self._enabled = f"""
            SELECT EXISTS (
                SELECT FROM pg_trigger
                WHERE tgname = '{TRIGGER}' AND tgrelid = '{quoted}.events'::regclass
            )
        """
        self._candidates = f"""
            SELECT o.position, o.stream_id, o.version, e.payload, e.schema_version
            FROM {quoted}.outbox o JOIN {quoted}.events e ON e.position = o.position
            WHERE o.sent_at IS NULL
            ORDER BY o.position
            LIMIT $1
            FOR UPDATE OF o SKIP LOCKED
        """
        self._oldest_pending = f"""
            SELECT stream_id, min(version) FROM {quoted}.outbox
            WHERE sent_at IS NULL AND stream_id = ANY($1::text[])
            GROUP BY stream_id
        """
        self._mark = f"""
            UPDATE {quoted}.outbox SET sent_at = now()
            WHERE position = ANY($1::bigint[]) AND sent_at IS NULL
        """
        self._pending = f"SELECT count(*) FROM {quoted}.outbox WHERE sent_at IS NULL"
        self._prune = f"DELETE FROM {quoted}.outbox WHERE sent_at < $1"

    async def initialize(self) -> None:
        """Migrate the schema and enable the outbox trigger (idempotent, safe at startup of
        several processes: the trigger is created under the schema's migration lock)."""
        await prepare(self.pool, self.schema)
        await self._under_schema_lock(self._enabled, self._enable)

    async def disable(self) -> None:
        """Drop the trigger: events saved from now on no longer enter the outbox."""
        await self._under_schema_lock(None, self._disable)

    async def enabled(self) -> bool:
        """Whether saved events currently enter the outbox."""
        return bool(await self._fetchval(self._enabled))

    async def _under_schema_lock(self, unless: str | None, statement: str) -> None:
        try:
            async with self.pool.acquire() as connection, connection.transaction():
                await connection.execute(
                    "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                    f"orchestrix:{self.schema}",
                )
                if unless is None or not await connection.fetchval(unless):
                    await connection.execute(statement)
        except Exception as error:
            raise_translated(error, f"changing the outbox trigger of schema {self.schema!r}")

    @asynccontextmanager
    async def claim(self, limit: int) -> AsyncIterator[OutboxBatch]:
        """Lock up to `limit` pending entries no other relay holds, each stream in order."""
        if type(limit) is not int or limit < 1:
            raise ValidationError("must be a positive integer", "limit", limit)
        async with self.pool.acquire() as connection:
            transaction = connection.transaction()
            try:
                await transaction.start()
            except Exception as error:
                raise_translated(error, "claiming outbox entries")
            try:
                entries = await self._claim(connection, limit)
            except Exception as error:
                with suppress(Exception):  # the claim's error is the one to report
                    await transaction.rollback()
                raise_translated(error, "claiming outbox entries")
            try:
                yield _Batch(connection, self._mark, entries)
            finally:
                try:
                    await transaction.commit()
                except Exception as error:
                    raise_translated(error, "committing outbox marks")

    async def _claim(self, connection: asyncpg.Connection, limit: int) -> list[OutboxEntry]:
        rows = await connection.fetch(self._candidates, limit)
        if not rows:
            return []
        streams = sorted({row[1] for row in rows})
        oldest = dict(await connection.fetch(self._oldest_pending, streams))
        candidates = [
            OutboxEntry(position, stream, version, decode_event(payload, schema_version))
            for position, stream, version, payload, schema_version in rows
        ]
        return in_stream_order(candidates, oldest)

    async def pending_count(self) -> int:
        """How many saved events wait to be published."""
        return int(await self._fetchval(self._pending))

    async def prune(self, sent_before: datetime) -> int:
        """Delete the entries sent before `sent_before`; returns how many."""
        try:
            async with self.pool.acquire() as connection:
                status: str = await connection.execute(self._prune, sent_before)
        except Exception as error:
            raise_translated(error, "pruning the outbox")
        return int(status.rsplit(" ", 1)[1])

    async def _fetchval(self, query: str) -> Any:
        try:
            async with self.pool.acquire() as connection:
                return await connection.fetchval(query)
        except Exception as error:
            raise_translated(error, "reading the outbox")


__all__ = ["TRIGGER", "PostgreSQLOutbox"]
