"""Event sourcing: store protocols, the global log, aggregates, snapshots, upcasting, and
personal-data protection (crypto-shredding)."""

from orchestrix.core.eventsourcing.aggregate import AggregateRepository, AggregateRoot
from orchestrix.core.eventsourcing.erasure import (
    SubjectErased,
    erase_subject,
    erase_subject_async,
    erasure_stream,
)
from orchestrix.core.eventsourcing.event_log import START, Checkpoint, RecordedEvent
from orchestrix.core.eventsourcing.event_store import AsyncEventStore, EventStore
from orchestrix.core.eventsourcing.personal_data import AsyncPersonalData, PersonalData
from orchestrix.core.eventsourcing.personal_keys import AsyncKeyStore, Cipher, KeyStore
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
    "AsyncKeyStore",
    "AsyncPersonalData",
    "Checkpoint",
    "Cipher",
    "EventStore",
    "EventUpcast",
    "EventUpcaster",
    "InMemoryProjectionStateStore",
    "KeyStore",
    "PersonalData",
    "ProjectionState",
    "ProjectionStateStore",
    "RecordedEvent",
    "Snapshot",
    "SubjectErased",
    "UpcasterException",
    "UpcasterRegistry",
    "VersionedEvent",
    "erase_subject",
    "erase_subject_async",
    "erasure_stream",
]
