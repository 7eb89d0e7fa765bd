"""The PostgreSQL event store: durable streams, a global log for projections, snapshots.

Every save is one statement (see `_event_sql`): no explicit transaction, no lock beyond the
writers' shared one, one round trip, returning the checkpoint of the last event. Events are
stored as the codec's exact JSON text in a `json` column, with the type name and class hint
beside it, and decoded back into their registered classes (a batch of rows at a time);
the global log is read with the transaction-id cursor of SPEC §4, up to a horizon that waits
only for transactions that write events (`_horizon`), so a reader never skips an event that
commits after one it has already passed and is never stalled by unrelated work. Events with
personal fields are refused unless the store has personal-data protection (`personal_data`),
which seals them on save and opens them on load.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import KW_ONLY, dataclass, field
from functools import partial
from types import TracebackType
from typing import Any, Self

import asyncpg

from orchestrix.core.common.exceptions import (
    ConcurrencyError,
    DuplicateEventError,
    EventEncodingError,
    StoreUsageError,
)
from orchestrix.core.common.instrumentation import instrumented_store
from orchestrix.core.common.logging import get_logger
from orchestrix.core.common.validation import ValidationError
from orchestrix.core.eventsourcing.event_log import (
    START,
    Checkpoint,
    RecordedEvent,
    each_event,
    recorded_events,
)
from orchestrix.core.eventsourcing.event_store import (
    validate_checkpoint,
    validate_events,
    validate_expected_version,
    validate_stream_id,
    validate_version,
)
from orchestrix.core.eventsourcing.personal_data import AsyncPersonalData
from orchestrix.core.eventsourcing.snapshot import Snapshot, decode_state, encode_state
from orchestrix.core.eventsourcing.versioning import UpcasterRegistry
from orchestrix.core.messaging.codec import (
    decode_columns,
    encode_event,
    refuse_personal,
    stored_type,
)
from orchestrix.core.messaging.message import Event
from orchestrix.core.messaging.personal import Opener, Sealer
from orchestrix.infrastructure.postgres._errors import raise_translated
from orchestrix.infrastructure.postgres._event_sql import EventStatements, event_statements
from orchestrix.infrastructure.postgres._horizon import LogHoldback, writer_lock_key
from orchestrix.infrastructure.postgres._overlap import overlap
from orchestrix.infrastructure.postgres.append_notifier import AppendNotifier
from orchestrix.infrastructure.postgres.connection_pool import ConnectionPool, PoolConfig
from orchestrix.infrastructure.postgres.json_encoder import OrchestrixJSONEncoder
from orchestrix.infrastructure.postgres.schema import prepare

_EVENT_ID_CONSTRAINT = "events_event_id_key"
_PAGE = 1000  # rows per query when loading a long stream
_logger = get_logger(__name__)


class _Watch:
    """What `read_all` last saw of writers holding the log back, and which one it warned of."""

    __slots__ = ("last", "warned")

    def __init__(self) -> None:
        self.last: LogHoldback | None = None
        self.warned: tuple[int, int | None] | None = None


@instrumented_store
@dataclass(frozen=True)
class PostgreSQLEventStore:
    """An async event store on PostgreSQL through a `ConnectionPool`.

    The four positional fields and their defaults are the first release's (a frozen
    dataclass, as it was). `initialize()` opens the pool and applies the schema migrations
    (idempotent, safe when several processes start together); `close()` releases the
    connections. Tables live in `schema` (default `orchestrix`), so several stores can share a
    database. `commit_wait` bounds how long `read_all` waits for a writer still in flight; a
    writer holding the log back for `holdback_warning` seconds or more is logged as a warning
    (see `log_holdback`).
    """

    connection_string: str = field(repr=False)  # may carry a password
    pool_min_size: int = 10
    pool_max_size: int = 50
    pool_timeout: float = 30.0
    _: KW_ONLY
    schema: str = "orchestrix"
    upcasters: UpcasterRegistry | None = field(default=None, compare=False)
    personal_data: AsyncPersonalData | None = field(default=None, compare=False)
    commit_wait: float = 1.0
    holdback_warning: float = 10.0
    pool: ConnectionPool = field(init=False, repr=False, compare=False)
    _sql: EventStatements = field(init=False, repr=False, compare=False)
    _watch: _Watch = field(init=False, repr=False, compare=False)
    _notifier: AppendNotifier = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("commit_wait", "holdback_warning"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValidationError("must be a number of seconds", name, value)
            if not 0 <= value < math.inf:
                raise ValidationError("must be zero or more seconds", name, value)
        config = PoolConfig(
            min_size=self.pool_min_size, max_size=self.pool_max_size, timeout=self.pool_timeout
        )
        # Fields set once here (and the statements again by initialize()): the store is frozen.
        sql = event_statements(self.schema, 0, writer_lock_key(self.schema))
        object.__setattr__(self, "_sql", sql)
        object.__setattr__(self, "pool", ConnectionPool(self.connection_string, config))
        object.__setattr__(self, "_watch", _Watch())
        object.__setattr__(self, "_notifier", AppendNotifier(self.pool, self.schema))

    async def initialize(self) -> None:
        """Open the pool and bring the schema up to date (see `schema.migrate`)."""
        offset = await prepare(self.pool, self.schema)
        sql = event_statements(self.schema, offset, writer_lock_key(self.schema))
        object.__setattr__(self, "_sql", sql)

    async def close(self) -> None:
        """Close every pooled connection; idempotent."""
        await self._notifier.close()
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
        """Whether the server answers `SELECT 1` now (False before `initialize()`)."""
        try:
            async with self.pool.acquire() as connection:
                return bool(await connection.fetchval("SELECT 1"))
        except Exception:
            return False

    async def save(
        self, aggregate_id: str, events: Sequence[Event], expected_version: int | None = None
    ) -> Checkpoint | None:
        """Append `events` atomically, checking `expected_version` when given; returns the
        checkpoint of the last event (None for an empty batch), for read-your-writes.

        Raises `ConcurrencyError` (stream not at `expected_version`), `DuplicateEventError`
        (an event id already stored), `EventEncodingError` (a value the codec or PostgreSQL
        cannot store, such as a value that does not match its annotation) or
        `StoreUnavailableError`; in each case nothing is written.
        """
        sealer: Sealer = refuse_personal
        if self.personal_data is not None:  # no coroutine on the path without protection
            sealer = await self._sealer(self.personal_data, aggregate_id, events, expected_version)
        values = _values(aggregate_id, events, expected_version, sealer)
        if values is None:
            return None
        if expected_version is not None:
            statement = self._sql.expected.choose(len(events), expected_version)
        else:
            statement = self._sql.one_any if len(events) == 1 else self._sql.many_any
        while True:
            try:
                async with self.pool.acquire() as connection:
                    row = await connection.fetchrow(
                        statement, aggregate_id, expected_version, *values
                    )
            except Exception as error:
                # Without an expected version, a writer that took the same versions is
                # appended after: run the statement again.
                await self._raise_for(error, aggregate_id, events, expected_version)
                continue
            checkpoint = await self._checkpoint(row, aggregate_id, expected_version)
            self._notifier.appended()
            return checkpoint

    async def save_in_transaction(
        self,
        connection: asyncpg.Connection,
        aggregate_id: str,
        events: Sequence[Event],
        expected_version: int | None = None,
    ) -> Checkpoint | None:
        """Append `events` inside the caller's open transaction on `connection`, so they
        commit or roll back with the caller's other writes (an outbox row, a read model).

        The same checks and errors as `save`, which is faster when nothing else needs the
        transaction. An error leaves the transaction failed: roll it back. Under REPEATABLE
        READ or SERIALIZABLE the events must be the transaction's first write (the log order
        needs a fresh snapshot otherwise); under READ COMMITTED anything may come first.
        """
        sealer: Sealer = refuse_personal
        if self.personal_data is not None:
            sealer = await self._sealer(self.personal_data, aggregate_id, events, expected_version)
        values = _values(aggregate_id, events, expected_version, sealer)
        if values is None:
            return None
        if not connection.is_in_transaction():
            raise StoreUsageError(
                "save_in_transaction needs a connection inside a transaction "
                "(async with connection.transaction(): ...); use save() otherwise"
            )
        try:
            wrote_before, isolation, _ = await connection.fetchrow(self._sql.writer_lock)
            if expected_version is None:
                expected_version = await connection.fetchval(self._sql.stream_version, aggregate_id)
        except Exception as error:
            raise_translated(error, f"saving to stream {aggregate_id!r}")
        if wrote_before and isolation != "read committed":
            raise StoreUsageError(
                f"Events cannot follow other writes in a {isolation.upper()} transaction; "
                "append them first, or use READ COMMITTED"
            )
        appends = self._sql.late if wrote_before else self._sql.expected
        statement = appends.choose(len(events), expected_version)
        try:
            row = await connection.fetchrow(statement, aggregate_id, expected_version, *values)
        except Exception as error:
            await self._raise_for(error, aggregate_id, events, expected_version)
            raise  # not reached: with an expected version every error is raised
        checkpoint = await self._checkpoint(row, aggregate_id, expected_version)
        try:
            await self._notifier.in_transaction(connection)
        except Exception as error:
            raise_translated(error, f"saving to stream {aggregate_id!r}")
        return checkpoint

    @staticmethod
    async def _sealer(
        personal: AsyncPersonalData,
        aggregate_id: str,
        events: Sequence[Event],
        expected_version: int | None,
    ) -> Sealer:
        """How a protected save seals personal fields; its input is checked first, so no key
        is made for a save that cannot happen."""
        if not _checked(aggregate_id, events, expected_version):
            return refuse_personal  # an empty batch: nothing to seal
        return await personal.sealer_for(aggregate_id, events)

    async def _opener(self, rows: list[Any], payload: int) -> Opener | None:
        """The opener of the sealed fields in `rows` (payloads in column `payload`)."""
        personal = self.personal_data
        if personal is None or not rows:
            return None
        return await personal.opener_for([row[payload] for row in rows])

    async def _raise_for(
        self,
        error: Exception,
        aggregate_id: str,
        events: Sequence[Event],
        expected_version: int | None,
    ) -> None:
        """Raise the Orchestrix error for a failed append; return only when a concurrent
        writer took the versions of an append without expected version (to run it again)."""
        if isinstance(error, asyncpg.UniqueViolationError):
            if error.constraint_name == _EVENT_ID_CONSTRAINT:
                raise DuplicateEventError(await self._duplicate_id(events)) from error
            if expected_version is None:
                return
            actual = await self._stream_version(aggregate_id)
            raise ConcurrencyError(aggregate_id, expected_version, actual) from error
        if isinstance(
            error, asyncpg.UntranslatableCharacterError | asyncpg.CharacterNotInRepertoireError
        ):
            message = f"PostgreSQL cannot store this text (no NUL characters): {error}"
            raise EventEncodingError(message) from error
        raise_translated(error, f"saving to stream {aggregate_id!r}")

    async def _checkpoint(
        self, row: Any, aggregate_id: str, expected_version: int | None
    ) -> Checkpoint:
        """The checkpoint an append returned, or ConcurrencyError if it wrote nothing (the
        stream was behind the expected version)."""
        if row is None or row[1] is None:
            actual = await self._stream_version(aggregate_id)
            raise ConcurrencyError(aggregate_id, expected_version or 0, actual)
        return Checkpoint(row[0], row[1])

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

    async def load(self, aggregate_id: str, from_version: int | None = 0) -> list[Event]:
        """The events after `from_version` (None, the first release's default: all) as their
        classes, upcast when configured.

        A long stream is read in pages, each decoded while the server renders the next.
        """
        validate_stream_id(aggregate_id)
        if from_version is None:
            from_version = 0
        validate_version(from_version, "from_version")
        sql, events = self._sql.load, []
        try:
            async with self.pool.acquire() as connection:
                rows = await connection.fetch(sql, aggregate_id, from_version, _PAGE)
                while len(rows) == _PAGE:
                    opener = await self._opener(rows, 1) if self.personal_data else None
                    next_page = connection.fetch(sql, aggregate_id, rows[-1][0], _PAGE)
                    rows, decoded = await overlap(next_page, partial(_decode, rows, opener))
                    events += decoded
        except Exception as error:
            raise_translated(error, f"loading stream {aggregate_id!r}")
        events += _decode(rows, await self._opener(rows, 1) if self.personal_data else None)
        if self.upcasters is None:
            return events
        return await self.upcasters.upcast_to_latest_async(events)

    save_async = save  # SPEC §4: every async store answers both namings
    load_async = load

    def read_all(
        self, after: Checkpoint = START, batch_size: int = 1000
    ) -> AsyncIterator[RecordedEvent]:
        """Every event committed after `after`, in log order (see `read_batches`)."""
        return each_event(self.read_batches(after, batch_size))

    async def read_batches(
        self, after: Checkpoint = START, batch_size: int = 1000
    ) -> AsyncIterator[list[RecordedEvent]]:
        """Every event committed after `after`, in log order, as batches of `batch_size` rows
        (one query each; the last may be shorter).

        Events of a writer still in flight (and of any that started after it) are held back
        until it ends, so resuming from the last checkpoint never skips one; transactions that
        write no events never hold the log back. When committed events are held back at the
        end of the log, this waits up to `commit_wait` seconds for the writer before
        returning, and warns of one in flight for `holdback_warning` seconds or more. Each
        batch is decoded while the server renders the next; no connection is held while the
        caller consumes events.
        """
        validate_checkpoint(after, batch_size)
        cursor, pause, deadline = (after.tx_id, after.position), 0.002, None
        rows = await self._log_page(cursor, batch_size)
        while True:
            page = rows
            opener = await self._opener(page, 4) if self.personal_data else None
            if len(page) < batch_size:
                rows, records = [], _records(page, opener)
            else:
                try:
                    async with self.pool.acquire() as connection:
                        next_page = connection.fetch(
                            self._sql.read_all, page[-1][0], page[-1][1], batch_size
                        )
                        rows, records = await overlap(next_page, partial(_records, page, opener))
                except Exception as error:
                    raise_translated(error, "reading the event log")
            if self.upcasters is not None:
                records = await self.upcasters.upcast_recorded_async(records)
            if records:
                yield records
            if page:
                cursor = (page[-1][0], page[-1][1])
            if rows:
                continue
            now = time.monotonic()
            deadline = now + self.commit_wait if deadline is None else deadline
            if not await self._held_back(cursor) or now >= deadline:
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

    async def _held_back(self, cursor: tuple[int, int]) -> bool:
        """Whether events committed after `cursor` exist that the last read could not return
        yet; notes (and, past `holdback_warning`, logs) the writer holding them back."""
        try:
            async with self.pool.acquire() as connection:
                row = await connection.fetchrow(self._sql.holdback, *cursor)
        except Exception as error:
            raise_translated(error, "reading the event log")
        more, xid, pid, state, seconds = row
        holdback = None if not more or xid is None else LogHoldback(xid, pid, state, seconds)
        watch = self._watch
        watch.last = holdback
        if holdback is None or holdback.seconds < self.holdback_warning:
            return bool(more)
        if watch.warned != (holdback.transaction_id, holdback.pid):
            watch.warned = (holdback.transaction_id, holdback.pid)
            _logger.warning(
                "Readers of the event log in schema %r are held back by transaction %s "
                "(pid %s, state %s), writing events for %.1f s; events committed after "
                "it stay unread until it ends",
                self.schema,
                holdback.transaction_id,
                holdback.pid,
                holdback.state,
                holdback.seconds,
            )
        return bool(more)

    async def log_holdback(self) -> LogHoldback | None:
        """The writer transaction holding the log back now, if committed events wait behind
        it: a figure for a lag metric (`seconds` it has run) and who to look at (`pid`)."""
        await self._held_back((START.tx_id, START.position))
        return self._watch.last

    @property
    def last_holdback(self) -> LogHoldback | None:
        """What the last `read_all` (or `log_holdback`) that reached the end of the log found
        holding it back, None if nothing was; read without a query."""
        return self._watch.last

    async def save_snapshot_async(self, snapshot: Snapshot) -> None:
        """Keep `snapshot` unless a newer one of the aggregate is already stored."""
        validate_stream_id(snapshot.aggregate_id)
        encoded = encode_state(snapshot)
        if self.personal_data is not None:
            encoded = await self.personal_data.seal_snapshot(snapshot.aggregate_id, encoded)
        state = encoded.decode()
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
        """The latest snapshot of the aggregate, if any; `EventDecodingError` when the stored
        one is damaged (the repository then replays the events instead)."""
        validate_stream_id(aggregate_id)
        try:
            async with self.pool.acquire() as connection:
                row = await connection.fetchrow(self._sql.load_snapshot, aggregate_id)
        except Exception as error:
            raise_translated(error, f"loading the snapshot of {aggregate_id!r}")
        if row is None:
            return None
        aggregate_type, version, state, taken_at, schema_version = row
        if self.personal_data is not None:
            state = await self.personal_data.open_snapshot(aggregate_id, state)
        state = decode_state(aggregate_id, state)
        return Snapshot(aggregate_id, aggregate_type, version, state, taken_at, schema_version)

    save_snapshot = save_snapshot_async
    load_snapshot = load_snapshot_async


def _values(
    aggregate_id: str, events: Sequence[Event], expected_version: int | None, sealer: Sealer
) -> tuple[Any, ...] | None:
    """The append statement's parameters after the stream and version (scalars for one
    event, one array per column for a batch), None for an empty batch; bad input is refused
    here, before anything is sent."""
    if not _checked(aggregate_id, events, expected_version):
        return None
    if len(events) == 1:
        return _row(events[0], sealer)
    return tuple(zip(*(_row(event, sealer) for event in events), strict=True))


def _checked(aggregate_id: str, events: Sequence[Event], expected_version: int | None) -> bool:
    """Refuse bad input of a save; False for an empty batch."""
    validate_stream_id(aggregate_id)
    validate_expected_version(expected_version)
    if not events:
        return False
    validate_events(events)
    return True


def _row(event: Event, sealer: Sealer) -> tuple[Any, ...]:
    """The values an append statement takes after the stream and version (as scalars for one
    event, one array each for a batch); the payload is encoded here, so a bad event fails
    before anything is sent."""
    stored = stored_type(event)
    return (
        event.id,
        stored.type_name,
        stored.schema_version,
        event.correlation_id,
        event.causation_id,
        event.trace_id,
        event.actor_id,
        event.timestamp,
        encode_event(event, sealer=sealer).decode(),
        stored.hint,
    )


def _decode(rows: list[Any], opener: Opener | None) -> list[Event]:
    """Events from `load` rows (version, payload, schema version, type name, class hint),
    decoded as a batch."""
    if not rows:
        return []
    _, payloads, schema_versions, type_names, hints = zip(*rows, strict=True)
    return decode_columns(payloads, schema_versions, type_names, hints, opener)


def _records(rows: list[Any], opener: Opener | None) -> list[RecordedEvent]:
    """Recorded events from `read_all` rows (tx, position, stream, version, payload, schema
    version, type name, class hint), decoded as a batch."""
    if not rows:
        return []
    (tx_ids, positions, streams, versions, payloads, schema_versions, type_names, hints) = zip(
        *rows, strict=True
    )
    events = decode_columns(payloads, schema_versions, type_names, hints, opener)
    return recorded_events(events, streams, versions, positions, tx_ids)


__all__ = ["LogHoldback", "OrchestrixJSONEncoder", "PostgreSQLEventStore"]
