"""A lost connection is re-established: the broker closes both buses' connections in the middle
of a stream of confirmed publishes, and every confirmed message is still consumed.

Only this test's own connections are closed (`rabbitmqctl close_connection`, found by the
connection name the URL gives); the broker keeps running for everyone else.
"""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from decimal import Decimal

import pytest

from orchestrix.core.messaging.message import Message
from orchestrix.core.messaging.topics import TopicNaming
from test.components.orchestrix.infrastructure.rabbitmq.conftest import BusOpener
from test.components.orchestrix.infrastructure.rabbitmq.messages import MoneyDeposited
from test.components.orchestrix.infrastructure.rabbitmq.waiting import wait_until

pytestmark = [pytest.mark.rabbitmq, pytest.mark.slow]

NAMING = TopicNaming(app_prefix="test.components.orchestrix.infrastructure")
TOTAL, CLOSE_AFTER, IN_FLIGHT = 1_000, 300, 50


def rabbitmqctl(*arguments: str) -> str:
    finished = subprocess.run(
        ["rabbitmqctl", "-q", *arguments], capture_output=True, text=True, timeout=60, check=True
    )
    return finished.stdout


def close_connections(name: str) -> int:
    """Have the broker close every connection whose client named itself `name`."""
    listed = rabbitmqctl("list_connections", "pid", "client_properties").splitlines()
    pids = [line.split("\t")[0] for line in listed if f'"{name}"' in line]
    for pid in pids:
        rabbitmqctl("close_connection", pid, "test: connection lost")
    return len(pids)


@pytest.mark.timeout(180)
async def test_buses_reconnect_and_lose_no_confirmed_message(
    open_bus: BusOpener, rabbitmq_url: str
) -> None:
    name = f"orchestrix-reconnect-{uuid.uuid4().hex[:8]}"
    url = f"{rabbitmq_url}{'&' if '?' in rabbitmq_url else '?'}name={name}"
    consumer = await open_bus(url=url, topic_naming=NAMING, reconnect_interval=0.2)
    publisher = await open_bus(
        url=url, topic_naming=NAMING, reconnect_interval=0.2, publish_timeout=60
    )
    received: set[str] = set()

    def project(message: Message) -> None:
        received.add(message.id)

    consumer.subscribe(MoneyDeposited, project, name="ledger")
    await consumer.start()
    events = [MoneyDeposited(account_id="A", amount=Decimal(n)) for n in range(TOTAL)]
    slots = asyncio.Semaphore(IN_FLIGHT)
    confirmed = 0
    closing: asyncio.Task[int] | None = None
    confirmed_at_close = TOTAL

    async def publish(event: MoneyDeposited) -> None:
        nonlocal confirmed, closing
        try:
            await publisher.publish(event)
        finally:
            slots.release()
        confirmed += 1
        if confirmed == CLOSE_AFTER:
            closing = asyncio.create_task(asyncio.to_thread(close_connections, name))

    async with asyncio.TaskGroup() as group:
        for event in events:
            await slots.acquire()
            group.create_task(publish(event))
            if closing is not None and not closing.done():
                await asyncio.sleep(0.005)  # keep publishing while the connections close
                if closing.done():
                    confirmed_at_close = confirmed
    assert closing is not None and await closing == 2
    assert confirmed_at_close < TOTAL, "the connections closed after the last publish"
    assert confirmed == TOTAL
    await wait_until(lambda: len(received) == TOTAL, 60, "every confirmed message")
    assert received == {event.id for event in events}
