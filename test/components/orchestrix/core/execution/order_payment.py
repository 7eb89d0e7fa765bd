"""A process manager for the tests: cancel an order that is not paid within 15 minutes.

Used by the unit tests and by the crash tests' child processes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal

from orchestrix.core.execution.process_manager import ProcessContext, ProcessManager, handles
from orchestrix.core.messaging.message import Command, Event

PAYMENT_WINDOW = timedelta(minutes=15)


@dataclass(frozen=True, kw_only=True)
class OrderPlaced(Event, type_name="pm_tests.OrderPlaced"):
    order_id: str
    amount: Decimal


@dataclass(frozen=True, kw_only=True)
class PaymentReceived(Event, type_name="pm_tests.PaymentReceived"):
    order_id: str


@dataclass(frozen=True, kw_only=True)
class PaymentOverdue(Event, type_name="pm_tests.PaymentOverdue"):
    order_id: str


@dataclass(frozen=True, kw_only=True)
class ChargeCard(Command, type_name="pm_tests.ChargeCard"):
    order_id: str
    amount: Decimal


@dataclass(frozen=True, kw_only=True)
class ShipOrder(Command, type_name="pm_tests.ShipOrder"):
    order_id: str


@dataclass(frozen=True, kw_only=True)
class CancelOrder(Command, type_name="pm_tests.CancelOrder"):
    order_id: str


@dataclass(frozen=True)
class PaymentWatch:
    order_id: str
    amount: Decimal
    reminders: int = 0


class OrderPayment(ProcessManager[PaymentWatch]):
    process_type = "order-payment"
    state_type = PaymentWatch
    correlate_by = "order_id"

    @handles(OrderPlaced, starts=True)
    def placed(self, event: OrderPlaced, context: ProcessContext[PaymentWatch]) -> None:
        context.state = PaymentWatch(order_id=event.order_id, amount=event.amount)
        context.send(ChargeCard(order_id=event.order_id, amount=event.amount))
        context.schedule(
            "payment-timeout", PaymentOverdue(order_id=event.order_id), after=PAYMENT_WINDOW
        )

    @handles(PaymentReceived)
    async def paid(self, event: PaymentReceived, context: ProcessContext[PaymentWatch]) -> None:
        context.send(ShipOrder(order_id=event.order_id))
        context.complete()

    @handles(PaymentOverdue)
    def overdue(self, message: PaymentOverdue, context: ProcessContext[PaymentWatch]) -> None:
        assert context.state is not None
        context.state = replace(context.state, reminders=context.state.reminders + 1)
        context.send(CancelOrder(order_id=message.order_id))
        context.complete()
