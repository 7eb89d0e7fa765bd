"""The event codec: any event built from supported field types round-trips to an equal event."""

from __future__ import annotations

import dataclasses
import enum
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestrix.core.common.exceptions import EventDecodingError, EventEncodingError
from orchestrix.core.messaging import jsonio
from orchestrix.core.messaging.codec import (
    decode_event,
    encode_event,
    event_from_data,
    event_to_data,
    from_data,
    to_data,
)
from orchestrix.core.messaging.jsonio import dump_json, load_json
from orchestrix.core.messaging.message import Event


class Status(enum.Enum):
    ACTIVE = "active"
    CLOSED = "closed"


@dataclass(frozen=True)
class Line:
    sku: str
    quantity: int
    price: Decimal


@dataclass(frozen=True)
class Shipment:
    lines: tuple[Line, ...]
    address: str | None = None


@dataclass(frozen=True, kw_only=True)
class CodecOrderPlaced(Event):
    text: str
    count: int
    ratio: float
    flag: bool
    amount: Decimal
    at: datetime
    day: date
    ref: uuid.UUID
    status: Status
    tags: tuple[str, ...]
    scores: list[int]
    totals: dict[str, Decimal]
    shipment: Shipment
    note: str | None = None
    either: Decimal | int = 0


text = st.text(st.characters(exclude_categories=("Cs",)))
decimals = st.decimals(allow_nan=False, allow_infinity=False, places=None)
aware = st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=-7, minutes=-30))]))
moments = st.one_of(st.datetimes(), aware)
lines = st.builds(Line, sku=text, quantity=st.integers(), price=decimals)
shipments = st.builds(Shipment, lines=st.tuples(lines) | st.just(()), address=st.none() | text)

events = st.builds(
    CodecOrderPlaced,
    text=text,
    count=st.integers(),
    ratio=st.floats(allow_nan=False),
    flag=st.booleans(),
    amount=decimals,
    at=moments,
    day=st.dates(),
    ref=st.uuids(),
    status=st.sampled_from(Status),
    tags=st.lists(text, max_size=3).map(tuple),
    scores=st.lists(st.integers(), max_size=3),
    totals=st.dictionaries(text, decimals, max_size=3),
    shipment=shipments,
    note=st.none() | text,
    either=decimals | st.integers(),
    correlation_id=st.none() | text,
    actor_id=st.none() | text,
)


@given(events)
def test_any_event_round_trips_through_bytes(event: CodecOrderPlaced) -> None:
    decoded = decode_event(encode_event(event))
    assert decoded == event
    assert type(decoded) is CodecOrderPlaced
    assert type(decoded.either) is type(event.either)


@given(events)
def test_any_event_round_trips_through_data(event: CodecOrderPlaced) -> None:
    assert event_from_data(load_json(dump_json(event_to_data(event)))) == event


def sample(**changes: Any) -> CodecOrderPlaced:
    values: dict[str, Any] = {
        "text": "plain",
        "count": 1,
        "ratio": 0.5,
        "flag": False,
        "amount": Decimal("1.0"),
        "at": datetime(2024, 1, 1, tzinfo=UTC),
        "day": date(2024, 1, 1),
        "ref": uuid.UUID(int=1),
        "status": Status.ACTIVE,
        "tags": (),
        "scores": [],
        "totals": {},
        "shipment": Shipment(lines=()),
    }
    return CodecOrderPlaced(**(values | changes))


def test_decimal_with_28_digits_keeps_every_digit() -> None:
    amount = Decimal("1234567890.123456789012345678")
    decoded = decode_event(encode_event(sample(amount=amount)))
    assert decoded.amount == amount  # type: ignore[attr-defined]
    assert str(decoded.amount) == "1234567890.123456789012345678"  # type: ignore[attr-defined]


def test_naive_and_aware_datetimes_stay_as_they_were() -> None:
    naive = datetime(2024, 6, 1, 12, 30)
    aware_value = datetime(2024, 6, 1, 12, 30, tzinfo=timezone(timedelta(hours=2)))
    assert decode_event(encode_event(sample(at=naive))).at.tzinfo is None  # type: ignore[attr-defined]
    decoded = decode_event(encode_event(sample(at=aware_value)))
    assert decoded.at.utcoffset() == timedelta(hours=2)  # type: ignore[attr-defined]


offsets = st.sampled_from([UTC, timezone(timedelta(0)), timezone(timedelta(hours=-5, minutes=-30))])


