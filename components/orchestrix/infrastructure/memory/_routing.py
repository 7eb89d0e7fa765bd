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

A bus delivers from `_delivery`: the handler table itself while nobody observes, so the
lookup costs what it always did; while observability is on, a cache of the same handlers
wrapped by `observed_handlers` (their `*.handle` spans), swapped in and out at each flip.
Subscribing forgets the cached classes it changes; a list in `_handlers` changed in place
reaches an observed bus only at its next subscription or flip.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any, cast

from orchestrix.core.common.instrumentation import is_observed, observed_handlers, track_routes
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


class ObservedRoutes[H: Callable[..., object]](dict[type[Message], tuple[H, ...]]):
    """The handlers of each class as `observed_handlers` wraps them, resolved on first use.

    Resolving holds the bus's lock, as subscribing does when it forgets classes, so handlers
    resolved from an older table are never stored after a subscription. A class new to the
    table gets the topic patterns subscribed before it as it is resolved.
    """

    __slots__ = ("_lock", "_table", "_topics")

    def __init__(
        self, table: HandlerTable[H], topics: TopicSubscriptions[H], lock: threading.Lock
    ) -> None:
        super().__init__()
        self._table = table
        self._topics = topics
        self._lock = lock

    def __missing__(self, message_type: type[Message]) -> tuple[H, ...]:
        published: type = message_type  # whatever was published, checked here
        with self._lock:
            handlers = self._table[message_type]
            if not issubclass(published, Message):  # `check_message` refuses it
                return ()
            if not handlers:
                self._topics.settle(message_type, handlers)
            observed = self[message_type] = observed_handlers(tuple(handlers))
        return observed


class HandlerRouting[H: Callable[..., object]]:
    """The handler table of a bus, its topic patterns, and the table `publish` delivers from."""

    __slots__ = ("__weakref__", "_delivery", "_lock", "_table", "_topics")

    _delivery: HandlerTable[H] | ObservedRoutes[H]

    def __init__(self, topic_naming: TopicNaming | None = None) -> None:
        self._lock = threading.Lock()
        self._topics: TopicSubscriptions[H] = TopicSubscriptions(topic_naming)
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
        self._delivery = ObservedRoutes(table, self._topics, self._lock) if is_observed() else table

    def _add_handler(self, message_type: type[Message] | str, handler: H) -> None:
        """`add_handler` on this bus, then forget the observed routes it changed."""
        add_handler(self._table, self._topics, self._lock, message_type, handler)
        delivery = self._delivery
        if delivery is not self._table:
            with self._lock:
                if isinstance(message_type, str):  # a pattern: any class may have changed
                    delivery.clear()
                else:
                    delivery.pop(message_type, None)

    def _first_seen(self, message: Message, handlers: Sequence[H]) -> Sequence[H]:
        """The handlers of a message none were found for: refuse a non-message, and give a
        class new to the table the patterns subscribed before it (observed routes do that as
        they resolve a class)."""
        check_message(self._table, message)
        if isinstance(handlers, list):
            self._topics.settle_published(self._lock, type(message), handlers)
        return handlers


def check_message(table: HandlerTable[Any], message: object) -> None:
    """Refuse to publish anything but a message (checked only when no handler matched), and
    drop the entry the lookup of its class added to `table`."""
    if not isinstance(message, Message):
        table.pop(cast(type[Message], type(message)), None)
        raise TypeError(f"only Messages can be published, got a {type(message).__name__}")


__all__ = [
    "HandlerRouting",
    "HandlerTable",
    "ObservedRoutes",
    "TopicSubscriptions",
    "add_handler",
    "check_message",
]
