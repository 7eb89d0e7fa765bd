"""Which queue each subscription consumes, which topics it binds, which handler it calls.

Commands: one queue per command class, named after its topic, shared by every process that
handles it (competing consumers). Events: one queue per handler, named after the handler
(`module.qualname`, or `name=`), bound to every topic it handles, so each handler sees each
event once however many processes run it. A class subscription binds the class's own topic
and receives that exact class, as on the in-memory buses (`Event` receives bare `Event`s
only); a topic pattern binds itself and receives whatever its bindings bring, so `#` is the
way to receive every event.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from orchestrix.core.common.instrumentation import observed_handlers, track_routes
from orchestrix.core.common.validation import ValidationError
from orchestrix.core.messaging.message import Command, Message
from orchestrix.core.messaging.message_bus import AsyncMessageHandler
from orchestrix.core.messaging.topics import TopicNaming, validate_topic
from orchestrix.infrastructure.rabbitmq.topology import Topology

type Accepts = Callable[[type[Message]], bool]
"""Whether a subscription takes messages of a class that reached its queue."""
type Handlers = tuple[AsyncMessageHandler[Any], ...]


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
    """A queue this bus consumes, its bindings and the handlers it calls.

    The handlers of each class that arrives are resolved once and kept, passed through
    `observed_handlers` (their `*.handle` spans while observability is on); the kept ones
    are forgotten when a subscription changes the route or observability is switched.
    """

    queue: str
    exchange: str
    topics: set[str] = field(default_factory=set)
    handlers: list[tuple[Accepts, AsyncMessageHandler[Any]]] = field(default_factory=list)
    _resolved: dict[type[Message], Handlers] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        track_routes(self)

    def handlers_for(self, message: Message) -> Handlers:
        """The handlers that take this message's class, in subscription order."""
        cls = type(message)
        handlers = self._resolved.get(cls)
        if handlers is None:
            taken = tuple(handler for accepts, handler in self.handlers if accepts(cls))
            handlers = self._resolved[cls] = observed_handlers(taken)
        return handlers

    def forget_routes(self) -> None:
        self._resolved.clear()


def _accept_all(cls: type[Message]) -> bool:
    return True


def _exactly(message_type: type[Message]) -> Accepts:
    return lambda cls: cls is message_type


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
        accepts = _exactly(message_type)
        if issubclass(message_type, Command):
            if message_type is Command:
                raise ValidationError(
                    "must be a command class, not Command", "message_type", Command
                )
            topic = self.naming.topic(message_type)
            route = self._route(self.topology.command_queue(topic), self.topology.commands)
            route.topics.add(topic)
            route.handlers.append((accepts, handler))
            route.forget_routes()
            return route
        return self._add_event_handler(handler, name, {self.naming.topic(message_type)}, accepts)

    def _add_event_handler(
        self,
        handler: AsyncMessageHandler[Any],
        name: str | None,
        topics: set[str],
        accepts: Accepts,
    ) -> Route:
        queue = self.topology.handler_queue(name or handler_name(handler))
        route = self._route(queue, self.topology.events)
        for index, (other_accepts, other) in enumerate(route.handlers):
            if other == handler:  # one handler, several subscriptions: one call per event
                route.handlers[index] = (_either(other_accepts, accepts), handler)
                break
        else:
            if route.handlers:
                raise ValidationError(
                    f"is already taken by another handler of queue {queue!r}", "name", name
                )
            route.handlers.append((accepts, handler))
        route.topics |= topics
        route.forget_routes()
        return route

    def _route(self, queue: str, exchange: str) -> Route:
        route = self.routes.get(queue)
        if route is None:
            route = self.routes[queue] = Route(queue, exchange)
        return route


def _either(first: Accepts, second: Accepts) -> Accepts:
    return lambda cls: first(cls) or second(cls)


__all__ = ["Route", "Subscriptions", "handler_name"]
