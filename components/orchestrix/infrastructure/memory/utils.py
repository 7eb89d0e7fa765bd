"""`*_async` helpers for code that must work with either kind of bus or event store.

A saga step, a projection or a module written once as a coroutine can take whichever bus and
store the application built: `await publish_async(bus, event)` awaits an async bus and calls a
sync one; `save_async` and `load_async` do the same for event stores.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

from orchestrix.core.eventsourcing.event_store import AsyncEventStore, EventStore
from orchestrix.core.messaging.message import Event, Message
from orchestrix.core.messaging.message_bus import AsyncMessageBus, MessageBus


async def _settled(result: Any) -> Any:
    return await result if inspect.isawaitable(result) else result


async def publish_async(bus: MessageBus | AsyncMessageBus, message: Message) -> None:
    """Publish `message` on `bus`, awaiting the publish when the bus is asynchronous."""
    await _settled(bus.publish(message))


async def save_async(
    store: EventStore | AsyncEventStore,
    aggregate_id: str,
    events: Sequence[Event],
    expected_version: int | None = None,
) -> None:
    """Save on a sync or async store, awaiting only when the store is asynchronous."""
    await _settled(store.save(aggregate_id, events, expected_version=expected_version))


async def load_async(
    store: EventStore | AsyncEventStore, aggregate_id: str, from_version: int = 0
) -> list[Event]:
    """Load from a sync or async store, awaiting only when the store is asynchronous."""
    events: list[Event] = await _settled(store.load(aggregate_id, from_version=from_version))
    return events


__all__ = ["load_async", "publish_async", "save_async"]
