"""The store, repository, handler, saga and projection examples of the seed documents work as
written."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from orchestrix.core.eventsourcing.aggregate import AggregateRepository, AggregateRoot
from orchestrix.core.eventsourcing.event_store import EventStore
from orchestrix.core.messaging.message import Command, Event
from orchestrix.core.messaging.message_bus import MessageBus
from orchestrix.infrastructure.memory.async_bus import InMemoryAsyncMessageBus
from orchestrix.infrastructure.memory.async_store import InMemoryAsyncEventStore
from orchestrix.infrastructure.memory.bus import InMemoryMessageBus
from orchestrix.infrastructure.memory.store import InMemoryEventStore


@dataclass(frozen=True, kw_only=True)
class SeedAccountOpened(Event, type_name="seed.AccountOpened"):
    account_id: str
    owner: str
    initial_deposit: float


@dataclass(frozen=True, kw_only=True)
class SeedDeposited(Event, type_name="seed.Deposited"):
    account_id: str
    amount: float


@dataclass
class BankAccount(AggregateRoot):
    balance: float = 0.0
    owner: str = ""

    def open(self, owner: str, initial_deposit: float) -> None:
        self._apply_event(
            SeedAccountOpened(
                account_id=self.aggregate_id, owner=owner, initial_deposit=initial_deposit
            )
        )

    def deposit(self, amount: float) -> None:
        self._apply_event(SeedDeposited(account_id=self.aggregate_id, amount=amount))

    def _when_seed_account_opened(self, event: SeedAccountOpened) -> None:
        self.owner = event.owner
        self.balance = event.initial_deposit

    def _when_seed_deposited(self, event: SeedDeposited) -> None:
        self.balance += event.amount


def test_seed_002_repository_example() -> None:
    store = InMemoryEventStore()
    repo = AggregateRepository(event_store=store)

    account = BankAccount(aggregate_id="ACC-001")
    account.open("Alice", 1000.0)
    repo.save(account)

    loaded = repo.load(BankAccount, "ACC-001")
    assert loaded.balance == 1000.0


def test_seed_001_deposit_flow() -> None:
    store = InMemoryEventStore()
    repo = AggregateRepository(event_store=store)
    opened = BankAccount(aggregate_id="ACC-001")
    opened.open("Alice", 1000.0)
    repo.save(opened)

    account = AggregateRepository(event_store=store).load(BankAccount, "ACC-001")
    account.deposit(500.0)
    repo.save(account)
    assert repo.load(BankAccount, "ACC-001").balance == 1500.0


@dataclass(frozen=True, kw_only=True)
class CreateUser(Command, type_name="seed.CreateUser"):
    user_id: str
    email: str


@dataclass(frozen=True, kw_only=True)
class UserCreated(Event, type_name="seed.UserCreated"):
    user_id: str
    email: str


@dataclass
class UserAggregate(AggregateRoot):
    email: str = ""

    def _when_seed_user_created(self, event: UserCreated) -> None:
        self.email = event.email


class CreateUserHandler:
    def __init__(self, bus: MessageBus, store: EventStore) -> None:
        self.bus = bus
        self.store = store

    def handle(self, command: CreateUser) -> None:
        user = UserAggregate(aggregate_id=command.user_id)
        user._apply_event(UserCreated(user_id=command.user_id, email=command.email))
        self.store.save(command.user_id, user.uncommitted_events)
        for event in user.uncommitted_events:
            self.bus.publish(event)
        user.mark_events_committed()


def test_seed_002_command_handler_example() -> None:
    bus, store = InMemoryMessageBus(), InMemoryEventStore()
    handler = CreateUserHandler(bus, store)
    seen: list[UserCreated] = []
    bus.subscribe(CreateUser, handler.handle)
    bus.subscribe(UserCreated, seen.append)
    bus.publish(CreateUser(user_id="u-1", email="a@example.com"))
    assert [event.email for event in seen] == ["a@example.com"]
    assert store.load("u-1") == seen


async def test_seed_003_async_store_example() -> None:
    store = InMemoryAsyncEventStore()
    await store.save(
        "ACC-001",
        [SeedAccountOpened(account_id="ACC-001", owner="Alice", initial_deposit=1.0)],
        expected_version=0,
    )
    events = await store.load("ACC-001")
    assert [event.type for event in events] == ["seed.AccountOpened"]


async def test_seed_003_async_repository_example() -> None:
    async_store = InMemoryAsyncEventStore()
    repo = AggregateRepository(event_store=async_store)
    created = BankAccount(aggregate_id="ACC-001")
    created.open("Alice", 100.0)
    await repo.save_async(created)

    account = await repo.load_async(BankAccount, "ACC-001")
    account.deposit(500.0)
    await repo.save_async(account)
    assert (await repo.load_async(BankAccount, "ACC-001")).balance == 600.0


async def test_seed_003_async_bus_example() -> None:
    bus = InMemoryAsyncMessageBus()
    handled: list[str] = []

    async def handle_order(event: SeedDeposited) -> None:
        handled.append(f"Processing {event.account_id}")

    async def send_email(event: SeedDeposited) -> None:
        handled.append(f"Emailing for {event.account_id}")

    bus.subscribe(SeedDeposited, handle_order)
    bus.subscribe(SeedDeposited, send_email)
    await bus.publish(SeedDeposited(account_id="ORD-001", amount=1.0))
    assert sorted(handled) == ["Emailing for ORD-001", "Processing ORD-001"]


def test_seed_000_module_wiring() -> None:
    from orchestrix.core.common.module import Module

    class UserModule:
        def register(self, bus: MessageBus, store: EventStore) -> None:
            handler = CreateUserHandler(bus, store)
            bus.subscribe(CreateUser, handler.handle)

    store = InMemoryEventStore()
    bus = InMemoryMessageBus()
    module: Module = UserModule()
    module.register(bus, store)
    bus.publish(CreateUser(user_id="u-2", email="b@example.com"))
    assert len(store.load("u-2")) == 1


class Warehouse:
    """What the seeds' order-fulfillment steps do, recorded so the tests can look."""

    def __init__(self, decline: bool = False) -> None:
        self.decline = decline
        self.log: list[str] = []

    def reserve_inventory(self, order_id: str) -> None:
        self.log.append(f"reserve {order_id}")

    def release_inventory(self, order_id: str) -> None:
        self.log.append(f"release {order_id}")

    def charge_payment(self, order_id: str, amount: float) -> str:
        if self.decline:
            raise RuntimeError("card declined")
        self.log.append(f"charge {order_id} {amount}")
        return "PAY-1"

    def refund_payment(self, order_id: str) -> None:
        self.log.append(f"refund {order_id}")

    def ship_order(self, order_id: str) -> None:
        self.log.append(f"ship {order_id}")


