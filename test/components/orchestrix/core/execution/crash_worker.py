"""Child processes of the saga and deadline crash tests, on SQLite files or PostgreSQL.

    python -m test.components.orchestrix.core.execution.crash_worker BACKEND TARGET MODE ...

BACKEND is `sqlite` (TARGET: the file) or `postgres` (TARGET: `DSN|SCHEMA`). Every step,
compensation and command writes a row to an `effects` table beside the stores, so the parent
counts what really happened. Modes:

- `transfer POLICY HANG [FAIL]`: run the transfer saga `T-1`; the call named HANG announces
  itself (`in HANG`) and then blocks until the process is killed; FAIL names a step that
  raises.
- `recover POLICY`: resume every unfinished transfer saga, print `recovered ID STATUS`.
- `loop PREFIX`: run sagas `PREFIX-0`... with idempotent steps, printing `done N`, until
  killed.
- `recover-loop`: recover those, with the same idempotent steps.
- `place`: start order processes A and B, pay B, print `placed`, then start C, whose
  first command blocks (`in send C`) until the process is killed.
- `fire`: recover, then run the deadline scheduler on a clock 16 minutes ahead until orders
  A and C are cancelled, then a few more rounds; print `fired` and the cancelled orders.
- `fire-again`: recover and fire what is due on that clock; print `fired N`.
- `deliver ORDER hold|exit`: handle order ORDER's `OrderPlaced` (the same message, same id,
  each time), print `delivered ORDER deadlines N` (its deadlines now stored); `hold` then
  blocks until the process is killed, as a consumer killed before it acknowledged.
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from orchestrix.core.execution.clock import SystemClock
from orchestrix.core.execution.deadline_scheduler import DeadlineScheduler
from orchestrix.core.execution.saga import ResumePolicy, Saga, SagaStateStore, SagaStep
from orchestrix.core.execution.saga_recovery import recover_sagas
from orchestrix.core.messaging.message import Message
from orchestrix.infrastructure.postgres.connection_pool import ConnectionPool, PoolConfig
from orchestrix.infrastructure.postgres.deadline_store import PostgreSQLDeadlineStore
from orchestrix.infrastructure.postgres.process_store import PostgreSQLProcessStateStore
from orchestrix.infrastructure.postgres.saga_state_store import PostgreSQLSagaStateStore
from orchestrix.infrastructure.sqlite.deadline_store import SQLiteDeadlineStore
from orchestrix.infrastructure.sqlite.process_store import SQLiteProcessStateStore
from orchestrix.infrastructure.sqlite.saga_state_store import SQLiteSagaStateStore
from test.components.orchestrix.core.execution.order_payment import (
    CancelOrder,
    OrderPayment,
    OrderPlaced,
    PaymentReceived,
)

EFFECTS = """
    CREATE TABLE IF NOT EXISTS {table} (
        saga_id TEXT NOT NULL, name TEXT NOT NULL, run INTEGER NOT NULL,
        UNIQUE (saga_id, name, run)
    )