@given(st.datetimes(timezones=st.none() | offsets))
def test_a_datetime_is_stored_as_its_isoformat_text(at: datetime) -> None:
    """UTC times are written by a faster route than `isoformat`, to the same text."""
    assert event_to_data(sample(at=at))["at"] == at.isoformat()
    assert decode_event(encode_event(sample(at=at))).at == at  # type: ignore[attr-defined]


def test_unicode_and_emoji_survive() -> None:
    value = 'Zoë 🚀 漢字 \u0000 "quoted" \\ end'
    assert decode_event(encode_event(sample(text=value))).text == value  # type: ignore[attr-defined]


def test_huge_integers_and_special_floats_round_trip() -> None:
    event = sample(count=2**100, ratio=float("inf"))
    decoded = decode_event(encode_event(event))
    assert decoded.count == 2**100  # type: ignore[attr-defined]
    assert decoded.ratio == float("inf")  # type: ignore[attr-defined]


def test_nan_round_trips_as_nan() -> None:
    decoded = decode_event(encode_event(sample(ratio=float("nan"))))
    assert decoded.ratio != decoded.ratio  # type: ignore[attr-defined]


def test_unknown_type_decodes_to_plain_event_with_fields_in_data() -> None:
    data = event_to_data(sample())
    data["type"] = "SomethingNobodyDefined"
    decoded = event_from_data(data)
    assert type(decoded) is Event
    assert decoded.type == "SomethingNobodyDefined"
    assert decoded.id == data["id"]
    assert decoded.data["text"] == "plain"
    assert decoded.data["amount"] == "1.0"


def test_missing_required_field_is_a_decoding_error() -> None:
    data = event_to_data(sample())
    del data["amount"]
    with pytest.raises(EventDecodingError, match="amount"):
        event_from_data(data)


def test_field_added_with_default_is_filled_and_removed_field_ignored() -> None:
    original = sample()
    data = event_to_data(original)
    del data["note"]
    data["field_that_was_removed"] = 1
    assert event_from_data(data) == original


def test_wrongly_typed_stored_value_is_a_decoding_error() -> None:
    data = event_to_data(sample())
    data["amount"] = "not a number"
    with pytest.raises(EventDecodingError):
        event_from_data(data)
    data = event_to_data(sample())
    data["shipment"] = "not an object"
    with pytest.raises(EventDecodingError):
        event_from_data(data)


def test_malformed_json_is_a_decoding_error() -> None:
    with pytest.raises(EventDecodingError):
        decode_event(b"{not json")
    with pytest.raises(EventDecodingError):
        decode_event(b"[1, 2]")
    with pytest.raises(EventDecodingError):
        decode_event(b'{"no_type": 1}')


def test_lone_surrogate_is_an_encoding_error() -> None:
    with pytest.raises(EventEncodingError):
        encode_event(sample(text="broken \ud800 text"))


def test_value_that_matches_no_union_member_is_an_encoding_error() -> None:
    with pytest.raises(EventEncodingError):
        encode_event(sample(either="text"))


def test_unsupported_field_type_is_reported_with_its_name() -> None:
    @dataclass(frozen=True, kw_only=True)
    class CodecHasSocket(Event):
        handle: complex

    with pytest.raises(EventEncodingError, match=r"handle"):
        encode_event(CodecHasSocket(handle=1j))


def test_decoding_skips_post_init_validation_of_stored_facts() -> None:
    @dataclass(frozen=True, kw_only=True)
    class CodecStrict(Event):
        amount: int

        def __post_init__(self) -> None:
            if self.amount < 0:
                raise ValueError("negative")

    data = event_to_data(CodecStrict(amount=1))
    data["amount"] = -1
    assert event_from_data(data).amount == -1  # type: ignore[attr-defined]


def test_plain_dataclasses_with_defaults_and_slots_round_trip() -> None:
    @dataclass(frozen=True, slots=True)
    class Point:
        x: int
        labels: frozenset[str] = frozenset()
        at: time = time(1, 2)
        index: dict[int, str] = field(default_factory=dict)

    point = Point(3, frozenset({"a"}), time(5, 6, 7), {1: "one"})
    assert from_data(Point, load_json(dump_json(to_data(point)))) == point


