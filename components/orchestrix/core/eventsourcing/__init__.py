"""Event sourcing: store protocols, the global log, aggregates, snapshots and upcasting."""

from orchestrix.core.eventsourcing.aggregate import AggregateRepository, AggregateRoot
from orchestrix.core.eventsourcing.event_log import START, Checkpoint, RecordedEvent
from orchestrix.core.eventsourcing.event_store import AsyncEventStore, EventStore
from orchestrix.core.eventsourcing.projection_state import (
    InMemoryProjectionStateStore,
    ProjectionState,
    ProjectionStateStore,
)
from orchestrix.core.eventsourcing.snapshot import Snapshot
from orchestrix.core.eventsourcing.versioning import (
    EventUpcast,
    EventUpcaster,
    UpcasterException,
    UpcasterRegistry,
    VersionedEvent,
)

__all__ = [
    "START",
    "AggregateRepository",
    "AggregateRoot",
    "AsyncEventStore",
    "Checkpoint",
    "EventStore",
    "EventUpcast",
    "EventUpcaster",
    "InMemoryProjectionStateStore",
    "ProjectionState",
    "ProjectionStateStore",
    "RecordedEvent",
    "Snapshot",
    "UpcasterException",
    "UpcasterRegistry",
    "VersionedEvent",
]
