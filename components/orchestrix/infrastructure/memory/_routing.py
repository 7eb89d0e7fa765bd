"""The handler table shared by the sync and async in-memory buses.

Handlers are kept per exact message class, in subscription order, in a `defaultdict(list)`
that the buses expose as `_handlers`, as the first release did. A message goes to the handlers
of its own class only: a handler of `Event` does not receive an `OrderCreated`. Publishing is
one dict lookup (which, as in the release, leaves an empty list behind for a class nobody
subscribed to) and subscribing one append, whatever the number of subscriptions, so
subscribing and publishing can alternate without either slowing down.

A bus delivers from `_delivery`: the handler table itself while nobody observes, so the
lookup costs what it always did; while observability is on, a cache of the same handlers
wrapped by `observed_handlers` (their `*.handle` spans), swapped in and out at each flip.
Subscribing forgets the cached class; a list in `_handlers` changed in place reaches an
observed bus only at its next subscription or flip.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable
from typing import Any, cast

from orchestrix.core.common.instrumentation import is_observed, observed_handlers, track_routes
from orchestrix.core.messaging.message import Message

type HandlerTable[H: Callable[..., object]] = defaultdict[type[Message], list[H]]


class ObservedRoutes[H: Callable[..., object]](dict[type[Message], tuple[H, ...]]):
    """The handlers of each class as `observed_handlers` wraps them, resolved on first use.

    Resolving holds the bus's lock, as subscribing does when it forgets a class, so handlers
    resolved from an older table are never stored after a subscription.
    """

    __slots__ = ("_lock", "_table")

    def __init__(self, table: HandlerTable[H], lock: threading.Lock) -> None:
        super().__init__()
        self._table = table
        self._lock = lock

    def __missing__(self, message_type: type[Message]) -> tuple[H, ...]:
        with self._lock:
            handlers = observed_handlers(tuple(self._table[message_type]))
            if issubclass(message_type, Message):  # not a message: `check_message` refuses it
                self[message_type] = handlers
        return handlers


class HandlerRouting[H: Callable[..., object]]:
    """The handler table of a bus, and the table its `publish` delivers from."""

    __slots__ = ("__weakref__", "_delivery", "_lock", "_table")

    _delivery: HandlerTable[H] | ObservedRoutes[H]

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._handlers = defaultdict(list)
        track_routes(self)  # `forget_routes` runs whenever observability is switched on or off

    @property
    def _handlers(self) -> HandlerTable[H]:
        """The handlers by exact message class, in subscription order."""
        return self._table

    @_handlers.setter
    def _handlers(self, table: HandlerTable[H]) -> None:
        self._table = table
        self.forget_routes()

    def forget_routes(self) -> None:
        """Deliver from the table itself, or from fresh observed routes while observed."""
        table = self._table
        self._delivery = ObservedRoutes(table, self._lock) if is_observed() else table

    def _add_handler(self, message_type: type[Message], handler: H) -> None:
        """Append `handler` to the handlers of `message_type`; the same handler twice runs twice."""
        if not (isinstance(message_type, type) and issubclass(message_type, Message)):
            raise TypeError(f"message_type must be a Message subclass, got {message_type!r}")
        if not callable(handler):
            raise TypeError(f"handler must be callable, got {handler!r}")
        with self._lock:  # two threads subscribing to a new class must not each create its list
            self._table[message_type].append(handler)
            delivery = self._delivery
            if delivery is not self._table:
                delivery.pop(message_type, None)


def check_message(table: HandlerTable[Any], message: object) -> None:
    """Refuse to publish anything but a message (checked only when no handler matched), and
    drop the entry the lookup of its class added to `table`."""
    if not isinstance(message, Message):
        table.pop(cast(type[Message], type(message)), None)
        raise TypeError(f"only Messages can be published, got a {type(message).__name__}")


__all__ = ["HandlerRouting", "HandlerTable", "ObservedRoutes", "check_message"]
