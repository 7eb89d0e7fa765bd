"""The in-memory event store: what users test against, so it keeps every durable guarantee.

Versions, atomic batches, unique event ids, global positions and snapshots behave exactly as in
the SQLite and PostgreSQL stores (one shared contract suite checks this); a lock makes each
operation atomic across threads. Events are kept as the (immutable) objects that were saved.
"""

from __future__ import annotations

import threading
from array import array
from collections.abc import Iterator, Sequence

from orchestrix.core.common.exceptions import ConcurrencyError, DuplicateEventError
from orchestrix.core.common.instrumentation import instrumented_store
from orchestrix.core.common.validation import ValidationError
from orchestrix.core.eventsourcing.event_log import START, Checkpoint, RecordedEvent
from orchestrix.core.eventsourcing.event_store import validate_events, validate_stream_id
from orchestrix.core.eventsourcing.snapshot import Snapshot
from orchestrix.core.eventsourcing.versioning import UpcasterRegistry
from orchestrix.core.messaging.message import Event


@instrumented_store
class InMemoryEventStore:
    """A thread-safe event store held in process memory."""

    def __init__(self, upcasters: UpcasterRegistry | None = None) -> None:
        self.upcasters = upcasters
        self._lock = threading.Lock()
        self._streams: dict[str, list[Event]] = {}
        self._ids: set[str] = set()
        # The global log, as parallel columns: position p is index p - 1.
        self._log_events: list[Event] = []
        self._log_streams: list[str] = []
        self._log_versions = array("q")
        self._snapshots: dict[str, Snapshot] = {}

    def save(
        self, aggregate_id: str, events: Sequence[Event], expected_version: int | None = None
    ) -> None:
        """Append `events` atomically, checking `expected_version` when given."""
        if not events:
            return
        validate_stream_id(aggregate_id)
        validate_events(events)
        # acquire/release rather than `with`: on the hot path the context-manager protocol
        # costs several times the lock itself.
        self._lock.acquire()
        try:
            stream = self._streams.get(aggregate_id)
            current = 0 if stream is None else len(stream)
            if expected_version is not None and expected_version != current:
                raise ConcurrencyError(aggregate_id, expected_version, current)
            if len(events) == 1:
                event = events[0]
                if event.id in self._ids:
                    raise DuplicateEventError(event.id)
                self._ids.add(event.id)
                self._log_events.append(event)
                self._log_streams.append(aggregate_id)
                self._log_versions.append(current + 1)
            else:
                self._claim_ids([event.id for event in events])
                self._log_events.extend(events)
                self._log_streams.extend([aggregate_id] * len(events))
                self._log_versions.extend(range(current + 1, current + len(events) + 1))
            if stream is None:
                self._streams[aggregate_id] = list(events)
            else:
                stream.extend(events)
        finally:
            self._lock.release()

    def _claim_ids(self, ids: list[str]) -> None:
        fresh = set(ids)
        if len(fresh) != len(ids) or not self._ids.isdisjoint(fresh):
            seen: set[str] = set()
            for event_id in ids:
                if event_id in self._ids or event_id in seen:
                    raise DuplicateEventError(event_id)
                seen.add(event_id)
        self._ids |= fresh

    def load(self, aggregate_id: str, from_version: int = 0) -> list[Event]:
        """The events after `from_version`, upcast when the store has upcasters."""
        events = self.stored_events(aggregate_id, from_version)
        return self.upcasters.upcast_to_latest(events) if self.upcasters else events

    def stored_events(self, aggregate_id: str, from_version: int = 0) -> list[Event]:
        """The events after `from_version` exactly as they were saved (no upcasting)."""
        if from_version < 0:
            raise ValidationError("must not be negative", "from_version", from_version)
        with self._lock:
            stream = self._streams.get(aggregate_id)
            return [] if stream is None else stream[from_version:]

    def read_all(
        self, after: Checkpoint = START, batch_size: int = 1000
    ) -> Iterator[RecordedEvent]:
        """Every event after `after` in commit order, upcast when the store has upcasters."""
        while batch := self.stored_batch(after, batch_size):
            yield from self.upcasters.upcast_recorded(batch) if self.upcasters else batch
            after = batch[-1].checkpoint

    def stored_batch(self, after: Checkpoint, batch_size: int) -> list[RecordedEvent]:
        """Up to `batch_size` log entries after `after`, exactly as they were saved."""
        if batch_size < 1:
            raise ValidationError("must be at least 1", "batch_size", batch_size)
        with self._lock:
            start = after.position
            end = min(start + batch_size, len(self._log_events))
            return [
                RecordedEvent(
                    self._log_events[index],
                    self._log_streams[index],
                    self._log_versions[index],
                    index + 1,
                )
                for index in range(start, end)
            ]

    def save_snapshot(self, snapshot: Snapshot) -> None:
        """Keep `snapshot` unless a newer one of the aggregate is already stored."""
        with self._lock:
            current = self._snapshots.get(snapshot.aggregate_id)
            if current is None or current.version <= snapshot.version:
                self._snapshots[snapshot.aggregate_id] = snapshot

    def load_snapshot(self, aggregate_id: str) -> Snapshot | None:
        """The latest snapshot of the aggregate, if any."""
        with self._lock:
            return self._snapshots.get(aggregate_id)


__all__ = ["InMemoryEventStore"]
