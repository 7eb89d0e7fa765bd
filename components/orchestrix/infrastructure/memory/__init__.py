"""In-process implementations: message buses and event stores held in memory."""

from orchestrix.infrastructure.memory.async_bus import InMemoryAsyncMessageBus
from orchestrix.infrastructure.memory.async_store import InMemoryAsyncEventStore
from orchestrix.infrastructure.memory.bus import InMemoryMessageBus
from orchestrix.infrastructure.memory.store import InMemoryEventStore
from orchestrix.infrastructure.memory.utils import publish_async

__all__ = [
    "InMemoryAsyncEventStore",
    "InMemoryAsyncMessageBus",
    "InMemoryEventStore",
    "InMemoryMessageBus",
    "publish_async",
]
