"""`*_async` helpers for code that must work with either kind of bus.

A saga step, a projection or a module written once as a coroutine can take whichever bus the
application built: `await publish_async(bus, event)` awaits an async bus and calls a sync one.
"""

from __future__ import annotations

from orchestrix.core.messaging.message import Message
from orchestrix.core.messaging.message_bus import AsyncMessageBus, MessageBus


async def publish_async(bus: MessageBus | AsyncMessageBus, message: Message) -> None:
    """Publish `message` on `bus`, awaiting the publish when the bus is asynchronous."""
    result = bus.publish(message)
    if result is not None:
        await result


__all__ = ["publish_async"]
