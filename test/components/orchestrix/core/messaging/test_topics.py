"""Topics derived from module paths (Orkestra's rule) and AMQP-style wildcard patterns."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from typing import ClassVar

import pytest

from orchestrix.core.common.validation import ValidationError
from orchestrix.core.messaging.message import Command, Event
from orchestrix.core.messaging.topics import TopicNaming, topic_matches, topic_of, validate_topic


def _defined_in(module: str, cls: type) -> type:
    cls.__module__ = module
    return cls


@dataclass(frozen=True, kw_only=True)
class PlaceOrder(Command, type_name="topics.PlaceOrder"):
    quantity: int = 1


@dataclass(frozen=True, kw_only=True)
class HTTPRequestSent(Event, type_name="topics.HTTPRequestSent"):
    pass


@dataclass(frozen=True, kw_only=True)
class Pinned(Event, type_name="topics.Pinned"):
    __topic__: ClassVar[str] = "billing.events.invoice_pinned"


class Order:
    @dataclass(frozen=True, kw_only=True)
    class Created(Event, type_name="topics.Order.Created"):
        pass


def test_the_seed_examples() -> None:
    place = _defined_in("MyApp.Orders.Commands", type("PlaceOrder", (), {}))
    placed = _defined_in("my_app.orders.events", type("OrderPlaced", (), {}))
    assert TopicNaming(app_prefix="MyApp").topic(place) == "orders.commands.place_order"
    naming = TopicNaming(app_prefix="my_app")
    assert naming.topic(placed) == "orders.events.order_placed"


def test_without_a_prefix_the_whole_module_path_is_kept() -> None:
    assert topic_of(PlaceOrder) == f"{__name__}.place_order"
    assert topic_of(HTTPRequestSent) == f"{__name__}.http_request_sent"


def test_a_prefix_that_is_not_the_module_start_is_left_alone() -> None:
    cls = _defined_in("my_application.orders", type("Shipped", (), {}))
    assert topic_of(cls, "my_app") == "my_application.orders.shipped"
    assert topic_of(_defined_in("my_app", type("Ping", (), {})), "my_app") == "ping"


def test_nested_and_local_classes() -> None:
    assert topic_of(Order.Created).endswith(".order.created")

    def local() -> type:
        @dataclass(frozen=True, kw_only=True)
        class Made(Event, type_name="topics.local.Made"):
            pass

        return Made

    assert topic_of(local()) == f"{__name__}.test_nested_and_local_classes.local.made"


def test_a_class_can_pin_its_topic() -> None:
    assert topic_of(Pinned, "anything") == "billing.events.invoice_pinned"


@pytest.mark.parametrize(
    ("pattern", "topic", "expected"),
    [
        ("orders.events.order_placed", "orders.events.order_placed", True),
        ("orders.events.*", "orders.events.order_placed", True),
        ("orders.*", "orders.events.order_placed", False),
        ("orders.#", "orders.events.order_placed", True),
        ("orders.#", "orders", True),
        ("#", "orders.events.order_placed", True),
        ("#.order_placed", "orders.events.order_placed", True),
        ("#.order_placed", "order_placed", True),
        ("#.events.#", "orders.events.order_placed", True),
        ("#.events.#", "orders.commands.place_order", False),
        ("*.events.*", "orders.events.order_placed", True),
        ("*.events.*", "events.order_placed", False),
        ("orders.#.placed", "orders.placed", True),
        ("orders.#.placed", "orders.a.b.placed", True),
        ("orders.#.placed", "orders.a.b.shipped", False),
        ("*", "orders", True),
        ("*", "orders.events", False),
        ("#.#", "a.b", True),
    ],
)
def test_patterns_match_like_amqp_topic_exchanges(pattern: str, topic: str, expected: bool) -> None:
    assert topic_matches(pattern, topic) is expected


@pytest.mark.parametrize("bad", ["", "a..b", ".a", "a.", "a b", "a.*x", "Orders", 42, "x" * 256])
def test_bad_patterns_are_rejected(bad: object) -> None:
    with pytest.raises(ValidationError):
        validate_topic(bad, pattern=True)


def test_wildcards_are_not_topics() -> None:
    with pytest.raises(ValidationError):
        validate_topic("orders.*")
    assert validate_topic("orders.events") == "orders.events"


def test_bad_app_prefix() -> None:
    with pytest.raises(ValidationError):
        TopicNaming(app_prefix="...")


@pytest.mark.parametrize(
    "module",
    [
        "orchestrix.core.eventsourcing",
        "orchestrix.core.messaging",
        "orchestrix.core.messaging.topics",
    ],
)
def test_each_package_imports_first_in_a_fresh_interpreter(module: str) -> None:
    # topics and the aggregates share `core.common.naming`: no import cycle may come of it
    subprocess.run([sys.executable, "-c", f"import {module}"], check=True, timeout=60)
