"""The SQLite event store: durable, embedded, safe across threads and processes.

One connection per store, guarded by a lock: SQLite admits one writer at a time anyway, and a
thread of this process waits for at most one statement of another. Other processes work on the
same file concurrently: WAL lets them read while one writes, and each save holds the write lock
(`BEGIN IMMEDIATE`) from the version check to the commit, waiting up to
`BUSY_TIMEOUT_SECONDS` for it. Events are stored as the codec's JSON text beside indexed
metadata columns; the schema is migrated when the store opens. Events with personal fields
are refused unless the store has personal-data protection (`personal_data`), which seals them.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from types import TracebackType
from typing import Self

from orchestrix.core.common.exceptions import ConcurrencyError, DuplicateEventError
from orchestrix.core.common.instrumentation import instrumented_store
from orchestrix.core.eventsourcing.event_log import START, Checkpoint, RecordedEvent
from orchestrix.core.eventsourcing.event_store import (
    validate_checkpoint,
    validate_events,
    validate_expected_version,
    validate_stream_id,
    validate_version,
)
from orchestrix.core.eventsourcing.personal_data import PersonalData
from orchestrix.core.eventsourcing.snapshot import Snapshot
from orchestrix.core.eventsourcing.versioning import UpcasterRegistry
from orchestrix.core.messaging.codec import decode_columns, refuse_personal
from orchestrix.core.messaging.message import Event
from orchestrix.infrastructure.sqlite import _rows as rows
from orchestrix.infrastructure.sqlite._driver import (
    DriverErrors,
    Synchronous,
    connect,
    immediate_transaction,
)

_SAVING = DriverErrors("Cannot save events")
_LOADING = DriverErrors("Cannot load events")
_SNAPSHOTS = DriverErrors("Cannot access snapshots")
_CLOSING = DriverErrors("Cannot close the store")


@instrumented_store
class SQLiteEventStore:
    """An event store in one SQLite file (or `":memory:"`), with optimistic concurrency."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        upcasters: UpcasterRegistry | None = None,
        *,
        synchronous: Synchronous = "FULL",
        personal_data: PersonalData | None = None,
    ) -> None:
        self.upcasters = upcasters
        self.personal_data = personal_data
        self._decode = decode_columns if personal_data is None else personal_data.decode_columns
        self._lock = threading.Lock()
        self._connection = connect(path, synchronous)

    def save(
        self, aggregate_id: str, events: Sequence[Event], expected_version: int | None = None
    ) -> Checkpoint | None:
        """Append `events` atomically, checking `expected_version` when given; returns the
        checkpoint of the last event (None for an empty batch)."""
        validate_stream_id(aggregate_id)
        validate_expected_version(expected_version)
        if not events:
            return None
        validate_events(events)
        personal = self.personal_data
        sealer = refuse_personal if personal is None else personal.sealer_for(aggregate_id, events)
        encoded = rows.encode_events(events, sealer)  # before the write lock: the slow part
        connection = self._connection
        with self._lock, _SAVING:
            try:
                with immediate_transaction(connection):
                    (current,) = connection.execute(rows.SELECT_VERSION, (aggregate_id,)).fetchone()
                    if expected_version is not None and expected_version != current:
                        raise ConcurrencyError(aggregate_id, expected_version, current)
                    *first, last = rows.event_rows(aggregate_id, current, encoded)
                    if first:
                        connection.executemany(rows.INSERT_EVENT, first)
                    # The last row alone, for its rowid (executemany reports none); positions
                    # are the rowids, consecutive under the write lock.
                    position = connection.execute(rows.INSERT_EVENT, last).lastrowid
            except sqlite3.IntegrityError as error:
                clash = rows.first_duplicate(connection, [columns[0] for columns in encoded])
                if clash is None:
                    raise
                raise DuplicateEventError(clash) from error
        return Checkpoint(0, position or 0)

    def load(self, aggregate_id: str, from_version: int = 0) -> list[Event]:
        """The events after `from_version`, upcast when the store has upcasters."""
        events = self.stored_events(aggregate_id, from_version)
        return events if self.upcasters is None else self.upcasters.upcast_to_latest(events)

    def stored_events(self, aggregate_id: str, from_version: int = 0) -> list[Event]:
        """The events after `from_version` in their stored schema version (no upcasting)."""
        validate_stream_id(aggregate_id)
        validate_version(from_version, "from_version")
        with self._lock, _LOADING:
            found = self._connection.execute(rows.SELECT_STREAM, (aggregate_id, from_version))
            stored = found.fetchall()
        return rows.decode_stream(aggregate_id, stored, self._decode)

    def read_all(
        self, after: Checkpoint = START, batch_size: int = 1000
    ) -> Iterator[RecordedEvent]:
        """Every event after `after` in commit order, upcast when the store has upcasters.

        A cursor on the position alone cannot skip an event here: SQLite lets one writer at a
        time hold the write lock, and a save takes its positions and commits under that lock,
        so no later position can become visible before an earlier one is committed.
        """
        while batch := self.stored_batch(after, batch_size):
            if self.upcasters is not None:
                batch = self.upcasters.upcast_recorded(batch)
            yield from batch
            after = batch[-1].checkpoint

    def stored_batch(self, after: Checkpoint, batch_size: int) -> list[RecordedEvent]:
        """Up to `batch_size` log entries after `after`, in their stored schema version."""
        validate_checkpoint(after, batch_size)
        with self._lock, _LOADING:
            stored = self._connection.execute(
                rows.SELECT_AFTER, (after.position, batch_size)
            ).fetchall()
        return rows.decode_log(stored, self._decode)

    def save_snapshot(self, snapshot: Snapshot) -> None:
        """Keep `snapshot` unless a newer one of the aggregate is already stored."""
        validate_stream_id(snapshot.aggregate_id)
        personal = self.personal_data
        row = rows.snapshot_row(snapshot, None if personal is None else personal.seal_snapshot)
        with self._lock, _SNAPSHOTS:
            self._connection.execute(rows.UPSERT_SNAPSHOT, row)

    def load_snapshot(self, aggregate_id: str) -> Snapshot | None:
        """The latest snapshot of the aggregate, if any."""
        validate_stream_id(aggregate_id)
        with self._lock, _SNAPSHOTS:
            row = self._connection.execute(rows.SELECT_SNAPSHOT, (aggregate_id,)).fetchone()
        if row is None:
            return None
        personal = self.personal_data
        return rows.snapshot_from_row(row, None if personal is None else personal.open_snapshot)

    def close(self) -> None:
        """Close the connection; later calls raise StoreError. Closing twice is harmless."""
        with self._lock, _CLOSING:
            self._connection.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


__all__ = ["SQLiteEventStore"]
