"""Event schema evolution: upcasters turn events of an old schema version into the current one.

An event class declares its schema version (`class OrderPlaced(Event, schema_version=2)`); an
older shape stays defined under the same type name (`class OrderPlacedV1(Event,
type_name="OrderPlaced", schema_version=1)`) so stored events still decode, and an upcaster per
step (1→2, 2→3, ...) converts them when a store configured with an `UpcasterRegistry` loads them.

Upcasters are async in the seed API. Sync stores run the same upcasters: a coroutine that never
waits on I/O finishes on its first step, so it is driven to completion directly; one that does
wait raises `UpcasterException` asking for an async store.
"""

from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Coroutine, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, cast

from orchestrix.core.common.exceptions import OrchestrixError
from orchestrix.core.eventsourcing.event_log import RecordedEvent
from orchestrix.core.messaging.message import Event
from orchestrix.core.messaging.registry import latest_schema_version


class UpcasterException(OrchestrixError):
    """An event could not be upcast: a missing step, a failing upcaster, or async I/O in sync."""


class EventUpcast(Protocol):
    """Anything that converts one event from `source_version` to `target_version`."""

    source_version: int
    target_version: int

    def upcast(self, event: Any, /) -> Awaitable[Event] | Event: ...


class EventUpcaster[SourceEvent: Event, TargetEvent: Event](ABC):
    """Base class for one upcasting step; subclasses implement `upcast`."""

    def __init__(self, source_version: int, target_version: int) -> None:
        if target_version <= source_version:
            raise ValueError("target_version must be greater than source_version")
        self.source_version = source_version
        self.target_version = target_version

    @abstractmethod
    async def upcast(self, event: SourceEvent) -> TargetEvent:
        """The event in the target schema version."""

    async def can_upcast(self, event: Event) -> bool:
        """Whether `event` is in this upcaster's source version."""
        return type(event).__schema_version__ == self.source_version


@dataclass(frozen=True)
class VersionedEvent:
    """An event together with its schema version and type name."""

    event: Event
    version: int
    event_type: str


class UpcasterRegistry:
    """Upcasting steps per event type, chained to reach any later version."""

    def __init__(self) -> None:
        self._steps: dict[str, dict[int, EventUpcast]] = {}

    def register(self, event_type: str, upcaster: EventUpcast) -> None:
        """Add the step from `upcaster.source_version`; one step per source version."""
        steps = self._steps.setdefault(event_type, {})
        if upcaster.source_version in steps:
            raise UpcasterException(
                f"{event_type} already has an upcaster from version {upcaster.source_version}"
            )
        steps[upcaster.source_version] = upcaster

    def get_upcaster(
        self, event_type: str, source_version: int, target_version: int
    ) -> EventUpcast | None:
        """The registered step from `source_version` straight to `target_version`, if any."""
        step = self._steps.get(event_type, {}).get(source_version)
        return step if step is not None and step.target_version == target_version else None

    def get_chain_info(self, event_type: str) -> list[tuple[int, int]]:
        """The registered steps of a type as `(source, target)` pairs, in order."""
        steps = self._steps.get(event_type, {})
        return [(source, steps[source].target_version) for source in sorted(steps)]

    def _chain(self, event_type: str, source: int, target: int) -> list[EventUpcast]:
        steps = self._steps.get(event_type, {})
        chain: list[EventUpcast] = []
        version = source
        while version < target:
            step = steps.get(version)
            if step is None:
                raise UpcasterException(
                    f"No upcaster for {event_type} from version {version} (towards {target})"
                )
            chain.append(step)
            version = step.target_version
        if version != target:
            raise UpcasterException(f"{event_type} upcasters overshoot version {target}")
        return chain

    async def upcast(self, event: Event, event_type: str, target_version: int) -> Event:
        """`event` converted step by step to `target_version`."""
        for step in self._chain(event_type, type(event).__schema_version__, target_version):
            result = _run_step(step, event)
            if inspect.isawaitable(result):
                try:
                    result = await result
                except Exception as error:
                    raise UpcasterException(f"Upcaster failed: {error!r}") from error
            event = result
        return event

    def upcast_sync(self, event: Event, event_type: str, target_version: int) -> Event:
        """`upcast` for sync stores; upcasters must not wait on I/O."""
        for step in self._chain(event_type, type(event).__schema_version__, target_version):
            result = _run_step(step, event)
            event = _finish_without_loop(result) if inspect.isawaitable(result) else result
        return event

    def upcast_to_latest(self, events: Iterable[Event]) -> list[Event]:
        """Each event in the newest schema version registered for its type (sync)."""
        return [
            self.upcast_sync(event, event.type, target) if (target := _newer(event)) else event
            for event in events
        ]

    async def upcast_to_latest_async(self, events: Iterable[Event]) -> list[Event]:
        """Each event in the newest schema version registered for its type."""
        return [
            await self.upcast(event, event.type, target) if (target := _newer(event)) else event
            for event in events
        ]

    def upcast_recorded(self, batch: Sequence[RecordedEvent]) -> list[RecordedEvent]:
        """Log entries with their events upcast to the newest schema versions (sync)."""
        return _with_events(batch, self.upcast_to_latest(r.event for r in batch))

    async def upcast_recorded_async(self, batch: Sequence[RecordedEvent]) -> list[RecordedEvent]:
        """Log entries with their events upcast to the newest schema versions."""
        return _with_events(batch, await self.upcast_to_latest_async(r.event for r in batch))


def _with_events(batch: Sequence[RecordedEvent], events: list[Event]) -> list[RecordedEvent]:
    return [
        recorded if recorded.event is event else recorded._replace(event=event)
        for recorded, event in zip(batch, events, strict=True)
    ]


def _newer(event: Event) -> int | None:
    """The newest schema version of the event's type if it is newer than the event's own."""
    latest = latest_schema_version(event.type)
    return latest if latest is not None and latest > type(event).__schema_version__ else None


def _run_step(step: EventUpcast, event: Event) -> Awaitable[Event] | Event:
    try:
        return step.upcast(event)
    except Exception as error:
        raise UpcasterException(f"Upcaster {type(step).__name__} failed: {error!r}") from error


def _finish_without_loop(awaitable: Awaitable[Event]) -> Event:
    if not inspect.iscoroutine(awaitable):
        raise UpcasterException("Sync stores need upcasters that return events or coroutines")
    coroutine = cast(Coroutine[Any, Any, Event], awaitable)
    try:
        coroutine.send(None)
    except StopIteration as finished:
        return cast(Event, finished.value)
    except Exception as error:
        raise UpcasterException(f"Upcaster failed: {error!r}") from error
    coroutine.close()
    raise UpcasterException("An upcaster waited on I/O; use an async store to load these events")


__all__ = [
    "EventUpcast",
    "EventUpcaster",
    "UpcasterException",
    "UpcasterRegistry",
    "VersionedEvent",
]
