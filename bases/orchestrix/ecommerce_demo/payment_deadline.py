"""The payment deadline: an order not paid within `PAYMENT_WINDOW` of being placed is cancelled.

A process manager with one instance per order. `OrderPlaced` starts it and sets the deadline;
`OrderPaid` or `OrderCancelled` ends it, which cancels the deadline; if the deadline falls due
first, the instance sends `CancelOrder`. Instances and deadlines are stored, so a deadline set
before a restart still fires after it, and one that fires after its order was paid does
nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from orchestrix.core.execution.process_context import ProcessContext
from orchestrix.core.execution.process_manager import ProcessManager, handles
from orchestrix.core.messaging.message import Event
from orchestrix.ecommerce_demo.models import (
    CancelOrder,
    OrderCancelled,
    OrderPaid,
    OrderPlaced,
    PaymentOverdue,
)

PAYMENT_WINDOW = timedelta(minutes=30)


@dataclass(frozen=True)
class AwaitingPayment:
    """What an instance remembers while it waits."""

    customer: str
    total: Decimal


class PaymentDeadline(ProcessManager[AwaitingPayment]):
    process_type = "payment-deadline"
    state_type = AwaitingPayment

    @handles(OrderPlaced, starts=True, correlate="order_id")
    def start_waiting(self, event: OrderPlaced, context: ProcessContext[AwaitingPayment]) -> None:
        context.state = AwaitingPayment(event.customer, event.total)
        overdue = PaymentOverdue(order_id=event.order_id)
        context.schedule("payment", overdue, after=PAYMENT_WINDOW)

    @handles(OrderPaid, correlate="order_id")
    @handles(OrderCancelled, correlate="order_id")
    def stop_waiting(self, event: Event, context: ProcessContext[AwaitingPayment]) -> None:
        context.complete()  # cancels the deadline too

    # No correlation: `PaymentOverdue` reaches an instance only from its own deadline, never
    # from the bus, so nobody else can cancel an order by publishing one.
    @handles(PaymentOverdue)
    def cancel_unpaid(
        self, event: PaymentOverdue, context: ProcessContext[AwaitingPayment]
    ) -> None:
        minutes = PAYMENT_WINDOW // timedelta(minutes=1)
        reason = f"not paid within {minutes} minutes"
        context.send(CancelOrder(order_id=event.order_id, reason=reason))
        context.complete()
