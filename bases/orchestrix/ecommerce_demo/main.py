"""E-commerce demo, top to bottom: orders as a state machine, a fulfilment saga that refunds
when the stock is short, and a payment deadline that cancels unpaid orders.

Run it with `python -m orchestrix.ecommerce_demo`. Everything is kept in SQLite by default, in
a temporary file unless `--db FILE` names one; `--store memory` keeps it in memory, and
`--store postgres --dsn postgresql://...` in PostgreSQL (schema `--schema`, default
`ecommerce_demo`). Time is a `ManualClock` moved by the demo, so nobody waits 30 minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import uuid
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from orchestrix.core.common.exceptions import HandlerError, StoreError
from orchestrix.core.common.validation import ValidationError
from orchestrix.core.eventsourcing.aggregate import AggregateRepository
from orchestrix.core.execution.clock import ManualClock
from orchestrix.core.execution.deadline_scheduler import DeadlineScheduler
from orchestrix.core.execution.process_instance import ProcessStatus
from orchestrix.core.execution.saga_recovery import recover_sagas
from orchestrix.core.execution.saga_state import SagaState
from orchestrix.core.messaging.message import Command, Event
from orchestrix.ecommerce_demo.aggregate import Order
from orchestrix.ecommerce_demo.handlers import OrderModule
from orchestrix.ecommerce_demo.models import (
    ORDER_EVENTS,
    CheckOut,
    OrderCancelled,
    OrderConfirmed,
    OrderLine,
    OrderPaid,
    OrderPlaced,
    OrderRefunded,
    OrderShipped,
    PlaceOrder,
    ShipOrder,
    describe_lines,
)
from orchestrix.ecommerce_demo.payment_deadline import PAYMENT_WINDOW, PaymentDeadline
from orchestrix.ecommerce_demo.saga import OrderFulfilment
from orchestrix.ecommerce_demo.services import PaymentProvider, Warehouse
from orchestrix.ecommerce_demo.stores import ShopStores, in_memory, in_postgres, in_sqlite
from orchestrix.ecommerce_demo.validated_example import validated_example
from orchestrix.infrastructure.memory.async_bus import InMemoryAsyncMessageBus

PRICES = {"keyboard": Decimal("60.00"), "monitor": Decimal("199.00"), "mouse": Decimal("25.00")}
STOCK = {"keyboard": 10, "monitor": 1, "mouse": 5}
CUSTOMERS = {"Ada": ("keyboard", 2), "Grace": ("monitor", 2), "Linus": ("mouse", 1)}  # their orders
MINUTE = timedelta(minutes=1)
IN_A_TEMPORARY_FILE = "SQLite, in a temporary file (--db FILE keeps it)"


@dataclass(frozen=True)
class Outcome:
    """How the story ended: each order (by customer), its events, its saga, the money."""

    order_ids: dict[str, str]
    orders: dict[str, Order]
    histories: dict[str, list[Event]]
    sagas: dict[str, SagaState]
    payments: PaymentProvider
    warehouse: Warehouse
    deadlines_fired: int
    refused: list[Exception]
    invalid: list[ValidationError]


def line(product: str, quantity: int) -> OrderLine:
    return OrderLine(product, quantity, PRICES[product])


def announce(event: Event) -> None:
    """An event handler that tells the story of each order as its events are published."""
    match event:
        case OrderPlaced(order_id=order, customer=customer, lines=lines, total=total):
            said = f"placed by {customer}: {describe_lines(lines)}, total {total}"
        case OrderPaid(order_id=order, payment_id=payment):
            said = f"paid ({payment})"
        case OrderConfirmed(order_id=order, reservation_id=reservation):
            said = f"confirmed ({reservation})"
        case OrderShipped(order_id=order):
            said = "shipped"
        case OrderCancelled(order_id=order, reason=reason):
            said = f"cancelled: {reason}"
        case OrderRefunded(order_id=order, refund_id=refund, amount=amount):
            said = f"refunded {amount} ({refund})"
        case _:
            return
    print(f"  order:     {order} {said}")


def describe_saga(state: SagaState) -> str:
    """`completed (payment completed, inventory completed, confirmation completed)`."""
    steps = ", ".join(f"{name} {step.status}" for name, step in state.step_statuses.items())
    return f"{state.status.value} ({steps})"


def describe_stock(stock: dict[str, int]) -> str:
    return ", ".join(f"{product} {count}" for product, count in stock.items())


async def refusal(bus: InMemoryAsyncMessageBus, command: Command) -> Exception | None:
    """Publish `command`; the error its handler raised, if it was refused."""
    try:
        await bus.publish(command)
    except HandlerError as error:
        return error.original_error if isinstance(error.original_error, Exception) else error
    return None


@dataclass(frozen=True)
class Shop:
    """The shop, wired: one async bus, the stores, the outside world, the clock."""

    stores: ShopStores
    clock: ManualClock
    bus: InMemoryAsyncMessageBus
    payments: PaymentProvider
    warehouse: Warehouse
    deadline: PaymentDeadline
    scheduler: DeadlineScheduler


async def open_shop(stores: ShopStores, clock: ManualClock) -> Shop:
    """Wire the order's handlers, the fulfilment saga and the payment deadline to one bus."""
    bus = InMemoryAsyncMessageBus()
    for event_type in ORDER_EVENTS:
        bus.subscribe(event_type, announce)  # first, so the story tells events as they happen
    OrderModule().register(bus, stores.events)
    payments = PaymentProvider(say=print)
    warehouse = Warehouse(STOCK, say=print)
    fulfilment = OrderFulfilment(bus, stores.events, stores.sagas, payments, warehouse)
    fulfilment.register(bus)
    deadline = PaymentDeadline(stores.processes, bus, stores.deadlines, clock=clock)
    deadline.subscribe_to(bus)
    scheduler = DeadlineScheduler(stores.deadlines, [deadline], clock=clock)
    # At start-up, finish what a crash interrupted: sagas half-way, commands not yet sent.
    await recover_sagas([fulfilment.saga()])
    await deadline.recover()
    return Shop(stores, clock, bus, payments, warehouse, deadline, scheduler)


