"""Messages inside saga values keep the identity event stores keep, and older rows still load."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from orchestrix.core.execution.value_codec import decode_value, dump_value, encode_value, load_value
from orchestrix.core.messaging.codec import event_to_data
from orchestrix.core.messaging.message import Event


@dataclass(frozen=True, kw_only=True)
class RefundIssued(Event, type_name="test_value_codec.RefundIssued"):
    amount: Decimal


def test_a_message_is_stored_with_its_type_name_schema_version_and_class_hint() -> None:
    event = RefundIssued(amount=Decimal("9.99"), type="renamed by the caller")
    (tag,) = encode_value(event)
    schema_version, _, type_name, hint = encode_value(event)[tag]
    assert (tag, schema_version, type_name) == ("$message", 1, "test_value_codec.RefundIssued")
    assert hint == f"{__name__}:RefundIssued"
    loaded = load_value(dump_value(event))
    assert type(loaded) is RefundIssued and loaded == event


def test_a_message_stored_without_its_identity_loads_by_its_type_field() -> None:
    event = RefundIssued(amount=Decimal("1.50"))
    stored = {"$message": [1, event_to_data(event)]}  # the shape of the first saga stores
    assert decode_value(stored) == event
