"""Event schema evolution: upcasters turn events of an old schema version into a newer one.

An event class declares its schema version (`class OrderPlaced(Event, schema_version=2)`); an
older shape stays defined under the same type name (`class OrderPlacedV1(Event,
type_name="OrderPlaced", schema_version=1)`) so stored events still decode, and upcasters
convert them when a store configured with an `UpcasterRegistry` loads them. Events written for
the first release, which carry their schema version in a field named `version`, work too:
`UpcasterRegistry.upcast` reads that field when the event has one.

A chain goes from the event's version towards the target, taking at each version the
registered step that goes the least far without overshooting: the one-version steps of the
first release when they exist, a longer step (1→3) where they do not.

Upcasters are async in the seed API. Sync stores run the same upcasters: a coroutine that never
waits on I/O finishes on its first step, so it is driven to completion directly; one that does
wait raises `UpcasterException` asking for an async store.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Awaitable, Coroutine, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, cast

from orchestrix.core.common.exceptions import OrchestrixError
from orchestrix.core.eventsourcing.event_log import RecordedEvent
from orchestrix.core.messaging.message import Event, Message
from orchestrix.core.messaging.registry import latest_schema_version


class UpcasterException(OrchestrixError):
    """An event could not be upcast: a missing step, a failing upcaster, or async I/O in sync."""


class EventUpcast(Protocol):
    """Anything that converts one event from `source_version` to `target_version`."""

    source_version: int
    target_version: int

    def upcast(self, event: Any, /) -> Awaitable[Event] | Event: ...


def _check_versions(source_version: object, target_version: object) -> None:
    """The first release's checks, in its order and words."""
    for name, version in (("source_version", source_version), ("target_version", target_version)):
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise ValueError(f"{name} must be positive integer")
    if cast(int, source_version) >= cast(int, target_version):
        raise ValueError("target_version must be greater than source_version")


class EventUpcaster[SourceEvent: Event, TargetEvent: Event]:
    """Base class for one upcasting step; subclasses implement `upcast`.

    The upcaster copies the metadata it wants to keep (id, timestamp, ...); the registry
    does not.
    """

    def __init__(self, source_version: int, target_version: int) -> None:
        _check_versions(source_version, target_version)
        self.source_version = source_version
        self.target_version = target_version

    async def upcast(self, event: SourceEvent) -> TargetEvent:
        """The event in the target schema version."""
        raise NotImplementedError(f"{type(self).__name__} must implement upcast()")

    async def can_upcast(self, event: Event) -> bool:
        """Whether `event` is in this upcaster's source version."""
        return schema_version_of(event) == self.source_version


def schema_version_of(event: object) -> int | None:
    """An int field named `version` (the first release's convention), else the schema version
    its class declares (`schema_version=`); None for an event with neither, which `upcast`
    reports as missing its version, as the first release did."""
    version = _version_field(event)
    if version is not None:
        return version
    if isinstance(event, Message) and type(event).__schema_version_declared__:
        return type(event).__schema_version__
    return None


def _version_field(event: object) -> int | None:
    version = getattr(event, "version", None)
    return version if isinstance(version, int) and not isinstance(version, bool) else None


@dataclass(frozen=True)
class VersionedEvent:
    """An event together with its schema version and type name."""

    event: Event
    version: int
    event_type: str

    def __post_init__(self) -> None:
        if not isinstance(self.version, int) or self.version < 1:
            raise ValueError("version must be positive integer")
        if not isinstance(self.event_type, str) or not self.event_type:
            raise ValueError("event_type must be non-empty string")


type _Step = tuple[int, int, EventUpcast]
"""(source version, target version, upcaster)."""


