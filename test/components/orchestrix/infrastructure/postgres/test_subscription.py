"""A projection runner over the PostgreSQL store: the subscription contract with checkpoints,
LISTEN/NOTIFY wake-ups and the lag figure in PostgreSQL; a late-committing writer is never
skipped; notifications are only a hint; the wake-up and the outbox's trigger coexist."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import asyncpg
import pytest

from orchestrix.core.eventsourcing.subscription import ProjectionRunner
from orchestrix.core.eventsourcing.subscription_lag import LogHead
from orchestrix.core.eventsourcing.subscription_wake_up import WakeUp
from orchestrix.infrastructure.postgres import (
    PostgreSQLCheckpointStore,
    PostgreSQLEventStore,
    PostgreSQLLogHead,
    PostgreSQLOutbox,
    PostgreSQLWakeUp,
)
from test.components.orchestrix.infrastructure.postgres.conftest import StoreOpener
from test.contracts.event_store import AsyncStoreUnderTest, StoreFactory, StoreUnderTest
from test.contracts.subscription import (
    ExactlyOnceSubscriptionContract,
    Recorder,
    SubscriptionTick,
    log_of,
    save_ticks,
)

pytestmark = pytest.mark.postgres


class TestSubscriptionOverPostgreSQL(ExactlyOnceSubscriptionContract):
    @pytest.fixture
    def store_factory(self, open_store: StoreOpener) -> StoreFactory:
        async def open_one(**options: Any) -> StoreUnderTest:
            return AsyncStoreUnderTest(await open_store(**options))

        return open_one

    @pytest.fixture
    async def checkpoints(self, store: StoreUnderTest) -> PostgreSQLCheckpointStore:
        return PostgreSQLCheckpointStore(store.store.pool, store.store.schema)

    @pytest.fixture
    async def model(self, checkpoints: PostgreSQLCheckpointStore) -> None:
        self.table = f'"{checkpoints.schema}".model'
        async with checkpoints.pool.acquire() as connection:
            await connection.execute(
                f'CREATE TABLE "{checkpoints.schema}".model (n serial, value text NOT NULL)'
            )

    async def write_model(self, connection: Any, value: str) -> None:
        await connection.execute(f"INSERT INTO {self.table} (value) VALUES ($1)", value)

    async def clear_model(self, connection: Any) -> None:
        await connection.execute(f"DELETE FROM {self.table}")

    async def read_model(self, checkpoints: Any) -> list[str]:
        async with checkpoints.pool.acquire() as connection:
            rows = await connection.fetch(
                f'SELECT value FROM "{checkpoints.schema}".model ORDER BY n'
            )
        return [row[0] for row in rows]

    @pytest.fixture
    def head(self, store: StoreUnderTest) -> LogHead:
        return PostgreSQLLogHead(store.store.pool, store.store.schema)

    @pytest.fixture
    def new_wake_up(self, store: StoreUnderTest) -> Callable[[], WakeUp]:
        return lambda: PostgreSQLWakeUp(store.store.pool, store.store.schema)


@pytest.fixture
async def following(
    store: PostgreSQLEventStore,
) -> Any:
    """A recorder projection running over `store`, woken by notifications only (the fallback
    poll is an hour, so only a notification can wake it in a test's time)."""
    checkpoints = PostgreSQLCheckpointStore(store.pool, store.schema)
    recorder = Recorder(checkpoints)
    wake_up = PostgreSQLWakeUp(store.pool, store.schema, fallback_poll=3600)
    runner = ProjectionRunner(recorder.engine, store, checkpoints=checkpoints, wake_up=wake_up)
    await runner.start()
    await asyncio.wait_for(runner.wait_caught_up(), 30)
    yield recorder, runner
    await runner.stop()


async def test_an_append_wakes_a_following_projection(
    store: PostgreSQLEventStore, following: Any
) -> None:
    recorder, runner = following
    for round_ in range(3):
        events = [SubscriptionTick(writer=round_, n=n) for n in range(2)]
        checkpoint = await store.save(f"writer-{round_}", events)  # where the last one landed
        await runner.wait_for(checkpoint, timeout=10)
    assert recorder.seen == await log_of(AsyncStoreUnderTest(store))


async def test_one_append_wakes_followers_and_fills_the_outbox(
    store: PostgreSQLEventStore, following: Any, raw: asyncpg.Connection
) -> None:
    recorder, runner = following
    outbox = PostgreSQLOutbox(store.pool, store.schema)
    await outbox.initialize()
    triggers = await raw.fetch(
        "SELECT tgname FROM pg_trigger WHERE tgrelid = $1::regclass AND NOT tgisinternal",
        f'"{store.schema}".events',
    )
    assert [row[0] for row in triggers] == ["events_to_outbox"]
    events = [SubscriptionTick(writer=0, n=n) for n in range(3)]
    checkpoint = await store.save("writer-0", events)
    await runner.wait_for(checkpoint, timeout=10)  # only a notification wakes it in time
    assert recorder.seen == await log_of(AsyncStoreUnderTest(store))
    assert await outbox.pending_count() == 3


async def test_a_notification_is_not_trusted_as_data(
    store: PostgreSQLEventStore, following: Any, raw: asyncpg.Connection
) -> None:
    recorder, runner = following
    await raw.execute("SELECT pg_notify('orchestrix_events', $1)", store.schema)
    await raw.execute("SELECT pg_notify('orchestrix_events', 'other_schema')")
    await save_ticks(AsyncStoreUnderTest(store), 0, 1)
    log = await log_of(AsyncStoreUnderTest(store))
    await runner.wait_for(log[-1][1], timeout=10)
    assert recorder.seen == log  # a bare notification delivered nothing by itself


async def test_a_late_committing_writer_is_never_skipped(
    store: PostgreSQLEventStore, following: Any, postgres_dsn: str
) -> None:
    recorder, runner = following
    late = await asyncpg.connect(postgres_dsn)
    try:
        # The late writer takes its transaction id and position first, then waits.
        transaction = late.transaction()
        await transaction.start()
        event = SubscriptionTick(writer=99, n=0)
        await store.save_in_transaction(late, "late", [event], expected_version=0)
        await save_ticks(AsyncStoreUnderTest(store), 1, 20)  # later writers commit first
        await asyncio.sleep(0.3)  # the follower polls and is woken meanwhile
        await transaction.commit()
    finally:
        await late.close()
    log = await log_of(AsyncStoreUnderTest(store))
    assert len(log) == 21
    await runner.wait_for(max(checkpoint for _, checkpoint in log), timeout=10)
    assert recorder.seen == log  # each once, in log order: the late event first
    assert log[0][0] == event.id


async def test_the_head_is_the_last_event_readers_can_see(
    store: PostgreSQLEventStore,
) -> None:
    head = PostgreSQLLogHead(store.pool, store.schema)
    await save_ticks(AsyncStoreUnderTest(store), 0, 3)
    log = await log_of(AsyncStoreUnderTest(store))
    assert await head.head() == log[-1][1]
    backlog = await head.backlog(log[0][1])
    assert backlog.count == 2 and backlog.oldest is not None
