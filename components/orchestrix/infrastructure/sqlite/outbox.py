"""The SQLite outbox: a trigger on the events table records every saved event for the relay.

The trigger runs inside the store's own insert, so an event and its outbox row commit
together, and the event store's code knows nothing of it; it is created the first time an
`SQLiteOutbox` opens the file. Relays claim entries with a lease (SQLite has one writer and no
row locks): a short write transaction stamps the claimed rows with a token and an expiry, the
relay publishes without holding any lock, then marks the rows sent. A relay that dies leaves
its claim to expire (`lease` seconds), and the next relay publishes those entries again.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from orchestrix.core.common.validation import ValidationError
from orchestrix.core.eventsourcing.personal_data import PersonalData
from orchestrix.core.messaging.codec import decode_columns
from orchestrix.core.messaging.jsonio import dump_json
from orchestrix.core.messaging.outbox import OutboxBatch, OutboxEntry, in_stream_order
from orchestrix.infrastructure.sqlite import _rows as rows
from orchestrix.infrastructure.sqlite._driver import Synchronous, immediate_transaction
from orchestrix.infrastructure.sqlite._feature import SQLiteFeature
from orchestrix.infrastructure.sqlite._feature_schema import FeatureSchema
from orchestrix.infrastructure.sqlite._times import utc_text
from orchestrix.infrastructure.sqlite.schema import Migration

MIGRATIONS: Sequence[Migration] = (
    (  # 1: the outbox table and the trigger that fills it
        """
        CREATE TABLE outbox (
            position INTEGER PRIMARY KEY,
            stream_id TEXT NOT NULL,
            version INTEGER NOT NULL,
            claim_token TEXT,
            claimed_until REAL,
            sent_at TEXT
        )
        """,
        "CREATE INDEX outbox_pending ON outbox (stream_id, version) WHERE sent_at IS NULL",
        """
        CREATE TRIGGER events_to_outbox AFTER INSERT ON events
        BEGIN
            INSERT INTO outbox (position, stream_id, version)
            VALUES (NEW.position, NEW.stream_id, NEW.version);
        END
        """,
    ),
)
OUTBOX = FeatureSchema("outbox", MIGRATIONS, on_event_store=True)

_CANDIDATES = """
    SELECT o.position, o.stream_id, o.version, e.schema_version, e.payload, e.event_type,
        e.type_hint
    FROM outbox o JOIN events e ON e.position = o.position
    WHERE o.sent_at IS NULL AND (o.claimed_until IS NULL OR o.claimed_until < ?)
    ORDER BY o.position LIMIT ?
"""
_OLDEST_PENDING = """
    SELECT stream_id, MIN(version) FROM outbox
    WHERE sent_at IS NULL AND stream_id IN (SELECT value FROM json_each(?))
    GROUP BY stream_id
"""
_CLAIM = """
    UPDATE outbox SET claim_token = ?, claimed_until = ?
    WHERE position IN (SELECT value FROM json_each(?))
"""
_MARK_SENT = """
    UPDATE outbox SET sent_at = ?, claim_token = NULL, claimed_until = NULL
    WHERE claim_token = ? AND position IN (SELECT value FROM json_each(?))
"""
_RELEASE = "UPDATE outbox SET claim_token = NULL, claimed_until = NULL WHERE claim_token = ?"
_PENDING = "SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL"
_PRUNE = "DELETE FROM outbox WHERE sent_at IS NOT NULL AND sent_at < ?"


@dataclass(eq=False)
class _Batch:
    outbox: SQLiteOutbox
    token: str
    entries: Sequence[OutboxEntry]

    async def mark_sent(self, entries: Sequence[OutboxEntry]) -> None:
        positions = [entry.position for entry in entries]
        await self.outbox._execute(
            "mark outbox entries sent",
            lambda connection: self.outbox._mark(connection, self.token, positions),
        )


class SQLiteOutbox(SQLiteFeature):
    """An `Outbox` in the event store's SQLite file (`SQLiteOutbox(path)`, then `claim`).

    Its table and trigger are created when it first opens the file (`initialize()`): events
    saved before that are not in the outbox. With the store's `personal_data`, claimed events
    carry their personal fields in clear for the relay to publish; without, they are `REDACTED`.
    """

    schema = OUTBOX
    role = "outbox"

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        lease: float = 60.0,
        synchronous: Synchronous = "FULL",
        personal_data: PersonalData | None = None,
    ) -> None:
        if isinstance(lease, bool) or not isinstance(lease, int | float) or not lease > 0:
            raise ValidationError("must be a positive number of seconds", "lease", lease)
        super().__init__(path, synchronous=synchronous)
        self.lease = float(lease)
        self.personal_data = personal_data
        self._decode = decode_columns if personal_data is None else personal_data.decode_columns

    @asynccontextmanager
    async def claim(self, limit: int) -> AsyncIterator[OutboxBatch]:
        """Up to `limit` pending entries no other relay holds, each stream in order."""
        if type(limit) is not int or limit < 1:
            raise ValidationError("must be a positive integer", "limit", limit)
        token = uuid.uuid4().hex
        entries = await self._execute(
            "claim outbox entries", lambda connection: self._claim(connection, token, limit)
        )
        try:
            yield _Batch(self, token, entries)
        finally:
            if entries:
                await self._execute(
                    "release outbox entries", lambda connection: self._unclaim(connection, token)
                )

    def _claim(self, connection: sqlite3.Connection, token: str, limit: int) -> list[OutboxEntry]:
        now = _clock()
        with immediate_transaction(connection):
            found = connection.execute(_CANDIDATES, (now, limit)).fetchall()
            if not found:
                return []
            streams = dump_json(sorted({row[1] for row in found})).decode()
            oldest = dict(connection.execute(_OLDEST_PENDING, (streams,)).fetchall())
            candidates = [
                OutboxEntry(entry.position, entry.aggregate_id, entry.version, entry.event)
                for entry in rows.decode_log(found, self._decode)
            ]
            entries = in_stream_order(candidates, oldest)
            positions = dump_json([entry.position for entry in entries]).decode()
            connection.execute(_CLAIM, (token, now + self.lease, positions))
        return entries

    @staticmethod
    def _mark(connection: sqlite3.Connection, token: str, positions: list[int]) -> None:
        sent_at = utc_text(datetime.now(UTC))
        with immediate_transaction(connection):
            connection.execute(_MARK_SENT, (sent_at, token, dump_json(positions).decode()))

    @staticmethod
    def _unclaim(connection: sqlite3.Connection, token: str) -> None:
        with immediate_transaction(connection):
            connection.execute(_RELEASE, (token,))

    async def pending_count(self) -> int:
        """How many saved events wait to be published."""
        return await self._execute(
            "read the outbox", lambda connection: int(connection.execute(_PENDING).fetchone()[0])
        )

    async def prune(self, sent_before: datetime) -> int:
        """Delete the entries sent before `sent_before`; returns how many."""
        cutoff = utc_text(sent_before)

        def prune(connection: sqlite3.Connection) -> int:
            with immediate_transaction(connection):
                return connection.execute(_PRUNE, (cutoff,)).rowcount

        return await self._execute("prune the outbox", prune)


def _clock() -> float:
    """Lease times are wall-clock seconds: relays in other processes compare them."""
    return datetime.now(UTC).timestamp()


__all__ = ["MIGRATIONS", "OUTBOX", "SQLiteOutbox"]