class UpcasterRegistry:
    """Upcasting steps per event type and version pair, chained to reach any later version."""

    def __init__(self) -> None:
        self._upcasters: dict[tuple[str, int, int], EventUpcast] = {}
        self._chains: dict[tuple[str, int, int], list[_Step]] = {}

    def register(self, event_type: str, upcaster: EventUpcast) -> None:
        """Add a step; one per (event type, source version, target version)."""
        if not isinstance(event_type, str) or not event_type:
            raise ValueError("event_type must be non-empty string")
        if not isinstance(upcaster, EventUpcaster):
            if not callable(getattr(upcaster, "upcast", None)):
                raise ValueError(
                    "upcaster must be instance of EventUpcaster "
                    "(or have source_version, target_version and upcast)"
                )
            _check_versions(
                getattr(upcaster, "source_version", None),
                getattr(upcaster, "target_version", None),
            )
        source, target = upcaster.source_version, upcaster.target_version
        key = (event_type, source, target)
        if key in self._upcasters:
            raise ValueError(f"Upcaster already registered for {event_type} v{source}->v{target}")
        self._upcasters[key] = upcaster
        self._chains.clear()

    def get_upcaster(
        self, event_type: str, source_version: int, target_version: int
    ) -> EventUpcast | None:
        """The step registered for exactly this type and version pair, if any."""
        return self._upcasters.get((event_type, source_version, target_version))

    def get_chain_info(self, event_type: str) -> list[tuple[int, int]]:
        """The registered steps of a type as `(source, target)` pairs, in registration order."""
        return [(source, target) for name, source, target in self._upcasters if name == event_type]

    def _chain(
        self, event: object, event_type: str, current: int | None, target: int
    ) -> list[_Step]:
        if current is None:
            raise UpcasterException(f"Event {event} missing version attribute for upcasting")
        if current > target:
            raise UpcasterException(f"Cannot downcast from v{current} to v{target}")
        key = (event_type, current, target)
        chain = self._chains.get(key)
        if chain is None:
            chain = self._chains[key] = self._plan(event_type, current, target)
        return chain

    def _plan(self, event_type: str, current: int, target: int) -> list[_Step]:
        chain: list[_Step] = []
        while current < target:
            reachable = [
                step_target
                for name, source, step_target in self._upcasters
                if name == event_type and source == current and step_target <= target
            ]
            if not reachable:
                raise UpcasterException(
                    f"No upcaster found for {event_type} v{current}->{current + 1}"
                )
            step_target = min(reachable)
            chain.append((current, step_target, self._upcasters[event_type, current, step_target]))
            current = step_target
        return chain

    async def upcast(self, event: Event, event_type: str, target_version: int) -> Event:
        """`event` converted step by step to `target_version` (the same object if it is there).

        The current version is the event's `version` field if it has one, else the schema
        version its class declares; a `version` field of each result is set to the step's
        target.
        """
        by_field = _version_field(event) is not None
        current = schema_version_of(event)
        return await self._upcast(event, event_type, current, target_version, by_field)

    def upcast_sync(self, event: Event, event_type: str, target_version: int) -> Event:
        """`upcast` for sync code; upcasters must not wait on I/O."""
        by_field = _version_field(event) is not None
        current = schema_version_of(event)
        return self._upcast_sync(event, event_type, current, target_version, by_field)

    async def _upcast(
        self,
        event: Event,
        event_type: str,
        current: int | None,
        target: int,
        by_field: bool = False,
    ) -> Event:
        for source, step_target, step in self._chain(event, event_type, current, target):
            failed = f"Upcasting {event_type} v{source}->{step_target} failed"
            result = _run_step(step, event, failed)
            if inspect.isawaitable(result):
                try:
                    result = await result
                except UpcasterException:
                    raise
                except Exception as error:
                    raise UpcasterException(f"{failed}: {error}") from error
            event = _at_version(result, step_target) if by_field else result
        return event

    def _upcast_sync(
        self,
        event: Event,
        event_type: str,
        current: int | None,
        target: int,
        by_field: bool = False,
    ) -> Event:
        for source, step_target, step in self._chain(event, event_type, current, target):
            failed = f"Upcasting {event_type} v{source}->{step_target} failed"
            result = _run_step(step, event, failed)
            if inspect.isawaitable(result):
                result = _finish_without_loop(result, failed)
            event = _at_version(result, step_target) if by_field else result
        return event

    def upcast_to_latest(self, events: Iterable[Event]) -> list[Event]:
        """Each event in the newest schema version registered for its type (sync)."""
        return [
            self._upcast_sync(event, event.type, type(event).__schema_version__, target)
            if (target := _newer(event))
            else event
            for event in events
        ]

    async def upcast_to_latest_async(self, events: Iterable[Event]) -> list[Event]:
        """Each event in the newest schema version registered for its type."""
        return [
            await self._upcast(event, event.type, type(event).__schema_version__, target)
            if (target := _newer(event))
            else event
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


def _at_version(result: Event, version: int) -> Event:
    """A result that keeps its schema version in a `version` field, with that field set to the
    step's target: a copy, never the frozen result changed in place."""
    current = getattr(result, "version", None)
    if (
        isinstance(current, int)
        and current != version
        and dataclasses.is_dataclass(result)
        and any(field.name == "version" and field.init for field in dataclasses.fields(result))
    ):
        return dataclasses.replace(result, version=version)  # type: ignore[call-arg]
    return result


def _run_step(step: EventUpcast, event: Event, failed: str) -> Awaitable[Event] | Event:
    try:
        return step.upcast(event)
    except UpcasterException:
        raise
    except Exception as error:
        raise UpcasterException(f"{failed}: {error}") from error


def _finish_without_loop(awaitable: Awaitable[Event], failed: str) -> Event:
    if not inspect.iscoroutine(awaitable):
        raise UpcasterException("Sync stores need upcasters that return events or coroutines")
    coroutine = cast(Coroutine[Any, Any, Event], awaitable)
    try:
        coroutine.send(None)
    except StopIteration as finished:
        return cast(Event, finished.value)
    except UpcasterException:
        raise
    except Exception as error:
        raise UpcasterException(f"{failed}: {error}") from error
    coroutine.close()
    raise UpcasterException("An upcaster waited on I/O; use an async store to load these events")


__all__ = [
    "EventUpcast",
    "EventUpcaster",
    "UpcasterException",
    "UpcasterRegistry",
    "VersionedEvent",
    "schema_version_of",
]
