"""AggregateRoot: applying, routing to `_when_` methods, replaying and committing."""

from __future__ import annotations

from dataclasses import dataclass

from orchestrix.core.eventsourcing.aggregate import AggregateRoot
from orchestrix.core.eventsourcing.aggregate_root import snake_case
from orchestrix.core.messaging.message import Event


@dataclass(frozen=True, kw_only=True)
class AggOrderCreated(Event):
    order_id: str


@dataclass(frozen=True, kw_only=True)
class AggOrderCancelled(Event):
    order_id: str


@dataclass(frozen=True, kw_only=True)
class AggNoteAdded(Event):
    note: str


@dataclass
class Order(AggregateRoot):
    status: str = "new"

    def create(self) -> None:
        self._apply_event(AggOrderCreated(order_id=self.aggregate_id))

    def cancel(self) -> None:
        if self.status == "shipped":
            raise ValueError("Cannot cancel shipped order")
        self._apply_event(AggOrderCancelled(order_id=self.aggregate_id))

    def _when_agg_order_created(self, event: AggOrderCreated) -> None:
        self.status = "created"

    def _when_agg_order_cancelled(self, event: AggOrderCancelled) -> None:
        self.status = "cancelled"


def test_snake_case_of_type_names() -> None:
    assert snake_case("OrderCreated") == "order_created"
    assert snake_case("HTTPRequestSent") == "http_request_sent"
    assert snake_case("Order2Shipped") == "order2_shipped"
    assert snake_case("billing.InvoiceSent") == "billing_invoice_sent"


def test_apply_event_changes_state_records_and_counts() -> None:
    order = Order(aggregate_id="o-1")
    order.create()
    order.cancel()
    assert order.status == "cancelled"
    assert order.version == 2
    assert [type(e) for e in order.uncommitted_events] == [AggOrderCreated, AggOrderCancelled]


def test_event_without_handler_is_recorded_and_leaves_state() -> None:
    order = Order(aggregate_id="o-1")
    order._apply_event(AggNoteAdded(note="hi"))
    assert order.status == "new"
    assert order.version == 1
    assert len(order.uncommitted_events) == 1


def test_mark_events_committed_keeps_version() -> None:
    order = Order(aggregate_id="o-1")
    order.create()
    committed = order.uncommitted_events
    order.mark_events_committed()
    assert order.uncommitted_events == []
    assert len(committed) == 1
    assert order.version == 1


def test_replay_rebuilds_state_without_recording() -> None:
    order = Order(aggregate_id="o-1")
    order._replay_events([AggOrderCreated(order_id="o-1"), AggOrderCancelled(order_id="o-1")])
    assert order.status == "cancelled"
    assert order.version == 2
    assert order.uncommitted_events == []


def test_routing_follows_the_event_type_name() -> None:
    order = Order(aggregate_id="o-1")
    order._replay_events([AggOrderCreated(order_id="o-1", type="AggOrderCancelled")])
    assert order.status == "cancelled"


def test_subclasses_route_to_their_own_methods() -> None:
    @dataclass
    class RushOrder(Order):
        def _when_agg_order_created(self, event: AggOrderCreated) -> None:
            self.status = "rushed"

    rush, plain = RushOrder(aggregate_id="r"), Order(aggregate_id="p")
    rush.create()
    plain.create()
    assert (rush.status, plain.status) == ("rushed", "created")


def test_uncommitted_events_are_not_shared_between_instances() -> None:
    first, second = Order(aggregate_id="a"), Order(aggregate_id="b")
    first.create()
    assert second.uncommitted_events == []
