"""The PostgreSQL outbox: a trigger on the events table records each saved event for relays.

The trigger (created by `initialize()`, see migration 0005) inserts the outbox rows in the
saving transaction, so an event is in the outbox if and only if it was saved, and the event
store's statements are unchanged. A relay's `claim` is one short transaction: it locks
pending, unleased rows with `FOR UPDATE SKIP LOCKED` (other relays skip them rather than
wait), keeps per stream only the gapless run from the oldest pending version, and leases
those rows to itself for `lease` seconds. It then publishes with no transaction open: a
transaction held while the broker answers would hold back every reader of the event log
(their cursor stops at the oldest running transaction). Marks are committed at once; a relay
that dies leaves its lease to expire, and the rows are claimed again.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from orchestrix.core.common.validation import ValidationError
from orchestrix.core.eventsourcing.personal_data import AsyncPersonalData
from orchestrix.core.messaging.codec import decode_columns
from orchestrix.core.messaging.outbox import OutboxBatch, OutboxEntry, in_stream_order
from orchestrix.infrastructure.postgres._errors import raise_translated
from orchestrix.infrastructure.postgres._identifiers import quote_schema
from orchestrix.infrastructure.postgres.connection_pool import ConnectionPool
from orchestrix.infrastructure.postgres.schema import prepare

TRIGGER = "events_to_outbox"


@dataclass(eq=False)
class _Batch:
    outbox: PostgreSQLOutbox
    token: str
    entries: Sequence[OutboxEntry]

    async def mark_sent(self, entries: Sequence[OutboxEntry]) -> None:
        positions = [entry.position for entry in entries]
        await self.outbox._execute(
            self.outbox._mark, "marking outbox entries sent", self.token, positions
        )


class PostgreSQLOutbox:
    """An `Outbox` beside the event store's tables (`PostgreSQLOutbox(store.pool, schema)`).

    `initialize()` brings the schema up to date and enables the trigger: events saved from
    then on go to the outbox. `disable()` drops the trigger. A claim is leased for `lease`
    seconds (how long a dead relay's entries wait); the pool belongs to the caller. With the
    store's `personal_data`, claimed events carry their personal fields in clear for the relay
    to publish; without, those fields are `REDACTED`.
    """

    def __init__(
        self,
        pool: ConnectionPool,
        schema: str = "orchestrix",
        *,
        lease: float = 30.0,
        personal_data: AsyncPersonalData | None = None,
    ) -> None:
        self.personal_data = personal_data
        quoted = quote_schema(schema)
        if isinstance(lease, bool) or not isinstance(lease, int | float) or not lease > 0:
            raise ValidationError("must be a positive number of seconds", "lease", lease)
        self.pool = pool
        self.schema = schema
        self.lease = float(lease)
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
            SELECT o.position, o.stream_id, o.version, e.payload, e.schema_version, e.event_type,
                e.type_hint
            FROM {quoted}.outbox o JOIN {quoted}.events e ON e.position = o.position
            WHERE o.sent_at IS NULL AND (o.claimed_until IS NULL OR o.claimed_until < now())
            ORDER BY o.position
            LIMIT $1
            FOR UPDATE OF o SKIP LOCKED
        """
        self._lease_rows = f"""
            UPDATE {quoted}.outbox
            SET claim_token = $1, claimed_until = now() + make_interval(secs => $2)
            WHERE position = ANY($3::bigint[])
        """
        self._oldest_pending = f"""
            SELECT stream_id, min(version) FROM {quoted}.outbox
            WHERE sent_at IS NULL AND stream_id = ANY($1::text[])
            GROUP BY stream_id
        """
        self._mark = f"""
            UPDATE {quoted}.outbox SET sent_at = now(), claim_token = NULL, claimed_until = NULL
            WHERE claim_token = $1 AND position = ANY($2::bigint[])
        """
        self._release = f"""
            UPDATE {quoted}.outbox SET claim_token = NULL, claimed_until = NULL
            WHERE claim_token = $1 AND sent_at IS NULL
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
        """Lease up to `limit` pending entries no other relay holds, each stream in order."""
        if type(limit) is not int or limit < 1:
            raise ValidationError("must be a positive integer", "limit", limit)
        token = uuid.uuid4().hex
        try:
            async with self.pool.acquire() as connection, connection.transaction():
                entries = await self._claim(connection, token, limit)
        except Exception as error:
            raise_translated(error, "claiming outbox entries")
        try:
            yield _Batch(self, token, entries)
        finally:
            if entries:
                await self._execute(self._release, "releasing outbox entries", token)

    async def _claim(
        self, connection: asyncpg.Connection, token: str, limit: int
    ) -> list[OutboxEntry]:
        rows = await connection.fetch(self._candidates, limit)
        if not rows:
            return []
        streams = sorted({row[1] for row in rows})
        oldest = dict(await connection.fetch(self._oldest_pending, streams))
        payloads = [row[3] for row in rows]
        personal = self.personal_data
        events = decode_columns(
            payloads,
            [row[4] for row in rows],
            [row[5] for row in rows],
            [row[6] for row in rows],
            None if personal is None else await personal.opener_for(payloads),
        )
        candidates = [
            OutboxEntry(row[0], row[1], row[2], event)
            for row, event in zip(rows, events, strict=True)
        ]
        entries = in_stream_order(candidates, oldest)
        positions = [entry.position for entry in entries]
        await connection.execute(self._lease_rows, token, self.lease, positions)
        return entries

    async def _execute(self, statement: str, operation: str, *arguments: Any) -> str:
        try:
            async with self.pool.acquire() as connection:
                status: str = await connection.execute(statement, *arguments)
        except Exception as error:
            raise_translated(error, operation)
        return status

    async def pending_count(self) -> int:
        """How many saved events wait to be published."""
        return int(await self._fetchval(self._pending))

    async def prune(self, sent_before: datetime) -> int:
        """Delete the entries sent before `sent_before`; returns how many."""
        status = await self._execute(self._prune, "pruning the outbox", sent_before)
        return int(status.rsplit(" ", 1)[1])

    async def _fetchval(self, query: str) -> Any:
        try:
            async with self.pool.acquire() as connection:
                return await connection.fetchval(query)
        except Exception as error:
            raise_translated(error, "reading the outbox")


__all__ = ["TRIGGER", "PostgreSQLOutbox"]
