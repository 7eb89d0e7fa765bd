"""Which queue each subscription consumes, which topics it binds, which handler it calls.

Commands: one queue per command class, named after its topic, shared by every process that
handles it (competing consumers). Events: one queue per handler, named after the handler
(`module.qualname`, or `name=`), bound to every topic it handles, so each handler sees each
event once however many processes run it. Subscribing to an event class binds the topics of
that class and of its subclasses known at the time; `Event` or `Message` binds everything
(`#`); a topic pattern binds itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from orchestrix.core.common.validation import ValidationError
from orchestrix.core.messaging.message import Command, Event, Message
from orchestrix.core.messaging.message_bus import AsyncMessageHandler
from orchestrix.core.messaging.topics import TopicNaming, validate_topic
from orchestrix.infrastructure.rabbitmq.topology import Topology

type Accepts = Callable[[Message], bool]


def handler_name(handler: Callable[..., object]) -> str:
    """A stable name for a handler across processes: `module.qualname`.

    Lambdas and functions defined inside functions have no such name; they need `name=`.
    """
    target = handler if hasattr(handler, "__qualname__") else type(handler)
    qualname = getattr(target, "__qualname__", "")
    module = getattr(target, "__module__", "")
    if not qualname or "<" in qualname or not module:
        raise ValidationError(
            "has no stable name for its queue (a lambda or local function?): pass name=",
            "handler",
            handler,
        )
    return f"{module}.{qualname}"


@dataclass(eq=False)
class Route:
    """A queue this bus consumes, its bindings and the handlers it calls."""

    queue: str
    exchange: str
    topics: set[str] = field(default_factory=set)
    handlers: list[tuple[Accepts, AsyncMessageHandler[Any]]] = field(default_factory=list)

    def handlers_for(self, message: Message) -> list[AsyncMessageHandler[Any]]:
        return [handler for accepts, handler in self.handlers if accepts(message)]


def _accept_all(message: Message) -> bool:
    return True


def _subclasses(cls: type) -> Iterator[type]:
    yield cls
    sub: type
    for sub in cls.__subclasses__():
        yield from _subclasses(sub)


class Subscriptions:
    """The routes of one bus, keyed by queue name."""

    def __init__(self, topology: Topology, naming: TopicNaming) -> None:
        self.topology = topology
        self.naming = naming
        self.routes: dict[str, Route] = {}

    def add(
        self,
        message_type: type[Message] | str,
        handler: AsyncMessageHandler[Any],
        name: str | None = None,
    ) -> Route:
        """Register `handler`; returns the route whose queue it will consume."""
        if not callable(handler):
            raise TypeError(f"handler must be callable, got {handler!r}")
        if isinstance(message_type, str):
            validate_topic(message_type, pattern=True)
            return self._add_event_handler(handler, name, {message_type}, _accept_all)
        if not (isinstance(message_type, type) and issubclass(message_type, Message)):
            raise TypeError(f"message_type must be a Message subclass, got {message_type!r}")
        accepts: Accepts = lambda message: isinstance(message, message_type)  # noqa: E731
        if issubclass(message_type, Command):
            if message_type is Command:
                raise ValidationError(
                    "must be a command class, not Command", "message_type", Command
                )
            topic = self.naming.topic(message_type)
            route = self._route(self.topology.command_queue(topic), self.topology.commands)
            route.topics.add(topic)
            route.handlers.append((accepts, handler))
            return route
        if message_type in (Message, Event):
            topics = {"#"}
        else:
            topics = {
                self.naming.topic(cls)
                for cls in _subclasses(message_type)
                if not issubclass(cls, Command)
            }
        return self._add_event_handler(handler, name, topics, accepts)

    def _add_event_handler(
        self,
        handler: AsyncMessageHandler[Any],
        name: str | None,
        topics: set[str],
        accepts: Accepts,
    ) -> Route:
        queue = self.topology.handler_queue(name or handler_name(handler))
        route = self._route(queue, self.topology.events)
        route.topics |= topics
        for index, (other_accepts, other) in enumerate(route.handlers):
            if other == handler:  # one handler, several subscriptions: one call per event
                route.handlers[index] = (_either(other_accepts, accepts), handler)
                return route
        if route.handlers:
            raise ValidationError(
                f"is already taken by another handler of queue {queue!r}", "name", name
            )
        route.handlers.append((accepts, handler))
        return route

    def _route(self, queue: str, exchange: str) -> Route:
        route = self.routes.get(queue)
        if route is None:
            route = self.routes[queue] = Route(queue, exchange)
        return route


def _either(first: Accepts, second: Accepts) -> Accepts:
    return lambda message: first(message) or second(message)


__all__ = ["Route", "Subscriptions", "handler_name"]