async def test_seed_002_saga_example_with_plain_functions() -> None:
    from orchestrix.core.execution.saga import (
        InMemorySagaStateStore,
        Saga,
        SagaState,
        SagaStatus,
        SagaStep,
    )

    w = Warehouse()
    reserve_inventory, release_inventory = w.reserve_inventory, w.release_inventory
    charge_payment, refund_payment, ship_order = w.charge_payment, w.refund_payment, w.ship_order

    state_store = InMemorySagaStateStore()

    saga = Saga(
        saga_type="order-fulfillment",
        steps=[
            SagaStep(
                name="reserve_inventory",
                action=reserve_inventory,
                compensation=release_inventory,
            ),
            SagaStep(
                name="charge_payment",
                action=charge_payment,
                compensation=refund_payment,
            ),
            SagaStep(name="ship_order", action=ship_order),
        ],
        state_store=state_store,
    )

    await saga.initialize()
    await saga.execute(order_id="ORD-001", amount=99.99)
    assert saga.is_successful()

    assert w.log == ["reserve ORD-001", "charge ORD-001 99.99", "ship ORD-001"]
    state = saga.get_state()
    assert isinstance(state, SagaState) and state.status is SagaStatus.COMPLETED


async def test_seed_003_async_saga_example() -> None:
    from orchestrix.core.execution.saga import InMemorySagaStateStore, Saga, SagaStep

    log: list[str] = []

    async def reserve_inventory(order_id: str) -> None:
        log.append(f"reserve {order_id}")

    async def release_inventory(order_id: str) -> None:
        log.append(f"release {order_id}")

    async def charge_payment(order_id: str) -> None:
        raise RuntimeError(f"payment for {order_id} declined")

    async def refund_payment(order_id: str) -> None:
        log.append(f"refund {order_id}")

    saga = Saga(
        saga_type="order-fulfillment",
        steps=[
            SagaStep("reserve", reserve_inventory, compensation=release_inventory),
            SagaStep("charge", charge_payment, compensation=refund_payment),
        ],
        state_store=InMemorySagaStateStore(),
    )
    await saga.initialize()
    try:
        await saga.execute(order_id="ORD-001")
    except RuntimeError as error:
        assert str(error) == "payment for ORD-001 declined"
    # The failed charge is not refunded; the completed reservation is released.
    assert log == ["reserve ORD-001", "release ORD-001"]
    assert saga.is_completed() and not saga.is_successful()


