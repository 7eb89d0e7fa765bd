"""Event sourcing: store protocols, the global log, aggregates, snapshots, upcasting,
projections (the engine, the subscription runner and the ports of its checkpoint stores) and
personal-data protection (crypto-shredding)."""

from orchestrix.core.eventsourcing.aggregate import AggregateRepository, AggregateRoot
from orchestrix.core.eventsourcing.checkpoint import (
    CheckpointStore,
    CheckpointTransaction,
    ProjectionLock,
)
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
from orchestrix.core.eventsourcing.projection import (
    EventHandler,
    ProjectionContext,
    ProjectionEngine,
    ProjectionEventHandler,
)
from orchestrix.core.eventsourcing.projection_dead_letters import DeadLetteredEvent
from orchestrix.core.eventsourcing.projection_error_policy import ErrorPolicy, OnFailure
from orchestrix.core.eventsourcing.projection_errors import (
    CheckpointConflictError,
    ProjectionLockedError,
    ProjectionStoppedError,
    ProjectionWaitTimeoutError,
)
from orchestrix.core.eventsourcing.projection_rebuild import promote_when_caught_up
from orchestrix.core.eventsourcing.projection_state import (
    InMemoryProjectionStateStore,
    ProjectionState,
    ProjectionStateStore,
)
from orchestrix.core.eventsourcing.projection_waiting import wait_for_projections
from orchestrix.core.eventsourcing.snapshot import Snapshot
from orchestrix.core.eventsourcing.subscription import ProjectionRunner, RunnerStatus, StartFrom
from orchestrix.core.eventsourcing.subscription_lag import Backlog, Lag, LogHead, ScanningLogHead
from orchestrix.core.eventsourcing.subscription_wake_up import LocalWakeUp, WakeUp
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
    "Backlog",
    "Checkpoint",
    "CheckpointConflictError",
    "CheckpointStore",
    "CheckpointTransaction",
    "Cipher",
    "DeadLetteredEvent",
    "ErrorPolicy",
    "EventHandler",
    "EventStore",
    "EventUpcast",
    "EventUpcaster",
    "InMemoryProjectionStateStore",
    "KeyStore",
    "Lag",
    "LocalWakeUp",
    "LogHead",
    "OnFailure",
    "PersonalData",
    "ProjectionContext",
    "ProjectionEngine",
    "ProjectionEventHandler",
    "ProjectionLock",
    "ProjectionLockedError",
    "ProjectionRunner",
    "ProjectionState",
    "ProjectionStateStore",
    "ProjectionStoppedError",
    "ProjectionWaitTimeoutError",
    "RecordedEvent",
    "RunnerStatus",
    "ScanningLogHead",
    "Snapshot",
    "StartFrom",
    "SubjectErased",
    "UpcasterException",
    "UpcasterRegistry",
    "VersionedEvent",
    "WakeUp",
    "erase_subject",
    "erase_subject_async",
    "erasure_stream",
    "promote_when_caught_up",
    "wait_for_projections",
]