def test_encoded_payload_is_readable_json() -> None:
    payload = load_json(encode_event(sample(amount=Decimal("2.50"))))
    assert payload["type"] == "CodecOrderPlaced"
    assert payload["amount"] == "2.50"
    assert payload["status"] == "active"
    assert payload["timestamp"].endswith("+00:00")


@settings(deadline=None)
@given(events)
def test_both_json_paths_store_and_read_the_same(event: CodecOrderPlaced) -> None:
    data = event_to_data(event)
    by_stdlib, by_fast = jsonio._dump_stdlib(data), dump_json(data)
    for raw in (by_stdlib, by_fast):
        assert jsonio._load_stdlib(raw) == load_json(raw) == data
        assert decode_event(raw) == event
    assert type(decode_event(by_stdlib).either) is type(event.either)  # type: ignore[attr-defined]


def _nested(levels: int) -> Any:
    value: Any = 0
    for _ in range(levels):
        value = [value]
    return value


LIBRARIES_DISAGREED_ON = {
    "int key": {1: "a"},
    "datetime": {"at": datetime(2024, 1, 1, tzinfo=UTC)},
    "uuid": [uuid.UUID(int=1)],
    "nan": [float("nan")],
    "tuple": {"pair": (1, 2)},
    "int beyond 64 bits": 2**70,
    "line separator": "line\u2028separator",
    "3000 levels deep": _nested(3000),
}


@pytest.mark.parametrize("name", sorted(LIBRARIES_DISAGREED_ON))
def test_the_json_library_installed_never_changes_what_an_untyped_value_stores(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # orjson and the standard library used to disagree on these (one stored, one refused, or
    # both stored different text): the stored bytes, or the refusal, are the codec's alone.
    event = Event(data=LIBRARIES_DISAGREED_ON[name])
    outcomes: list[object] = []
    for dump in (jsonio._dump, jsonio._dump_stdlib):
        monkeypatch.setattr(jsonio, "_dump", dump)
        try:
            outcomes.append(encode_event(event))
        except Exception as error:  # any error, so that a library's own one shows too
            outcomes.append(type(error))
    assert outcomes[0] == outcomes[1]


@pytest.mark.parametrize("token", [b"NaN", b"Infinity", b"-Infinity", b'{"a": NaN}'])
def test_neither_json_path_reads_non_json_constants(token: bytes) -> None:
    with pytest.raises(ValueError):
        jsonio._load_stdlib(token)
    with pytest.raises(EventDecodingError):
        load_json(token)


def test_deeply_nested_stored_json_is_a_decoding_error() -> None:
    with pytest.raises(EventDecodingError, match="nested"):
        load_json(b"[" * 100_000 + b"]" * 100_000)


def test_encoding_never_shares_mutable_values_with_the_event() -> None:
    @dataclass(frozen=True, kw_only=True)
    class CodecHolder(Event):
        items: list[int]
        loose: dict[str, Any]

    event = CodecHolder(items=[1], loose={"a": [1]}, data={"d": [1]})
    data = event_to_data(event)
    assert data["items"] is not event.items
    assert data["loose"]["a"] is not event.loose["a"]
    assert data["data"]["d"] is not event.data["d"]


WITHOUT_MSGSPEC = """
import dataclasses, sys
sys.modules["msgspec"] = None  # as if the `fast` extra were not installed
from orchestrix.core.messaging import _fast, jsonio
from orchestrix.infrastructure.sqlite import SQLiteEventStore
from test.contracts.event_store import everything_event
assert jsonio.JSON_LIBRARY == "json" and not _fast.AVAILABLE
with SQLiteEventStore(sys.argv[1]) as store:
    (loaded,) = store.load("with")
    expected = everything_event()
    assert dataclasses.replace(loaded, id=expected.id, timestamp=expected.timestamp) == expected
    store.save("without", [dataclasses.replace(loaded, id="copy")])
"""


def test_the_pure_path_alone_reads_and_writes_the_same_stores(tmp_path: Path) -> None:
    from orchestrix.infrastructure.sqlite import SQLiteEventStore
    from test.contracts.event_store import everything_event

    path = tmp_path / "events.db"
    event = everything_event()
    with SQLiteEventStore(path) as store:
        store.save("with", [event])
    finished = subprocess.run(
        [sys.executable, "-c", WITHOUT_MSGSPEC, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=Path(__file__).resolve().parents[5],
    )
    assert finished.returncode == 0, finished.stderr
    with SQLiteEventStore(path) as store:
        assert store.load("without") == [dataclasses.replace(event, id="copy")]
