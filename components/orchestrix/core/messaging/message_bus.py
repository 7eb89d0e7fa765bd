"""The message bus ports: publish a message to every handler subscribed to its class.

Handlers are looked up by the message's exact class, as in the first release: a handler
subscribed to `Event` does not receive an `OrderCreated`. The async bus also accepts plain
functions as handlers, so one handler can serve both buses.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from orchestrix.core.messaging.message import Message

T = TypeVar("T", bound=Message)
"""The first release's message type variable, kept for buses written against it."""

type MessageHandler[T: Message] = Callable[[T], None]
type AsyncMessageHandler[T: Message] = Callable[[T], Awaitable[None] | None]


class MessageBus(Protocol):
    """Delivers each published message to its handlers, one after the other."""

    def publish(self, message: Message) -> None:
        """Run every handler subscribed to the message's class, in subscription order.

        Raises `HandlerError` naming each handler that failed, after all of them ran.
        """
        ...

    def subscribe[T: Message](self, message_type: type[T], handler: MessageHandler[T]) -> None:
        """Deliver every later message of exactly `message_type` to `handler`."""
        ...


class AsyncMessageBus(Protocol):
    """Delivers each published message to its handlers concurrently."""

    async def publish(self, message: Message) -> None:
        """Run every handler subscribed to the message's class, concurrently.

        Raises `HandlerError` naming each handler that failed, after all of them finished.
        """
        ...

    def subscribe[T: Message](self, message_type: type[T], handler: AsyncMessageHandler[T]) -> None:
        """Deliver every later message of exactly `message_type` to `handler`."""
        ...


__all__ = ["AsyncMessageBus", "AsyncMessageHandler", "MessageBus", "MessageHandler"]
