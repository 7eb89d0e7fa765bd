"""The handler table shared by the sync and async in-memory buses.

Handlers are kept per exact message class, in subscription order, in a `defaultdict(list)`
that the buses expose as `_handlers`, as the first release did. A message goes to the handlers
of its own class only: a handler of `Event` does not receive an `OrderCreated`. Publishing is
one dict lookup (which, as in the release, leaves an empty list behind for a class nobody
subscribed to) and subscribing one append, whatever the number of subscriptions, so
subscribing and publishing can alternate without either slowing down.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable
from typing import Any, cast

from orchestrix.core.messaging.message import Message

type HandlerTable[H: Callable[..., object]] = defaultdict[type[Message], list[H]]


def add_handler[H: Callable[..., object]](
    table: HandlerTable[H], lock: threading.Lock, message_type: type[Message], handler: H
) -> None:
    """Append `handler` to the handlers of `message_type`; the same handler twice runs twice."""
    if not (isinstance(message_type, type) and issubclass(message_type, Message)):
        raise TypeError(f"message_type must be a Message subclass, got {message_type!r}")
    if not callable(handler):
        raise TypeError(f"handler must be callable, got {handler!r}")
    with lock:  # two threads subscribing to a new class must not each create its list
        table[message_type].append(handler)


def check_message(table: HandlerTable[Any], message: object) -> None:
    """Refuse to publish anything but a message (checked only when no handler matched), and
    drop the entry the lookup of its class added to `table`."""
    if not isinstance(message, Message):
        table.pop(cast(type[Message], type(message)), None)
        raise TypeError(f"only Messages can be published, got a {type(message).__name__}")


__all__ = ["HandlerTable", "add_handler", "check_message"]
