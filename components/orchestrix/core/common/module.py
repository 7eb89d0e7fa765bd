"""The unit of composition: a feature module wires its handlers into a bus and a store.

Applications build the bus and store once and pass them to each module, so modules never
create infrastructure themselves and can be tested against in-memory implementations.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from orchestrix.core.eventsourcing.event_store import EventStore
    from orchestrix.core.messaging.message_bus import MessageBus


@runtime_checkable
class Module(Protocol):
    """Anything with `register(bus, store)`; no base class to inherit."""

    def register(self, bus: MessageBus, store: EventStore) -> None:
        """Subscribe this module's handlers to `bus`, giving them `store` where needed."""
        ...


__all__ = ["Module"]
