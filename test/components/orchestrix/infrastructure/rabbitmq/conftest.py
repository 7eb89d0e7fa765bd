"""Fixtures for the broker tests: a namespace of exchanges and queues per test, deleted after.

Every name starts with one prefix per test session (`orxt<random>`), so parallel runs never
share a queue; at the end of the session every exchange and queue under the prefix is
deleted, including those that worker processes declared.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import subprocess
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import aio_pika
import pytest

from orchestrix.infrastructure.rabbitmq import RabbitMQMessageBus
from test.conftest import rabbitmq_test_url

RUN_PREFIX = f"orxt{uuid.uuid4().hex[:10]}"
_numbers = itertools.count()

type BusOpener = Callable[..., Awaitable[RabbitMQMessageBus]]


def _names(kind: str, prefix: str) -> list[str]:
    listed = subprocess.run(
        ["rabbitmqctl", "-q", f"list_{kind}", "name"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return [line for line in listed.stdout.split() if line.startswith(prefix)]


async def delete_topology(url: str, prefix: str = RUN_PREFIX) -> None:
    """Delete every queue and exchange whose name starts with `prefix`, whoever declared it."""
    queues, exchanges = _names("queues", prefix), _names("exchanges", prefix)
    if not queues and not exchanges:
        return
    connection = await aio_pika.connect(url)
    try:
        channel = await connection.channel()
        for queue in queues:
            await channel.queue_delete(queue)
        for exchange in exchanges:
            await channel.exchange_delete(exchange)
    finally:
        await connection.close()


@pytest.fixture(scope="session", autouse=True)
def _clean_broker_after_the_run() -> Iterator[None]:
    yield
    with contextlib.suppress(OSError, aio_pika.exceptions.AMQPError):  # no broker, no queues
        asyncio.run(delete_topology(rabbitmq_test_url()))


@pytest.fixture
def namespace() -> str:
    """A namespace no other test (or test run) uses."""
    return f"{RUN_PREFIX}.{next(_numbers)}"


@pytest.fixture
async def open_bus(rabbitmq_url: str, namespace: str) -> AsyncIterator[BusOpener]:
    """Opens connected buses in the test's namespace (unless given); closes them all."""
    buses: list[RabbitMQMessageBus] = []

    async def open_one(**options: Any) -> RabbitMQMessageBus:
        options.setdefault("namespace", namespace)
        bus = RabbitMQMessageBus(rabbitmq_url, **options)
        buses.append(bus)
        await bus.connect()
        return bus

    yield open_one
    for bus in buses:
        await bus.close()
