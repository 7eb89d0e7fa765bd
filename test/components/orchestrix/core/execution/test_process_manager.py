"""Process managers: correlation, durable state, commands once, deadlines that act only when
their instance still waits for them, and the scheduler that fires them."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from orchestrix.core.eventsourcing.event_log import RecordedEvent
from orchestrix.core.execution.clock import ManualClock
from orchestrix.core.execution.deadline import Deadline
from orchestrix.core.execution.deadline_scheduler import DeadlineScheduler
from orchestrix.core.execution.errors import ProcessDefinitionError
from orchestrix.core.execution.process_instance import ProcessStatus
from orchestrix.core.execution.process_manager import ProcessContext, ProcessManager, handles
from orchestrix.core.messaging.message import Command, Event, Message
from orchestrix.infrastructure.memory.async_bus import InMemoryAsyncMessageBus
from orchestrix.infrastructure.memory.bus import InMemoryMessageBus
from orchestrix.infrastructure.memory.deadline_store import InMemoryDeadlineStore
from orchestrix.infrastructure.memory.process_store import InMemoryProcessStateStore
from test.components.orchestrix.core.execution.order_payment import (
    PAYMENT_WINDOW,
    CancelOrder,
    ChargeCard,
    OrderPayment,
    OrderPlaced,
    PaymentOverdue,
    PaymentReceived,
    PaymentWatch,
    ShipOrder,
)


class Rig:
    """An OrderPayment manager on in-memory stores, a manual clock and a recording sender."""

    def __init__(self) -> None:
        self.clock = ManualClock()
        self.store = InMemoryProcessStateStore()
        self.deadlines = InMemoryDeadlineStore()
        self.sent: list[Message] = []
        self.manager = OrderPayment(self.store, self.sent.append, self.deadlines, clock=self.clock)
        self.scheduler = DeadlineScheduler(self.deadlines, [self.manager], clock=self.clock)

    @property
    def kinds(self) -> list[str]:
        return [type(message).__name__ for message in self.sent]


PLACED = OrderPlaced(order_id="ORD-1", amount=Decimal("12.50"), correlation_id="corr-1")


async def test_an_event_starts_an_instance_that_issues_a_command_and_sets_a_deadline() -> None:
    rig = Rig()
    await rig.manager.handle(PLACED)
    (charge,) = rig.sent
    assert charge == ChargeCard(
        order_id="ORD-1",
        amount=Decimal("12.50"),
        id=charge.id,
        timestamp=charge.timestamp,
        correlation_id="corr-1",
        causation_id=PLACED.id,
    )
    assert await rig.manager.get_state("ORD-1") == PaymentWatch("ORD-1", Decimal("12.50"))
    (timeout,) = await rig.deadlines.list_for("order-payment", "ORD-1")
    assert timeout.name == "payment-timeout"
    assert timeout.due_at == rig.clock.now() + PAYMENT_WINDOW
    assert timeout.message == PaymentOverdue(
        order_id="ORD-1",
        id=timeout.message.id,
        timestamp=timeout.message.timestamp,
        correlation_id="corr-1",
        causation_id=PLACED.id,
    )
    instance = await rig.manager.get_instance("ORD-1")
    assert instance is not None and not instance.has_pending
    assert instance.deadlines == {"payment-timeout": timeout.deadline_id}


async def test_payment_in_time_ships_cancels_the_deadline_and_ends_the_process() -> None:
    rig = Rig()
    await rig.manager.handle(PLACED)
    await rig.manager.handle(PaymentReceived(order_id="ORD-1"))
    assert rig.kinds == ["ChargeCard", "ShipOrder"]
    assert await rig.deadlines.list_for("order-payment", "ORD-1") == []
    instance = await rig.manager.get_instance("ORD-1")
    assert instance is not None and instance.status is ProcessStatus.COMPLETED
    rig.clock.advance(PAYMENT_WINDOW * 2)
    assert await rig.scheduler.fire_due() == 0
    await rig.manager.handle(PaymentReceived(order_id="ORD-1"))  # after the end: ignored
    await rig.manager.handle(OrderPlaced(order_id="ORD-1", amount=Decimal(1)))
    assert rig.kinds == ["ChargeCard", "ShipOrder"]


async def test_an_unpaid_order_is_cancelled_when_its_deadline_falls_due() -> None:
    rig = Rig()
    await rig.manager.handle(PLACED)
    rig.clock.advance(PAYMENT_WINDOW - timedelta(seconds=1))
    assert await rig.scheduler.fire_due() == 0
    rig.clock.advance(timedelta(seconds=1))
    assert await rig.scheduler.fire_due() == 1
    assert rig.kinds == ["ChargeCard", "CancelOrder"]
    (cancel,) = [m for m in rig.sent if isinstance(m, CancelOrder)]
    assert cancel.correlation_id == "corr-1"  # the chain goes on through the deadline
    assert await rig.deadlines.next_due_at() is None
    assert await rig.manager.get_state("ORD-1") == PaymentWatch("ORD-1", Decimal("12.50"), 1)
    assert await rig.scheduler.fire_due() == 0
    assert rig.kinds == ["ChargeCard", "CancelOrder"]


async def test_a_message_delivered_twice_issues_its_commands_once() -> None:
    rig = Rig()
    await rig.manager.handle(PLACED)
    await rig.manager.handle(PLACED)
    await rig.manager.handle_recorded(RecordedEvent(PLACED, "ORD-1", 1, 7))
    assert rig.kinds == ["ChargeCard"]
    assert len(await rig.deadlines.list_for("order-payment", "ORD-1")) == 1
    instance = await rig.manager.get_instance("ORD-1")
    assert instance is not None and instance.handled == (PLACED.id,)


async def test_a_deadline_fired_twice_acts_once() -> None:
    rig = Rig()
    await rig.manager.handle(PLACED)
    (timeout,) = await rig.deadlines.list_for("order-payment", "ORD-1")
    await rig.manager.fire(timeout)
    await rig.manager.fire(timeout)  # e.g. a crash before the scheduler removed it
    assert rig.kinds == ["ChargeCard", "CancelOrder"]


async def test_a_cancelled_deadline_never_fires_even_if_already_fetched() -> None:
    rig = Rig()
    await rig.manager.handle(PLACED)
    (fetched,) = await rig.deadlines.list_for("order-payment", "ORD-1")
    await rig.manager.handle(PaymentReceived(order_id="ORD-1"))
    await rig.manager.fire(fetched)  # a scheduler that fetched it before the cancel
    assert rig.kinds == ["ChargeCard", "ShipOrder"]


async def test_a_replaced_deadline_does_not_fire() -> None:
    class Reminder(ProcessManager[PaymentWatch]):
        process_type = "reminder"
        state_type = PaymentWatch
        correlate_by = "order_id"

        @handles(OrderPlaced, starts=True)
        def placed(self, event: OrderPlaced, context: ProcessContext[PaymentWatch]) -> None:
            context.state = PaymentWatch(event.order_id, event.amount)
            context.schedule(
                "remind", PaymentOverdue(order_id=event.order_id), after=PAYMENT_WINDOW
            )

        @handles(PaymentReceived)
        def postpone(self, event: PaymentReceived, context: ProcessContext[PaymentWatch]) -> None:
            context.schedule(
                "remind", PaymentOverdue(order_id=event.order_id), after=PAYMENT_WINDOW * 2
            )

        @handles(PaymentOverdue)
        def remind(self, event: PaymentOverdue, context: ProcessContext[PaymentWatch]) -> None:
            context.send(CancelOrder(order_id=event.order_id))

    clock, deadlines, sent = ManualClock(), InMemoryDeadlineStore(), list[Message]()
    manager = Reminder(InMemoryProcessStateStore(), sent.append, deadlines, clock=clock)
    await manager.handle(PLACED)
    (first,) = await deadlines.list_for("reminder", "ORD-1")
    await manager.handle(PaymentReceived(order_id="ORD-1"))
    (second,) = await deadlines.list_for("reminder", "ORD-1")
    assert second.deadline_id != first.deadline_id
    await manager.fire(first)
    assert sent == []
    await manager.fire(second)
    assert [type(m) for m in sent] == [CancelOrder]


async def test_a_deadline_of_an_ended_instance_does_not_act() -> None:
    rig = Rig()
    await rig.manager.handle(PLACED)
    (timeout,) = await rig.deadlines.list_for("order-payment", "ORD-1")
    await rig.manager.handle(PaymentReceived(order_id="ORD-1"))
    await rig.deadlines.schedule(timeout)  # a deadline left behind, say by an old release
    rig.clock.advance(PAYMENT_WINDOW)
    assert await rig.scheduler.fire_due() == 1  # handled: dropped without acting
    assert rig.kinds == ["ChargeCard", "ShipOrder"]
    assert await rig.deadlines.next_due_at() is None
    orphan = Deadline(
        owner_type="order-payment",
        owner_id="ORD-GONE",
        name="payment-timeout",
        due_at=rig.clock.now(),
        message=PaymentOverdue(order_id="ORD-GONE"),
    )
    await rig.manager.fire(orphan)
    assert rig.kinds == ["ChargeCard", "ShipOrder"]
    assert await rig.manager.get_instance("ORD-GONE") is None


async def test_a_message_for_no_instance_is_ignored_unless_it_starts_one() -> None:
    rig = Rig()
    await rig.manager.handle(PaymentReceived(order_id="ORD-X"))
    assert rig.sent == [] and await rig.manager.get_instance("ORD-X") is None


async def test_decisions_saved_before_a_crash_are_carried_out_once_after_it() -> None:
    rig = Rig()
    failing = {"left": 1}

    def flaky_send(message: Message) -> None:
        if failing["left"]:
            failing["left"] -= 1
            raise ConnectionError("broker down")
        rig.sent.append(message)

    manager = OrderPayment(rig.store, flaky_send, rig.deadlines, clock=rig.clock)
    with pytest.raises(ConnectionError):
        await manager.handle(PLACED)
    instance = await manager.get_instance("ORD-1")
    assert instance is not None and instance.handled == (PLACED.id,)
    # The deadline was set before the send failed; only the command is left pending.
    assert [type(m) for m in instance.outbox] == [ChargeCard] and instance.to_schedule == ()
    assert len(await rig.deadlines.list_for("order-payment", "ORD-1")) == 1

    assert await manager.recover() == 1
    assert rig.kinds == ["ChargeCard"]
    assert len(await rig.deadlines.list_for("order-payment", "ORD-1")) == 1
    assert await manager.recover() == 0
    await manager.handle(PLACED)  # redelivered: already handled, nothing left to send
    assert rig.kinds == ["ChargeCard"]


async def test_a_redelivered_message_sends_what_its_first_delivery_could_not() -> None:
    rig = Rig()
    broken = {"down": True}

    def send(message: Message) -> None:
        if broken["down"]:
            raise ConnectionError("down")
        rig.sent.append(message)

    manager = OrderPayment(rig.store, send, rig.deadlines, clock=rig.clock)
    with pytest.raises(ConnectionError):
        await manager.handle(PLACED)
    broken["down"] = False
    await manager.handle(PLACED)
    assert rig.kinds == ["ChargeCard"]


async def test_a_failing_handler_saves_and_sends_nothing() -> None:
    class Picky(OrderPayment):
        @handles(PaymentReceived)
        async def paid(self, event: PaymentReceived, context: ProcessContext[PaymentWatch]) -> None:
            context.send(ShipOrder(order_id=event.order_id))
            raise RuntimeError("cannot decide")

    rig = Rig()
    manager = Picky(rig.store, rig.sent.append, rig.deadlines, clock=rig.clock)
    await manager.handle(PLACED)
    before = await manager.get_instance("ORD-1")
    with pytest.raises(RuntimeError):
        await manager.handle(PaymentReceived(order_id="ORD-1"))
    assert await manager.get_instance("ORD-1") == before
    assert rig.kinds == ["ChargeCard"]


async def test_concurrent_messages_for_one_instance_are_handled_one_at_a_time() -> None:
    rig = Rig()
    await rig.manager.handle(PLACED)
    overdue = PaymentOverdue(order_id="ORD-1")
    paid = PaymentReceived(order_id="ORD-1")
    await asyncio.gather(rig.manager.handle(paid), rig.manager.handle(overdue))
    assert rig.kinds[0] == "ChargeCard" and len(rig.kinds) == 2  # the second found it ended
    instance = await rig.manager.get_instance("ORD-1")
    assert instance is not None and instance.status is ProcessStatus.COMPLETED


async def test_two_managers_on_one_store_never_both_act_on_a_message() -> None:
    rig = Rig()
    twin = OrderPayment(rig.store, rig.sent.append, rig.deadlines, clock=rig.clock)
    await rig.manager.handle(PLACED)
    paid = PaymentReceived(order_id="ORD-1")
    await asyncio.gather(rig.manager.handle(paid), twin.handle(paid))
    assert rig.kinds == ["ChargeCard", "ShipOrder"]


async def test_it_reacts_to_a_bus_and_sends_commands_through_it() -> None:
    bus = InMemoryAsyncMessageBus()
    shipped: list[Message] = []

    async def charge(command: ChargeCard) -> None:
        shipped.append(command)
        await bus.publish(PaymentReceived(order_id=command.order_id))

    async def ship(command: ShipOrder) -> None:
        shipped.append(command)

    bus.subscribe(ChargeCard, charge)
    bus.subscribe(ShipOrder, ship)
    manager = OrderPayment(InMemoryProcessStateStore(), bus, InMemoryDeadlineStore())
    manager.subscribe_to(bus)
    assert set(manager.event_types) == {OrderPlaced, PaymentReceived, PaymentOverdue}
    await bus.publish(PLACED)
    assert [type(m) for m in shipped] == [ChargeCard, ShipOrder]


async def test_a_sync_bus_can_carry_its_commands() -> None:
    bus = InMemoryMessageBus()
    seen: list[Message] = []
    bus.subscribe(ChargeCard, seen.append)
    manager = OrderPayment(InMemoryProcessStateStore(), bus, InMemoryDeadlineStore())
    await manager.handle(PLACED)
    assert [type(m) for m in seen] == [ChargeCard]


@dataclass(frozen=True, kw_only=True)
class Pinged(Event, type_name="pm_tests.Pinged"):
    target: str | None


@dataclass(frozen=True, kw_only=True)
class Pong(Command, type_name="pm_tests.Pong"):
    to: str


@dataclass(frozen=True)
class Count:
    n: int = 0


class PingPong(ProcessManager[Count]):
    process_type = "ping-pong"
    state_type = Count

    @handles(Pinged, starts=True, correlate=lambda event: event.target)
    def pinged(self, event: Pinged, context: ProcessContext[Count]) -> None:
        count = (context.state or Count()).n + 1
        context.state = Count(count)
        context.send(Pong(to=f"{event.target}#{count}"))


async def test_a_correlation_function_picks_the_instance() -> None:
    sent: list[Message] = []
    manager = PingPong(InMemoryProcessStateStore(), sent.append)
    for target in ("a", "b", "a"):
        await manager.handle(Pinged(target=target))
    assert [m.to for m in sent] == ["a#1", "b#1", "a#2"]  # type: ignore[attr-defined]
    with pytest.raises(ProcessDefinitionError, match="no id in it"):
        await manager.handle(Pinged(target=None))
    await manager.handle(PLACED)  # not a message it handles: ignored


async def test_a_handler_without_correlation_only_takes_deadlines() -> None:
    class Quiet(ProcessManager[Count]):
        process_type = "quiet"
        state_type = Count

        @handles(PaymentOverdue)
        def overdue(self, event: PaymentOverdue, context: ProcessContext[Count]) -> None:
            pass

    manager = Quiet(InMemoryProcessStateStore(), print)
    assert manager.event_types == ()
    with pytest.raises(ProcessDefinitionError, match="only from its deadlines"):
        await manager.handle(PaymentOverdue(order_id="x"))


def test_bad_definitions_get_a_clear_error() -> None:
    store = InMemoryProcessStateStore()

    class NoType(OrderPayment):
        process_type = ""

    with pytest.raises(ProcessDefinitionError, match="needs a process_type"):
        NoType(store, print)

    class NotADataclass(OrderPayment):
        state_type = dict

    with pytest.raises(ProcessDefinitionError, match="state_type that is a dataclass"):
        NotADataclass(store, print)

    with pytest.raises(ProcessDefinitionError, match="two handlers"):

        class Twice(OrderPayment):
            @handles(OrderPlaced)
            def again(self, event: Any, context: Any) -> None:
                pass

    with pytest.raises(ProcessDefinitionError, match="message class"):
        handles(dict)  # type: ignore[arg-type]

    class Empty(ProcessManager[Count]):
        process_type = "empty"
        state_type = Count

    with pytest.raises(ProcessDefinitionError, match="no @handles"):
        Empty(store, print)
    with pytest.raises(ProcessDefinitionError, match="send must be"):
        OrderPayment(store, 42)


async def test_setting_a_state_of_the_wrong_type_is_refused() -> None:
    class Sloppy(PingPong):
        @handles(Pinged, starts=True, correlate="target")
        def pinged(self, event: Pinged, context: ProcessContext[Count]) -> None:
            context.state = {"n": 1}  # type: ignore[assignment]

    manager = Sloppy(InMemoryProcessStateStore(), print)
    with pytest.raises(ProcessDefinitionError, match="not a Count"):
        await manager.handle(Pinged(target="a"))


async def test_scheduling_without_a_deadline_store_is_refused_and_nothing_saved() -> None:
    sent: list[Message] = []
    manager = OrderPayment(InMemoryProcessStateStore(), sent.append)
    with pytest.raises(ProcessDefinitionError, match="no deadline store"):
        await manager.handle(PLACED)
    assert sent == [] and await manager.get_instance("ORD-1") is None


async def test_the_scheduler_leaves_a_failing_or_unknown_deadline_due() -> None:
    rig = Rig()
    stranger = Deadline(
        owner_type="unknown",
        owner_id="x",
        name="n",
        due_at=rig.clock.now(),
        message=PaymentOverdue(order_id="x"),
    )
    await rig.deadlines.schedule(stranger)

    class Broken(OrderPayment):
        process_type = "broken"

        async def fire(self, deadline: Deadline) -> None:
            raise RuntimeError("down")

    broken = Deadline(
        owner_type="broken",
        owner_id="y",
        name="n",
        due_at=rig.clock.now(),
        message=PaymentOverdue(order_id="y"),
    )
    await rig.deadlines.schedule(broken)
    rig.scheduler.add(Broken(rig.store, print))
    assert await rig.scheduler.fire_due() == 0
    assert {d.deadline_id for d in await rig.deadlines.due(rig.clock.now())} == {
        stranger.deadline_id,
        broken.deadline_id,
    }
    with pytest.raises(ProcessDefinitionError, match="Two deadline targets"):
        rig.scheduler.add(rig.manager)


async def test_the_scheduler_fires_more_than_one_batch() -> None:
    rig = Rig()
    scheduler = DeadlineScheduler(rig.deadlines, [rig.manager], clock=rig.clock, batch_size=2)
    for number in range(5):
        await rig.manager.handle(OrderPlaced(order_id=f"ORD-{number}", amount=Decimal(1)))
    rig.clock.advance(PAYMENT_WINDOW)
    assert await scheduler.fire_due() == 5
    assert rig.kinds.count("CancelOrder") == 5


async def test_the_scheduler_loop_fires_when_the_clock_reaches_a_deadline() -> None:
    rig = Rig()
    cancelled = asyncio.Event()

    def send(message: Message) -> None:
        rig.sent.append(message)
        if isinstance(message, CancelOrder):
            cancelled.set()

    manager = OrderPayment(rig.store, send, rig.deadlines, clock=rig.clock)
    scheduler = DeadlineScheduler(rig.deadlines, [manager], clock=rig.clock, poll_interval=0.01)
    runner = asyncio.create_task(scheduler.run())
    try:
        await manager.handle(PLACED)
        await asyncio.sleep(0.03)
        assert not cancelled.is_set()
        rig.clock.advance(PAYMENT_WINDOW)
        scheduler.wake()
        await asyncio.wait_for(cancelled.wait(), 10)
    finally:
        scheduler.stop()
        await asyncio.wait_for(runner, 10)
    assert rig.kinds == ["ChargeCard", "CancelOrder"]


def test_the_scheduler_refuses_bad_settings() -> None:
    from orchestrix.core.common.validation import ValidationError

    with pytest.raises(ValidationError):
        DeadlineScheduler(InMemoryDeadlineStore(), poll_interval=0)
    with pytest.raises(ValidationError):
        DeadlineScheduler(InMemoryDeadlineStore(), batch_size=0)


async def test_the_scheduler_loop_survives_a_store_that_fails_for_a_while() -> None:
    rig = Rig()
    outages = {"left": 2}

    class Flaky(InMemoryDeadlineStore):
        async def due(self, now: Any, limit: int = 100) -> list[Deadline]:
            if outages["left"]:
                outages["left"] -= 1
                raise ConnectionError("database restarting")
            return await super().due(now, limit)

    deadlines = Flaky()
    cancelled = asyncio.Event()

    def send(message: Message) -> None:
        rig.sent.append(message)
        if isinstance(message, CancelOrder):
            cancelled.set()

    manager = OrderPayment(rig.store, send, deadlines, clock=rig.clock)
    await manager.handle(PLACED)
    rig.clock.advance(PAYMENT_WINDOW)
    scheduler = DeadlineScheduler(deadlines, [manager], clock=rig.clock, poll_interval=0.01)
    runner = asyncio.create_task(scheduler.run())
    try:
        await asyncio.wait_for(cancelled.wait(), 10)
    finally:
        scheduler.stop()
        await asyncio.wait_for(runner, 10)
    assert outages["left"] == 0 and rig.kinds == ["ChargeCard", "CancelOrder"]
