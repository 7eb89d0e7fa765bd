"""The broker stopped and started in the middle of 10,000 confirmed messages: every message
is consumed at least once, and exactly once after the inbox drops the repeats.

This stops the shared broker's application for a few seconds (`rabbitmqctl stop_app`), so
it runs once, quickly, and always starts the application again.
"""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from orchestrix.core.common.retry import FixedDelay
from orchestrix.core.messaging.message import Message
from orchestrix.core.messaging.topics import TopicNaming
from orchestrix.infrastructure.rabbitmq import DeadLetters
from orchestrix.infrastructure.sqlite.inbox import SQLiteInbox
from test.components.orchestrix.infrastructure.rabbitmq.conftest import BusOpener
from test.components.orchestrix.infrastructure.rabbitmq.messages import MoneyDeposited
from test.components.orchestrix.infrastructure.rabbitmq.waiting import wait_until

pytestmark = [pytest.mark.rabbitmq, pytest.mark.slow]

TOTAL = 10_000
RESTART_AFTER = 3_000
IN_FLIGHT = 200


def rabbitmqctl(*arguments: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *arguments], check=True, timeout=120)


def restart_broker() -> None:
    try:
        rabbitmqctl("stop_app")
    finally:
        rabbitmqctl("start_app")
        rabbitmqctl("await_startup")


@pytest.mark.timeout(300)
async def test_a_broker_restart_loses_nothing_and_the_inbox_drops_repeats(
    open_bus: BusOpener, tmp_path: Path
) -> None:
    naming = TopicNaming(app_prefix="test.components.orchestrix.infrastructure")
    consumer = await open_bus(
        topic_naming=naming,
        prefetch=100,
        reconnect_interval=0.5,
        retry_policy=FixedDelay(max_retries=10, delay=0.1),
    )
    publisher = await open_bus(topic_naming=naming, publish_timeout=120, reconnect_interval=0.5)
    database = tmp_path / "read-model.db"
    deliveries = 0
    async with SQLiteInbox(database, synchronous="NORMAL") as inbox:
        await inbox.initialize()

        async def project(message: Message) -> None:
            nonlocal deliveries
            deliveries += 1
            async with inbox.receive("ledger", message.id) as receipt:
                if not receipt.duplicate:
                    receipt.connection.execute("INSERT INTO effects VALUES (?)", (message.id,))

        async with inbox.receive("setup", "create-table") as receipt:
            receipt.connection.execute("CREATE TABLE effects (message_id TEXT)")
        consumer.subscribe(MoneyDeposited, project, name="ledger")
        await consumer.start()

        events = [MoneyDeposited(account_id=f"A{n % 97}", amount=Decimal(n)) for n in range(TOTAL)]
        confirmed = 0
        slots = asyncio.Semaphore(IN_FLIGHT)
        restart: asyncio.Task[None] | None = None

        async def publish(event: MoneyDeposited) -> None:
            nonlocal confirmed, restart
            try:
                await publisher.publish(event)
            finally:
                slots.release()
            confirmed += 1
            if confirmed == RESTART_AFTER:
                restart = asyncio.create_task(asyncio.to_thread(restart_broker))

        try:
            async with asyncio.TaskGroup() as group:
                for event in events:
                    await slots.acquire()
                    group.create_task(publish(event))
        finally:
            if restart is not None:
                await restart
        assert restart is not None and confirmed == TOTAL

        def projected() -> tuple[int, int]:
            with sqlite3.connect(database) as reader:
                row = reader.execute(
                    "SELECT COUNT(*), COUNT(DISTINCT message_id) FROM effects"
                ).fetchone()
            return row[0], row[1]

        await wait_until(lambda: projected()[1] == TOTAL, 120, "every event projected")
        await asyncio.sleep(1.0)  # late redeliveries would show up now
        rows, distinct = projected()
        assert rows == distinct == TOTAL
        with sqlite3.connect(database) as reader:
            stored = {row[0] for row in reader.execute("SELECT message_id FROM effects")}
        assert stored == {event.id for event in events}
        assert deliveries >= TOTAL
        assert await DeadLetters(consumer).peek() == []
        print(f"{deliveries} deliveries for {TOTAL} messages")
