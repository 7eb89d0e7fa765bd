"""The outbox relay SIGKILLed in the middle of a batch: after a restart every saved event is
published, and the consumer's inbox absorbs what was published twice."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from decimal import Decimal
from typing import Any

import pytest

from orchestrix.core.messaging.message import Message
from orchestrix.core.messaging.topics import TopicNaming
from orchestrix.infrastructure.postgres.inbox import PostgreSQLInbox
from orchestrix.infrastructure.postgres.outbox import PostgreSQLOutbox
from test.components.orchestrix.infrastructure.postgres.conftest import (  # fixtures
    StoreOpener,
    new_schema,
    open_store,
)
from test.components.orchestrix.infrastructure.rabbitmq.conftest import BusOpener
from test.components.orchestrix.infrastructure.rabbitmq.messages import MoneyDeposited
from test.components.orchestrix.infrastructure.rabbitmq.waiting import start_ready, wait_until

__all__ = ["new_schema", "open_store"]  # the PostgreSQL fixtures this test uses

pytestmark = [pytest.mark.rabbitmq, pytest.mark.postgres, pytest.mark.slow]

RELAY = "test.components.orchestrix.infrastructure.rabbitmq._relay"
STREAMS, PER_STREAM = 40, 50


def start_relay(dsn: str, schema: str, url: str, namespace: str) -> subprocess.Popen[str]:
    return start_ready(RELAY, dsn, schema, url, namespace)


@pytest.mark.timeout(180)
async def test_a_relay_killed_mid_batch_publishes_everything_after_a_restart(
    open_store: StoreOpener,
    open_bus: BusOpener,
    postgres_dsn: str,
    rabbitmq_url: str,
    namespace: str,
) -> None:
    store = await open_store(pool_max_size=8)
    outbox = PostgreSQLOutbox(store.pool, store.schema)
    await outbox.initialize()
    inbox = PostgreSQLInbox(store.pool, store.schema)
    effects = f'"{store.schema}".effects'
    async with store.pool.acquire() as connection:
        await connection.execute(f"CREATE TABLE {effects} (event_id text, stream text)")

    deliveries = 0

    async def project(message: Message) -> None:
        nonlocal deliveries
        deliveries += 1
        async with inbox.receive("ledger", message.id) as receipt:
            if not receipt.duplicate:
                event: Any = message
                await receipt.connection.execute(
                    f"INSERT INTO {effects} VALUES ($1, $2)", event.id, event.account_id
                )

    consumer = await open_bus(
        topic_naming=TopicNaming(app_prefix="test.components.orchestrix.infrastructure")
    )
    consumer.subscribe(MoneyDeposited, project, name="ledger")
    await consumer.start()

    saved: list[MoneyDeposited] = []
    for version in range(PER_STREAM):
        for stream in range(STREAMS):
            event = MoneyDeposited(account_id=f"S{stream}", amount=Decimal(version))
            await store.save(f"S{stream}", [event], version)
            saved.append(event)
    total = len(saved)
    assert await outbox.pending_count() == total

    relay = start_relay(postgres_dsn, store.schema, rabbitmq_url, namespace)
    try:
        await wait_until(lambda: deliveries >= total // 3, 60, "the relay to get going")
        os.kill(relay.pid, signal.SIGKILL)
        assert relay.wait(10) == -signal.SIGKILL
        pending_after_kill = await outbox.pending_count()
        assert 0 < pending_after_kill < total
        relay = start_relay(postgres_dsn, store.schema, rabbitmq_url, namespace)
        await wait_until(lambda: deliveries >= total, 60, "every event delivered")

        async def outbox_empty() -> bool:
            return await outbox.pending_count() == 0

        for _ in range(500):
            if await outbox_empty():
                break
            await asyncio.sleep(0.02)
        assert await outbox_empty()
    finally:
        relay.send_signal(signal.SIGTERM)
        relay.wait(30)
    await asyncio.sleep(0.5)  # late duplicates would show up now
    async with store.pool.acquire() as connection:
        rows = await connection.fetch(f"SELECT event_id FROM {effects}")
    projected = [row[0] for row in rows]
    assert len(projected) == len(set(projected)) == total
    assert set(projected) == {event.id for event in saved}
    print(f"{deliveries} deliveries for {total} events, {pending_after_kill} pending at the kill")