async def test_seed_001_saga_pattern_compensates_in_reverse() -> None:
    from orchestrix.core.execution.saga import InMemorySagaStateStore, Saga, SagaStep

    w = Warehouse()
    reserve_inventory, release_inventory = w.reserve_inventory, w.release_inventory
    charge_payment, refund_payment = w.charge_payment, w.refund_payment

    def ship_order(order_id: str) -> None:
        raise RuntimeError("no courier")

    state_store = InMemorySagaStateStore()
    saga = Saga(
        saga_type="order-fulfillment",
        steps=[
            SagaStep("reserve", reserve_inventory, compensation=release_inventory),
            SagaStep("charge", charge_payment, compensation=refund_payment),
            SagaStep("ship", ship_order),
        ],
        state_store=state_store,
    )

    await saga.initialize()
    with pytest.raises(RuntimeError, match="no courier"):
        await saga.execute(order_id="ORD-7", amount=5.0)
    assert w.log == ["reserve ORD-7", "charge ORD-7 5.0", "refund ORD-7", "release ORD-7"]


@dataclass(frozen=True, kw_only=True)
class OrderCreated(Event, type_name="seed.OrderCreated"):
    order_id: str
    total_amount: float = 0.0
    total: float = 0.0


async def test_seed_002_projection_example() -> None:
    from orchestrix.core.eventsourcing.projection import (
        InMemoryProjectionStateStore,
        ProjectionEngine,
    )

    events = [OrderCreated(order_id="ORD-1", total_amount=10.0)]
    store = InMemoryEventStore()
    store.save("ORD-2", [OrderCreated(order_id="ORD-2", total_amount=5.5)])
    events += [recorded.event for recorded in store.read_all()]

    state_store = InMemoryProjectionStateStore()
    engine = ProjectionEngine("order-summary", state_store)

    order_totals: dict[str, float] = {}

    @engine.on(OrderCreated)
    async def on_order_created(event: OrderCreated) -> None:
        order_totals[event.order_id] = event.total_amount

    await engine.initialize()
    await engine.process_events(events)
    assert order_totals == {"ORD-1": 10.0, "ORD-2": 5.5}
    assert engine.is_healthy()
    state = engine.get_state()
    assert state is not None and state.last_processed_event_id == events[-1].id


def test_seed_002_projection_state_fields() -> None:
    from datetime import UTC, datetime

    from orchestrix.core.eventsourcing.projection import ProjectionState

    state = ProjectionState(projection_id="order-summary")
    assert (state.last_processed_event_id, state.last_processed_position) == (None, 0)
    assert (state.error_count, state.is_healthy) == (0, True)
    assert state.updated_at.tzinfo is UTC and state.updated_at <= datetime.now(UTC)


async def test_seed_003_async_projection_example() -> None:
    from orchestrix.core.eventsourcing.projection import (
        InMemoryProjectionStateStore,
        ProjectionEngine,
    )

    totals: dict[str, float] = {}
    events = [OrderCreated(order_id="ORD-9", total=99.99)]

    engine = ProjectionEngine("order-summary", InMemoryProjectionStateStore())

    @engine.on(OrderCreated)
    async def on_order(event: OrderCreated) -> None:
        totals[event.order_id] = event.total

    await engine.initialize()
    await engine.process_events(events)
    assert totals == {"ORD-9": 99.99}
