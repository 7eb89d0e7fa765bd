"""The RabbitMQ side of `orchestrix dlq`: the dead-letter queue of a bus's namespace.

Imported only when a command uses RabbitMQ, since it needs aio-pika (the `rabbitmq` extra).
Before the bus connects (which declares its exchanges), the namespace's dead-letter queue is
looked up without creating it, so a mistyped namespace is reported instead of created. The
drivers' own log lines are silenced: each failure is reported once, as one line, and a URL's
password never appears.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

from orchestrix.cli.errors import CliError

try:
    import aio_pika
    import aiormq.exceptions

    from orchestrix.infrastructure.rabbitmq import DeadLetters, RabbitMQMessageBus, Topology
except ImportError as error:  # the rabbitmq extra is not installed
    if error.name not in {"aio_pika", "aiormq"}:
        raise
    raise CliError(
        "RabbitMQ needs the 'rabbitmq' extra (aio-pika is missing): "
        "pip install 'orchestrix[cli,rabbitmq]'"
    ) from error

_DRIVER_LOGGERS = ("aio_pika", "aiormq")


def describe(url: str) -> str:
    """Where the broker is, for messages: host, port and virtual host, never credentials."""
    try:
        parts = urlsplit(url)
        port = f":{parts.port}" if parts.port is not None else ""
    except ValueError:
        return "the broker (malformed URL)"
    return f"RabbitMQ at {parts.hostname or 'localhost'}{port}{parts.path or '/'}"


@asynccontextmanager
async def open_dead_letters(url: str, namespace: str, seconds: float) -> AsyncIterator[DeadLetters]:
    """The dead-letter queue of `namespace`'s bus on the broker at `url`, waiting at most
    `seconds` for each step of connecting."""
    for name in _DRIVER_LOGGERS:
        logging.getLogger(name).setLevel(logging.CRITICAL)
    queue = Topology(namespace).deadletter
    await _require_queue(url, queue, seconds)
    bus = RabbitMQMessageBus(url, namespace=namespace, publish_timeout=seconds)
    await bus.connect()
    try:
        yield DeadLetters(bus)
    finally:
        await bus.close()


async def _require_queue(url: str, queue: str, seconds: float) -> None:
    where = describe(url)
    try:
        connection = await aio_pika.connect(url, timeout=seconds)
    except ValueError as error:
        raise CliError(f"Invalid AMQP URL for {where}: {error}") from error
    except (aiormq.exceptions.AMQPError, OSError, TimeoutError) as error:
        raise CliError(f"Cannot connect to {where}: {error!r}") from error
    try:
        channel = await connection.channel()
        await channel.declare_queue(queue, passive=True)
    except aio_pika.exceptions.ChannelNotFoundEntity:
        raise CliError(
            f"No dead-letter queue {queue!r} on {where}: check --namespace (no bus of that "
            "namespace has connected there)"
        ) from None
    finally:
        await connection.close()


__all__ = ["describe", "open_dead_letters"]
