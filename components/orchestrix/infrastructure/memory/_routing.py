"""The subscription table shared by the sync and async in-memory buses.

Subscribing to a class also subscribes to its subclasses. Working that out per published
message would cost a scan of every subscription, so the handlers of each concrete message class
are resolved once and cached in `routes`; publishing is then one dict lookup. Any subscription
empties the cache.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from orchestrix.core.common.instrumentation import observed_handlers, track_routes
from orchestrix.core.messaging.message import Message


class Subscriptions[H: Callable[..., object]]:
    """Handlers in subscription order, and their resolution per concrete message class.

    Buses read `routes` without the lock (a dict lookup is atomic) and call `resolve` on a
    miss. Resolving and subscribing both hold the lock, so a resolution computed from an old
    table can never be stored after a subscription emptied the cache.
    """

    __slots__ = ("__weakref__", "_lock", "_subscriptions", "routes")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscriptions: list[tuple[type[Message], H]] = []
        self.routes: dict[type[Message], tuple[H, ...]] = {}
        track_routes(self)  # resolved afresh when observability is switched on or off

    def add(self, message_type: type[Message], handler: H) -> None:
        """Subscribe `handler` to `message_type` and its subclasses."""
        if not (isinstance(message_type, type) and issubclass(message_type, Message)):
            raise TypeError(f"message_type must be a Message subclass, got {message_type!r}")
        if not callable(handler):
            raise TypeError(f"handler must be callable, got {handler!r}")
        with self._lock:
            self._subscriptions.append((message_type, handler))
            self.routes.clear()

    def resolve(self, message_type: type[Message]) -> tuple[H, ...]:
        """The handlers for messages of exactly `message_type`, in subscription order."""
        if not issubclass(message_type, Message):
            raise TypeError(f"only Messages can be published, got a {message_type.__name__}")
        with self._lock:
            handlers = tuple(
                handler
                for subscribed, handler in self._subscriptions
                if issubclass(message_type, subscribed)
            )
            handlers = observed_handlers(handlers)
            self.routes[message_type] = handlers
        return handlers

    def forget_routes(self) -> None:
        """Empty the cache of resolved handlers."""
        with self._lock:
            self.routes.clear()


__all__ = ["Subscriptions"]
