"""The type-name contract of durable stores: the stored class identity, not the event's own
`type` field, picks the class; shared type names resolve by the stored class hint, or fail
clearly; rows written by earlier releases (no hint, the previous payload format) still load.

A durable store's test module subclasses `TypeNameContract` and provides `durable`: a fixture
returning `(store, insert_raw)`, where `insert_raw(stream, event_type, hint, payload)` writes a
row as another program or an earlier release would have.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from orchestrix.core.common.exceptions import MessageTypeError
from orchestrix.core.messaging.codec import encode_event
from orchestrix.core.messaging.message import Event
from orchestrix.core.messaging.registry import class_hint
from test.components.orchestrix.core.messaging.twins import orders_a, orders_b
from test.contracts.event_store import StoreUnderTest, everything_event

type InsertRaw = Callable[[str, str, str | None, str], Awaitable[None]]
type Durable = tuple[StoreUnderTest, InsertRaw]

# `everything_event()` with a fixed id and timestamp, as the previous release encoded it.
PREVIOUS_FORMAT = (
    '{"id":"00000000-0000-4000-8000-000000000001","specversion":"1.0","type":"ContractEverythi'
    'ng","source":"orchestrix","timestamp":"2024-06-01T12:00:00+00:00","subject":"subject-1","'
    'data":null,"datacontenttype":null,"dataschema":null,"correlation_id":"corr-1","causation_'
    'id":"cause-1","trace_id":"trace-1","actor_id":"user-1","text":"héllo wörld ✓ 🚀 \'; DROP T'
    'ABLE events; --","integer":-42,"big_integer":"1208925819614629174706177","real":3.1415926'
    '53589793,"flag":true,"nothing":null,"amount":"12345678901234567890.12345678","moment":"20'
    '24-02-29T23:59:59.999999+05:30","naive_moment":"2024-01-01T12:00:00","day":"1999-12-31",'
    '"clock":"08:30:15.000123","identifier":"12345678-1234-5678-1234-567812345678","colour":"b'
    'lue","level":2,"pair":[1,"one"],"numbers":[1,2,3],"names":["a","b"],"tags":["y","x"],"pr'
    'ices":{"apple":"0.10","pear":"1E+3"},"by_id":[["00000000-0000-0000-0000-000000000007",7]'
    '],"address":{"street":"Main St","number":5,"tags":["home"]},"addresses":[{"street":"A","n'
    'umber":1,"tags":[]},{"street":"B","number":2,"tags":["work","x"]}],"maybe_amount":null,"'
    'either":["Decimal","1.5"],"mode":"b","anything":{"nested":[1,"two",null,true]},"extra":{'
    '"k":[1,2]}}'
)


class TypeNameContract:
    """Subclasses provide the `durable` fixture (see the module docstring)."""

    async def test_twin_classes_load_as_themselves(self, durable: Durable) -> None:
        store, _ = durable
        events = [
            orders_a.OrderCreated(order_id="1"),
            orders_b.OrderCreated(order_id="2", total=Decimal("9.99")),
            orders_a.Order.Created(order_id="3"),
            orders_a.Invoice.Created(invoice_id="4", total=5),
        ]
        await store.save("twins", events)
        loaded = await store.load("twins")
        assert loaded == events
        assert [type(event) for event in loaded] == [type(event) for event in events]

    async def test_an_ambiguous_stored_name_without_hint_fails_clearly(
        self, durable: Durable
    ) -> None:
        store, insert_raw = durable
        payload = orders_a.OrderCreated(order_id="1")
        await insert_raw("old", "OrderCreated", None, _payload(payload))
        with pytest.raises(MessageTypeError) as caught:
            await store.load("old")
        message = str(caught.value)
        assert class_hint(orders_a.OrderCreated) in message
        assert class_hint(orders_b.OrderCreated) in message
        assert "type_name=" in message

    async def test_the_hint_picks_one_of_the_twins(self, durable: Durable) -> None:
        store, insert_raw = durable
        event = orders_b.OrderCreated(order_id="1", total=Decimal("1.5"))
        await insert_raw(
            "hinted", "OrderCreated", class_hint(orders_b.OrderCreated), _payload(event)
        )
        assert await store.load("hinted") == [event]

    async def test_a_class_whose_module_was_renamed_loads_by_type_name(
        self, durable: Durable
    ) -> None:
        store, insert_raw = durable
        event = orders_a.TwinUnique(value=7)
        await insert_raw("moved", "TwinUnique", "old.location:TwinUnique", _payload(event))
        (loaded,) = await store.load("moved")
        assert type(loaded) is orders_a.TwinUnique
        assert loaded == event

    async def test_payloads_of_the_previous_format_load(self, durable: Durable) -> None:
        store, insert_raw = durable
        await insert_raw("previous", "ContractEverything", None, PREVIOUS_FORMAT)
        expected = dataclasses.replace(
            everything_event(),
            id="00000000-0000-4000-8000-000000000001",
            timestamp=datetime(2024, 6, 1, 12, tzinfo=UTC),
        )
        assert await store.load("previous") == [expected]
        (recorded,) = await store.read_all()
        assert recorded.event == expected


def _payload(event: Event) -> str:
    return encode_event(event).decode()