async def run(stores: ShopStores, clock: ManualClock | None = None) -> Outcome:
    """Play the story on `stores`, with time from `clock`; returns how it ended."""
    shop = await open_shop(stores, clock or ManualClock())
    run_id = uuid.uuid4().hex[:8]  # new orders on every run, so a store can be used again
    order_ids = {name: f"ORD-{run_id}-{n}" for n, name in enumerate(CUSTOMERS, start=1)}
    checkouts = {
        name: CheckOut(order_id=order_id, payment_token=f"tok_{name.lower()}")
        for name, order_id in order_ids.items()
    }
    print("E-commerce demo: an order state machine, a saga with compensation, a deadline.")
    print(f"Stores: {stores.where}")
    print(f"Stock: {describe_stock(STOCK)}")

    window = PAYMENT_WINDOW // MINUTE
    print(f"\n1. Three customers order; each order must be paid within {window} minutes:")
    await place_orders(shop, order_ids)
    print("\n2. Ada checks out; the saga runs payment → inventory → confirmation:")
    await check_out(shop, checkouts["Ada"])
    print("\n3. Grace checks out, but only one monitor is left:")
    await check_out(shop, checkouts["Grace"])
    print("\n4. Linus never pays. The clock moves on; the scheduler fires what is due:")
    fired = await let_time_pass(shop)
    print("\n5. Illegal transitions are refused, naming the state and the action:")
    refused = await try_illegal_transitions(shop, order_ids, checkouts["Linus"])
    print("\n6. Commands validate themselves when built (validated_example):")
    invalid = validated_example(print)
    print("\n7. What the stores hold:")
    orders, histories, sagas = await look_into_the_stores(shop, order_ids, checkouts)
    return Outcome(
        order_ids, orders, histories, sagas, shop.payments, shop.warehouse, fired, refused, invalid
    )


async def place_orders(shop: Shop, order_ids: dict[str, str]) -> None:
    """Each order placed starts a payment-deadline process, which stores a deadline."""
    for customer, order_id in order_ids.items():
        lines = (line(*CUSTOMERS[customer]),)
        await shop.bus.publish(PlaceOrder(order_id=order_id, customer=customer, lines=lines))
    waiting = [
        stored
        for order_id in order_ids.values()
        for stored in await shop.stores.deadlines.list_for(shop.deadline.process_type, order_id)
    ]
    due = sorted({round((stored.due_at - shop.clock.now()) / MINUTE) for stored in waiting})
    print(f"  deadlines: {len(waiting)} stored, due in {', '.join(map(str, due))} minutes")


async def check_out(shop: Shop, checkout: CheckOut) -> None:
    """Run the checkout's saga; a failed one has compensated what it did before it failed."""
    failure = await refusal(shop.bus, checkout)
    state = await shop.stores.sagas.load_state(checkout.id)
    print(f"  saga:      {'none' if state is None else describe_saga(state)}")
    if failure is not None:
        print(f"  checkout failed: {type(failure).__name__}: {failure}")


async def let_time_pass(shop: Shop) -> int:
    """Move the demo's clock (a `ManualClock`: nobody waits) and fire what falls due.

    An application runs `await scheduler.run()` on the system clock instead.
    """
    window = PAYMENT_WINDOW // MINUTE
    shop.clock.advance(PAYMENT_WINDOW - MINUTE)
    print(f"  after {window - 1} minutes: {await shop.scheduler.fire_due()} deadlines due")
    shop.clock.advance(2 * MINUTE)
    print(f"  after {window + 1} minutes:")
    fired = await shop.scheduler.fire_due()
    print(f"  {fired} deadline fired (Ada's and Grace's ended when their orders were paid)")
    return fired


