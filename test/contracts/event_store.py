"""The event store contract: one abstract suite every store implementation must pass.

A store's test module subclasses `EventStoreContract` and provides `store_factory`, a fixture
returning an async callable that opens a fresh, empty store (optionally with an
`UpcasterRegistry`) wrapped in `SyncStoreUnderTest` or `AsyncStoreUnderTest`. Sync stores are
driven through the same async test bodies, so every store is held to exactly the same checks.
"""

from __future__ import annotations

import enum
import inspect
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any, Literal, Protocol

import pytest

from orchestrix.core.common.exceptions import (
    ConcurrencyError,
    DuplicateEventError,
    EventEncodingError,
)
from orchestrix.core.common.validation import ValidationError
from orchestrix.core.eventsourcing.event_log import (
    START,
    AsyncBatchedEventLog,
    Checkpoint,
    RecordedEvent,
)
from orchestrix.core.eventsourcing.snapshot import Snapshot
from orchestrix.core.eventsourcing.versioning import EventUpcaster, UpcasterRegistry
from orchestrix.core.messaging.message import Event

# --- events used by the contract ------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ContractItemAdded(Event):
    item: str
    quantity: int = 1


class ContractColour(enum.Enum):
    RED = "red"
    BLUE = "blue"


class ContractLevel(enum.IntEnum):
    LOW = 1
    HIGH = 2


@dataclass(frozen=True)
class ContractAddress:
    street: str
    number: int
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ContractEverything(Event):
    """One field of every type the codec supports."""

    text: str
    integer: int
    big_integer: int
    real: float
    flag: bool
    nothing: None
    amount: Decimal
    moment: datetime
    naive_moment: datetime
    day: date
    clock: time
    identifier: uuid.UUID
    colour: ContractColour
    level: ContractLevel
    pair: tuple[int, str]
    numbers: tuple[int, ...]
    names: list[str]
    tags: frozenset[str]
    prices: dict[str, Decimal]
    by_id: dict[uuid.UUID, int]
    address: ContractAddress
    addresses: list[ContractAddress]
    maybe_amount: Decimal | None
    either: Decimal | str
    mode: Literal["a", "b"]
    anything: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


def everything_event() -> ContractEverything:
    return ContractEverything(
        text="héllo wörld ✓ 🚀 '; DROP TABLE events; --",
        integer=-42,
        big_integer=2**80 + 1,
        real=3.141592653589793,
        flag=True,
        nothing=None,
        amount=Decimal("12345678901234567890.12345678"),
        moment=datetime(
            2024, 2, 29, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=5, minutes=30))
        ),
        naive_moment=datetime(2024, 1, 1, 12, 0),
        day=date(1999, 12, 31),
        clock=time(8, 30, 15, 123),
        identifier=uuid.UUID("12345678-1234-5678-1234-567812345678"),
        colour=ContractColour.BLUE,
        level=ContractLevel.HIGH,
        pair=(1, "one"),
        numbers=(1, 2, 3),
        names=["a", "b"],
        tags=frozenset({"x", "y"}),
        prices={"apple": Decimal("0.10"), "pear": Decimal("1E+3")},
        by_id={uuid.UUID(int=7): 7},
        address=ContractAddress("Main St", 5, ("home",)),
        addresses=[ContractAddress("A", 1), ContractAddress("B", 2, ("work", "x"))],
        maybe_amount=None,
        either=Decimal("1.5"),
        mode="b",
        anything={"nested": [1, "two", None, True]},
        extra={"k": [1, 2]},
        correlation_id="corr-1",
        causation_id="cause-1",
        trace_id="trace-1",
        actor_id="user-1",
        subject="subject-1",
    )


@dataclass(frozen=True, kw_only=True)
class ContractRenamedV1(Event, type_name="ContractRenamed", schema_version=1):
    name: str


@dataclass(frozen=True, kw_only=True)
class ContractRenamed(Event, schema_version=2):
    first_name: str
    last_name: str


class SplitName(EventUpcaster[ContractRenamedV1, ContractRenamed]):
    def __init__(self) -> None:
        super().__init__(source_version=1, target_version=2)

    async def upcast(self, event: ContractRenamedV1) -> ContractRenamed:
        first, _, last = event.name.partition(" ")
        return ContractRenamed(
            id=event.id, timestamp=event.timestamp, first_name=first, last_name=last
        )


