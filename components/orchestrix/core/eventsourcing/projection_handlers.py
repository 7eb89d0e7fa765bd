"""What a projection handler is, and what it may receive besides the event.

A handler takes the event, or the event and a `ProjectionContext`: the event's place in the
global log (to deduplicate in at-least-once mode) and, in exactly-once mode, the open
connection whose transaction also commits the checkpoint.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from orchestrix.core.eventsourcing.event_log import Checkpoint, RecordedEvent
from orchestrix.core.messaging.message import Event


class EventHandler(Protocol):
    """An object that handles events (the first release's protocol)."""

    async def handle(self, event: Event) -> None: ...


class ProjectionContext[C]:
    """Where the event being handled sits, and the connection to write the read model with.

    `connection` is the driver connection of the checkpoint store's open transaction
    (`sqlite3.Connection`, `asyncpg.Connection`) when the read model lives beside the
    checkpoint, None otherwise. `recorded` is None for an event handed to the engine without
    its place in the log.
    """

    __slots__ = ("connection", "projection_id", "recorded")

    def __init__(self, projection_id: str, recorded: RecordedEvent | None, connection: C) -> None:
        self.projection_id = projection_id
        self.recorded = recorded
        self.connection = connection

    @property
    def checkpoint(self) -> Checkpoint | None:
        """The event's checkpoint: a unique, increasing key to deduplicate by."""
        return None if self.recorded is None else self.recorded.checkpoint

    @property
    def position(self) -> int | None:
        """The event's global position."""
        return None if self.recorded is None else self.recorded.position

    @property
    def aggregate_id(self) -> str | None:
        return None if self.recorded is None else self.recorded.aggregate_id

    @property
    def version(self) -> int | None:
        """The event's version in its stream."""
        return None if self.recorded is None else self.recorded.version


@dataclass
class ProjectionEventHandler:
    """A handler registered for an event class (and its subclasses)."""

    event_type: type[Event]
    handler: Callable[..., Any]
    is_async: bool = False
    takes_context: bool = False

    @classmethod
    def wrap(cls, event_type: type[Event], handler: Callable[..., Any]) -> ProjectionEventHandler:
        return cls(
            event_type,
            handler,
            inspect.iscoroutinefunction(handler),
            positional_arity(handler, unknown=1) >= 2,
        )


def positional_arity(function: Callable[..., Any], *, unknown: int) -> int:
    """How many positional arguments `function` accepts (a large number for `*args`), or
    `unknown` for a callable without a signature (some builtins)."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return unknown
    count = 0
    for parameter in parameters:
        if parameter.kind is inspect.Parameter.VAR_POSITIONAL:
            return 1 << 16
        if parameter.kind in (
            inspect.Parameter.POSITIONAL_ONLY,
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
        ):
            count += 1
    return count


__all__ = [
    "EventHandler",
    "ProjectionContext",
    "ProjectionEventHandler",
    "positional_arity",
]
