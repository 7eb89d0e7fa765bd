"""The PostgreSQL event store: durable streams, a global log for projections, snapshots.

Every save is one statement (see `_event_sql`): no explicit transaction, no lock, one round
trip. Events are stored as the codec's JSON in a JSONB column and decoded back into their
registered classes; the global log is read with the transaction-id cursor of SPEC §4, so a
reader never skips an event that commits after one it has already passed.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator, Sequence
from functools import partial
from types import TracebackType
from typing import Any, Self

import asyncpg

from orchestrix.core.common.exceptions import (
    ConcurrencyError,
    DuplicateEventError,
    EventEncodingError,
    StoreUnavailableError,
)
from orchestrix.core.common.instrumentation import instrumented_store
from orchestrix.core.common.validation import ValidationError
from orchestrix.core.eventsourcing.event_log import START, Checkpoint, RecordedEvent
from orchestrix.core.eventsourcing.event_store import validate_events, validate_stream_id
from orchestrix.core.eventsourcing.snapshot import Snapshot
from orchestrix.core.eventsourcing.versioning import UpcasterRegistry
from orchestrix.core.messaging.codec import decode_event, event_to_data
from orchestrix.core.messaging.jsonio import dump_json, load_json
from orchestrix.core.messaging.message import Event
from orchestrix.infrastructure.postgres._errors import raise_translated
from orchestrix.infrastructure.postgres._event_sql import event_statements
from orchestrix.infrastructure.postgres._identifiers import quote_schema
from orchestrix.infrastructure.postgres._overlap import overlap
from orchestrix.infrastructure.postgres.connection_pool import ConnectionPool, PoolConfig
from orchestrix.infrastructure.postgres.schema import prepare

_EVENT_ID_CONSTRAINT = "events_event_id_key"
_PAGE = 1000  # rows per query when loading a long stream


@instrumented_store
class PostgreSQLEventStore:
    """An async event store on PostgreSQL through an asyncpg pool.

    `initialize()` opens the pool and applies the schema migrations (idempotent, safe when
    several processes start together); `close()` releases the connections. Tables live in
    `schema` (default `orchestrix`), so several stores can share a database. `commit_wait`
    bounds how long `read_all` waits for older transactions still in flight (see there).
    """

    def __init__(
        self,
        connection_string: str,
        pool_min_size: int = 2,
        pool_max_size: int = 10,
        pool_timeout: float = 10.0,
        *,
        schema: str = "orchestrix",
        upcasters: UpcasterRegistry | None = None,
        commit_wait: float = 1.0,
    ) -> None:
        if isinstance(commit_wait, bool) or not isinstance(commit_wait, int | float):
            raise ValidationError("must be a number of seconds", "commit_wait", commit_wait)
        if not 0 <= commit_wait < math.inf:
            raise ValidationError("must be zero or more seconds", "commit_wait", commit_wait)
        self._sql = event_statements(quote_schema(schema))
        self.schema = schema
        self.upcasters = upcasters
        self.commit_wait = commit_wait
        self.pool = ConnectionPool(
            PoolConfig(
                dsn=connection_string,
                min_size=pool_min_size,
                max_size=pool_max_size,
                timeout=pool_timeout,
            )
        )

    async def initialize(self) -> None:
        """Open the pool and bring the schema up to date."""
        await prepare(self.pool, self.schema)

    async def close(self) -> None:
        """Close every pooled connection; idempotent."""
        await self.pool.close()

    async def __aenter__(self) -> Self:
        await self.initialize()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def ping(self) -> bool:
        """Whether the server answers a trivial query now."""
        try:
            async with self.pool.acquire() as connection:
                return bool(await connection.fetchval("SELECT true"))
        except StoreUnavailableError:
            return False
        except Exception as error:
            raise_translated(error, "ping")

    async def save(
        self, aggregate_id: str, events: Sequence[Event], expected_version: int | None = None
    ) -> None:
        """Append `events` atomically, checking `expected_version` when given.

        Raises `ConcurrencyError` (stream not at `expected_version`), `DuplicateEventError`
        (an event id already stored), `EventEncodingError` (a value the codec or PostgreSQL
        cannot store, such as a NUL character) or `StoreUnavailableError`; in each case
        nothing is written.
        """
        validate_stream_id(aggregate_id)
        if expected_version is not None:
            _check_int(expected_version, "expected_version")
        if not events:
            return
        validate_events(events)
        sql, expected = self._sql, expected_version is not None
        if len(events) == 1:
            values: tuple[Any, ...] = _row(events[0])
            if expected_version == 0:
                statement = sql.create_one
            else:
                statement = sql.append_one_expected if expected else sql.append_one_any
        else:
            values = tuple(zip(*map(_row, events), strict=True))
            statement = sql.append_many_expected if expected else sql.append_many_any
        while True:
            try:
                async with self.pool.acquire() as connection:
                    status = await connection.execute(
                        statement, aggregate_id, expected_version, *values
                    )
            except asyncpg.UniqueViolationError as error:
                if error.constraint_name == _EVENT_ID_CONSTRAINT:
                    raise DuplicateEventError(await self._duplicate_id(events)) from error
                if expected_version is None:
                    continue  # a concurrent writer took these versions: append after it
                actual = await self._stream_version(aggregate_id)
                raise ConcurrencyError(aggregate_id, expected_version, actual) from error
            except (
                asyncpg.UntranslatableCharacterError,
                asyncpg.CharacterNotInRepertoireError,
            ) as error:
                message = f"PostgreSQL cannot store this text (no NUL characters): {error}"
                raise EventEncodingError(message) from error
            except Exception as error:
                raise_translated(error, f"saving to stream {aggregate_id!r}")
            if expected_version is not None and status.endswith(" 0"):  # "INSERT 0 0"
                actual = await self._stream_version(aggregate_id)
                raise ConcurrencyError(aggregate_id, expected_version, actual)
            return

    async def _stream_version(self, aggregate_id: str) -> int:
        try:
            async with self.pool.acquire() as connection:
                version: int = await connection.fetchval(self._sql.stream_version, aggregate_id)
        except Exception as error:
            raise_translated(error, f"reading the version of stream {aggregate_id!r}")
        return version

    async def _duplicate_id(self, events: Sequence[Event]) -> str:
        """The first id of the batch that is stored already or repeated within the batch."""
        ids = [event.id for event in events]
        try:
            async with self.pool.acquire() as connection:
                stored = {row[0] for row in await connection.fetch(self._sql.existing_ids, ids)}
        except Exception as error:
            raise_translated(error, "looking up duplicate event ids")
        seen: set[str] = set()
        for event_id in ids:
            if event_id in stored or event_id in seen:
                return event_id
            seen.add(event_id)
        return ids[0]  # the clashing event was deleted meanwhile; report the batch

    async def load(self, aggregate_id: str, from_version: int = 0) -> list[Event]:
        """The events after `from_version` as their classes, upcast when configured.

        A long stream is read in pages, each decoded while the server renders the next.
        """
        validate_stream_id(aggregate_id)
        _check_int(from_version, "from_version")
        if from_version < 0:
            raise ValidationError("must not be negative", "from_version", from_version)
        sql, events = self._sql.load, []
        try:
            async with self.pool.acquire() as connection:
                rows = await connection.fetch(sql, aggregate_id, from_version, _PAGE)
                while len(rows) == _PAGE:
                    next_page = connection.fetch(sql, aggregate_id, rows[-1][0], _PAGE)
                    rows, decoded = await overlap(next_page, partial(_decode, rows))
                    events += decoded
        except Exception as error:
            raise_translated(error, f"loading stream {aggregate_id!r}")
        events += _decode(rows)
        if self.upcasters is None:
            return events
        return await self.upcasters.upcast_to_latest_async(events)

    async def read_all(
        self, after: Checkpoint = START, batch_size: int = 1000
    ) -> AsyncIterator[RecordedEvent]:
        """Every event committed after `after`, in log order, `batch_size` rows per query.

        Events of transactions still in flight (and of any that started after them) are held
        back until those commit, so resuming from the last checkpoint never skips one. When
        committed events are held back at the end of the log, this waits up to `commit_wait`
        seconds for the older transactions before returning. Each batch is decoded while the
        server renders the next; no connection is held while the caller consumes events.
        """
        if type(batch_size) is not int or batch_size < 1:
            raise ValidationError("must be a positive integer", "batch_size", batch_size)
        cursor, pause, deadline = (after.tx_id, after.position), 0.002, None
        rows = await self._log_page(cursor, batch_size)
        while True:
            page = rows
            if len(page) < batch_size:
                rows, records = [], _records(page)
            else:
                try:
                    async with self.pool.acquire() as connection:
                        next_page = connection.fetch(
                            self._sql.read_all, page[-1][0], page[-1][1], batch_size
                        )
                        rows, records = await overlap(next_page, partial(_records, page))
                except Exception as error:
                    raise_translated(error, "reading the event log")
            if self.upcasters is not None:
                records = await self.upcasters.upcast_recorded_async(records)
            for recorded in records:
                yield recorded
            if page:
                cursor = (page[-1][0], page[-1][1])
            if rows:
                continue
            now = time.monotonic()
            deadline = now + self.commit_wait if deadline is None else deadline
            if now >= deadline or not await self._more_after(cursor):
                return
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.05)
            rows = await self._log_page(cursor, batch_size)

    async def _log_page(self, cursor: tuple[int, int], batch_size: int) -> list[Any]:
        try:
            async with self.pool.acquire() as connection:
                rows: list[Any] = await connection.fetch(self._sql.read_all, *cursor, batch_size)
        except Exception as error:
            raise_translated(error, "reading the event log")
        return rows

    async def _more_after(self, cursor: tuple[int, int]) -> bool:
        """Whether events committed after `cursor` exist (held back when the last read
        returned none; the next read may already see them)."""
        try:
            async with self.pool.acquire() as connection:
                return bool(await connection.fetchval(self._sql.more_after, *cursor))
        except Exception as error:
            raise_translated(error, "reading the event log")

    async def save_snapshot_async(self, snapshot: Snapshot) -> None:
        """Keep `snapshot` unless a newer one of the aggregate is already stored."""
        state = dump_json(snapshot.state).decode()
        try:
            async with self.pool.acquire() as connection:
                await connection.execute(
                    self._sql.save_snapshot,
                    snapshot.aggregate_id,
                    snapshot.aggregate_type,
                    snapshot.version,
                    snapshot.schema_version,
                    state,
                    snapshot.timestamp,
                )
        except Exception as error:
            raise_translated(error, f"saving a snapshot of {snapshot.aggregate_id!r}")

    async def load_snapshot_async(self, aggregate_id: str) -> Snapshot | None:
        """The latest snapshot of the aggregate, if any."""
        try:
            async with self.pool.acquire() as connection:
                row = await connection.fetchrow(self._sql.load_snapshot, aggregate_id)
        except Exception as error:
            raise_translated(error, f"loading the snapshot of {aggregate_id!r}")
        if row is None:
            return None
        aggregate_type, version, state, taken_at, schema_version = row
        return Snapshot(
            aggregate_id, aggregate_type, version, load_json(state), taken_at, schema_version
        )


def _check_int(value: object, field: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValidationError("must be an integer", field, value)


def _row(event: Event) -> tuple[Any, ...]:
    """The values an append statement takes after the stream and version (as scalars for one
    event, one array each for a batch); the payload is encoded here, so a bad event fails
    before anything is sent."""
    return (
        event.id,
        event.type,
        type(event).__schema_version__,
        event.correlation_id,
        event.causation_id,
        event.trace_id,
        event.actor_id,
        event.timestamp,
        dump_json(event_to_data(event)).decode(),
    )


def _decode(rows: list[Any]) -> list[Event]:
    """Events from `load` rows (version, payload, schema version)."""
    return [decode_event(row[1], row[2]) for row in rows]


def _records(rows: list[Any]) -> list[RecordedEvent]:
    """Recorded events from `read_all` rows (tx, position, stream, version, payload, schema)."""
    return [
        RecordedEvent(decode_event(row[4], row[5]), row[2], row[3], row[1], row[0]) for row in rows
    ]


__all__ = ["PostgreSQLEventStore"]
