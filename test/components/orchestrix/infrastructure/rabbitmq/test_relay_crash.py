"""The outbox relay SIGKILLed in the middle of a batch: after a restart every saved event is
published, and the consumer's inbox absorbs what was published twice.

The kill is shown to land inside a batch: some events the consumer received still have their
outbox rows pending afterwards, so the next relay publishes them again."""

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
from orchestrix.infrastructure.rabbitmq import RabbitMQMessageBus
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
KILL_ATTEMPTS = 5


async def waiting_in(bus: RabbitMQMessageBus, handler: str) -> int:
    """How many messages wait in the handler's queue (a fresh declaration each time)."""
    channel = await bus.publisher.connection.channel()
    try:
        queue = await channel.declare_queue(bus.topology.handler_queue(handler), passive=True)
        return int(queue.declaration_result.message_count)
    finally:
        await channel.close()


async def drained(bus: RabbitMQMessageBus, handler: str) -> None:
    """Return once the handler's queue has stayed empty for a while."""
    quiet = 0
    for _ in range(1200):
        quiet = quiet + 1 if await waiting_in(bus, handler) == 0 else 0
        if quiet == 10:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the queue of {handler} never drained")


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
    delivered: set[str] = set()

    async def project(message: Message) -> None:
        nonlocal deliveries
        deliveries += 1
        delivered.add(message.id)
        async with inbox.receive("ledger", message.id) as receipt:
            if not receipt.duplicate:
                event: Any = message
                await receipt.connection.execute(
                    f"INSERT INTO {effects} VALUES ($1, $2)", event.id, event.account_id
                )

    async def unsent() -> set[str]:
        """The ids of the events whose outbox rows are not marked sent."""
        async with store.pool.acquire() as connection:
            rows = await connection.fetch(
                f'SELECT e.event_id FROM "{store.schema}".outbox o '
                f'JOIN "{store.schema}".events e USING (position) WHERE o.sent_at IS NULL'
            )
        return {row[0] for row in rows}

    async def claimed() -> int:
        """How many rows a relay has claimed and not marked sent: its batch in flight."""
        async with store.pool.acquire() as connection:
            return int(
                await connection.fetchval(
                    f'SELECT count(*) FROM "{store.schema}".outbox '
                    "WHERE sent_at IS NULL AND claim_token IS NOT NULL"
                )
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
    republished: set[str] = set()  # published by the killed relay, yet still pending
    try:
        for _ in range(KILL_ATTEMPTS):
            # Kill the relay while it holds a claimed batch, then let the consumer take what
            # reached the broker: events it received whose rows are still pending were
            # published by the dead relay and will be published again.
            for _ in range(5000):
                if await claimed():
                    break
                await asyncio.sleep(0.002)
            await asyncio.sleep(0.01)  # into the batch's publishing
            os.kill(relay.pid, signal.SIGKILL)
            assert relay.wait(10) == -signal.SIGKILL
            assert await outbox.pending_count() > 0
            await drained(consumer, "ledger")
            republished = delivered & await unsent()
            relay = start_relay(postgres_dsn, store.schema, rabbitmq_url, namespace)
            if republished:
                break
        assert republished, f"no kill landed inside a batch in {KILL_ATTEMPTS} attempts"
        await wait_until(
            lambda: deliveries >= total + len(republished), 60, "every event, some twice"
        )

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
    print(f"{deliveries} deliveries for {total} events, {len(republished)} published twice")
