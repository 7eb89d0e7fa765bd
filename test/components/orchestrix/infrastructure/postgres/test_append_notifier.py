"""Appends are announced on channel `orchestrix_events` once they have committed: after a
plain save, from outside its transaction; inside a caller's transaction, at its commit; and a
burst of concurrent saves is announced after its last commit, with fewer notifications than
saves. Nothing on the events table notifies from inside a writing transaction."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest

from orchestrix.infrastructure.postgres import PostgreSQLEventStore, PostgreSQLOutbox
from test.components.orchestrix.infrastructure.postgres.conftest import StoreOpener
from test.contracts.subscription import SubscriptionTick

pytestmark = pytest.mark.postgres


class Notices:
    """The times (on the running loop's clock) of the notifications for one schema."""

    def __init__(self, schema: str) -> None:
        self.schema = schema
        self.times: list[float] = []
        self.arrived = asyncio.Event()

    def __call__(self, connection: object, pid: int, channel: str, payload: str) -> None:
        if payload == self.schema:
            self.times.append(asyncio.get_running_loop().time())
            self.arrived.set()

    async def beyond(self, seen: int, within: float = 10) -> None:
        """Wait for more than `seen` notifications in all (one may come before the wait)."""
        async with asyncio.timeout(within):
            while len(self.times) <= seen:
                self.arrived.clear()
                await self.arrived.wait()


@pytest.fixture
async def notices(store: PostgreSQLEventStore, postgres_dsn: str) -> AsyncIterator[Notices]:
    listener, found = await asyncpg.connect(postgres_dsn), Notices(store.schema)
    await listener.add_listener("orchestrix_events", found)
    yield found
    await listener.close()


async def test_a_save_is_announced_once_it_has_committed(
    store: PostgreSQLEventStore, notices: Notices
) -> None:
    await store.save("ticks", [SubscriptionTick(writer=0, n=0)])
    await notices.beyond(0)
    seen = len(notices.times)
    await store.save("ticks", [SubscriptionTick(writer=0, n=n) for n in (1, 2)], 1)
    await notices.beyond(seen)


async def test_no_trigger_notifies_inside_a_writing_transaction(
    store: PostgreSQLEventStore, raw: asyncpg.Connection
) -> None:
    await PostgreSQLOutbox(store.pool, store.schema).initialize()
    triggers = await raw.fetch(
        "SELECT tgname FROM pg_trigger WHERE tgrelid = $1::regclass AND NOT tgisinternal",
        f'"{store.schema}".events',
    )
    assert [row[0] for row in triggers] == ["events_to_outbox"]  # the outbox's, no NOTIFY


async def test_an_append_in_a_callers_transaction_is_announced_at_its_commit(
    store: PostgreSQLEventStore, notices: Notices
) -> None:
    async with store.pool.acquire() as connection:
        transaction = connection.transaction()
        await transaction.start()
        await store.save_in_transaction(connection, "ticks", [SubscriptionTick(writer=0, n=0)])
        with pytest.raises(TimeoutError):
            await notices.beyond(0, within=0.3)  # nothing committed, nothing announced
        await transaction.commit()
    await notices.beyond(0)


async def test_a_burst_of_saves_is_announced_after_its_last_commit(
    store: PostgreSQLEventStore, notices: Notices, open_store: StoreOpener
) -> None:
    # Connections opened beforehand, so that the saves commit together, eight at a time.
    writers = await open_store(schema=store.schema, pool_min_size=8, pool_max_size=8)
    returned: list[float] = []

    async def save(writer: int) -> None:
        await writers.save(f"burst-{writer}", [SubscriptionTick(writer=writer, n=0)])
        returned.append(asyncio.get_running_loop().time())

    await asyncio.gather(*map(save, range(40)))
    await asyncio.sleep(0)
    deadline = asyncio.get_running_loop().time() + 10
    while not notices.times or notices.times[-1] <= max(returned):
        assert asyncio.get_running_loop().time() < deadline, "the last saves went unannounced"
        await notices.beyond(len(notices.times))
    assert len(notices.times) < 40  # coalesced while one was in flight
