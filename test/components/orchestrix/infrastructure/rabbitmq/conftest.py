"""Fixtures for the broker tests: a namespace of exchanges and queues per test, deleted after.

Every name starts with one prefix per test session (`orxt<random>`), so parallel runs never
share a queue; at the end of the session every exchange and queue under the prefix is
deleted, including those that worker processes declared.
"""

from __future__ import annotations

import contextlib
import itertools
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import aio_pika
import pytest

from orchestrix.infrastructure.rabbitmq import RabbitMQMessageBus
from test.conftest import delete_rabbitmq_names, rabbitmq_test_url

RUN_PREFIX = f"orxt{uuid.uuid4().hex[:10]}"
_numbers = itertools.count()

type BusOpener = Callable[..., Awaitable[RabbitMQMessageBus]]


@pytest.fixture(scope="session", autouse=True)
def _clean_broker_after_the_run() -> Iterator[None]:
    yield
    with contextlib.suppress(OSError, aio_pika.exceptions.AMQPError):  # no broker, no queues
        delete_rabbitmq_names(rabbitmq_test_url(), RUN_PREFIX)


@pytest.fixture
def namespace() -> str:
    """A namespace no other test (or test run) uses."""
    return f"{RUN_PREFIX}.{next(_numbers)}"


@pytest.fixture
async def open_bus(rabbitmq_url: str, namespace: str) -> AsyncIterator[BusOpener]:
    """Opens connected buses in the test's namespace and on the test broker (unless given);
    closes them all."""
    buses: list[RabbitMQMessageBus] = []

    async def open_one(url: str = rabbitmq_url, **options: Any) -> RabbitMQMessageBus:
        options.setdefault("namespace", namespace)
        bus = RabbitMQMessageBus(url, **options)
        buses.append(bus)
        await bus.connect()
        return bus

    yield open_one
    for bus in buses:
        await bus.close()
