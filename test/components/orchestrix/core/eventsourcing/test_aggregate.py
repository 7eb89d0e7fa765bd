"""AggregateRoot: applying, routing to `_when_` methods, replaying and committing."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

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


# Routing: the first release's snake-case rule first, then the word-based one (reference §2.2)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("AccountOpened", "account_opened"),
        ("MoneyDeposited", "money_deposited"),
        ("A", "a"),
        ("XMLParser", "x_m_l_parser"),
        ("OrderCreatedV2", "order_created_v2"),
        ("already_lower", "already_lower"),
        ("com.example.OrderCreated", "com.example._order_created"),
    ],
)
def test_to_snake_case_is_the_releases_rule(name: str, expected: str) -> None:
    assert AggregateRoot._to_snake_case(name) == expected
    assert Order()._to_snake_case(name) == expected


def parser_event(type_name: str) -> Event:
    return Event(type=type_name)


@dataclass
class ReleaseStyle(AggregateRoot):
    seen: list[str] = field(default_factory=list)

    def _when_x_m_l_parser(self, event: Event) -> None:
        self.seen.append("release")


@dataclass
class WordStyle(AggregateRoot):
    seen: list[str] = field(default_factory=list)

    def _when_xml_parser(self, event: Event) -> None:
        self.seen.append("words")

    def _when_com_example_order_created(self, event: Event) -> None:
        self.seen.append("dotted")


@dataclass
class BothStyles(ReleaseStyle):
    def _when_xml_parser(self, event: Event) -> None:
        self.seen.append("words")


@pytest.mark.parametrize(
    ("aggregate_type", "expected"),
    [(ReleaseStyle, ["release"]), (WordStyle, ["words"]), (BothStyles, ["release"])],
)
def test_routing_tries_the_releases_name_then_the_word_based_one(
    aggregate_type: type[ReleaseStyle], expected: list[str]
) -> None:
    aggregate = aggregate_type()
    aggregate._apply_event(parser_event("XMLParser"))
    replayed = aggregate_type()
    replayed._replay_events([parser_event("XMLParser")])
    assert aggregate.seen == replayed.seen == expected
    assert (aggregate.version, replayed.version) == (1, 1)


def test_a_dotted_type_without_a_word_based_method_is_ignored() -> None:
    release = ReleaseStyle()
    release._apply_event(parser_event("com.example.OrderCreated"))
    assert (release.seen, release.version) == ([], 1)
    words = WordStyle()
    words._apply_event(parser_event("com.example.OrderCreated"))
    assert words.seen == ["dotted"]


def test_an_overridden_to_snake_case_decides_the_first_name() -> None:
    @dataclass
    class Prefixed(AggregateRoot):
        seen: list[str] = field(default_factory=list)

        def _to_snake_case(self, name: str) -> str:
            return f"v2_{name.lower()}"

        def _when_v2_xmlparser(self, event: Event) -> None:
            self.seen.append("custom")

    aggregate = Prefixed()
    aggregate._apply_event(parser_event("XMLParser"))
    assert aggregate.seen == ["custom"]
