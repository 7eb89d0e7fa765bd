"""Commands check their own fields: the validated example's errors, and the valid commands."""

from __future__ import annotations

from decimal import Decimal

import pytest

from orchestrix.core.common.validation import ValidationError
from orchestrix.ecommerce_demo.models import CheckOut, OrderLine, PlaceOrder, describe_lines
from orchestrix.ecommerce_demo.validated_example import ATTEMPTS, validated_example


def test_the_validated_example_names_each_field_and_value() -> None:
    said: list[str] = []
    errors = validated_example(said.append)
    assert [(error.field, error.value, error.message) for error in errors] == [
        ("customer", "   ", "customer cannot be empty"),
        ("lines", (), "an order needs at least one line"),
        (
            "lines[0].product",
            "toaster",
            "lines[0].product must be one of ('keyboard', 'monitor', 'mouse')",
        ),
        ("lines[1].quantity", 0, "lines[1].quantity must be positive"),
        ("lines[0].unit_price", Decimal("-199.00"), "lines[0].unit_price must be positive"),
        ("payment_token", "4242 4242 4242 4242", "payment_token must start with 'tok_'"),
    ]
    assert len(said) == len(ATTEMPTS) + 1  # a heading, then one line per error
    assert (
        str(errors[3])
        == "Validation failed for 'lines[1].quantity': lines[1].quantity must be positive"
    )


def test_valid_commands_are_built() -> None:
    lines = (OrderLine("keyboard", 2, Decimal("60.00")), OrderLine("mouse", 1, Decimal("25.00")))
    order = PlaceOrder(order_id="ORD-1", customer="Ada", lines=lines)
    assert order.type == "PlaceOrder"
    assert describe_lines(order.lines) == "2 x keyboard, 1 x mouse"
    assert sum(line.amount for line in lines) == Decimal("145.00")
    assert CheckOut(order_id="ORD-1", payment_token="tok_ada").payment_token == "tok_ada"


def test_a_line_must_be_an_order_line() -> None:
    with pytest.raises(ValidationError) as refused:
        PlaceOrder(order_id="ORD-1", customer="Ada", lines=({"product": "mouse"},))  # type: ignore[arg-type]
    assert (refused.value.field, refused.value.value) == ("lines[0]", {"product": "mouse"})
    with pytest.raises(ValidationError, match="lines must be a tuple of OrderLine"):
        PlaceOrder(order_id="ORD-1", customer="Ada", lines=[OrderLine("mouse", 1, Decimal(1))])  # type: ignore[arg-type]
