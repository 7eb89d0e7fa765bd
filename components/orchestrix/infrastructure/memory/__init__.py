"""In-process implementations: message buses, event stores, process, deadline and checkpoint
stores, outbox and inbox."""

from orchestrix.infrastructure.memory.async_bus import InMemoryAsyncMessageBus
from orchestrix.infrastructure.memory.async_store import InMemoryAsyncEventStore
from orchestrix.infrastructure.memory.bus import InMemoryMessageBus
from orchestrix.infrastructure.memory.checkpoint_store import (
    InMemoryCheckpointStore,
    InMemoryProjectionLock,
)
from orchestrix.infrastructure.memory.deadline_store import InMemoryDeadlineStore
from orchestrix.infrastructure.memory.inbox import InMemoryInbox
from orchestrix.infrastructure.memory.key_store import InMemoryKeyStore
from orchestrix.infrastructure.memory.outbox import InMemoryOutbox
from orchestrix.infrastructure.memory.process_store import InMemoryProcessStateStore
from orchestrix.infrastructure.memory.store import InMemoryEventStore
from orchestrix.infrastructure.memory.utils import load_async, publish_async, save_async

__all__ = [
    "InMemoryAsyncEventStore",
    "InMemoryAsyncMessageBus",
    "InMemoryCheckpointStore",
    "InMemoryDeadlineStore",
    "InMemoryEventStore",
    "InMemoryInbox",
    "InMemoryKeyStore",
    "InMemoryMessageBus",
    "InMemoryOutbox",
    "InMemoryProcessStateStore",
    "InMemoryProjectionLock",
    "load_async",
    "publish_async",
    "save_async",
]
