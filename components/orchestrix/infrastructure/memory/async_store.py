"""The in-memory event store behind an async interface, for async code and its tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from orchestrix.core.common.instrumentation import instrumented_store
from orchestrix.core.eventsourcing.event_log import START, Checkpoint, RecordedEvent, each_event
from orchestrix.core.eventsourcing.personal_data import PersonalData
from orchestrix.core.eventsourcing.snapshot import Snapshot
from orchestrix.core.eventsourcing.versioning import UpcasterRegistry
from orchestrix.core.messaging.message import Event
from orchestrix.infrastructure.memory.store import InMemoryEventStore


@instrumented_store
class InMemoryAsyncEventStore:
    """Async twin of `InMemoryEventStore`; operations never block, so nothing is awaited."""

    def __init__(
        self,
        upcasters: UpcasterRegistry | None = None,
        *,
        personal_data: PersonalData | None = None,
    ) -> None:
        self.upcasters = upcasters
        self.personal_data = personal_data
        self._store = InMemoryEventStore(personal_data=personal_data)

    async def save(
        self, aggregate_id: str, events: Sequence[Event], expected_version: int | None = None
    ) -> Checkpoint | None:
        """Append `events` atomically, checking `expected_version` when given; returns the
        checkpoint of the last event (None for an empty batch)."""
        return self._store.save(aggregate_id, events, expected_version)

    async def load(self, aggregate_id: str, from_version: int = 0) -> list[Event]:
        """The events after `from_version`, upcast when the store has upcasters."""
        events = self._store.stored_events(aggregate_id, from_version)
        if self.upcasters is None:
            return events
        return await self.upcasters.upcast_to_latest_async(events)

    def read_all(
        self, after: Checkpoint = START, batch_size: int = 1000
    ) -> AsyncIterator[RecordedEvent]:
        """Every event after `after` in commit order, upcast when the store has upcasters."""
        return each_event(self.read_batches(after, batch_size))

    async def read_batches(
        self, after: Checkpoint = START, batch_size: int = 1000
    ) -> AsyncIterator[list[RecordedEvent]]:
        """The events of `read_all` as the batches of `batch_size` it reads."""
        while batch := self._store.stored_batch(after, batch_size):
            if self.upcasters is not None:
                batch = await self.upcasters.upcast_recorded_async(batch)
            yield batch
            after = batch[-1].checkpoint

    async def save_snapshot(self, snapshot: Snapshot) -> None:
        """Keep `snapshot` unless a newer one of the aggregate is already stored."""
        self._store.save_snapshot(snapshot)

    async def load_snapshot(self, aggregate_id: str) -> Snapshot | None:
        """The latest snapshot of the aggregate, if any."""
        return self._store.load_snapshot(aggregate_id)

    # Both namings on every async store (SPEC §4): the seeds' and the `*_async` ones.
    save_async = save
    load_async = load
    save_snapshot_async = save_snapshot
    load_snapshot_async = load_snapshot


__all__ = ["InMemoryAsyncEventStore"]