def added(item: str = "x", quantity: int = 1) -> ContractItemAdded:
    return ContractItemAdded(item=item, quantity=quantity)


# --- the store under test --------------------------------------------------------------------


class StoreUnderTest(Protocol):
    """The async face the contract drives; wraps a sync or async store."""

    store: Any
    decodes: bool  # False for stores that keep objects (memory): they never decode

    async def save(
        self, aggregate_id: str, events: Sequence[Event], expected_version: int | None = None
    ) -> Checkpoint | None: ...

    async def load(self, aggregate_id: str, from_version: int = 0) -> list[Event]: ...

    async def save_snapshot(self, snapshot: Snapshot) -> None: ...

    async def load_snapshot(self, aggregate_id: str) -> Snapshot | None: ...

    async def read_all(
        self, after: Checkpoint = START, batch_size: int = 1000
    ) -> list[RecordedEvent]: ...


@dataclass
class SyncStoreUnderTest:
    """Drives a synchronous store (save_snapshot/load_snapshot, read_all iterator)."""

    store: Any
    decodes: bool = True

    async def save(
        self, aggregate_id: str, events: Sequence[Event], expected_version: int | None = None
    ) -> Checkpoint | None:
        checkpoint: Checkpoint | None = self.store.save(
            aggregate_id, events, expected_version=expected_version
        )
        return checkpoint

    async def load(self, aggregate_id: str, from_version: int = 0) -> list[Event]:
        return list(self.store.load(aggregate_id, from_version=from_version))

    async def save_snapshot(self, snapshot: Snapshot) -> None:
        self.store.save_snapshot(snapshot)

    async def load_snapshot(self, aggregate_id: str) -> Snapshot | None:
        snapshot: Snapshot | None = self.store.load_snapshot(aggregate_id)
        return snapshot

    async def read_all(
        self, after: Checkpoint = START, batch_size: int = 1000
    ) -> list[RecordedEvent]:
        return list(self.store.read_all(after, batch_size=batch_size))


@dataclass
class AsyncStoreUnderTest:
    """Drives an asynchronous store (save_snapshot_async/load_snapshot_async, async read_all)."""

    store: Any
    decodes: bool = True

    async def save(
        self, aggregate_id: str, events: Sequence[Event], expected_version: int | None = None
    ) -> Checkpoint | None:
        checkpoint: Checkpoint | None = await self.store.save(
            aggregate_id, events, expected_version=expected_version
        )
        return checkpoint

    async def load(self, aggregate_id: str, from_version: int = 0) -> list[Event]:
        return list(await self.store.load(aggregate_id, from_version=from_version))

    async def save_snapshot(self, snapshot: Snapshot) -> None:
        await self.store.save_snapshot_async(snapshot)

    async def load_snapshot(self, aggregate_id: str) -> Snapshot | None:
        snapshot: Snapshot | None = await self.store.load_snapshot_async(aggregate_id)
        return snapshot

    async def read_all(
        self, after: Checkpoint = START, batch_size: int = 1000
    ) -> list[RecordedEvent]:
        return [recorded async for recorded in self.store.read_all(after, batch_size=batch_size)]


type StoreFactory = Callable[..., Awaitable[StoreUnderTest]]

ASYNC_STORE_METHODS = (
    "save",
    "save_async",
    "load",
    "load_async",
    "save_snapshot",
    "save_snapshot_async",
    "load_snapshot",
    "load_snapshot_async",
)
"""The names every async store answers (SPEC §4), each a coroutine function."""


# --- the contract ----------------------------------------------------------------------------


