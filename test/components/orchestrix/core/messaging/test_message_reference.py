"""Messages hold the first release's facts (reference §1.1), plus SPEC §3's `trace_id` and
`actor_id`: fields and order, defaults, type defaulting, frozen, subclass rules."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from orchestrix.core.messaging.message import Command, Event, Message

RELEASE_FIELDS = [
    "id",
    "specversion",
    "type",
    "source",
    "timestamp",
    "subject",
    "data",
    "datacontenttype",
    "dataschema",
    "correlation_id",
    "causation_id",
]
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def test_fields_are_the_releases_in_order_then_trace_and_actor() -> None:
    names = [field.name for field in dataclasses.fields(Message)]

    assert names == [*RELEASE_FIELDS, "trace_id", "actor_id"]


@pytest.mark.parametrize("cls", [Message, Command, Event])
def test_defaults(cls: type[Message]) -> None:
    before = datetime.now(UTC)
    message = cls()

    assert UUID4.match(message.id)
    assert (message.specversion, message.type, message.source) == (
        "1.0",
        cls.__name__,
        "orchestrix",
    )
    assert before <= message.timestamp <= datetime.now(UTC)
    assert message.timestamp.isoformat().endswith("+00:00")
    for name in [*RELEASE_FIELDS[5:], "trace_id", "actor_id"]:
        assert getattr(message, name) is None, name


@pytest.mark.parametrize("cls", [Message, Command, Event])
def test_every_field_is_keyword_only(cls: type[Message]) -> None:
    assert all(field.kw_only for field in dataclasses.fields(cls))
    with pytest.raises(TypeError):
        cls("an-id")  # type: ignore[misc]


def test_an_explicit_type_is_kept() -> None:
    assert Event(type="UserCreated").type == "UserCreated"


def test_an_undecorated_subclass_gets_its_class_name_as_type() -> None:
    class CreateUserCommand(Command):
        pass

    assert CreateUserCommand().type == "CreateUserCommand"


def test_a_local_subclass_gets_its_class_name_as_type() -> None:
    def build() -> Event:
        @dataclass(frozen=True, kw_only=True)
        class LocallyDefined(Event):
            name: str

        return LocallyDefined(name="x")

    assert build().type == "LocallyDefined"


def test_undecorated_subclass_attributes_are_class_attributes_not_parameters() -> None:
    class OrderNoted(Event):
        order_id: str = "x"

    assert OrderNoted().order_id == "x"
    with pytest.raises(TypeError, match="order_id"):
        OrderNoted(order_id="y")  # type: ignore[call-arg]


def test_a_plain_frozen_dataclass_subclass_may_add_positional_fields() -> None:
    @dataclass(frozen=True)
    class PositionalItemAdded(Event):
        item: str
        quantity: int = 1

    added = PositionalItemAdded("apple", 3, source="shop")

    assert (added.item, added.quantity, added.source, added.type) == (
        "apple",
        3,
        "shop",
        "PositionalItemAdded",
    )
    with pytest.raises(TypeError):
        PositionalItemAdded("apple", 3, "shop")  # type: ignore[misc]


def test_a_kw_only_subclass_has_keyword_only_fields() -> None:
    @dataclass(frozen=True, kw_only=True)
    class ItemRemoved(Event):
        item: str

    with pytest.raises(TypeError):
        ItemRemoved("apple")  # type: ignore[misc]
    assert ItemRemoved(item="apple").item == "apple"


@pytest.mark.parametrize("name", [*RELEASE_FIELDS, "trace_id", "actor_id"])
def test_every_field_is_frozen(name: str) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(Event(), name, None)


def test_subclass_fields_are_frozen_too() -> None:
    @dataclass(frozen=True, kw_only=True)
    class Renamed(Event):
        name: str

    with pytest.raises(AttributeError):
        Renamed(name="a").name = "b"  # type: ignore[misc]


def test_equality_is_by_class_and_every_field() -> None:
    event = Event(id="e-1", timestamp=datetime(2024, 1, 1, tzinfo=UTC))

    assert event == dataclasses.replace(event)
    assert event != dataclasses.replace(event, subject="other")
    assert Event(id="e-1", timestamp=event.timestamp) != Command(
        id="e-1", timestamp=event.timestamp
    )


def test_hash_covers_every_field_so_a_dict_payload_is_unhashable() -> None:
    moment = datetime(2024, 1, 1, tzinfo=UTC)
    same = [Event(id="e", timestamp=moment, data=("a", 1)) for _ in range(2)]
    assert hash(same[0]) == hash(same[1])
    assert hash(same[0]) != hash(dataclasses.replace(same[0], subject="s"))
    with pytest.raises(TypeError):
        hash(Event(data={"a": 1}))


def test_two_classes_may_share_a_name() -> None:
    """No type-name registry stops a second `OrderCreated` (reference §1.1, SPEC §4)."""

    def define() -> type[Event]:
        @dataclass(frozen=True, kw_only=True)
        class SharedName(Event):
            value: int = 0

        return SharedName

    first = define()
    second = type("SharedName", (Event,), {"__module__": "elsewhere"})

    assert first().type == second().type == "SharedName"


def test_a_subclass_overriding_post_init_without_super_still_gets_its_type() -> None:
    """Defect #19: the release left `type == ""` here."""

    @dataclass(frozen=True, kw_only=True)
    class Validated(Command):
        amount: int

        def __post_init__(self) -> None:
            if self.amount <= 0:
                raise ValueError("amount must be positive")

    assert Validated(amount=1).type == "Validated"
