"""Compatibility classes of the first release, and `*_async` helpers for either kind of store.

`utils.InMemoryEventStore` and `utils.InMemoryMessageBus` are the first release's names for the
*async* in-memory store and bus with `*_async` method names (not the sync classes the package
exports under the same names). Every async store already answers both namings, so they only
keep old imports working.

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
from orchestrix.infrastructure.memory.async_bus import InMemoryAsyncMessageBus
from orchestrix.infrastructure.memory.async_store import InMemoryAsyncEventStore


class InMemoryEventStore(InMemoryAsyncEventStore):
    """The async in-memory store under its first-release name (`save_async`, `load_async`,
    `save_snapshot_async`, `load_snapshot_async` beside the plain names)."""


class InMemoryMessageBus(InMemoryAsyncMessageBus):
    """The async in-memory bus under its first-release name, with `publish_async`."""

    __slots__ = ()

    async def publish_async(self, message: Message) -> None:
        """The same as `await publish(message)`."""
        await self.publish(message)


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


__all__ = ["InMemoryEventStore", "InMemoryMessageBus", "load_async", "publish_async", "save_async"]