class EventStoreContract:
    """Every event store passes these; subclasses only provide the `store_factory` fixture."""

    @pytest.fixture
    def store_factory(self) -> StoreFactory:
        raise NotImplementedError("subclasses provide a store_factory fixture")

    @pytest.fixture
    async def store(self, store_factory: StoreFactory) -> StoreUnderTest:
        return await store_factory()

    async def test_saved_events_load_in_order_and_equal(self, store: StoreUnderTest) -> None:
        events = [added("a"), added("b", 2), added("c", 3)]
        await store.save("order-1", events)
        assert await store.load("order-1") == events

    async def test_loaded_events_are_the_saved_classes(self, store: StoreUnderTest) -> None:
        await store.save("order-1", [added()])
        (loaded,) = await store.load("order-1")
        assert type(loaded) is ContractItemAdded
        assert loaded.type == "ContractItemAdded"

    async def test_unknown_stream_loads_empty(self, store: StoreUnderTest) -> None:
        assert await store.load("missing") == []

    async def test_streams_are_separate(self, store: StoreUnderTest) -> None:
        first, second = added("first"), added("second")
        await store.save("a", [first])
        await store.save("b", [second])
        assert await store.load("a") == [first]
        assert await store.load("b") == [second]

    async def test_load_from_version_skips_earlier_events(self, store: StoreUnderTest) -> None:
        events = [added(str(i)) for i in range(5)]
        await store.save("s", events)
        assert await store.load("s", from_version=2) == events[2:]
        assert await store.load("s", from_version=5) == []

    async def test_negative_from_version_is_rejected(self, store: StoreUnderTest) -> None:
        await store.save("s", [added()])
        with pytest.raises(ValidationError) as caught:
            await store.load("s", from_version=-1)
        assert caught.value.field == "from_version"

    async def test_successive_saves_append(self, store: StoreUnderTest) -> None:
        first, second = [added("1")], [added("2"), added("3")]
        await store.save("s", first)
        await store.save("s", second, expected_version=1)
        assert await store.load("s") == first + second

    async def test_expected_version_zero_creates_a_stream(self, store: StoreUnderTest) -> None:
        event = added()
        await store.save("ACC-001", [event], expected_version=0)
        assert await store.load("ACC-001") == [event]

    async def test_expected_version_on_new_stream_must_be_zero(self, store: StoreUnderTest) -> None:
        with pytest.raises(ConcurrencyError) as caught:
            await store.save("new", [added()], expected_version=1)
        assert (caught.value.expected_version, caught.value.actual_version) == (1, 0)
        assert caught.value.aggregate_id == "new"
        assert await store.load("new") == []

    async def test_stale_expected_version_raises_and_writes_nothing(
        self, store: StoreUnderTest
    ) -> None:
        original = [added("1"), added("2")]
        await store.save("s", original)
        with pytest.raises(ConcurrencyError) as caught:
            await store.save("s", [added("late")], expected_version=1)
        assert (caught.value.expected_version, caught.value.actual_version) == (1, 2)
        assert await store.load("s") == original

    async def test_future_expected_version_raises(self, store: StoreUnderTest) -> None:
        await store.save("s", [added()])
        with pytest.raises(ConcurrencyError) as caught:
            await store.save("s", [added()], expected_version=5)
        assert caught.value.actual_version == 1
        assert len(await store.load("s")) == 1

    async def test_empty_batch_is_a_no_op(self, store: StoreUnderTest) -> None:
        await store.save("s", [])
        await store.save("s", [], expected_version=0)
        assert await store.load("s") == []
        assert await store.read_all() == []

    async def test_duplicate_id_in_other_stream_writes_nothing(self, store: StoreUnderTest) -> None:
        stored = added("stored")
        await store.save("a", [stored])
        fresh = added("fresh")
        clash = ContractItemAdded(id=stored.id, item="clash")
        with pytest.raises(DuplicateEventError) as caught:
            await store.save("b", [fresh, clash])
        assert caught.value.event_id == stored.id
        assert await store.load("b") == []
        assert [r.event for r in await store.read_all()] == [stored]

    async def test_failure_mid_batch_writes_nothing(self, store: StoreUnderTest) -> None:
        await store.save("s", [added("0")])
        first = added("1")
        with pytest.raises(DuplicateEventError):
            await store.save("s", [first, added("2"), ContractItemAdded(id=first.id, item="3")])
        assert [e.item for e in await store.load("s")] == ["0"]  # type: ignore[attr-defined]
        await store.save("s", [first], expected_version=1)
        assert len(await store.load("s")) == 2

    async def test_every_codec_type_round_trips(self, store: StoreUnderTest) -> None:
        event = everything_event()
        await store.save("typed", [event])
        (loaded,) = await store.load("typed")
        assert loaded == event
        assert isinstance(loaded, ContractEverything)
        assert isinstance(loaded.amount, Decimal)
        assert loaded.moment.utcoffset() == timedelta(hours=5, minutes=30)
        assert loaded.naive_moment.tzinfo is None
        assert loaded.timestamp.tzinfo is not None
        assert isinstance(loaded.numbers, tuple)

    async def test_metadata_round_trips(self, store: StoreUnderTest) -> None:
        event = ContractItemAdded(
            item="x",
            correlation_id="c",
            causation_id="k",
            trace_id="t",
            actor_id="u",
            source="shop",
            timestamp=datetime(2020, 1, 1, tzinfo=UTC),
        )
        await store.save("s", [event])
        assert await store.load("s") == [event]

    async def test_hostile_stream_ids_are_plain_data(self, store: StoreUnderTest) -> None:
        for stream in ["'; DROP TABLE events; --", "ünïcödé-🚀", "a/../../b", "x" * 300]:
            event = added(stream[:10])
            await store.save(stream, [event], expected_version=0)
            assert await store.load(stream) == [event]

    @pytest.mark.parametrize("stream", [42, None, "bad\ud800id", "nul\x00id"])
    async def test_unstorable_stream_ids_are_rejected(
        self, store: StoreUnderTest, stream: Any
    ) -> None:
        with pytest.raises(ValidationError) as caught:
            await store.save(stream, [added()])
        assert caught.value.field == "aggregate_id"
        assert await store.read_all() == []

    @pytest.mark.parametrize("item", [None, {"type": "ContractItemAdded"}, "text"])
    async def test_only_events_can_be_saved(self, store: StoreUnderTest, item: Any) -> None:
        with pytest.raises(EventEncodingError):
            await store.save("s", [added(), item])
        assert await store.load("s") == []

    async def test_snapshot_round_trips(self, store: StoreUnderTest) -> None:
        snapshot = Snapshot(
            aggregate_id="acc",
            aggregate_type="Account",
            version=3,
            state={"balance": "10.50", "owners": ["a", "b"], "nested": {"k": None}},
            timestamp=datetime(2024, 5, 1, 12, tzinfo=UTC),
            schema_version=2,
        )
        await store.save_snapshot(snapshot)
        assert await store.load_snapshot("acc") == snapshot

    @pytest.mark.parametrize(
        "value", [Decimal("1.5"), datetime(2024, 1, 1, tzinfo=UTC), (1, 2), {1: "a"}]
    )
    async def test_a_snapshot_state_must_be_json_data(
        self, store: StoreUnderTest, value: object
    ) -> None:
        """Every store refuses what PostgreSQL could not keep (docs/differences.md)."""
        with pytest.raises(EventEncodingError):
            await store.save_snapshot(Snapshot("acc", "Account", 1, {"value": value}))
        assert await store.load_snapshot("acc") is None

    async def test_a_loaded_snapshot_state_is_a_copy(self, store: StoreUnderTest) -> None:
        state: dict[str, Any] = {"owners": ["a"]}
        await store.save_snapshot(Snapshot("acc", "Account", 1, state))
        state["owners"].append("b")
        loaded = await store.load_snapshot("acc")
        assert loaded is not None and loaded.state == {"owners": ["a"]}
        loaded.state["owners"].append("c")
        again = await store.load_snapshot("acc")
        assert again is not None and again.state == {"owners": ["a"]}

    async def test_missing_snapshot_is_none(self, store: StoreUnderTest) -> None:
        await store.save_snapshot(Snapshot("other", "Account", 1, {}))
        assert await store.load_snapshot("acc") is None

    async def test_latest_snapshot_wins(self, store: StoreUnderTest) -> None:
        await store.save_snapshot(Snapshot("acc", "Account", 1, {"v": 1}))
        newest = Snapshot("acc", "Account", 5, {"v": 5})
        await store.save_snapshot(newest)
        await store.save_snapshot(Snapshot("acc", "Account", 3, {"v": 3}))
        assert await store.load_snapshot("acc") == newest

    async def test_the_store_answers_every_naming_of_its_kind(self, store: StoreUnderTest) -> None:
        """An async store answers the seeds' names and the `*_async` ones (SPEC §4), all
        coroutines on the same data; a sync store answers the seeds' names, as plain methods."""
        raw = store.store
        if not isinstance(store, AsyncStoreUnderTest):
            for name in ("save", "load", "save_snapshot", "load_snapshot"):
                method = getattr(raw, name)
                assert callable(method) and not inspect.iscoroutinefunction(method), name
            return
        for name in ASYNC_STORE_METHODS:
            assert inspect.iscoroutinefunction(getattr(raw, name, None)), f"no async {name}"
        first, second, third = added("1"), added("2"), added("3")
        await raw.save("s", [first], expected_version=0)
        await raw.save_async("s", [second], expected_version=1)
        await raw.save_async("s", [third])
        assert await raw.load("s") == await raw.load_async("s") == [first, second, third]
        assert await raw.load_async("s", from_version=2) == [third]
        assert await raw.load_async("s", 1) == await raw.load("s", from_version=1)
        with pytest.raises(ConcurrencyError):
            await raw.save_async("s", [added()], expected_version=0)
        older, newer = Snapshot("s", "Account", 1, {"v": 1}), Snapshot("s", "Account", 3, {})
        await raw.save_snapshot(older)
        assert await raw.load_snapshot_async("s") == older
        await raw.save_snapshot_async(newer)
        assert await raw.load_snapshot("s") == await raw.load_snapshot_async("s") == newer
        assert await raw.load_snapshot("other") is None

    async def test_global_positions_strictly_increase(self, store: StoreUnderTest) -> None:
        await store.save("a", [added("1"), added("2")])
        await store.save("b", [added("3")])
        await store.save("a", [added("4")])
        recorded = await store.read_all()
        checkpoints = [r.checkpoint for r in recorded]
        assert checkpoints == sorted(checkpoints)
        assert len(set(checkpoints)) == 4
        positions = [r.position for r in recorded]
        assert positions == sorted(set(positions))
        assert [(r.aggregate_id, r.version) for r in recorded] == [
            ("a", 1),
            ("a", 2),
            ("b", 1),
            ("a", 3),
        ]
        assert [r.event.item for r in recorded] == ["1", "2", "3", "4"]  # type: ignore[attr-defined]

    async def test_read_all_resumes_after_a_checkpoint(self, store: StoreUnderTest) -> None:
        for i in range(7):
            await store.save(f"s{i % 3}", [added(str(i))])
        everything = await store.read_all()
        assert await store.read_all(everything[2].checkpoint) == everything[3:]
        assert await store.read_all(everything[-1].checkpoint) == []
        await store.save("late", [added("late")])
        (late,) = await store.read_all(everything[-1].checkpoint)
        assert late.event.item == "late"  # type: ignore[attr-defined]

    async def test_read_all_in_small_batches_sees_everything(self, store: StoreUnderTest) -> None:
        events = [added(str(i)) for i in range(25)]
        await store.save("s", events[:10])
        await store.save("t", events[10:])
        recorded = await store.read_all(batch_size=4)
        assert [r.event for r in recorded] == events

    async def test_an_async_store_also_hands_its_log_over_in_batches(
        self, store: StoreUnderTest
    ) -> None:
        """Projection runners take an async store's log a batch at a time (a sync store's is
        an iterator they read in a worker thread): the same events as `read_all`, in order,
        in batches of at most `batch_size`, none empty."""
        events = [added(str(i)) for i in range(11)]
        await store.save("s", events[:6])
        await store.save("t", events[6:])
        raw = store.store
        if not isinstance(store, AsyncStoreUnderTest):
            assert isinstance(raw.read_all(), Iterator)
            assert not isinstance(raw, AsyncBatchedEventLog)
            return
        assert isinstance(raw, AsyncBatchedEventLog)
        batches = [batch async for batch in raw.read_batches(batch_size=4)]
        assert [len(batch) for batch in batches] == [4, 4, 3]
        assert [r for batch in batches for r in batch] == await store.read_all(batch_size=4)
        assert [r.event for batch in batches for r in batch] == events
        after = batches[0][-1].checkpoint
        assert [r async for batch in raw.read_batches(after, 100) for r in batch] == (
            await store.read_all(after)
        )
        await store.save("u", [added("late")])
        (last,) = [batch async for batch in raw.read_batches(batches[-1][-1].checkpoint)]
        assert [r.event.item for r in last] == ["late"]  # type: ignore[attr-defined]

    async def test_old_schema_versions_are_upcast_on_load(
        self, store_factory: StoreFactory
    ) -> None:
        registry = UpcasterRegistry()
        registry.register("ContractRenamed", SplitName())
        old = ContractRenamedV1(name="Ada Lovelace")
        plain = await store_factory()
        await plain.save("person", [old])
        assert await plain.load("person") == [old]
        upcasting = await store_factory(upcasters=registry)
        await upcasting.save("person", [old])
        (loaded,) = await upcasting.load("person")
        assert isinstance(loaded, ContractRenamed)
        assert (loaded.first_name, loaded.last_name, loaded.id) == ("Ada", "Lovelace", old.id)
        (recorded,) = await upcasting.read_all()
        assert recorded.event == loaded
        assert (recorded.aggregate_id, recorded.version) == ("person", 1)
