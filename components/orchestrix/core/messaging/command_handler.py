"""The command handler shape: load or create an aggregate, persist its events, publish them.

A Protocol, so handlers need no base class. It is generic in the command it handles, so a
handler of `CreateOrder` is a `CommandHandler[CreateOrder]`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from orchestrix.core.messaging.message import Command

if TYPE_CHECKING:
    from orchestrix.core.eventsourcing.event_store import EventStore
    from orchestrix.core.messaging.message import Event
    from orchestrix.core.messaging.message_bus import MessageBus


class CommandHandler[C: Command](Protocol):
    """Handles one kind of command with an injected bus and event store."""

    def __init__(self, bus: MessageBus, store: EventStore) -> None: ...

    def handle(self, command: C) -> None:
        """Carry out `command`: change an aggregate, then persist and publish its events."""
        ...

    def _persist_and_publish(self, aggregate_id: str, events: list[Event]) -> None:
        """Save `events` to the aggregate's stream, then publish each of them on the bus."""
        ...


__all__ = ["CommandHandler"]
