"""The fidelity contract: a save stores what loads back equal, or raises and writes nothing.

Every store test class mixes `EventStoreFidelityContract` in beside `EventStoreContract`. The
checks cover values that do not match their annotations, untyped (JSON) values, type names,
mutable values inside frozen events, snapshots, ids and versions at the limits, and a
hypothesis test that feeds events arbitrary values.
"""

from __future__ import annotations

import asyncio
import enum
import math
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestrix.core.common.exceptions import EventEncodingError
from orchestrix.core.common.validation import ValidationError
from orchestrix.core.eventsourcing.aggregate import AggregateRepository, AggregateRoot
from orchestrix.core.eventsourcing.event_log import Checkpoint
from orchestrix.core.eventsourcing.event_store import MAX_ID_BYTES
from orchestrix.core.eventsourcing.snapshot import Snapshot
from orchestrix.core.messaging import _fast
from orchestrix.core.messaging.codec import decode_event, encode_event, stored_type
from orchestrix.core.messaging.message import Event
from orchestrix.core.messaging.registry import forget_message_class, register_message_class
from test.contracts.event_store import StoreUnderTest, added


@dataclass(frozen=True, kw_only=True)
class FidelityBare(Event):
    mapping: dict = field(default_factory=dict)  # type: ignore[type-arg]
    typed: dict[str, Any] = field(default_factory=dict)
    items: list = field(default_factory=list)  # type: ignore[type-arg]
    anything: Any = None


@dataclass(frozen=True, kw_only=True)
class FidelityTyped(Event):
    count: int = 0
    ratio: float = 0.0
    day: date = date(2024, 1, 1)
    ref: uuid.UUID | None = None
    label: str = ""
    names: list[str] = field(default_factory=list)


class TupleColour(enum.Enum):
    RED = (255, 0, 0)


@dataclass(frozen=True, kw_only=True)
class FidelityTupleEnum(Event):
    colour: TupleColour


@dataclass(frozen=True, kw_only=True)
class FidelityAmbiguousUnion(Event):
    values: list[str] | list[uuid.UUID]


@dataclass(frozen=True, kw_only=True)
class FidelityAmbiguousDecimals(Event):
    values: list[str] | list[Decimal]


@dataclass(frozen=True, kw_only=True)
class FidelityDeposited(Event):
    amount: int


@dataclass(frozen=True, kw_only=True)
class FidelityWithdrawn(Event):
    amount: int


