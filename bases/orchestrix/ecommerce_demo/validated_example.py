"""validated_example: commands that check their own fields, and the errors they give.

Each attempt below breaks one rule of a command. Building it raises `ValidationError` with the
field, the value and a message, so the invalid command never exists: it cannot reach the
bus, a handler or the store.
"""

from __future__ import annotations

import reprlib
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from orchestrix.core.common.validation import ValidationError
from orchestrix.core.messaging.message import Command
from orchestrix.ecommerce_demo.models import CheckOut, OrderLine, PlaceOrder

MOUSE = OrderLine("mouse", 1, Decimal("25.00"))
ORDER: dict[str, Any] = {"order_id": "ORD-9", "customer": "Ada", "lines": (MOUSE,)}

ATTEMPTS: tuple[tuple[type[Command], dict[str, Any]], ...] = (
    (PlaceOrder, {**ORDER, "customer": "   "}),
    (PlaceOrder, {**ORDER, "lines": ()}),
    (PlaceOrder, {**ORDER, "lines": (OrderLine("toaster", 1, Decimal("19.99")),)}),
    (PlaceOrder, {**ORDER, "lines": (MOUSE, OrderLine("keyboard", 0, Decimal("60.00")))}),
    (PlaceOrder, {**ORDER, "lines": (OrderLine("monitor", 1, Decimal("-199.00")),)}),
    (CheckOut, {"order_id": "ORD-9", "payment_token": "4242 4242 4242 4242"}),
)
_short = reprlib.Repr(maxstring=24, maxother=24).repr


def validated_example(say: Callable[[str], None] = print) -> list[ValidationError]:
    """Try to build each command of `ATTEMPTS`; returns the errors, in order."""
    errors: list[ValidationError] = []
    say(f"  {'command':<11} {'field':<20} {'value':<23} message")
    for command_type, fields in ATTEMPTS:
        try:
            command_type(**fields)
        except ValidationError as error:
            errors.append(error)
            say(
                f"  {command_type.__name__:<11} {error.field or '':<20} "
                f"{_short(error.value):<23} {error.message}"
            )
        else:
            raise AssertionError(f"{command_type.__name__}({fields}) was accepted")
    return errors
