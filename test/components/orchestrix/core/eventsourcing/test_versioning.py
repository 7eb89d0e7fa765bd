"""Upcasting: chains of steps from old schema versions to the newest, sync and async."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest

from orchestrix.core.eventsourcing.versioning import (
    EventUpcaster,
    UpcasterException,
    UpcasterRegistry,
    VersionedEvent,
)
from orchestrix.core.messaging.message import Event
from orchestrix.infrastructure.memory.async_store import InMemoryAsyncEventStore
from orchestrix.infrastructure.memory.store import InMemoryEventStore


@dataclass(frozen=True, kw_only=True)
class VerPlacedV1(Event, type_name="VerPlaced", schema_version=1):
    total: str


@dataclass(frozen=True, kw_only=True)
class VerPlacedV2(Event, type_name="VerPlaced", schema_version=2):
    total_cents: int


@dataclass(frozen=True, kw_only=True)
class VerPlaced(Event, schema_version=3):
    total_cents: int
    currency: str


class CentsUpcaster(EventUpcaster[VerPlacedV1, VerPlacedV2]):
    def __init__(self) -> None:
        super().__init__(1, 2)

    async def upcast(self, event: VerPlacedV1) -> VerPlacedV2:
        return VerPlacedV2(id=event.id, total_cents=int(event.total.replace(".", "")))


class CurrencyUpcaster(EventUpcaster[VerPlacedV2, VerPlaced]):
    def __init__(self) -> None:
        super().__init__(2, 3)

    async def upcast(self, event: VerPlacedV2) -> VerPlaced:
        return VerPlaced(id=event.id, total_cents=event.total_cents, currency="EUR")


class SlowUpcaster(EventUpcaster[VerPlacedV2, VerPlaced]):
    def __init__(self) -> None:
        super().__init__(2, 3)

    async def upcast(self, event: VerPlacedV2) -> VerPlaced:
        await asyncio.sleep(0)
        return VerPlaced(id=event.id, total_cents=event.total_cents, currency="USD")


@dataclass
class PlainStep:
    """A non-async upcaster satisfying the EventUpcast protocol."""

    source_version: int = 2
    target_version: int = 3

    def upcast(self, event: Event) -> Event:
        assert isinstance(event, VerPlacedV2)
        return VerPlaced(id=event.id, total_cents=event.total_cents, currency="GBP")


def registry(*steps: object) -> UpcasterRegistry:
    registry = UpcasterRegistry()
    for step in steps or (CentsUpcaster(), CurrencyUpcaster()):
        registry.register("VerPlaced", step)  # type: ignore[arg-type]
    return registry


async def test_chain_upcasts_through_every_step() -> None:
    old = VerPlacedV1(total="12.50")
    upcast = await registry().upcast(old, "VerPlaced", 3)
    assert upcast == VerPlaced(
        id=old.id, timestamp=upcast.timestamp, total_cents=1250, currency="EUR"
    )


def test_sync_upcast_drives_non_waiting_coroutines() -> None:
    upcast = registry().upcast_sync(VerPlacedV1(total="1.00"), "VerPlaced", 3)
    assert isinstance(upcast, VerPlaced) and upcast.total_cents == 100


def test_sync_upcast_refuses_upcasters_that_wait() -> None:
    with pytest.raises(UpcasterException, match="async store"):
        registry(CentsUpcaster(), SlowUpcaster()).upcast_sync(
            VerPlacedV1(total="1"), "VerPlaced", 3
        )


async def test_async_upcast_runs_upcasters_that_wait() -> None:
    upcast = await registry(CentsUpcaster(), SlowUpcaster()).upcast(
        VerPlacedV1(total="1"), "VerPlaced", 3
    )
    assert upcast.currency == "USD"  # type: ignore[attr-defined]


def test_plain_function_upcasters_work_in_sync_and_async() -> None:
    reg = registry(CentsUpcaster(), PlainStep())
    assert reg.upcast_sync(VerPlacedV1(total="2"), "VerPlaced", 3).currency == "GBP"  # type: ignore[attr-defined]


def test_missing_step_is_reported() -> None:
    with pytest.raises(UpcasterException, match="from version 2"):
        registry(CentsUpcaster()).upcast_sync(VerPlacedV1(total="1"), "VerPlaced", 3)


def test_duplicate_step_is_refused() -> None:
    with pytest.raises(UpcasterException):
        registry(CentsUpcaster(), CentsUpcaster())


def test_failing_upcaster_is_wrapped() -> None:
    with pytest.raises(UpcasterException) as caught:
        registry().upcast_sync(VerPlacedV1(total="not-cents"), "VerPlaced", 3)
    assert isinstance(caught.value.__cause__, ValueError)


async def test_failing_upcaster_is_wrapped_in_async() -> None:
    with pytest.raises(UpcasterException) as caught:
        await registry().upcast(VerPlacedV1(total="not-cents"), "VerPlaced", 3)
    assert isinstance(caught.value.__cause__, ValueError)


def test_chain_info_and_lookup() -> None:
    reg = registry()
    assert reg.get_chain_info("VerPlaced") == [(1, 2), (2, 3)]
    assert reg.get_chain_info("Other") == []
    assert isinstance(reg.get_upcaster("VerPlaced", 1, 2), CentsUpcaster)
    assert reg.get_upcaster("VerPlaced", 1, 3) is None


async def test_can_upcast_checks_the_source_version() -> None:
    assert await CentsUpcaster().can_upcast(VerPlacedV1(total="1"))
    assert not await CentsUpcaster().can_upcast(VerPlacedV2(total_cents=1))


def test_target_must_be_after_source() -> None:
    with pytest.raises(ValueError, match="target_version"):
        PlainCents = type("PlainCents", (CentsUpcaster,), {})
        EventUpcaster.__init__(PlainCents(), 2, 2)


def test_versioned_event_carries_version_and_type() -> None:
    event = VerPlacedV1(total="1")
    versioned = VersionedEvent(event=event, version=1, event_type="VerPlaced")
    assert (versioned.version, versioned.event_type) == (1, "VerPlaced")


def test_current_events_pass_through_untouched() -> None:
    current = VerPlaced(total_cents=1, currency="EUR")
    assert registry().upcast_to_latest([current]) == [current]


def test_sync_store_with_registry_upcasts_on_load() -> None:
    store = InMemoryEventStore(upcasters=registry())
    old, current = VerPlacedV1(total="3.00"), VerPlaced(total_cents=5, currency="SEK")
    store.save("order", [old, current])
    loaded = store.load("order")
    assert [type(e) for e in loaded] == [VerPlaced, VerPlaced]
    assert loaded[0].total_cents == 300  # type: ignore[attr-defined]
    assert loaded[1] is current
    assert InMemoryEventStore().load("order") == []


async def test_async_store_with_registry_upcasts_on_load() -> None:
    store = InMemoryAsyncEventStore(upcasters=registry(CentsUpcaster(), SlowUpcaster()))
    await store.save("order", [VerPlacedV1(total="1.00")])
    (loaded,) = await store.load("order")
    assert loaded.currency == "USD"  # type: ignore[attr-defined]
