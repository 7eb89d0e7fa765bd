"""The in-memory event store: what users test against, so it keeps every durable guarantee.

Versions, atomic batches, unique event ids, global positions and snapshots behave exactly as in
the SQLite and PostgreSQL stores (one shared contract suite checks this); a lock makes each
operation atomic across threads. Every save is encoded by the same codec as the durable
stores, so it refuses exactly what they refuse. Events that cannot change (frozen, no list,
dict or set inside) are kept as the objects that were saved; the others are kept as their
encoding and decoded afresh on every read, so neither the caller who saved them nor one who
loaded them can change stored history. Snapshots are kept encoded for the same reason. With
personal-data protection, events with personal fields are kept sealed, as the durable stores
write them, and opened on every read, so erasing a subject redacts them here too.
"""

from __future__ import annotations

import dataclasses
import threading
import typing
from array import array
from collections.abc import Iterator, Sequence
from itertools import repeat
from typing import Any

from orchestrix.core.common.exceptions import ConcurrencyError, DuplicateEventError
from orchestrix.core.common.instrumentation import instrumented_store
from orchestrix.core.eventsourcing.event_log import (
    START,
    Checkpoint,
    RecordedEvent,
    recorded_events,
)
from orchestrix.core.eventsourcing.event_store import (
    validate_checkpoint,
    validate_events,
    validate_expected_version,
    validate_stream_id,
    validate_version,
)
from orchestrix.core.eventsourcing.personal_data import PersonalData
from orchestrix.core.eventsourcing.snapshot import Snapshot, decode_state, encode_state
from orchestrix.core.eventsourcing.versioning import UpcasterRegistry
from orchestrix.core.messaging.codec import (
    EncodedEvent,
    StoredType,
    encode_event,
    encoded,
    has_personal_fields,
    needs_copy,
    stored_type,
)
from orchestrix.core.messaging.message import Event


@dataclasses.dataclass(frozen=True, slots=True)
class _Sealed:
    """An event with personal fields, kept as the sealed encoding a durable store writes."""

    raw: bytes
    stored: StoredType


type _Kept = Event | EncodedEvent | _Sealed
"""An event as the store keeps it: the object itself, or its encoding when it could change."""


def _kept(events: Sequence[Event], personal: PersonalData | None, stream: str) -> list[_Kept]:
    """The events to keep, each encoded first: that is the durable stores' validation."""
    sealer = None if personal is None else personal.sealer_for(stream, events)
    kept: list[_Kept] = []
    for event in events:
        # The event is kept: leave its layout alone (compact).
        raw = encode_event(event, compact=True, sealer=sealer)
        if sealer is not None and has_personal_fields(type(event)):
            kept.append(_Sealed(raw, stored_type(event)))
        else:
            kept.append(encoded(event, raw) if needs_copy(event) else event)
    return kept


def _thawed(kept: list[_Kept], personal: PersonalData | None) -> list[Event]:
    events: list[Any] = [
        entry.event() if isinstance(entry, EncodedEvent) else entry for entry in kept
    ]
    sealed = [index for index, entry in enumerate(kept) if type(entry) is _Sealed]
    if sealed and personal is not None:
        entries = [typing.cast(_Sealed, kept[index]) for index in sealed]
        opened = personal.decode_columns(
            [entry.raw for entry in entries],
            [entry.stored.schema_version for entry in entries],
            [entry.stored.type_name for entry in entries],
            [entry.stored.hint for entry in entries],
        )
        for index, event in zip(sealed, opened, strict=True):
            events[index] = event
    return events


