"""The registry: classes are identified by qualified name; type names may be shared."""

from __future__ import annotations

from decimal import Decimal

import pytest

from orchestrix.core.common.exceptions import MessageTypeError
from orchestrix.core.messaging.codec import stored_type
from orchestrix.core.messaging.registry import class_hint, message_class
from orchestrix.infrastructure.memory.async_store import InMemoryAsyncEventStore
from orchestrix.infrastructure.memory.store import InMemoryEventStore
from test.components.orchestrix.core.messaging.twins import orders_a, orders_b


def test_twin_classes_are_separate_entries_and_a_bare_name_is_ambiguous() -> None:
    with pytest.raises(MessageTypeError) as caught:
        message_class("OrderCreated")
    message = str(caught.value)
    assert class_hint(orders_a.OrderCreated) in message
    assert class_hint(orders_b.OrderCreated) in message
    assert "type_name=" in message
    for cls in (orders_a.OrderCreated, orders_b.OrderCreated):
        assert message_class("OrderCreated", 1, class_hint(cls)) is cls


def test_nested_classes_with_one_name_are_told_apart_by_qualified_name() -> None:
    order, invoice = orders_a.Order.Created, orders_a.Invoice.Created
    assert stored_type(order(order_id="o")).hint.endswith(":Order.Created")
    assert message_class("Created", 1, class_hint(invoice)) is invoice
    assert message_class("Created", 1, class_hint(order)) is order


def test_a_stale_hint_resolves_by_type_name_when_one_class_claims_it() -> None:
    assert message_class("TwinUnique", 1, "renamed.module:TwinUnique") is orders_a.TwinUnique


def test_twin_classes_both_save_to_and_load_from_memory_stores() -> None:
    first = orders_a.OrderCreated(order_id="1")
    second = orders_b.OrderCreated(order_id="2", total=Decimal("9.99"))
    store = InMemoryEventStore()
    store.save("orders", [first, second])
    assert store.load("orders") == [first, second]
    assert [type(r.event) for r in store.read_all()] == [type(first), type(second)]


async def test_twin_classes_with_lists_inside_save_to_the_async_memory_store() -> None:
    event = orders_b.OrderCreated(order_id="3", total=Decimal(1), data={"lines": [1, 2]})
    store = InMemoryAsyncEventStore()
    await store.save("orders", [event])
    (loaded,) = await store.load("orders")
    assert loaded == event
    assert type(loaded) is orders_b.OrderCreated
