"""Personal fields in the codec: how they are declared, refused, sealed, redacted and read."""

from __future__ import annotations

import copy
import pickle
import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestrix.core.common.exceptions import EventDecodingError, EventEncodingError
from orchestrix.core.eventsourcing.erasure import erase_subject
from orchestrix.core.eventsourcing.personal_data import PersonalData
from orchestrix.core.messaging.codec import (
    decode_event,
    encode_event,
    event_from_data,
    has_personal_fields,
    to_data,
)
from orchestrix.core.messaging.message import Event
from orchestrix.core.messaging.personal import REDACTED, Personal, Redacted, is_redacted
from orchestrix.infrastructure.crypto import AesGcmCipher, generate_master_key
from orchestrix.infrastructure.memory import InMemoryEventStore, InMemoryKeyStore

CIPHER = AesGcmCipher.from_base64(generate_master_key())


@dataclass(frozen=True)
class Place:
    city: str
    since: date


@dataclass(frozen=True, kw_only=True)
class Profiled(Event):
    person_id: uuid.UUID
    name: Annotated[str, Personal("person_id")]
    born: Annotated[date, Personal("person_id")]
    balance: Annotated[Decimal, Personal("person_id")]
    nickname: Annotated[str, Personal("person_id")] | None = None  # the marker in a union
    places: list[Annotated[Place, Personal("person_id")]] = field(default_factory=list)
    visits: int = 0


def test_a_marker_anywhere_in_a_field_makes_the_field_personal() -> None:
    assert has_personal_fields(Profiled)
    data = to_data(profiled(nickname="Annie", places=[Place("Oslo", date(2020, 1, 1))]))
    assert data["nickname"] == "Annie" and data["places"] == [
        {"city": "Oslo", "since": "2020-01-01"}
    ]  # no protection given: plain, as a broker body carries them


def profiled(**values: Any) -> Profiled:
    base = {
        "person_id": uuid.UUID(int=1),
        "name": "Ann",
        "born": date(1990, 1, 2),
        "balance": Decimal("10.50"),
    }
    return Profiled(**{**base, **values})


# --- declaring personal fields ----------------------------------------------------------------


def test_the_subject_must_be_a_field_of_the_event() -> None:
    @dataclass(frozen=True, kw_only=True)
    class NoSubject(Event):
        email: Annotated[str, Personal("customer_id")]

    with pytest.raises(EventEncodingError, match="must name a str, int or UUID field"):
        encode_event(NoSubject(email="a@example.org"))


def test_the_subject_cannot_be_personal_itself() -> None:
    @dataclass(frozen=True, kw_only=True)
    class SelfSubject(Event):
        customer_id: Annotated[str, Personal("customer_id")]

    with pytest.raises(EventEncodingError, match="not personal itself"):
        encode_event(SelfSubject(customer_id="c-1"))


def test_the_subject_must_hold_an_id() -> None:
    @dataclass(frozen=True, kw_only=True)
    class DateSubject(Event):
        day: date
        note: Annotated[str, Personal("day")]

    with pytest.raises(EventEncodingError, match="must name a str, int or UUID field"):
        encode_event(DateSubject(day=date.today(), note="x"))


def test_one_field_belongs_to_one_subject() -> None:
    @dataclass(frozen=True, kw_only=True)
    class TwoSubjects(Event):
        a: str
        b: str
        pair: tuple[Annotated[str, Personal("a")], Annotated[str, Personal("b")]]

    with pytest.raises(EventEncodingError, match="several data subjects"):
        encode_event(TwoSubjects(a="1", b="2", pair=("x", "y")))


@dataclass(frozen=True)
class Contact:
    owner: str
    email: Annotated[str, Personal("owner")]


@dataclass(frozen=True, kw_only=True)
class Nested(Event):
    contact: Contact


def test_only_an_events_own_fields_can_be_personal() -> None:
    with pytest.raises(EventEncodingError, match="only an event's own fields"):
        encode_event(Nested(contact=Contact("c-1", "a@example.org")))


# --- the redacted value -----------------------------------------------------------------------


def test_redacted_is_one_recognisable_value() -> None:
    assert Redacted() is REDACTED and is_redacted(REDACTED) and not is_redacted(None)
    assert (repr(REDACTED), str(REDACTED), bool(REDACTED)) == ("REDACTED", "[redacted]", False)
    assert copy.deepcopy(REDACTED) is REDACTED
    assert pickle.loads(pickle.dumps(REDACTED)) is REDACTED


def test_redacted_fields_travel_as_such_without_protection() -> None:
    event = profiled(name=REDACTED, born=REDACTED)
    data = to_data(event)
    assert data["$redacted"] == ["name", "born"] and "name" not in data
    loaded = event_from_data(data)
    assert loaded == event and loaded.name is REDACTED  # type: ignore[attr-defined]


def test_a_non_personal_field_never_accepts_redacted() -> None:
    with pytest.raises(EventEncodingError, match="visits"):
        encode_event(profiled(visits=REDACTED))


def test_sealed_fields_read_without_keys_are_redacted() -> None:
    store = InMemoryEventStore(personal_data=PersonalData(InMemoryKeyStore(), CIPHER))
    store.save("p-1", [profiled()])
    (kept,) = store._streams["p-1"]
    loaded = decode_event(kept.raw, type_name="Profiled")  # type: ignore[union-attr]
    assert loaded.name is REDACTED and loaded.visits == 0  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "damage",
    [{"$sealed": "x"}, {"$sealed": {"s": "x"}}, {"$redacted": "name"}, {"$redacted": [1]}],
)
def test_damaged_personal_entries_are_decoding_errors(damage: dict[str, Any]) -> None:
    data = {**to_data(profiled()), **damage}
    with pytest.raises(EventDecodingError, match="damaged"):
        event_from_data(data)


# --- round trips, then erasure ----------------------------------------------------------------

texts = st.text(st.characters(exclude_categories=["Cs"]), max_size=30)
places = st.builds(Place, texts, st.dates())
events = st.builds(
    Profiled,
    person_id=st.uuids(),
    name=texts,
    born=st.dates(),
    balance=st.decimals(allow_nan=False, allow_infinity=False),
    nickname=st.none() | texts,
    places=st.lists(places, max_size=3),
    visits=st.integers(),
)


@settings(deadline=None, max_examples=60)
@given(events)
def test_personal_fields_round_trip_and_erase_on_their_own(event: Profiled) -> None:
    store = InMemoryEventStore(personal_data=PersonalData(InMemoryKeyStore(), CIPHER))
    store.save("p-1", [event])
    assert store.load("p-1") == [event]
    erase_subject(store, str(event.person_id))
    (erased,) = store.load("p-1")
    for name in ("name", "born", "balance", "nickname", "places"):
        assert getattr(erased, name) is REDACTED
    assert (erased.id, erased.person_id, erased.visits) == (event.id, event.person_id, event.visits)


def test_errors_never_quote_a_personal_value() -> None:
    with pytest.raises(EventEncodingError) as raised:
        encode_event(profiled(name=12345678))
    assert "Profiled.name" in str(raised.value) and "12345678" not in str(raised.value)
