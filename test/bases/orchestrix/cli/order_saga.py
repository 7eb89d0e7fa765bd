"""A saga the command line tests interrupt and resume: reserve, charge, ship.

Every action and compensation appends a line to the file named by `CLI_TEST_LEDGER`, so a
test (or a test's subprocess) sees what ran. The step named by `CLI_TEST_CRASH_IN` dies as a
killed process would (a `BaseException`: nothing after it runs, not even compensation); the
step named by `CLI_TEST_FAIL_IN` fails with a `ValueError`.
"""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

from orchestrix.core.execution.memory_saga_store import InMemorySagaStateStore
from orchestrix.core.execution.saga import Saga
from orchestrix.core.execution.saga_state import SagaStateStore
from orchestrix.core.execution.saga_step import SagaStep

LEDGER = "CLI_TEST_LEDGER"
CRASH_IN = "CLI_TEST_CRASH_IN"
FAIL_IN = "CLI_TEST_FAIL_IN"


class ProcessDied(BaseException):
    """Stands for a crash in the middle of a step."""


def _record(step: str, line: str) -> None:
    with Path(os.environ[LEDGER]).open("a") as ledger:
        ledger.write(f"{line}\n")
    if os.environ.get(CRASH_IN) == step:
        raise ProcessDied(step)
    if os.environ.get(FAIL_IN) == step:
        raise ValueError(f"{step} refused")


def reserve(order_id: str) -> str:
    _record("reserve", f"reserve {order_id}")
    return f"R-{order_id}"


def release(order_id: str, result: str) -> None:
    _record("release", f"release {result}")


def charge(order_id: str, amount: Decimal, reserve: str) -> Decimal:
    _record("charge", f"charge {order_id} {amount} for {reserve}")
    return amount


def refund(order_id: str, result: Decimal) -> None:
    _record("refund", f"refund {order_id} {result}")


def ship(order_id: str) -> str:
    _record("ship", f"ship {order_id}")
    return f"S-{order_id}"


STEPS = [
    SagaStep("reserve", reserve, release),
    SagaStep("charge", charge, refund),
    SagaStep("ship", ship),
]


def orders(store: SagaStateStore) -> Saga:
    """The factory `orchestrix saga resume --saga` is given."""
    return Saga("order", STEPS, store)


async def orders_later(store: SagaStateStore) -> Saga:
    return orders(store)


ORDER_SAGA = Saga("order", STEPS, InMemorySagaStateStore())
"""A definition on a store of its own: the command line runs it on the store it opened."""


def invoices(store: SagaStateStore) -> Saga:
    return Saga("invoice", STEPS, store)
