"""The handler table shared by the sync and async in-memory buses.

Handlers are kept per exact message class, in subscription order, in a `defaultdict(list)`
that the buses expose as `_handlers`, as the first release did. A message goes to the handlers
of its own class only: a handler of `Event` does not receive an `OrderCreated`. Publishing is
one dict lookup (which, as in the release, leaves an empty list behind for a class nobody
subscribed to) and subscribing one append, whatever the number of subscriptions, so
subscribing and publishing can alternate without either slowing down.

A topic-pattern subscription (`"orders.events.#"`, matched like a broker's) lives in the same
lists: its handler is appended to the list of every class whose topic matches, when the pattern
is subscribed for the classes already in the table, and when a class's list is made for the
others (by its first subscription, or by its first publication, which finds the list empty).
Publishing a subscribed class stays one lookup, patterns or not.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable
from typing import Any, cast

from orchestrix.core.common.validation import ValidationError
from orchestrix.core.messaging.message import Message
from orchestrix.core.messaging.topics import TopicNaming, topic_matches, validate_topic

type HandlerTable[H: Callable[..., object]] = defaultdict[type[Message], list[H]]


class TopicSubscriptions[H: Callable[..., object]]:
    """The topic patterns subscribed to a bus, and the classes whose lists already have them.

    Every method that changes a list runs with the bus's subscription lock held.
    """

    __slots__ = ("_naming", "_patterns", "_settled")

    def __init__(self, naming: TopicNaming | None = None) -> None:
        self._naming = naming or TopicNaming()
        self._patterns: list[tuple[str, H]] = []
        self._settled: set[type[Message]] = set()  # lists holding every pattern they match

    def subscribe(self, table: HandlerTable[H], pattern: str, handler: H) -> None:
        """Add `handler` to the lists of the classes already in `table` that match."""
        self._patterns.append((pattern, handler))
        for message_type, handlers in list(table.items()):  # publishing may add classes
            if self._matches(pattern, message_type):
                handlers.append(handler)
            self._settled.add(message_type)

    def settle(self, message_type: type[Message], handlers: list[H]) -> None:
        """Give a class's list the patterns subscribed before the list was made."""
        if self._patterns and message_type not in self._settled:
            self._settled.add(message_type)
            handlers.extend(
                handler
                for pattern, handler in self._patterns
                if self._matches(pattern, message_type)
            )

    def settle_published(
        self, lock: threading.Lock, message_type: type[Message], handlers: list[H]
    ) -> None:
        """`settle` for a class published with an empty list (it may be new to the table)."""
        if self._patterns and message_type not in self._settled:
            with lock:
                self.settle(message_type, handlers)

    def _matches(self, pattern: str, message_type: type[Message]) -> bool:
        return topic_matches(pattern, self._naming.topic(message_type))


def add_handler[H: Callable[..., object]](
    table: HandlerTable[H],
    topics: TopicSubscriptions[H],
    lock: threading.Lock,
    message_type: type[Message] | str,
    handler: H,
) -> None:
    """Append `handler` to the handlers of `message_type`, or of every class whose topic
    matches it when it is a topic pattern; the same handler twice runs twice."""
    if not (isinstance(message_type, type) and issubclass(message_type, Message)):
        if isinstance(message_type, str):
            _add_pattern(table, topics, lock, message_type, handler)
            return
        raise TypeError(f"message_type must be a Message subclass, got {message_type!r}")
    if not callable(handler):
        raise TypeError(f"handler must be callable, got {handler!r}")
    with lock:  # two threads subscribing to a new class must not each create its list
        handlers = table[message_type]
        if not handlers:  # maybe new: it may lack the patterns subscribed so far
            topics.settle(message_type, handlers)
        handlers.append(handler)


def _add_pattern[H: Callable[..., object]](
    table: HandlerTable[H],
    topics: TopicSubscriptions[H],
    lock: threading.Lock,
    pattern: str,
    handler: H,
) -> None:
    try:
        validate_topic(pattern, pattern=True)
    except ValidationError as error:
        text = f"message_type must be a Message subclass or a topic pattern: {error}"
        raise TypeError(text) from error
    if not callable(handler):
        raise TypeError(f"handler must be callable, got {handler!r}")
    with lock:
        topics.subscribe(table, pattern, handler)


def check_message(table: HandlerTable[Any], message: object) -> None:
    """Refuse to publish anything but a message (checked only when no handler matched), and
    drop the entry the lookup of its class added to `table`."""
    if not isinstance(message, Message):
        table.pop(cast(type[Message], type(message)), None)
        raise TypeError(f"only Messages can be published, got a {type(message).__name__}")


__all__ = [
    "HandlerTable",
    "TopicSubscriptions",
    "add_handler",
    "check_message",
]