@dataclass(frozen=True, kw_only=True)
class FidelityLost(Event, schema_version=3):
    """A class that a reading process has not imported (the test forgets it for a while)."""

    amount: Decimal
    tags: tuple[str, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class FidelitySlotted(Event):
    """A slots dataclass under the dict-based Event: its fields all live in slots."""

    amount: Decimal
    tags: list[str] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class FidelityShelved(Event):
    name: str


@dataclass(frozen=True, kw_only=True)
class FidelityNoneDefaults(Event):
    """Fields written as the first release's users wrote them: a None default, no Optional."""

    note: str = None  # type: ignore[assignment]
    count: int = None  # type: ignore[assignment]
    when: datetime = None  # type: ignore[assignment]


@dataclass(frozen=True)
class FidelityMoney:
    amount: Decimal
    currency: str = "EUR"


@dataclass(frozen=True, kw_only=True)
class FidelityDerived(Event):
    """Fields `__init__` does not set: one left to its class default, one from a factory."""

    total: FidelityMoney
    lines: list[FidelityMoney]
    revision: int = field(init=False, default=1)
    notes: list[str] = field(init=False, default_factory=list)


@dataclass
class FidelityShelf(AggregateRoot):
    """An aggregate whose state is held in bare `dict` and `list` fields and untyped values."""

    counts: dict = field(default_factory=dict)  # type: ignore[type-arg]
    items: list = field(default_factory=list)  # type: ignore[type-arg]
    notes: dict[str, Any] = field(default_factory=dict)

    def shelve(self, name: str) -> None:
        self._apply_event(FidelityShelved(name=name))

    def _when_fidelity_shelved(self, event: FidelityShelved) -> None:
        self.counts[event.name] = self.counts.get(event.name, 0) + 1
        self.items.append({"name": event.name, "at": [len(self.items), 0.5]})
        self.notes.setdefault("log", []).append(event.name)


def _deep(levels: int) -> Any:
    value: Any = 0
    for _ in range(levels):
        value = [value]
    return value


class EventStoreFidelityContract:
    """What every store refuses, and what it keeps exactly; see the module docstring."""

    async def _refused(self, store: StoreUnderTest, *events: Event) -> None:
        with pytest.raises((EventEncodingError, ValidationError)):
            await store.save("refused", [added("first"), *events])
        assert await store.load("refused") == []

    async def _round_trip(self, store: StoreUnderTest, event: Event) -> Event:
        stream = f"trip-{uuid.uuid4()}"
        await store.save(stream, [event])
        (loaded,) = await store.load(stream)
        assert loaded == event
        assert type(loaded) is type(event)
        return loaded

    async def test_slots_events_round_trip(self, store: StoreUnderTest) -> None:
        await self._round_trip(store, FidelitySlotted(amount=Decimal("2.5"), tags=["a"]))
        await self._round_trip(store, FidelitySlotted(amount=Decimal(1), data={"k": [1]}))

    async def test_a_field_whose_default_is_none_keeps_none_or_its_type(
        self, store: StoreUnderTest
    ) -> None:
        await self._round_trip(store, FidelityNoneDefaults())
        moment = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
        await self._round_trip(store, FidelityNoneDefaults(note="n", count=3, when=moment))
        await self._refused(store, FidelityNoneDefaults(count=2.5))  # type: ignore[arg-type]

    async def test_nested_value_objects_and_fields_init_leaves_alone_round_trip(
        self, store: StoreUnderTest
    ) -> None:
        lines = [FidelityMoney(Decimal("1.5")), FidelityMoney(Decimal(2), "USD")]
        loaded = await self._round_trip(
            store, FidelityDerived(total=FidelityMoney(Decimal("3.5")), lines=lines)
        )
        assert loaded.revision == 1  # type: ignore[attr-defined]
        assert type(loaded.lines[1]) is FidelityMoney  # type: ignore[attr-defined]

    async def test_bare_dict_and_list_fields_keep_their_items(self, store: StoreUnderTest) -> None:
        event = FidelityBare(
            mapping={"a": 1, "b": [2, None]}, typed={"x": {"y": "z"}}, items=[{"k": 1}, 2.5]
        )
        loaded = await self._round_trip(store, event)
        assert loaded.mapping == {"a": 1, "b": [2, None]}  # type: ignore[attr-defined]

    @pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
    async def test_untyped_nan_and_infinity_are_refused(
        self, store: StoreUnderTest, bad: float
    ) -> None:
        await self._refused(store, FidelityBare(anything=bad))
        await self._refused(store, FidelityBare(mapping={"a": [bad]}))
        await self._refused(store, FidelityBare(items=[bad]))
        await self._refused(store, FidelityBare(data={"v": bad}))

    async def test_untyped_numbers_keep_their_exact_value_and_type(
        self, store: StoreUnderTest
    ) -> None:
        values = [1e16, -0.0, 1.5e300, 2**70, -(2**64), 0.1, 5e-324]
        loaded = await self._round_trip(store, FidelityBare(anything=values, data=1e16))
        kept = loaded.anything  # type: ignore[attr-defined]
        assert [type(value) for value in kept] == [type(value) for value in values]
        assert math.copysign(1, kept[1]) == -1
        assert type(loaded.data) is float

    async def test_typed_float_special_values_round_trip(self, store: StoreUnderTest) -> None:
        for value in [math.inf, -math.inf, -0.0, 1e16]:
            loaded = await self._round_trip(store, FidelityTyped(ratio=value))
            ratio = loaded.ratio  # type: ignore[attr-defined]
            assert type(ratio) is float
            assert math.copysign(1, ratio) == math.copysign(1, value)
        stream = f"nan-{uuid.uuid4()}"
        await store.save(stream, [FidelityTyped(ratio=math.nan)])
        (loaded,) = await store.load(stream)
        assert math.isnan(loaded.ratio)  # type: ignore[attr-defined]

    @pytest.mark.parametrize(
        "bad",
        [
            Decimal("1.5"),
            (1, 2),
            uuid.UUID(int=1),
            datetime(2024, 1, 1, tzinfo=UTC),
            {1: "a"},
            {"a"},
            b"bytes",
        ],
        ids=repr,
    )
    async def test_untyped_values_must_be_json(self, store: StoreUnderTest, bad: object) -> None:
        await self._refused(store, FidelityBare(anything=bad))
        await self._refused(store, FidelityBare(typed={"nested": [bad]}))

    @pytest.mark.parametrize(
        "changes",
        [
            {"count": 2.5},
            {"count": math.nan},
            {"count": 1e300},
            {"count": True},
            {"count": "1"},
            {"count": None},
            {"ratio": "0.5"},
            {"ratio": True},
            {"day": datetime(2024, 1, 1, 12, 30)},
            {"label": uuid.UUID(int=3)},
            {"ref": "not-a-uuid"},
            {"names": ("a",)},
            {"names": [1]},
            {"timestamp": "2024-01-01"},
            {"source": None},
        ],
        ids=repr,
    )
    async def test_values_not_matching_their_annotation_are_refused(
        self, store: StoreUnderTest, changes: dict[str, Any]
    ) -> None:
        await self._refused(store, replace(FidelityTyped(), **changes))

    async def test_an_int_is_stored_as_a_float_in_a_float_field(
        self, store: StoreUnderTest
    ) -> None:
        stream = f"promote-{uuid.uuid4()}"
        await store.save(stream, [FidelityTyped(ratio=3)])
        (loaded,) = await store.load(stream)
        assert type(loaded.ratio) is float  # type: ignore[attr-defined]
        assert loaded.ratio == 3.0  # type: ignore[attr-defined]

    async def test_enums_with_tuple_values_are_refused(self, store: StoreUnderTest) -> None:
        await self._refused(store, FidelityTupleEnum(colour=TupleColour.RED))

    async def test_union_members_that_look_alike_in_storage_are_refused(
        self, store: StoreUnderTest
    ) -> None:
        await self._refused(store, FidelityAmbiguousUnion(values=["a"]))
        await self._refused(store, FidelityAmbiguousUnion(values=[str(uuid.UUID(int=5))]))
        await self._refused(store, FidelityAmbiguousDecimals(values=["1.5"]))
        await self._refused(store, FidelityAmbiguousDecimals(values=[Decimal("1.5")]))

    async def test_deep_nesting_is_a_clear_error(self, store: StoreUnderTest) -> None:
        with pytest.raises(EventEncodingError, match="nested"):
            await store.save("deep", [FidelityBare(anything=_deep(1000))])
        assert await store.load("deep") == []
        await self._round_trip(store, FidelityBare(anything=_deep(50)))

    async def test_the_type_field_never_chooses_the_class(self, store: StoreUnderTest) -> None:
        event = FidelityDeposited(amount=100, type="FidelityWithdrawn")
        loaded = await self._round_trip(store, event)
        assert loaded.type == "FidelityWithdrawn"
        (recorded,) = [r for r in await store.read_all() if r.event.id == event.id]
        assert type(recorded.event) is FidelityDeposited

    async def test_an_unknown_event_saves_back_as_it_was(self, store: StoreUnderTest) -> None:
        original = FidelityLost(amount=Decimal("1.50"), tags=("a", "b"), data={"note": 1})
        raw, kept = encode_event(original), stored_type(original)
        forget_message_class(FidelityLost)
        try:
            unknown = decode_event(raw, 3, type_name="FidelityLost", hint=kept.hint)
            assert type(unknown) is Event
            assert stored_type(unknown) == replace(kept, spread=True)
            await store.save("copied", [unknown])
            (loaded,) = await store.load("copied")
            assert type(loaded) is Event
            assert loaded == unknown
        finally:
            register_message_class(FidelityLost, "FidelityLost", 3)
        (again,) = await store.load("copied")
        if store.decodes:
            assert type(again) is FidelityLost
            assert again == original
            assert again.type == "FidelityLost"

    async def test_values_inside_events_cannot_change_stored_history(
        self, store: StoreUnderTest
    ) -> None:
        names: list[str] = ["a"]
        await store.save("mutable", [FidelityTyped(names=names), FidelityBare(typed={"k": [1]})])
        names.append("changed by the writer")
        first, second = await store.load("mutable")
        first.names.append("changed by a reader")  # type: ignore[attr-defined]
        second.typed["k"].append(2)  # type: ignore[attr-defined]
        (recorded, _) = [r.event for r in await store.read_all() if r.aggregate_id == "mutable"]
        recorded.names.append("changed through the log")  # type: ignore[attr-defined]
        first, second = await store.load("mutable")
        assert first.names == ["a"]  # type: ignore[attr-defined]
        assert second.typed == {"k": [1]}  # type: ignore[attr-defined]

    async def test_snapshot_state_is_a_copy(self, store: StoreUnderTest) -> None:
        state: dict[str, Any] = {"items": [1]}
        await store.save_snapshot(Snapshot("acc", "Account", 1, state))
        state["items"].append("changed by the writer")
        loaded = await store.load_snapshot("acc")
        assert loaded is not None
        loaded.state["items"].append("changed by a reader")
        again = await store.load_snapshot("acc")
        assert again is not None
        assert again.state == {"items": [1]}

    async def test_snapshots_keep_bare_dict_and_list_state(self, store: StoreUnderTest) -> None:
        repository = AggregateRepository[FidelityShelf](store.store, snapshot_every=3)
        shelf = FidelityShelf(aggregate_id="shelf")
        for name in ("a", "b", "a"):
            shelf.shelve(name)
        await repository.save_async(shelf)
        snapshot = await store.load_snapshot("shelf")
        assert snapshot is not None
        assert snapshot.version == 3
        assert snapshot.state == {
            "counts": {"a": 2, "b": 1},
            "items": [
                {"name": "a", "at": [0, 0.5]},
                {"name": "b", "at": [1, 0.5]},
                {"name": "a", "at": [2, 0.5]},
            ],
            "notes": {"log": ["a", "b", "a"]},
        }
        loaded = await repository.load_async(FidelityShelf, "shelf")
        assert loaded == shelf

    @pytest.mark.parametrize("bad", [Decimal("1"), (1,), math.nan, {1: 2}], ids=repr)
    async def test_snapshot_state_must_be_json(self, store: StoreUnderTest, bad: object) -> None:
        with pytest.raises(EventEncodingError):
            await store.save_snapshot(Snapshot("acc", "Account", 1, {"v": bad}))
        assert await store.load_snapshot("acc") is None

    async def test_metadata_no_store_could_keep_is_refused(self, store: StoreUnderTest) -> None:
        await self._refused(store, added(), added().__class__(item="x", correlation_id="\ud800"))
        await self._refused(store, replace(added(), correlation_id=uuid.UUID(int=1)))  # type: ignore[arg-type]
        await self._refused(store, replace(added(), actor_id="nul\x00"))
        await self._refused(store, replace(added(), id=42))  # type: ignore[arg-type]
        await self._refused(store, FidelityTyped(label="lone \udc00 surrogate"))

    async def test_text_with_nul_characters_round_trips_in_payloads(
        self, store: StoreUnderTest
    ) -> None:
        await self._round_trip(store, FidelityTyped(label="a\x00b", names=["\x00"]))

    async def test_ids_longer_than_the_shared_maximum_are_refused_briefly(
        self, store: StoreUnderTest
    ) -> None:
        longest = "é" * (MAX_ID_BYTES // 2)  # two bytes each: exactly the maximum
        await store.save(longest, [replace(added(), id=longest)])
        assert len(await store.load(longest)) == 1
        too_long = longest + "x"
        with pytest.raises(ValidationError) as caught:
            await store.save(too_long, [added()])
        assert caught.value.field == "aggregate_id"
        assert len(str(caught.value)) < 200
        with pytest.raises(EventEncodingError) as refused:
            await store.save("s", [replace(added(), id=too_long)])
        assert len(str(refused.value)) < 200
        assert await store.load("s") == []

    @pytest.mark.parametrize("bad", [True, False, 1.0, -1, 2**63], ids=repr)
    async def test_expected_versions_outside_the_stream_range_are_refused(
        self, store: StoreUnderTest, bad: object
    ) -> None:
        with pytest.raises(ValidationError) as caught:
            await store.save("s", [added()], expected_version=bad)  # type: ignore[arg-type]
        assert caught.value.field == "expected_version"
        assert await store.load("s") == []

    async def test_positions_beyond_64_bits_are_refused(self, store: StoreUnderTest) -> None:
        await store.save("s", [added()])
        with pytest.raises(ValidationError):
            await store.load("s", from_version=2**63)
        with pytest.raises(ValidationError):
            await store.load("s", from_version=True)
        with pytest.raises(ValidationError):
            await store.read_all(Checkpoint(0, 2**63))
        with pytest.raises(ValidationError):
            await store.read_all(Checkpoint(2**63, 0))

    async def test_save_returns_the_checkpoint_of_its_last_event(
        self, store: StoreUnderTest
    ) -> None:
        assert await store.save("s", []) is None
        first = await store.save("s", [added("1")])
        last = await store.save("t", [added("2"), added("3")])
        recorded = await store.read_all()
        assert (first, last) == (recorded[0].checkpoint, recorded[2].checkpoint)
        assert await store.read_all(last) == []

    async def test_mismatched_values_are_refused_or_round_trip(self, store: StoreUnderTest) -> None:
        if _fast.AVAILABLE:  # what is stored is read back through msgspec's typed decoding
            assert _fast.fast_reader(FidelityMismatched) is not None
        loop = asyncio.get_running_loop()

        def call(awaitable: Any) -> Any:
            return asyncio.run_coroutine_threadsafe(awaitable, loop).result(timeout=60)

        @settings(
            max_examples=80,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        )
        @given(mismatched_events)
        def check(event: Event) -> None:
            stream = f"h-{uuid.uuid4()}"
            try:
                call(store.save(stream, [event]))
            except (EventEncodingError, ValidationError):
                assert call(store.load(stream)) == []
                return
            (loaded,) = call(store.load(stream))
            assert type(loaded) is type(event)
            for name in event.__dataclass_fields__:
                same(getattr(loaded, name), getattr(event, name), name == "ratio")

        await asyncio.to_thread(check)


def same(loaded: Any, saved: Any, promoted: bool = False) -> None:
    """Equal values of the same types, all the way down (NaN equals NaN; an int saved in a
    float field comes back as that float)."""
    if promoted and type(saved) is int:
        assert type(loaded) is float
        assert loaded == saved
        return
    assert type(loaded) is type(saved), (loaded, saved)
    if isinstance(saved, float):
        assert (math.isnan(loaded) and math.isnan(saved)) or (
            loaded == saved and math.copysign(1, loaded) == math.copysign(1, saved)
        )
    elif isinstance(saved, list | tuple):
        assert len(loaded) == len(saved)
        for a, b in zip(loaded, saved, strict=True):
            same(a, b)
    elif isinstance(saved, dict):
        assert loaded.keys() == saved.keys()
        for key in saved:
            same(loaded[key], saved[key])
    else:
        assert loaded == saved


_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=2**63 - 2, max_value=2**80),
    st.floats(),
    st.text(max_size=5),
    st.decimals(places=2, allow_nan=False),
    st.uuids(),
    st.dates(),
    st.datetimes(timezones=st.none() | st.just(UTC)),
    st.binary(max_size=3),
)
_anything = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.lists(inner, max_size=3).map(tuple)
        | st.dictionaries(st.text(max_size=3) | st.integers(), inner, max_size=3)
    ),
    max_leaves=6,
)