"""


class Backend:
    """The stores and the effects table of one backend."""

    def __init__(self, kind: str, target: str) -> None:
        self.kind = kind
        self.target = target
        self.pool: ConnectionPool | None = None
        self.closers: list[Callable[[], Awaitable[None]]] = []

    async def open(self) -> None:
        if self.kind == "postgres":
            dsn, self.schema = self.target.split("|")
            self.pool = ConnectionPool(dsn, PoolConfig(min_size=1, max_size=4))
            await self.pool.initialize()
            async with self.pool.acquire() as connection:
                await connection.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
                await connection.execute(EFFECTS.format(table=f'"{self.schema}".effects'))
            self.closers.append(self.pool.close)
        else:
            with sqlite3.connect(self.target) as connection:
                connection.execute(EFFECTS.format(table="effects"))
            connection.close()

    async def effect(self, saga_id: str, name: str, *, idempotent: bool = False) -> None:
        """Record an effect; an idempotent one is recorded once however often it runs."""
        if self.pool is not None:
            table = f'"{self.schema}".effects'
            async with self.pool.acquire() as connection:
                run = 0 if idempotent else await self._next_run_pg(connection, table, saga_id, name)
                await connection.execute(
                    f"INSERT INTO {table} VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                    saga_id,
                    name,
                    run,
                )
            return
        connection = sqlite3.connect(self.target, timeout=30, isolation_level=None)
        try:
            run = 0
            if not idempotent:
                (run,) = connection.execute(
                    "SELECT COUNT(*) FROM effects WHERE saga_id = ? AND name = ?", (saga_id, name)
                ).fetchone()
            connection.execute(
                "INSERT OR IGNORE INTO effects VALUES (?, ?, ?)", (saga_id, name, run)
            )
        finally:
            connection.close()

    @staticmethod
    async def _next_run_pg(connection: Any, table: str, saga_id: str, name: str) -> int:
        count: int = await connection.fetchval(
            f"SELECT COUNT(*) FROM {table} WHERE saga_id = $1 AND name = $2", saga_id, name
        )
        return count

    async def saga_store(self) -> SagaStateStore:
        if self.pool is not None:
            store = PostgreSQLSagaStateStore(self.pool, self.schema)
            await store.initialize()
            return store
        sqlite_store = SQLiteSagaStateStore(self.target)
        self.closers.append(sqlite_store.close)
        return sqlite_store

    async def process_stores(self) -> tuple[Any, Any]:
        if self.pool is not None:
            processes = PostgreSQLProcessStateStore(self.pool, self.schema)
            await processes.initialize()
            return processes, PostgreSQLDeadlineStore(self.pool, self.schema)
        process_store = SQLiteProcessStateStore(self.target)
        deadline_store = SQLiteDeadlineStore(self.target)
        self.closers += [process_store.close, deadline_store.close]
        return process_store, deadline_store

    async def close(self) -> None:
        for close in reversed(self.closers):
            await close()


def transfer_saga(
    backend: Backend,
    store: SagaStateStore,
    policy: str,
    *,
    hang: str | None = None,
    fail: str | None = None,
    idempotent: bool = False,
) -> Saga:
    """Debit, credit, notify; each call records its effect after announcing itself."""

    def call(name: str) -> Callable[..., Awaitable[str]]:
        async def run(**arguments: Any) -> str:
            saga_id = arguments["transfer"]
            print(f"in {name}", flush=True)
            if name == hang:
                await asyncio.Event().wait()  # killed while here
            if name == fail:
                raise RuntimeError(f"{name} refused")
            await backend.effect(saga_id, name, idempotent=idempotent)
            return f"{name} done"

        return run

    return Saga(
        "transfer",
        [
            SagaStep("debit", call("debit"), call("undo debit")),
            SagaStep("credit", call("credit"), call("undo credit")),
            SagaStep("notify", call("notify")),
        ],
        store,
        on_interrupted=ResumePolicy(policy),
    )


async def main(kind: str, target: str, mode: str, *rest: str) -> None:
    backend = Backend(kind, target)
    await backend.open()
    try:
        await MODES[mode](backend, *rest)
    finally:
        await backend.close()


async def transfer(backend: Backend, policy: str, hang: str, fail: str = "") -> None:
    saga = transfer_saga(backend, await backend.saga_store(), policy, hang=hang, fail=fail or None)
    saga.saga_id = "T-1"
    print("ready", flush=True)
    await saga.execute(transfer="T-1", amount=Decimal("25.00"))


async def recover(backend: Backend, policy: str) -> None:
    saga = transfer_saga(backend, await backend.saga_store(), policy)
    for state in await recover_sagas([saga]):
        print("recovered", state.saga_id, state.status.value, flush=True)


async def loop(backend: Backend, prefix: str) -> None:
    saga = transfer_saga(backend, await backend.saga_store(), "continue", idempotent=True)
    for number in range(10**9):
        saga.saga_id = f"{prefix}-{number}"
        await saga.execute(transfer=saga.saga_id)
        print("done", number, flush=True)


async def recover_loop(backend: Backend) -> None:
    saga = transfer_saga(backend, await backend.saga_store(), "continue", idempotent=True)
    print("recovered", len(await recover_sagas([saga])), flush=True)


class AheadClock(SystemClock):
    """The system clock, 16 minutes ahead: past every 15-minute payment window."""

    def now(self) -> datetime:
        return super().now() + timedelta(minutes=16)


def order_manager(
    backend: Backend,
    stores: tuple[Any, Any],
    clock: SystemClock,
    cancelled: set[str] | None = None,
    hang_on: str | None = None,
) -> OrderPayment:
    """The test order process. Its commands are effects; the orders it cancels are added to
    `cancelled`; sending a command for order `hang_on` blocks until the process is killed."""

    async def send(message: Message) -> None:
        order_id = message.order_id  # type: ignore[attr-defined]
        if order_id == hang_on:
            print(f"in send {order_id}", flush=True)
            await asyncio.Event().wait()
        await backend.effect(order_id, type(message).__name__)
        if cancelled is not None and isinstance(message, CancelOrder):
            cancelled.add(order_id)

    return OrderPayment(stores[0], send, stores[1], clock=clock)


async def place(backend: Backend) -> None:
    manager = order_manager(backend, await backend.process_stores(), SystemClock(), hang_on="C")
    await manager.handle(OrderPlaced(order_id="A", amount=Decimal("10")))
    await manager.handle(OrderPlaced(order_id="B", amount=Decimal("20")))
    await manager.handle(PaymentReceived(order_id="B"))
    print("placed", flush=True)
    await manager.handle(OrderPlaced(order_id="C", amount=Decimal("30")))  # killed in its send


async def fire(backend: Backend) -> None:
    stores = await backend.process_stores()
    clock, cancelled = AheadClock(), set[str]()
    manager = order_manager(backend, stores, clock, cancelled)
    print("recovered", await manager.recover(), flush=True)
    scheduler = DeadlineScheduler(stores[1], [manager], clock=clock, poll_interval=0.05)
    running = asyncio.create_task(scheduler.run())
    for _ in range(1200):
        if cancelled == {"A", "C"}:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)  # more rounds: nothing else may fire
    scheduler.stop()
    await running
    print("fired", *sorted(cancelled), flush=True)


async def fire_again(backend: Backend) -> None:
    stores = await backend.process_stores()
    clock = AheadClock()
    manager = order_manager(backend, stores, clock)
    await manager.recover()
    fired = await DeadlineScheduler(stores[1], [manager], clock=clock).fire_due()
    print("fired", fired, flush=True)


async def deliver(backend: Backend, order_id: str, then: str) -> None:
    stores = await backend.process_stores()
    manager = order_manager(backend, stores, SystemClock())
    placed = OrderPlaced(order_id=order_id, amount=Decimal("40"), id=f"placed-{order_id}")
    await manager.handle(placed)
    deadlines = await stores[1].list_for(manager.process_type, order_id)
    print("delivered", order_id, "deadlines", len(deadlines), flush=True)
    if then == "hold":
        await asyncio.Event().wait()  # killed before the delivery was acknowledged


MODES: dict[str, Callable[..., Awaitable[None]]] = {
    "transfer": transfer,
    "recover": recover,
    "loop": loop,
    "recover-loop": recover_loop,
    "place": place,
    "fire": fire,
    "fire-again": fire_again,
    "deliver": deliver,
}


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:]))