async def try_illegal_transitions(
    shop: Shop, order_ids: dict[str, str], late_checkout: CheckOut
) -> list[Exception]:
    """The order refuses what its state does not allow, naming the state and the action."""
    refused: list[Exception] = []
    for what, command in (
        ("ship Grace's order", ShipOrder(order_id=order_ids["Grace"])),
        ("Linus checks out after all", late_checkout),
    ):
        error = await refusal(shop.bus, command)
        assert error is not None, f"{what} was allowed"
        refused.append(error)
        print(f"  {what}: {error}")
    linus = order_ids["Linus"]
    charged = [c for c in shop.payments.charges.values() if c.order_id == linus]
    print(f"  charges for Linus's order: {len(charged)}")
    print("  ship Ada's order:")
    await shop.bus.publish(ShipOrder(order_id=order_ids["Ada"]))
    return refused


async def look_into_the_stores(
    shop: Shop, order_ids: dict[str, str], checkouts: dict[str, CheckOut]
) -> tuple[dict[str, Order], dict[str, list[Event]], dict[str, SagaState]]:
    """Everything the story did is in the stores: each order's history, each saga's steps,
    each payment-deadline process."""
    repository = AggregateRepository[Order](event_store=shop.stores.events)
    orders: dict[str, Order] = {}
    histories: dict[str, list[Event]] = {}
    sagas: dict[str, SagaState] = {}
    for customer, order_id in order_ids.items():
        orders[customer] = await repository.load_async(Order, order_id)
        histories[customer] = await shop.stores.events.load(order_id)
        types = " → ".join(event.type for event in histories[customer])
        print(f"  {order_id} ({customer}): {orders[customer].status}; {types}")
    for customer, checkout in checkouts.items():
        state = await shop.stores.sagas.load_state(checkout.id)
        assert state is not None, f"no saga for {customer}'s checkout"
        sagas[customer] = state
        print(f"  {customer}'s saga: {describe_saga(state)}")
    processes = [await shop.deadline.get_instance(order_id) for order_id in order_ids.values()]
    ended = sum(p is not None and p.status is ProcessStatus.COMPLETED for p in processes)
    owner = shop.deadline.process_type
    left = [d for i in order_ids.values() for d in await shop.stores.deadlines.list_for(owner, i)]
    print(
        f"  payment-deadline processes: {ended} of {len(processes)} completed; "
        f"deadlines left: {len(left)}"
    )
    payments = shop.payments
    charged = ", ".join(f"{c.payment_id} {c.amount}" for c in payments.charges.values())
    refunded = ", ".join(f"{r.refund_id} {r.amount}" for r in payments.refunds.values())
    print(f"  payments: {charged}; refunds: {refunded}")
    print(f"  stock: {describe_stock(shop.warehouse.stock)}")
    return orders, histories, sagas


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--store", choices=("memory", "sqlite", "postgres"), default="sqlite", help="backend"
    )
    parser.add_argument("--db", type=Path, help="SQLite file (default: a temporary one)")
    parser.add_argument("--dsn", help="PostgreSQL DSN, postgresql://user@host:port/database")
    parser.add_argument("--schema", default="ecommerce_demo", help="PostgreSQL schema")
    arguments = parser.parse_args()
    if arguments.db is not None and arguments.store != "sqlite":
        parser.error("--db is for --store sqlite")
    if (arguments.dsn is not None) != (arguments.store == "postgres"):
        parser.error("--store postgres needs --dsn, and --dsn is only for --store postgres")
    try:
        asyncio.run(_run_on(arguments))
    except (StoreError, ValidationError) as error:  # a database it cannot use: no traceback
        parser.exit(1, f"{parser.prog}: {error}\n")
    except ImportError as missing:
        if missing.name != "asyncpg":
            raise
        parser.exit(1, f"{parser.prog}: {missing}\n")


async def _run_on(arguments: argparse.Namespace) -> None:
    async with AsyncExitStack() as stack:
        opened: AbstractAsyncContextManager[ShopStores]
        if arguments.store == "memory":
            opened = in_memory()
        elif arguments.store == "postgres":
            opened = in_postgres(arguments.dsn, arguments.schema)
        elif arguments.db is not None:
            opened = in_sqlite(arguments.db, f"SQLite file {str(arguments.db)!r}")
        else:
            folder = stack.enter_context(tempfile.TemporaryDirectory())
            opened = in_sqlite(Path(folder) / "shop.sqlite3", IN_A_TEMPORARY_FILE)
        await run(await stack.enter_async_context(opened))


if __name__ == "__main__":
    main()