@dataclass(frozen=True, kw_only=True)
class FidelityMismatched(Event):
    count: int
    ratio: float
    label: str
    amount: Decimal
    day: date
    moment: datetime
    ref: uuid.UUID
    flag: bool
    numbers: list[int]
    words: tuple[str, ...]
    scores: dict[str, int]
    either: Decimal | str
    maybe: int | None
    anything: Any


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=4),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=6,
)
_decimals = st.decimals(allow_nan=False, allow_infinity=False)
_matching: dict[str, st.SearchStrategy[Any]] = {
    "count": st.integers(),
    "ratio": st.floats(),
    "label": st.text(max_size=5),
    "amount": _decimals,
    "day": st.dates(),
    "moment": st.datetimes(timezones=st.none() | st.just(UTC)),
    "ref": st.uuids(),
    "flag": st.booleans(),
    "numbers": st.lists(st.integers(), max_size=3),
    "words": st.lists(st.text(max_size=3), max_size=3).map(tuple),
    "scores": st.dictionaries(st.text(max_size=3), st.integers(), max_size=3),
    "either": _decimals | st.text(max_size=3),
    "maybe": st.none() | st.integers(),
    "anything": _json,
    "data": _json,
}


@st.composite
def _mismatched(draw: st.DrawFn) -> FidelityMismatched:
    """Matching values in every field but up to two, which get anything at all."""
    values = {name: draw(strategy) for name, strategy in _matching.items()}
    for name in draw(st.lists(st.sampled_from(sorted(_matching)), max_size=2)):
        values[name] = draw(_anything)
    return FidelityMismatched(**values)


mismatched_events = _mismatched()
