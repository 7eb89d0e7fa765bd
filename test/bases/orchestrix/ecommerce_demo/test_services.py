"""The outside world: each operation keyed so that repeating it changes nothing, and a
reservation taking all of an order's lines or none."""

from __future__ import annotations

from decimal import Decimal

import pytest

from orchestrix.ecommerce_demo.models import OrderLine
from orchestrix.ecommerce_demo.services import OutOfStockError, PaymentProvider, Warehouse


def test_a_charge_and_its_refund_happen_once() -> None:
    said: list[str] = []
    payments = PaymentProvider(say=said.append)
    first = payments.charge("ORD-1", Decimal("120.00"), "tok_ada")
    assert payments.charge("ORD-1", Decimal("120.00"), "tok_ada") == first == "PAY-1"
    assert payments.charge("ORD-2", Decimal("25.00"), "tok_bob") == "PAY-2"
    refund = payments.refund("PAY-1")
    assert payments.refund("PAY-1") is refund
    assert (refund.refund_id, refund.amount) == ("REF-1", Decimal("120.00"))
    assert said == [
        "  payments:  charged 120.00 to tok_ada: PAY-1",
        "  payments:  charged 25.00 to tok_bob: PAY-2",
        "  payments:  refunded 120.00 of PAY-1: REF-1",
    ]


def test_a_reservation_takes_every_line_or_none() -> None:
    warehouse = Warehouse({"keyboard": 3, "monitor": 1}, say=lambda line: None)
    lines = (OrderLine("keyboard", 2, Decimal(60)), OrderLine("monitor", 2, Decimal(199)))
    with pytest.raises(OutOfStockError, match=r"^only 1 x monitor in stock, 2 wanted$"):
        warehouse.reserve("ORD-1", lines)
    assert warehouse.stock == {"keyboard": 3, "monitor": 1}
    with pytest.raises(OutOfStockError, match=r"^only 0 x mouse in stock, 1 wanted$"):
        warehouse.reserve("ORD-1", (OrderLine("mouse", 1, Decimal(25)),))


def test_reserving_and_releasing_again_changes_nothing() -> None:
    warehouse = Warehouse({"keyboard": 3}, say=lambda line: None)
    lines = (OrderLine("keyboard", 2, Decimal(60)),)
    reservation = warehouse.reserve("ORD-1", lines)
    assert warehouse.reserve("ORD-1", lines) == reservation == "RES-1"
    assert warehouse.stock == {"keyboard": 1}
    warehouse.release(reservation)
    warehouse.release(reservation)
    assert warehouse.stock == {"keyboard": 3}
    assert warehouse.reserve("ORD-2", lines) == "RES-2"  # ids are never reused
