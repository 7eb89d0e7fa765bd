"""CloudEvents bodies, queue naming and subscriptions, without a broker."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar

import pytest

from orchestrix.core.common.exceptions import EventDecodingError, EventEncodingError
from orchestrix.core.common.validation import ValidationError
from orchestrix.core.messaging.jsonio import load_json
from orchestrix.core.messaging.message import Command, Event, Message
from orchestrix.core.messaging.registry import forget_message_class
from orchestrix.core.messaging.topics import TopicNaming
from orchestrix.infrastructure.rabbitmq import UnknownMessageTypeError
from orchestrix.infrastructure.rabbitmq._headers import retries_so_far, without_delivery_state
from orchestrix.infrastructure.rabbitmq.envelope import decode, encode
from orchestrix.infrastructure.rabbitmq.subscriptions import Subscriptions, handler_name
from orchestrix.infrastructure.rabbitmq.topology import Topology
from test.components.orchestrix.infrastructure.rabbitmq.messages import (
    AccountClosed,
    DepositMoney,
    MoneyDeposited,
)

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


def test_a_message_round_trips_as_its_exact_class() -> None:
    for message in (
        MoneyDeposited(account_id="A", amount=Decimal("1.10"), trace_id=TRACE, actor_id="u"),
        DepositMoney(account_id="A", amount=Decimal(2), correlation_id="c", causation_id="d"),
    ):
        decoded = decode(encode(message).body)
        assert decoded == message and type(decoded) is type(message)


def test_the_class_comes_from_the_body_identity_not_the_type_field() -> None:
    """A caller-chosen `type` never picks another class, and twin type names resolve by the
    class hint, as in the stores."""
    renamed = MoneyDeposited(account_id="A", amount=Decimal(1), type="AccountClosed")
    decoded = decode(encode(renamed).body)
    assert type(decoded) is MoneyDeposited and decoded == renamed

    def twin() -> type[Event]:
        from dataclasses import dataclass

        @dataclass(frozen=True, kw_only=True)
        class MoneyDeposited(Event, type_name="rabbitmq_test.MoneyDeposited"):  # a twin
            note: str

        return MoneyDeposited

    twin_class = twin()
    try:
        other = twin_class(note="n")
        assert type(decode(encode(other).body)) is twin_class
        original = MoneyDeposited(account_id="A", amount=Decimal(2))
        assert type(decode(encode(original).body)) is MoneyDeposited
    finally:
        forget_message_class(twin_class)


def test_the_body_is_cloudevents_structured_json() -> None:
    event = MoneyDeposited(account_id="A", amount=Decimal(1), correlation_id="c")
    body = load_json(encode(event).body)
    assert body["specversion"] == "1.0"
    assert (body["id"], body["type"], body["source"]) == (event.id, event.type, "orchestrix")
    assert body["time"] == event.timestamp.isoformat()
    assert body["datacontenttype"] == "application/json"
    assert body["correlationid"] == "c" and "causationid" not in body
    assert (body["typename"], body["schemaversion"]) == ("rabbitmq_test.MoneyDeposited", 1)
    assert body["classhint"].endswith(":MoneyDeposited")
    assert body["data"]["amount"] == "1"


def test_headers_carry_correlation_causation_and_actor_but_no_trace_context() -> None:
    """The trace context is the sending span's, which the bus writes as it sends: the message's
    own `trace_id` travels in the body."""
    event = AccountClosed(account_id="A", correlation_id="c", actor_id="u", trace_id=TRACE)
    encoded = encode(event)
    assert encoded.headers == {"correlation_id": "c", "actor_id": "u"}
    assert load_json(encoded.body)["traceid"] == TRACE


def test_a_bare_event_of_another_type_is_not_published() -> None:
    with pytest.raises(EventEncodingError, match="import the class"):
        encode(Event(type="SomethingElse"))
    plain = Event()
    assert decode(encode(plain).body) == plain


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"not json", EventDecodingError),
        (b"[]", EventDecodingError),
        (b'{"type": "x"}', EventDecodingError),
        (b'{"type": "x", "id": "1", "data": {"type": "y", "id": "1"}}', EventDecodingError),
        (
            b'{"type": "nobody", "id": "1", "data": {"type": "nobody", "id": "1"}}',
            UnknownMessageTypeError,
        ),
    ],
)
def test_bad_bodies_raise_decoding_errors(body: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        decode(body)


def test_retries_are_counted_from_the_header_or_from_x_death() -> None:
    assert retries_so_far(None, "q") == 0
    assert retries_so_far({"x-retry-count": 2}, "q") == 2
    deaths = [
        {"queue": "q", "reason": "rejected", "count": 3},
        {"queue": "q.retry", "reason": "expired", "count": 3},
        {"queue": "other", "reason": "rejected", "count": 9},
    ]
    assert retries_so_far({"x-death": deaths}, "q") == 3
    fresh = without_delivery_state({"x-death": deaths, "x-retry-count": 1, "keep": "me"})
    assert fresh == {"keep": "me"}


def test_queue_names_follow_the_namespace() -> None:
    topology = Topology("shop")
    assert (topology.commands, topology.events, topology.deadletter) == (
        "shop.commands",
        "shop.events",
        "shop.deadletter",
    )
    assert topology.command_queue("orders.place_order") == "shop.command.orders.place_order"
    assert topology.handler_queue("billing") == "shop.handler.billing"
    assert topology.retry_queue("shop.handler.billing") == "shop.handler.billing.retry"
    for bad in ("", "a b", "x" * 300):
        with pytest.raises(ValidationError):
            Topology(bad)


def on_deposit(message: Message) -> None:
    pass


def test_subscriptions_make_one_queue_per_command_type_and_per_handler() -> None:
    naming = TopicNaming(app_prefix="test.components.orchestrix.infrastructure")
    subscriptions = Subscriptions(Topology("t"), naming)
    subscriptions.add(DepositMoney, on_deposit)
    subscriptions.add(MoneyDeposited, on_deposit)
    subscriptions.add(AccountClosed, on_deposit)
    subscriptions.add("rabbitmq.#", on_deposit, name="audit")
    subscriptions.add(Event, on_deposit, name="bare")
    routes = subscriptions.routes
    assert set(routes) == {
        "t.command.rabbitmq.messages.deposit_money",
        f"t.handler.{__name__}.on_deposit",
        "t.handler.audit",
        "t.handler.bare",
    }
    handler_route = routes[f"t.handler.{__name__}.on_deposit"]
    assert handler_route.topics == {
        "rabbitmq.messages.money_deposited",
        "rabbitmq.messages.account_closed",
    }
    assert len(handler_route.handlers) == 1  # one call per event, whichever class matched
    assert routes["t.handler.audit"].topics == {"rabbitmq.#"}
    assert routes["t.handler.bare"].topics == {naming.topic(Event)}
    assert handler_route.handlers_for(AccountClosed(account_id="A")) == (on_deposit,)


@dataclass(frozen=True, kw_only=True)
class LargeDeposit(MoneyDeposited, type_name="rabbitmq_test.LargeDeposit"):
    __topic__: ClassVar[str] = "rabbitmq.messages.money_deposited"  # shares its parent's topic


def test_a_class_subscription_takes_its_exact_class_only() -> None:
    """Even a subclass arriving on the same topic is not handed to the parent's handler;
    a pattern takes whatever its bindings bring."""
    naming = TopicNaming(app_prefix="test.components.orchestrix.infrastructure")
    subscriptions = Subscriptions(Topology("t"), naming)
    by_class = subscriptions.add(MoneyDeposited, on_deposit)
    by_pattern = subscriptions.add("rabbitmq.messages.money_deposited", on_deposit, name="p")
    large = LargeDeposit(account_id="A", amount=Decimal(9))
    assert by_class.handlers_for(large) == ()
    assert by_pattern.handlers_for(large) == (on_deposit,)
    subscriptions.add(LargeDeposit, on_deposit)  # the same handler: its route forgets
    assert by_class.handlers_for(large) == (on_deposit,)


def test_subscriptions_refuse_what_cannot_have_a_stable_queue() -> None:
    subscriptions = Subscriptions(Topology("t"), TopicNaming())
    with pytest.raises(ValidationError, match="name="):
        subscriptions.add(MoneyDeposited, lambda message: None)
    with pytest.raises(ValidationError):
        subscriptions.add(Command, on_deposit)
    with pytest.raises(ValidationError):
        subscriptions.add("orders..#", on_deposit, name="x")
    with pytest.raises(TypeError):
        subscriptions.add(str, on_deposit)  # type: ignore[arg-type]
    subscriptions.add(MoneyDeposited, on_deposit, name="taken")
    with pytest.raises(ValidationError, match="already taken"):
        subscriptions.add(MoneyDeposited, print, name="taken")
    assert handler_name(on_deposit) == f"{__name__}.on_deposit"
