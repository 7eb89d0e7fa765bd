"""Upcasting: chains of steps from old schema versions to the newest, sync and async."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest

from orchestrix.core.common.exceptions import OrchestrixError
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
    with pytest.raises(UpcasterException, match=r"^No upcaster found for VerPlaced v2->3$"):
        registry(CentsUpcaster()).upcast_sync(VerPlacedV1(total="1"), "VerPlaced", 3)


def test_duplicate_step_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^Upcaster already registered for VerPlaced v1->v2$"):
        registry(CentsUpcaster(), CentsUpcaster())


def test_failing_upcaster_is_wrapped() -> None:
    with pytest.raises(UpcasterException) as caught:
        registry().upcast_sync(VerPlacedV1(total="not-cents"), "VerPlaced", 3)
    assert isinstance(caught.value.__cause__, ValueError)
    assert str(caught.value).startswith("Upcasting VerPlaced v1->2 failed: invalid literal")


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


def test_versioned_event_carries_version_and_type() -> None:
    event = VerPlacedV1(total="1")
    versioned = VersionedEvent(event=event, version=1, event_type="VerPlaced")
    assert (versioned.version, versioned.event_type) == (1, "VerPlaced")
    assert VersionedEvent(event, 2, "VerPlaced").version == 2


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


# The first release's facts (reference §2.6)


@dataclass(frozen=True, kw_only=True)
class RefUserRegistered(Event, type_name="test_versioning.RefUserRegistered"):
    """An event in the first release's style: its schema version is a field."""

    name: str
    email: str = ""
    version: int = 1


class AddEmail(EventUpcaster[RefUserRegistered, RefUserRegistered]):
    def __init__(self, source: int = 1, target: int = 2, email: str = "a@example.com") -> None:
        super().__init__(source, target)
        self.email = email

    async def upcast(self, event: RefUserRegistered) -> RefUserRegistered:
        # Keeps the old `version`, as many upcasters written for the release did.
        return RefUserRegistered(id=event.id, name=event.name, email=self.email, version=1)


class Broken(EventUpcaster[RefUserRegistered, RefUserRegistered]):
    def __init__(self, error: Exception) -> None:
        super().__init__(1, 2)
        self.error = error

    async def upcast(self, event: RefUserRegistered) -> RefUserRegistered:
        raise self.error


REF = "test_versioning.RefUserRegistered"


@pytest.mark.parametrize(
    ("source", "target", "text"),
    [
        (0, 2, "source_version must be positive integer"),
        ("1", 2, "source_version must be positive integer"),
        (1.0, 2, "source_version must be positive integer"),
        (1, 0, "target_version must be positive integer"),
        (1, None, "target_version must be positive integer"),
        (0, 0, "source_version must be positive integer"),
        (2, 2, "target_version must be greater than source_version"),
        (3, 2, "target_version must be greater than source_version"),
    ],
)
def test_upcaster_versions_are_checked_in_order(source: object, target: object, text: str) -> None:
    with pytest.raises(ValueError) as caught:
        EventUpcaster(source, target)  # type: ignore[arg-type]
    assert str(caught.value) == text


def test_the_base_upcaster_is_a_plain_class_with_its_versions() -> None:
    upcaster: EventUpcaster[Event, Event] = EventUpcaster(1, 3)
    assert (upcaster.source_version, upcaster.target_version) == (1, 3)
    with pytest.raises(NotImplementedError):
        asyncio.run(upcaster.upcast(Event()))


async def test_can_upcast_reads_a_version_field() -> None:
    assert await AddEmail().can_upcast(RefUserRegistered(name="a"))
    assert not await AddEmail().can_upcast(RefUserRegistered(name="a", version=2))
    assert not await AddEmail(2, 3).can_upcast(Event())


@pytest.mark.parametrize(
    ("version", "event_type", "text"),
    [
        (0, "X", "version must be positive integer"),
        (-1, "X", "version must be positive integer"),
        (1, "", "event_type must be non-empty string"),
        (1, None, "event_type must be non-empty string"),
    ],
)
def test_versioned_event_checks_its_fields(version: int, event_type: object, text: str) -> None:
    with pytest.raises(ValueError, match=f"^{text}$"):
        VersionedEvent(Event(), version, event_type)  # type: ignore[arg-type]


@pytest.mark.parametrize("event_type", ["", None, 3])
def test_register_needs_an_event_type(event_type: object) -> None:
    with pytest.raises(ValueError, match=r"^event_type must be non-empty string$"):
        UpcasterRegistry().register(event_type, AddEmail())  # type: ignore[arg-type]


@pytest.mark.parametrize("upcaster", ["not an upcaster", None, object()])
def test_register_refuses_what_is_not_an_upcaster(upcaster: object) -> None:
    with pytest.raises(ValueError, match=r"^upcaster must be instance of EventUpcaster"):
        UpcasterRegistry().register(REF, upcaster)  # type: ignore[arg-type]


def test_register_checks_the_versions_of_a_duck_typed_upcaster() -> None:
    with pytest.raises(ValueError, match="target_version must be greater than source_version"):
        UpcasterRegistry().register(REF, PlainStep(source_version=3, target_version=3))


async def test_a_duck_typed_upcaster_is_accepted() -> None:
    reg = UpcasterRegistry()
    reg.register("VerPlaced", CentsUpcaster())
    reg.register("VerPlaced", PlainStep())
    upcast = await reg.upcast(VerPlacedV1(total="1"), "VerPlaced", 3)
    assert isinstance(upcast, VerPlaced) and upcast.currency == "GBP"


