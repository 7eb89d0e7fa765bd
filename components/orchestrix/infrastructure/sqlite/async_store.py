"""The SQLite event store behind an async interface that never blocks the event loop.

Each store owns one worker thread, which opens the sync `SQLiteEventStore` on first use and
runs every call of it: SQL, encoding and decoding happen there, written once in the sync
store. Upcasting runs on the event loop, because async upcasters may await. A call cancelled
while its save runs does not stop the save: it commits or fails as a whole, as always.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Sequence
from functools import partial

from orchestrix.core.common.instrumentation import instrumented_store
from orchestrix.core.eventsourcing.event_log import START, Checkpoint, RecordedEvent, each_event
from orchestrix.core.eventsourcing.personal_data import PersonalData
from orchestrix.core.eventsourcing.snapshot import Snapshot
from orchestrix.core.eventsourcing.versioning import UpcasterRegistry
from orchestrix.core.messaging.message import Event
from orchestrix.infrastructure.sqlite._driver import Synchronous, check_synchronous
from orchestrix.infrastructure.sqlite._threaded import ThreadedResource
from orchestrix.infrastructure.sqlite.store import SQLiteEventStore


@instrumented_store
class SQLiteAsyncEventStore(ThreadedResource[SQLiteEventStore]):
    """Async twin of `SQLiteEventStore` (same file format, same guarantees)."""

    role = "event store"

    def __init__(
        self,
        path: str | os.PathLike[str],
        upcasters: UpcasterRegistry | None = None,
        *,
        synchronous: Synchronous = "FULL",
        personal_data: PersonalData | None = None,
    ) -> None:
        check_synchronous(synchronous)
        self.upcasters = upcasters
        self.personal_data = personal_data
        self._path = path
        self._synchronous: Synchronous = synchronous
        super().__init__()

    def _open(self) -> SQLiteEventStore:
        return SQLiteEventStore(
            self._path, synchronous=self._synchronous, personal_data=self.personal_data
        )

    def _release(self, store: SQLiteEventStore) -> None:
        store.close()

    async def save(
        self, aggregate_id: str, events: Sequence[Event], expected_version: int | None = None
    ) -> Checkpoint | None:
        """Append `events` atomically, checking `expected_version` when given; returns the
        checkpoint of the last event (None for an empty batch)."""
        return await self._run(lambda store: store.save(aggregate_id, events, expected_version))

    async def load(self, aggregate_id: str, from_version: int = 0) -> list[Event]:
        """The events after `from_version`, upcast when the store has upcasters."""
        events = await self._run(lambda store: store.stored_events(aggregate_id, from_version))
        if self.upcasters is None:
            return events
        return await self.upcasters.upcast_to_latest_async(events)

    def read_all(
        self, after: Checkpoint = START, batch_size: int = 1000
    ) -> AsyncIterator[RecordedEvent]:
        """Every event after `after` in commit order (see `SQLiteEventStore.read_all`)."""
        return each_event(self.read_batches(after, batch_size))

    async def read_batches(
        self, after: Checkpoint = START, batch_size: int = 1000
    ) -> AsyncIterator[list[RecordedEvent]]:
        """The events of `read_all` as the batches of `batch_size` it reads."""
        while True:
            batch = await self._run(
                partial(SQLiteEventStore.stored_batch, after=after, batch_size=batch_size)
            )
            if not batch:
                return
            if self.upcasters is not None:
                batch = await self.upcasters.upcast_recorded_async(batch)
            yield batch
            after = batch[-1].checkpoint

    async def save_snapshot(self, snapshot: Snapshot) -> None:
        """Keep `snapshot` unless a newer one of the aggregate is already stored."""
        await self._run(lambda store: store.save_snapshot(snapshot))

    async def load_snapshot(self, aggregate_id: str) -> Snapshot | None:
        """The latest snapshot of the aggregate, if any."""
        return await self._run(lambda store: store.load_snapshot(aggregate_id))

    # Both namings on every async store (SPEC §4): the seeds' and the `*_async` ones.
    save_async = save
    load_async = load
    save_snapshot_async = save_snapshot
    load_snapshot_async = load_snapshot


__all__ = ["SQLiteAsyncEventStore"]
