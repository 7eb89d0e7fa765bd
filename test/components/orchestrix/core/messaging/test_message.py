"""Messages: frozen CloudEvents metadata, type names, registration and causation."""

from __future__ import annotations

import dataclasses
import sys
import types
import uuid
from dataclasses import dataclass

import pytest

from orchestrix.core.common.exceptions import MessageTypeError
from orchestrix.core.common.validation import ValidationError, validate_positive
from orchestrix.core.messaging.message import Command, Event, Message
from orchestrix.core.messaging.registry import (
    forget_message_class,
    latest_schema_version,
    message_class,
)


@dataclass(frozen=True, kw_only=True)
class MsgCreateUser(Command):
    user_id: str
    email: str


@dataclass(frozen=True, kw_only=True)
class MsgUserCreated(Event):
    user_id: str


@dataclass(frozen=True, kw_only=True)
class MsgPay(Command):
    amount: float

    def __post_init__(self) -> None:
        validate_positive(self.amount, "amount")


def test_metadata_defaults() -> None:
    command = MsgCreateUser(user_id="u1", email="a@b.c")
    assert uuid.UUID(command.id).version == 4
    assert command.specversion == "1.0"
    assert command.type == "MsgCreateUser"
    assert command.source == "orchestrix"
    assert command.timestamp.tzinfo is not None
    assert command.timestamp.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
    for name in ("subject", "data", "correlation_id", "causation_id", "trace_id", "actor_id"):
        assert getattr(command, name) is None


def test_each_message_gets_its_own_id() -> None:
    assert MsgUserCreated(user_id="a").id != MsgUserCreated(user_id="a").id


def test_ids_are_random_uuids_in_canonical_text() -> None:
    ids = [MsgUserCreated(user_id="a").id for _ in range(2000)]
    parsed = [uuid.UUID(value) for value in ids]
    assert [str(value) for value in parsed] == ids  # lowercase, hyphenated
    assert {(value.version, value.variant) for value in parsed} == {(4, uuid.RFC_4122)}
    assert len(set(ids)) == len(ids)
    assert len({value[14:16] for value in ids}) > 1  # random bits right beside the version


def test_messages_are_frozen_and_hashable() -> None:
    event = MsgUserCreated(user_id="u1")
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.user_id = "other"  # type: ignore[misc]
    assert hash(event) == hash(dataclasses.replace(event))


def test_fields_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        MsgUserCreated("u1")  # type: ignore[misc]


def test_missing_required_field_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="user_id"):
        MsgUserCreated()  # type: ignore[call-arg]


def test_own_post_init_still_gets_the_type_name() -> None:
    assert MsgPay(amount=1.0).type == "MsgPay"
    with pytest.raises(ValidationError) as caught:
        MsgPay(amount=-1)
    assert caught.value.field == "amount"


def test_explicit_type_is_kept() -> None:
    assert MsgUserCreated(user_id="u", type="custom.type").type == "custom.type"


def test_classes_are_registered_by_type_name() -> None:
    assert message_class("MsgCreateUser") is MsgCreateUser
    assert message_class("MsgUserCreated", 1) is MsgUserCreated
    assert latest_schema_version("MsgUserCreated") == 1
    assert message_class("NeverDefined") is None


def test_same_type_name_from_another_module_is_allowed_but_ambiguous() -> None:
    source = (
        "from dataclasses import dataclass\n"
        "from orchestrix.core.messaging.message import Event\n"
        "@dataclass(frozen=True, kw_only=True)\n"
        "class MsgUserCreated(Event):\n"
        "    other: int\n"
    )
    module = types.ModuleType("elsewhere")
    sys.modules["elsewhere"] = module
    try:
        exec(compile(source, "elsewhere.py", "exec"), module.__dict__)
        twin = module.__dict__["MsgUserCreated"]
        assert twin(other=1).type == "MsgUserCreated"
        with pytest.raises(MessageTypeError) as caught:
            message_class("MsgUserCreated")
        assert "elsewhere:MsgUserCreated" in str(caught.value)
        assert "type_name=" in str(caught.value)
        assert message_class("MsgUserCreated", hint="elsewhere:MsgUserCreated") is twin
    finally:
        del sys.modules["elsewhere"]
        forget_message_class(module.__dict__["MsgUserCreated"])


def test_explicit_type_name_resolves_a_clash() -> None:
    @dataclass(frozen=True, kw_only=True)
    class MsgUserCreatedElsewhere(Event, type_name="billing.MsgUserCreated"):
        other: int

    assert MsgUserCreatedElsewhere(other=1).type == "billing.MsgUserCreated"
    assert message_class("billing.MsgUserCreated") is MsgUserCreatedElsewhere


def test_schema_versions_register_side_by_side() -> None:
    @dataclass(frozen=True, kw_only=True)
    class MsgRenamedV1(Event, type_name="MsgRenamed", schema_version=1):
        name: str

    @dataclass(frozen=True, kw_only=True)
    class MsgRenamed(Event, schema_version=2):
        first: str

    assert message_class("MsgRenamed", 1) is MsgRenamedV1
    assert message_class("MsgRenamed") is MsgRenamed
    assert latest_schema_version("MsgRenamed") == 2


def test_schema_version_must_be_positive() -> None:
    with pytest.raises(ValueError, match="schema_version"):

        class MsgBad(Event, schema_version=0):
            pass


def test_redefining_the_same_class_replaces_it() -> None:
    @dataclass(frozen=True, kw_only=True, slots=True)
    class MsgSlotted(Event):
        value: int

    assert message_class("MsgSlotted") is MsgSlotted
    assert MsgSlotted(value=1).type == "MsgSlotted"


def test_caused_by_carries_correlation_causation_trace_and_actor() -> None:
    command = MsgCreateUser(user_id="u", email="e", trace_id="t", actor_id="user-9")
    event = MsgUserCreated.caused_by(command, user_id="u")
    assert event.correlation_id == command.id
    assert event.causation_id == command.id
    assert (event.trace_id, event.actor_id) == ("t", "user-9")
    follow_up = MsgUserCreated.caused_by(event, user_id="u")
    assert follow_up.correlation_id == command.id
    assert follow_up.causation_id == event.id


def test_caused_by_lets_fields_override() -> None:
    command = MsgCreateUser(user_id="u", email="e", correlation_id="c")
    event = MsgUserCreated.caused_by(command, user_id="u", actor_id="system")
    assert event.correlation_id == "c"
    assert event.actor_id == "system"


def test_message_base_is_generic_metadata() -> None:
    message = Message(data={"k": 1})
    assert message.type == "Message"