def test_lookup_is_by_exact_versions_and_chain_info_keeps_registration_order() -> None:
    reg = UpcasterRegistry()
    second, first, jump = AddEmail(2, 3), AddEmail(1, 2), AddEmail(1, 3)
    for upcaster in (second, first, jump):
        reg.register(REF, upcaster)
    assert reg.get_chain_info(REF) == [(2, 3), (1, 2), (1, 3)]
    assert reg.get_upcaster(REF, 1, 3) is jump
    assert reg.get_upcaster(REF, 1, 2) is first
    assert reg.get_upcaster(REF, 3, 4) is None
    assert reg.get_upcaster("other", 1, 2) is None


async def test_an_event_at_the_target_comes_back_as_is() -> None:
    event = RefUserRegistered(name="a", version=2)
    assert await UpcasterRegistry().upcast(event, REF, 2) is event


async def test_downcasting_is_refused() -> None:
    with pytest.raises(UpcasterException, match=r"^Cannot downcast from v3 to v2$"):
        await UpcasterRegistry().upcast(RefUserRegistered(name="a", version=3), REF, 2)


async def test_an_object_without_a_version_cannot_be_upcast() -> None:
    class Unversioned:
        def __str__(self) -> str:
            return "unversioned"

    with pytest.raises(UpcasterException) as caught:
        await UpcasterRegistry().upcast(Unversioned(), REF, 2)  # type: ignore[arg-type]
    assert str(caught.value) == "Event unversioned missing version attribute for upcasting"


@dataclass(frozen=True, kw_only=True)
class VerUnversioned(Event):
    """Neither a `version` field nor a declared schema version."""

    name: str = ""


async def test_an_event_without_a_version_field_or_declared_version_is_missing_it() -> None:
    """The first release's error: its events carried the version in a `version` field."""
    reg = UpcasterRegistry()
    reg.register("VerUnversioned", AddEmail(1, 2))
    event = VerUnversioned(name="a")
    for missing in (event, Event(type="VerUnversioned")):
        with pytest.raises(UpcasterException) as caught:
            await reg.upcast(missing, "VerUnversioned", 2)
        assert str(caught.value) == f"Event {missing} missing version attribute for upcasting"
        assert not await AddEmail().can_upcast(missing)


async def test_a_declared_schema_version_stands_in_for_a_version_field() -> None:
    reg = UpcasterRegistry()
    reg.register("VerPlaced", CentsUpcaster())
    assert await CentsUpcaster().can_upcast(VerPlacedV1(total="1"))
    upcast = await reg.upcast(VerPlacedV1(total="1.5"), "VerPlaced", 2)
    assert isinstance(upcast, VerPlacedV2) and upcast.total_cents == 15


async def test_the_version_field_of_each_result_is_set_on_a_copy() -> None:
    reg = UpcasterRegistry()
    reg.register(REF, AddEmail(1, 2))
    original = RefUserRegistered(name="a")
    upcast = await reg.upcast(original, REF, 2)
    assert isinstance(upcast, RefUserRegistered)
    assert (upcast.email, upcast.version, upcast.id) == ("a@example.com", 2, original.id)
    assert original.version == 1
    synced = reg.upcast_sync(original, REF, 2)
    assert (synced.email, synced.version) == ("a@example.com", 2)  # type: ignore[attr-defined]


async def test_a_missing_step_names_the_next_version() -> None:
    reg = UpcasterRegistry()
    reg.register(REF, AddEmail(1, 2))
    with pytest.raises(UpcasterException, match=rf"^No upcaster found for {REF} v2->3$"):
        await reg.upcast(RefUserRegistered(name="a"), REF, 3)


async def test_a_longer_step_bridges_a_gap_and_one_version_steps_come_first() -> None:
    reg = UpcasterRegistry()
    reg.register(REF, AddEmail(1, 3, email="jump@example.com"))
    jumped = await reg.upcast(RefUserRegistered(name="a"), REF, 3)
    assert (jumped.email, jumped.version) == ("jump@example.com", 3)  # type: ignore[attr-defined]
    reg.register(REF, AddEmail(1, 2, email="step@example.com"))
    reg.register(REF, AddEmail(2, 3, email="step@example.com"))
    stepped = await reg.upcast(RefUserRegistered(name="a"), REF, 3)
    assert (stepped.email, stepped.version) == ("step@example.com", 3)  # type: ignore[attr-defined]


async def test_a_failing_step_is_wrapped_with_its_versions() -> None:
    reg = UpcasterRegistry()
    reg.register(REF, Broken(KeyError("email")))
    with pytest.raises(UpcasterException) as caught:
        await reg.upcast(RefUserRegistered(name="a"), REF, 2)
    assert str(caught.value) == f"Upcasting {REF} v1->2 failed: 'email'"
    assert isinstance(caught.value.__cause__, KeyError)


@pytest.mark.parametrize("sync", [False, True])
async def test_an_upcaster_exception_from_a_step_is_not_wrapped_again(sync: bool) -> None:
    reg = UpcasterRegistry()
    own = UpcasterException("email cannot be derived")
    reg.register(REF, Broken(own))
    with pytest.raises(UpcasterException) as caught:
        if sync:
            reg.upcast_sync(RefUserRegistered(name="a"), REF, 2)
        else:
            await reg.upcast(RefUserRegistered(name="a"), REF, 2)
    assert caught.value is own


def test_upcaster_exception_is_an_orchestrix_error() -> None:
    assert issubclass(UpcasterException, OrchestrixError)
