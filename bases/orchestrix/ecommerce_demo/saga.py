"""The fulfilment saga: payment → inventory → confirmation, undone in reverse when a step fails.

`CheckOut` starts one saga, whose id is the command's id: the same command delivered twice
runs one saga (the second delivery is refused). Its state is saved after every step, so a
crash in the middle is resumed by `recover_sagas` at the next start. When the stock is short,
the inventory step fails and the payment step's compensation refunds the customer.

Each step talks to the outside world (the payment provider, the warehouse) and tells the order
what happened with a command on the bus, caused by the `CheckOut`, so the order's history is
correlated with the checkout that led to it.
"""

from __future__ import annotations

from orchestrix.core.eventsourcing.aggregate import AggregateRepository
from orchestrix.core.eventsourcing.event_store import AsyncEventStore
from orchestrix.core.execution.saga import Saga, SagaStep
from orchestrix.core.execution.saga_state import SagaStateStore
from orchestrix.core.messaging.message_bus import AsyncMessageBus
from orchestrix.ecommerce_demo.aggregate import Order
from orchestrix.ecommerce_demo.models import CheckOut, ConfirmOrder, PayOrder, RefundOrder
from orchestrix.ecommerce_demo.services import PaymentProvider, Warehouse

SAGA_TYPE = "order-fulfilment"


class OrderFulfilment:
    """The saga's steps and compensations, and the `CheckOut` handler that runs them."""

    def __init__(
        self,
        bus: AsyncMessageBus,
        store: AsyncEventStore,
        states: SagaStateStore,
        payments: PaymentProvider,
        warehouse: Warehouse,
    ) -> None:
        self.bus = bus
        self.orders = AggregateRepository[Order](event_store=store)
        self.states = states
        self.payments = payments
        self.warehouse = warehouse

    def register(self, bus: AsyncMessageBus) -> None:
        bus.subscribe(CheckOut, self.check_out)

    def saga(self, saga_id: str | None = None) -> Saga:
        """The saga definition; without an id it is the one `recover_sagas` resumes with."""
        return Saga(
            SAGA_TYPE,
            [
                SagaStep("payment", self.take_payment, compensation=self.refund_payment),
                SagaStep("inventory", self.reserve_stock, compensation=self.release_stock),
                SagaStep("confirmation", self.confirm_order),
            ],
            self.states,
            saga_id=saga_id,
        )

    async def check_out(self, command: CheckOut) -> None:
        """Run the saga for the order; a failure is compensated, then raised to the caller."""
        await self.saga(command.id).execute(checkout=command)

    # Each step receives the `execute()` arguments and the results of earlier steps by step
    # name, as far as its signature asks for them; a compensation also gets its own step's
    # `result`.

    async def take_payment(self, checkout: CheckOut) -> str:
        """Charge the order's total; returns the payment id."""
        order = await self.orders.load_async(Order, checkout.order_id)
        order.require("pay")  # refuse before charging, not after
        payment_id = self.payments.charge(order.aggregate_id, order.total, checkout.payment_token)
        paid = PayOrder.caused_by(
            checkout, order_id=order.aggregate_id, payment_id=payment_id, amount=order.total
        )
        try:
            await self.bus.publish(paid)
        except Exception:
            # A saga compensates the steps that completed, never the one that failed: a step
            # undoes its own half-done work before it fails.
            self.payments.refund(payment_id)
            raise
        return payment_id

    async def refund_payment(self, checkout: CheckOut, result: str) -> None:
        refund = self.payments.refund(result)
        await self.bus.publish(
            RefundOrder.caused_by(
                checkout,
                order_id=checkout.order_id,
                refund_id=refund.refund_id,
                amount=refund.amount,
            )
        )

    async def reserve_stock(self, checkout: CheckOut) -> str:
        """Reserve every line of the order; returns the reservation id."""
        order = await self.orders.load_async(Order, checkout.order_id)
        return self.warehouse.reserve(order.aggregate_id, order.lines)

    def release_stock(self, result: str) -> None:
        self.warehouse.release(result)

    async def confirm_order(self, checkout: CheckOut, inventory: str) -> None:
        """`inventory` is the reservation id: the inventory step's result."""
        await self.bus.publish(
            ConfirmOrder.caused_by(checkout, order_id=checkout.order_id, reservation_id=inventory)
        )