@instrumented_store
class InMemoryEventStore:
    """A thread-safe event store held in process memory."""

    def __init__(
        self,
        upcasters: UpcasterRegistry | None = None,
        *,
        personal_data: PersonalData | None = None,
    ) -> None:
        self.upcasters = upcasters
        self.personal_data = personal_data
        self._lock = threading.Lock()
        self._streams: dict[str, list[_Kept]] = {}
        self._encoded_streams: set[str] = set()  # streams holding an EncodedEvent
        self._ids: set[str] = set()
        # The global log, as parallel columns: position p is index p - 1.
        self._log_events: list[_Kept] = []
        self._log_streams: list[str] = []
        self._log_versions = array("q")
        self._snapshots: dict[str, tuple[Snapshot, bytes]] = {}

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
        kept = _kept(events, self.personal_data, aggregate_id)
        # acquire/release rather than `with`: on the hot path the context-manager protocol
        # costs several times the lock itself.
        self._lock.acquire()
        try:
            stream = self._streams.get(aggregate_id)
            current = 0 if stream is None else len(stream)
            if expected_version is not None and expected_version != current:
                raise ConcurrencyError(aggregate_id, expected_version, current)
            if len(events) == 1:
                event_id = events[0].id
                if event_id in self._ids:
                    raise DuplicateEventError(event_id)
                self._ids.add(event_id)
                self._log_events.append(kept[0])
                self._log_streams.append(aggregate_id)
                self._log_versions.append(current + 1)
            else:
                self._claim_ids([event.id for event in events])
                self._log_events.extend(kept)
                self._log_streams.extend([aggregate_id] * len(events))
                self._log_versions.extend(range(current + 1, current + len(events) + 1))
            if stream is None:
                self._streams[aggregate_id] = kept
            else:
                stream.extend(kept)
            if aggregate_id not in self._encoded_streams and any(
                type(entry) is EncodedEvent or type(entry) is _Sealed for entry in kept
            ):
                self._encoded_streams.add(aggregate_id)
            return Checkpoint(0, len(self._log_events))
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
        validate_stream_id(aggregate_id)
        validate_version(from_version, "from_version")
        with self._lock:
            stream = self._streams.get(aggregate_id)
            if stream is None:
                return []
            kept = stream[from_version:]
            encoded_stream = aggregate_id in self._encoded_streams
        if encoded_stream:
            return _thawed(kept, self.personal_data)
        return kept  # type: ignore[return-value]

    def read_all(
        self, after: Checkpoint = START, batch_size: int = 1000
    ) -> Iterator[RecordedEvent]:
        """Every event after `after` in commit order, upcast when the store has upcasters."""
        while batch := self.stored_batch(after, batch_size):
            yield from self.upcasters.upcast_recorded(batch) if self.upcasters else batch
            after = batch[-1].checkpoint

    def stored_batch(self, after: Checkpoint, batch_size: int) -> list[RecordedEvent]:
        """Up to `batch_size` log entries after `after`, exactly as they were saved."""
        validate_checkpoint(after, batch_size)
        with self._lock:
            start = after.position
            end = min(start + batch_size, len(self._log_events))
            kept = self._log_events[start:end]
            streams = self._log_streams[start:end]
            versions = self._log_versions[start:end]
            encoded_log = bool(self._encoded_streams)
        events = (
            _thawed(kept, self.personal_data) if encoded_log else typing.cast(list[Event], kept)
        )
        positions = range(start + 1, end + 1)
        return recorded_events(events, streams, versions, positions, repeat(0))

    def save_snapshot(self, snapshot: Snapshot) -> None:
        """Keep `snapshot` unless a newer one of the aggregate is already stored."""
        validate_stream_id(snapshot.aggregate_id)
        state = encode_state(snapshot)
        if self.personal_data is not None:
            state = self.personal_data.seal_snapshot(snapshot.aggregate_id, state)
        with self._lock:
            current = self._snapshots.get(snapshot.aggregate_id)
            if current is None or current[0].version <= snapshot.version:
                self._snapshots[snapshot.aggregate_id] = (snapshot, state)

    def load_snapshot(self, aggregate_id: str) -> Snapshot | None:
        """The latest snapshot of the aggregate, if any (its state a fresh copy)."""
        validate_stream_id(aggregate_id)
        with self._lock:
            kept = self._snapshots.get(aggregate_id)
        if kept is None:
            return None
        snapshot, state = kept
        if self.personal_data is not None:
            state = self.personal_data.open_snapshot(aggregate_id, state)
        return dataclasses.replace(snapshot, state=decode_state(aggregate_id, state))


__all__ = ["InMemoryEventStore"]
